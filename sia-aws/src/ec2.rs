//! The EC2 attestor (Athenz `provider/aws/sia-ec2/authn.go`,
//! `libs/go/sia/aws/attestation/attestation.go`): read the identity document, its PKCS7 and the
//! instance-profile credentials from IMDS, assume `<domain>.<service>` with them, and hand ZTS
//! the `AWSAttestationData`. The provider is `<prefix>.<region>`, the instance id and SAN IP come
//! from the document.

use crate::attestation::AwsAttestationData;
use crate::document::{Credentials, IdentityDocument};
use crate::error::{Error, Result};
use crate::imds::{Imds, Session};
use crate::sts;
use async_trait::async_trait;
use sia_core::Attestation;

/// IMDS path of the identity document.
pub const DOCUMENT_PATH: &str = "/latest/dynamic/instance-identity/document";
/// IMDS path of the document's PKCS7 signature.
pub const PKCS7_PATH: &str = "/latest/dynamic/instance-identity/pkcs7";
/// IMDS path listing the instance-profile role.
pub const CREDENTIALS_PATH: &str = "/latest/meta-data/iam/security-credentials/";

/// Attests an EC2 instance.
#[derive(Debug, Clone)]
pub struct Ec2Attestor {
    imds: Imds,
    provider_prefix: String,
    role_path: Option<String>,
}

impl Ec2Attestor {
    /// `provider_prefix` is `-providerprefix` (`athenz.aws`); `role_path` the IAM role path.
    pub fn new(imds: Imds, provider_prefix: &str, role_path: Option<String>) -> Self {
        Self {
            imds,
            provider_prefix: provider_prefix.trim_end_matches('.').to_string(),
            role_path,
        }
    }

    /// Reads and parses the identity document (the agent needs the account before it can pick
    /// its `accounts` entry).
    pub async fn document(&self) -> Result<IdentityDocument> {
        let s = self.imds.session().await;
        IdentityDocument::parse(&s.get(DOCUMENT_PATH).await?)
    }

    /// The full attestation for `domain.service`.
    pub async fn attest_service(&self, domain: &str, service: &str) -> Result<Attestation> {
        let s = self.imds.session().await;
        let text = s.get(DOCUMENT_PATH).await?;
        let doc = IdentityDocument::parse(&text)?;
        let signature = s.get(PKCS7_PATH).await?;
        let profile_creds = instance_credentials(&s).await?;
        let role = format!("{domain}.{service}");
        let arn = sts::role_arn(&doc.account_id, self.role_path.as_deref(), &role);
        let conf = sts::sdk_config(Some(&profile_creds), &doc.region).await;
        let assumed = sts::assume_role(&conf, &arn, &role).await?;
        let data = AwsAttestationData::new(role, &assumed, Some(text), Some(signature));
        let ips = doc
            .private_ip
            .as_deref()
            .and_then(|ip| ip.parse().ok())
            .into_iter()
            .collect();
        Ok(Attestation {
            provider: format!("{}.{}", self.provider_prefix, doc.region),
            instance_id: doc.instance_id,
            attestation_data: data.to_json()?,
            ips,
            cloud: None,
        })
    }
}

#[async_trait]
impl sia_core::Attestor for Ec2Attestor {
    async fn attest(
        &self,
        domain: &str,
        service: &str,
        _refresh: bool,
    ) -> sia_core::Result<Attestation> {
        Ok(self.attest_service(domain, service).await?)
    }
}

/// The instance-profile credentials: the first role listed, then its credentials document.
pub async fn instance_credentials(s: &Session<'_>) -> Result<Credentials> {
    let listing = s.get(CREDENTIALS_PATH).await?;
    let role = listing
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .ok_or_else(|| Error::Document("the instance has no instance-profile role".into()))?;
    Credentials::parse_imds(&s.get(&format!("{CREDENTIALS_PATH}{role}")).await?)
}
