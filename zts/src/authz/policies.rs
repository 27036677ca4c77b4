//! Signed policy data for ZPE (reference §1.11; `ZTSImpl.getDomainSignedPolicyData`,
//! `postSignedPolicyRequest`): the active policies of a domain from ZTS's verified ZMS copy,
//! re-signed by ZTS with an `expires`, in the legacy form (`DomainSignedPolicyData`, canonical
//! JSON, ybase64 signature) or as a flattened JWS. The ETag is the quoted domain `modified`
//! timestamp, so a deleted policy also changes it.

use super::{TokenSigner, domain};
use crate::error::{ZtsError, ZtsResult};
use crate::state::AppState;
use crate::zmsdata::ZtsDomain;
use model::Timestamp;
use model::crypto::{FlattenedJws, JwsSignatureFormat, sign_flattened_jws};
use model::zms::Policy;
use model::zts_policy::{DomainSignedPolicyData, PolicyData, SignedPolicyData};
use serde::Deserialize;
use std::collections::BTreeMap;

/// `POST /domain/{d}/policy/signed` body (`SignedPolicyRequest`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedPolicyRequest {
    /// Policy name → version to return instead of the active one.
    #[serde(default)]
    pub policy_versions: BTreeMap<String, String>,
    /// ES256 signature in P1363 form rather than DER.
    #[serde(default)]
    pub signature_p1363_format: bool,
}

/// The ETag of a domain's policy data.
pub fn etag(d: &ZtsDomain) -> String {
    format!("\"{}\"", d.data.modified)
}

/// Whether `If-None-Match` names the current tag.
pub fn not_modified(d: &ZtsDomain, if_none_match: Option<&str>) -> bool {
    let tag = etag(d);
    if_none_match.is_some_and(|h| h.split(',').any(|t| t.trim() == tag))
}

/// The domain or 404.
pub fn lookup(st: &AppState, name: &str) -> ZtsResult<std::sync::Arc<ZtsDomain>> {
    domain(st, name)
}

fn expires(signer: &TokenSigner) -> Timestamp {
    Timestamp::from_millis(
        Timestamp::now().millis() + signer.settings.signed_policy_timeout_secs * 1000,
    )
}

/// Legacy form: active policies only, assertions reduced to role, resource, action, effect.
pub fn legacy(d: &ZtsDomain, signer: &TokenSigner) -> ZtsResult<DomainSignedPolicyData> {
    let policies = d
        .data
        .policies
        .contents
        .policies
        .iter()
        .filter(|p| p.active != Some(false))
        .map(|p| {
            let mut p = p.clone();
            p.case_sensitive = None;
            p.version = None;
            p.active = None;
            p.description = None;
            p.tags = None;
            for a in &mut p.assertions {
                a.id = None;
                a.case_sensitive = None;
            }
            p
        })
        .collect();
    let signed = SignedPolicyData {
        policy_data: PolicyData {
            domain: d.data.name.clone(),
            policies,
        },
        zms_signature: Some(d.data.policies.signature.clone()),
        zms_key_id: Some(d.data.policies.key_id.clone()),
        modified: d.data.modified,
        expires: expires(signer),
    };
    let canonical = signed
        .canonical_signable()
        .map_err(|e| ZtsError::Internal(format!("canonical policy data: {e}")))?;
    let signature = signer
        .key
        .sign_ybase64(canonical.as_bytes())
        .map_err(|e| ZtsError::Internal(format!("signing policy data: {e}")))?;
    Ok(DomainSignedPolicyData {
        signed_policy_data: signed,
        signature,
        key_id: signer.key_id.clone(),
    })
}

/// Picks, per policy name, the requested version, else the active one (a policy without
/// versions is its own active version).
fn select(all: &[Policy], versions: &BTreeMap<String, String>) -> Vec<Policy> {
    let mut out: Vec<Policy> = Vec::new();
    for p in all {
        let short = p
            .name
            .rsplit_once(":policy.")
            .map_or(p.name.as_str(), |(_, n)| n);
        let wanted = versions.get(&p.name).or_else(|| versions.get(short));
        let keep = match wanted {
            Some(v) => p.version.as_deref() == Some(v.as_str()),
            None => p.active != Some(false),
        };
        if keep && !out.iter().any(|o| o.name == p.name) {
            out.push(p.clone());
        }
    }
    out
}

/// JWS form: the `SignedPolicyData` JSON (ZMS signature fields empty) as a flattened JWS.
pub fn jws(
    d: &ZtsDomain,
    signer: &TokenSigner,
    req: &SignedPolicyRequest,
) -> ZtsResult<FlattenedJws> {
    let signed = SignedPolicyData {
        policy_data: PolicyData {
            domain: d.data.name.clone(),
            policies: select(&d.data.policies.contents.policies, &req.policy_versions),
        },
        zms_signature: Some(String::new()),
        zms_key_id: Some(String::new()),
        modified: d.data.modified,
        expires: expires(signer),
    };
    let payload = serde_json::to_vec(&signed)
        .map_err(|e| ZtsError::Internal(format!("policy data JSON: {e}")))?;
    let format = if req.signature_p1363_format {
        JwsSignatureFormat::P1363
    } else {
        JwsSignatureFormat::Der
    };
    sign_flattened_jws(&signer.key, &signer.key_id, &payload, format)
        .map_err(|e| ZtsError::Internal(format!("signing policy data: {e}")))
}
