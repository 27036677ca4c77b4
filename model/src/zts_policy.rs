//! ZTS signed policy data for the local policy engine (ZPE): the wire types of
//! `GET /domain/{d}/signed_policy_data` and the payload of `POST /domain/{d}/policy/signed`
//! (Athenz `core/zts/src/main/rdl/SignedPolicies.rdli`), and the exact projection ZTS signs.
//!
//! The signature is not over the JSON as sent but over the canonical form of a fixed field list
//! (Athenz `SignUtils.asStruct(SignedPolicyData)` / `asStruct(PolicyData)` / `asStruct(Policy)`
//! in `libs/java/client_common/.../utils/SignUtils.java`): assertions keep only `action`,
//! `effect`, `resource`, `role` (no `id`, no `caseSensitive`); a policy keeps `assertions`
//! (dropped when empty), `modified` and `name`; `policies` is always written. A file with extra
//! fields (ZTS's JWS path adds `version`, `active`, `caseSensitive`, `id`) therefore still
//! verifies, as it does in Java.

use crate::Timestamp;
use crate::zms::{AssertionEffect, Policy};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `PolicyData`: a domain's policies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PolicyData {
    /// The domain name.
    pub domain: String,
    /// Its (active) policies.
    #[serde(default)]
    pub policies: Vec<Policy>,
}

/// `SignedPolicyData`: the policies with ZMS's signature, the domain's modification time and the
/// time after which the data must no longer be used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedPolicyData {
    /// The policies.
    pub policy_data: PolicyData,
    /// ZMS's ybase64 signature over the canonical [`PolicyData`] (empty in the JWS form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zms_signature: Option<String>,
    /// The id of the ZMS key that made `zms_signature`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zms_key_id: Option<String>,
    /// When the domain was last modified (the ETag of the endpoint).
    pub modified: Timestamp,
    /// When this data expires (ZTS: now + `athenz.zts.signed_policy_timeout`, default 7 days).
    pub expires: Timestamp,
}

/// `DomainSignedPolicyData`: the legacy policy file, signed by ZTS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainSignedPolicyData {
    /// The signed data.
    pub signed_policy_data: SignedPolicyData,
    /// ZTS's ybase64 signature over [`SignedPolicyData::canonical_signable`].
    pub signature: String,
    /// The id of the ZTS key that made `signature`.
    pub key_id: String,
}

impl PolicyData {
    /// The canonical JSON ZMS signs (`SignUtils.asCanonicalString(PolicyData)`).
    pub fn canonical_signable(&self) -> Result<String, serde_json::Error> {
        crate::canonical::to_canonical_string(&self.signable())
    }

    fn signable(&self) -> Value {
        let mut out = Map::new();
        out.insert("domain".into(), Value::String(self.domain.clone()));
        let policies = self.policies.iter().map(signable_policy).collect();
        out.insert("policies".into(), Value::Array(policies));
        Value::Object(out)
    }
}

impl SignedPolicyData {
    /// The canonical JSON ZTS signs (`SignUtils.asCanonicalString(SignedPolicyData)`).
    pub fn canonical_signable(&self) -> Result<String, serde_json::Error> {
        let mut out = Map::new();
        out.insert("expires".into(), serde_json::to_value(self.expires)?);
        out.insert("modified".into(), serde_json::to_value(self.modified)?);
        out.insert("policyData".into(), self.policy_data.signable());
        if let Some(id) = &self.zms_key_id {
            out.insert("zmsKeyId".into(), Value::String(id.clone()));
        }
        if let Some(sig) = &self.zms_signature {
            out.insert("zmsSignature".into(), Value::String(sig.clone()));
        }
        crate::canonical::to_canonical_string(&Value::Object(out))
    }
}

fn signable_policy(policy: &Policy) -> Value {
    let mut out = Map::new();
    if !policy.assertions.is_empty() {
        let assertions = policy
            .assertions
            .iter()
            .map(|a| {
                let mut m = Map::new();
                m.insert("action".into(), Value::String(a.action.clone()));
                if let Some(effect) = a.effect {
                    let name = match effect {
                        AssertionEffect::Allow => "ALLOW",
                        AssertionEffect::Deny => "DENY",
                    };
                    m.insert("effect".into(), Value::String(name.into()));
                }
                m.insert("resource".into(), Value::String(a.resource.clone()));
                m.insert("role".into(), Value::String(a.role.clone()));
                Value::Object(m)
            })
            .collect();
        out.insert("assertions".into(), Value::Array(assertions));
    }
    if let Some(modified) = policy.modified {
        out.insert("modified".into(), Value::String(modified.to_string()));
    }
    out.insert("name".into(), Value::String(policy.name.clone()));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zms::Assertion;

    #[test]
    fn signable_keeps_signutils_fields_only() {
        let spd = SignedPolicyData {
            policy_data: PolicyData {
                domain: "sports".into(),
                policies: vec![
                    Policy {
                        name: "sports:policy.p".into(),
                        modified: Some(Timestamp::from_millis(0)),
                        assertions: vec![Assertion {
                            role: "sports:role.r".into(),
                            resource: "sports:*".into(),
                            action: "read".into(),
                            effect: Some(AssertionEffect::Deny),
                            id: Some(7),
                            case_sensitive: Some(true),
                        }],
                        version: Some("0".into()),
                        active: Some(true),
                        ..Policy::default()
                    },
                    Policy {
                        name: "sports:policy.empty".into(),
                        ..Policy::default()
                    },
                ],
            },
            zms_signature: Some(String::new()),
            zms_key_id: None,
            modified: Timestamp::from_millis(1000),
            expires: Timestamp::from_millis(2000),
        };
        assert_eq!(
            spd.canonical_signable().unwrap(),
            concat!(
                r#"{"expires":"1970-01-01T00:00:02.000Z","modified":"1970-01-01T00:00:01.000Z","#,
                r#""policyData":{"domain":"sports","policies":[{"assertions":[{"action":"read","#,
                r#""effect":"DENY","resource":"sports:*","role":"sports:role.r"}],"#,
                r#""modified":"1970-01-01T00:00:00.000Z","name":"sports:policy.p"},"#,
                r#"{"name":"sports:policy.empty"}]},"zmsSignature":""}"#
            )
        );
    }

    #[test]
    fn parses_wire_names() {
        let text = r#"{"signedPolicyData":{"policyData":{"domain":"d","policies":[]},
            "zmsSignature":"","zmsKeyId":"","modified":"2020-01-01T00:00:00.000Z",
            "expires":"2020-01-08T00:00:00.000Z"},"signature":"x","keyId":"0"}"#;
        let f: DomainSignedPolicyData = serde_json::from_str(text).unwrap();
        assert_eq!(f.key_id, "0");
        assert_eq!(f.signed_policy_data.policy_data.domain, "d");
    }
}
