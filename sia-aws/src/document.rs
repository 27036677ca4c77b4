//! The EC2 instance identity document (`/latest/dynamic/instance-identity/document`) and the
//! instance-profile credentials (`/latest/meta-data/iam/security-credentials/<role>`), with the
//! field names AWS uses (camelCase for the document, PascalCase for credentials).

use crate::error::{Error, Result};
use serde::Deserialize;

/// The fields of the identity document the agent uses. The text itself is kept as read: it is
/// what the PKCS7 signature covers, so ZTS must receive it byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityDocument {
    /// AWS account number.
    pub account_id: String,
    /// Region (`us-west-2`).
    pub region: String,
    /// Instance id (`i-0abc...`).
    pub instance_id: String,
    /// Primary private IPv4 address.
    #[serde(default)]
    pub private_ip: Option<String>,
    /// Launch time; ZTS checks it against `aws_boot_time_offset` at registration.
    #[serde(default)]
    pub pending_time: Option<String>,
    /// Availability zone.
    #[serde(default)]
    pub availability_zone: Option<String>,
}

impl IdentityDocument {
    /// Parses the document text.
    pub fn parse(text: &str) -> Result<Self> {
        let doc: Self = serde_json::from_str(text)
            .map_err(|e| Error::Document(format!("unable to parse identity document: {e}")))?;
        if doc.account_id.is_empty() || doc.region.is_empty() || doc.instance_id.is_empty() {
            return Err(Error::Document(
                "identity document lacks accountId, region or instanceId".into(),
            ));
        }
        Ok(doc)
    }
}

/// Temporary AWS credentials (instance profile or assumed role). `Debug` hides the secrets.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Credentials {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Session token.
    #[serde(default)]
    pub token: Option<String>,
    /// Expiration (RFC 3339), informational.
    #[serde(default)]
    pub expiration: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Parses the IMDS credentials document (`{"Code":"Success","AccessKeyId":...}`).
    pub fn parse_imds(text: &str) -> Result<Self> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Doc {
            #[serde(default)]
            code: Option<String>,
            #[serde(flatten)]
            creds: Credentials,
        }
        let doc: Doc = serde_json::from_str(text).map_err(|e| {
            // serde's message names the missing field, never a value.
            Error::Document(format!("unable to parse instance credentials: {e}"))
        })?;
        if let Some(code) = doc.code.filter(|c| c != "Success") {
            return Err(Error::Document(format!(
                "instance credentials not available: Code {code}"
            )));
        }
        Ok(doc.creds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{
  "accountId" : "123456789012",
  "architecture" : "x86_64",
  "availabilityZone" : "us-west-2b",
  "imageId" : "ami-5fb8c835",
  "instanceId" : "i-0a1b2c3d4e5f",
  "instanceType" : "t3.micro",
  "pendingTime" : "2026-12-01T10:00:00Z",
  "privateIp" : "10.158.112.84",
  "region" : "us-west-2",
  "version" : "2017-09-30"
}"#;

    #[test]
    fn parses_the_aws_document() {
        let d = IdentityDocument::parse(DOC).unwrap();
        assert_eq!(d.account_id, "123456789012");
        assert_eq!(d.region, "us-west-2");
        assert_eq!(d.instance_id, "i-0a1b2c3d4e5f");
        assert_eq!(d.private_ip.as_deref(), Some("10.158.112.84"));
        assert_eq!(d.pending_time.as_deref(), Some("2026-12-01T10:00:00Z"));
        assert_eq!(d.availability_zone.as_deref(), Some("us-west-2b"));
        assert!(
            IdentityDocument::parse(r#"{"accountId":"1","region":"","instanceId":"i"}"#).is_err()
        );
        assert!(IdentityDocument::parse("not json").is_err());
    }

    #[test]
    fn parses_imds_credentials_and_hides_them() {
        let c = Credentials::parse_imds(
            r#"{"Code":"Success","LastUpdated":"2026-12-01T10:00:00Z","Type":"AWS-HMAC",
                "AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"sekrit","Token":"tok",
                "Expiration":"2026-12-01T16:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(c.access_key_id, "ASIAEXAMPLE");
        assert_eq!(c.secret_access_key, "sekrit");
        assert_eq!(c.token.as_deref(), Some("tok"));
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("sekrit") && !dbg.contains("tok\""), "{dbg}");
        let e =
            Credentials::parse_imds(r#"{"Code":"Failed","AccessKeyId":"a","SecretAccessKey":"b"}"#)
                .unwrap_err();
        assert!(e.to_string().contains("Failed"));
        let e = Credentials::parse_imds(r#"{"AccessKeyId":"a"}"#).unwrap_err();
        assert!(e.to_string().contains("SecretAccessKey"), "{e}");
    }
}
