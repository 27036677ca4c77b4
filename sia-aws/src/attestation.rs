//! The attestation data ZTS's AWS providers read (`AWSAttestationData.java`; SIA side
//! `libs/go/sia/aws/attestation/attestation.go`): the identity document exactly as read, its
//! PKCS7 signature, the role (`<domain>.<service>`) and the temporary credentials of that role,
//! which the provider checks with `sts:GetCallerIdentity`.

use crate::document::Credentials;
use crate::error::{Error, Result};
use serde::Serialize;

/// `AWSAttestationData`. Empty optional fields are left out, as the Go SIA's `omitempty` does.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct AwsAttestationData {
    /// The identity document text (EC2 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// The base64 PKCS7 of the document exactly as IMDS served it (no PEM lines; EC2 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// `<domain>.<service>`.
    pub role: String,
    /// Access key id of the assumed role.
    pub access: String,
    /// Secret access key of the assumed role.
    pub secret: String,
    /// Session token of the assumed role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl std::fmt::Debug for AwsAttestationData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsAttestationData")
            .field("role", &self.role)
            .field("access", &self.access)
            .field("document", &self.document.is_some())
            .finish_non_exhaustive()
    }
}

impl AwsAttestationData {
    /// Builds the data from the assumed role's credentials.
    pub fn new(
        role: String,
        creds: &Credentials,
        document: Option<String>,
        signature: Option<String>,
    ) -> Self {
        Self {
            document,
            signature,
            role,
            access: creds.access_key_id.clone(),
            secret: creds.secret_access_key.clone(),
            token: creds.token.clone(),
        }
    }

    /// The JSON string sent as `attestationData`.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self)
            .map_err(|e| Error::Document(format!("unable to encode attestation data: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_field_names_are_athenz_ones() {
        let creds = Credentials {
            access_key_id: "ASIA1".into(),
            secret_access_key: "s".into(),
            token: Some("t".into()),
            expiration: None,
        };
        let doc = "{\n  \"accountId\" : \"1\"\n}".to_string();
        let a = AwsAttestationData::new(
            "sports.api".into(),
            &creds,
            Some(doc.clone()),
            Some("MIAG".into()),
        );
        let v: serde_json::Value = serde_json::from_str(&a.to_json().unwrap()).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut keys = keys;
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["access", "document", "role", "secret", "signature", "token"]
        );
        assert_eq!(v["document"], doc, "document text kept byte for byte");
        assert_eq!(v["signature"], "MIAG");
        assert_eq!(v["role"], "sports.api");
        assert_eq!(v["access"], "ASIA1");
        assert_eq!(v["secret"], "s");
        assert_eq!(v["token"], "t");
        assert!(!format!("{a:?}").contains("\"s\""));

        let lambda = AwsAttestationData::new("sports.api".into(), &creds, None, None);
        let v: serde_json::Value = serde_json::from_str(&lambda.to_json().unwrap()).unwrap();
        assert!(v.get("document").is_none() && v.get("signature").is_none());
    }
}
