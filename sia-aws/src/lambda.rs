//! Service identity for AWS Lambda (Athenz `libs/go/sia/aws/lambda/lambda.go`
//! `GetAthenzServiceIdentity`): a function calls [`get_service_identity`] at cold start. It
//! assumes `<domain>.<service>` with the execution role's credentials (the SDK's default chain:
//! Lambda puts them in the environment), registers with ZTS without a client certificate
//! (there is no identity document, so the provider limits the certificate's lifetime), and
//! returns key, certificate and CA in memory; nothing is written to disk.

use crate::attestation::AwsAttestationData;
use crate::error::{Error, Result};
use crate::sts;
use model::zts::InstanceRegisterInformation;
use sia_core::csr::{self, CsrSpec, DEFAULT_SPIFFE_NAMESPACE};
use sia_core::zts::ZtsClient;
use sia_core::{KeyType, PrivateKey};
use std::path::PathBuf;

/// Athenz's Lambda provider prefix; the provider is `<prefix>.<region>`.
pub const DEFAULT_PROVIDER_PREFIX: &str = "athenz.aws-lambda";

/// What to ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaIdentityRequest {
    /// Athenz domain.
    pub domain: String,
    /// Service.
    pub service: String,
    /// AWS account of the `<domain>.<service>` role.
    pub account: String,
    /// Region; `None` takes `AWS_REGION` (which Lambda sets).
    pub region: Option<String>,
    /// Provider prefix (default [`DEFAULT_PROVIDER_PREFIX`]).
    pub provider_prefix: String,
    /// ZTS base URL, `https://host:port/zts/v1`.
    pub zts_url: String,
    /// CA bundle for ZTS; `None` trusts the system roots.
    pub zts_ca_file: Option<PathBuf>,
    /// Provider DNS suffixes for the SAN DNS names.
    pub dns_domains: Vec<String>,
    /// SPIFFE trust domain (selects the `ns` URI form).
    pub spiffe_trust_domain: Option<String>,
    /// Key algorithm (Athenz uses RSA here; ECDSA is the default of this library).
    pub key_type: KeyType,
    /// Requested lifetime in minutes.
    pub expiry_time: Option<i32>,
    /// IAM role path of the `<domain>.<service>` role.
    pub role_path: Option<String>,
}

impl LambdaIdentityRequest {
    /// A request with the defaults filled in.
    pub fn new(domain: &str, service: &str, account: &str, zts_url: &str) -> Self {
        Self {
            domain: domain.into(),
            service: service.into(),
            account: account.into(),
            region: None,
            provider_prefix: DEFAULT_PROVIDER_PREFIX.into(),
            zts_url: zts_url.into(),
            zts_ca_file: None,
            dns_domains: Vec::new(),
            spiffe_trust_domain: None,
            key_type: KeyType::default(),
            expiry_time: None,
            role_path: None,
        }
    }

    /// `lambda-<account>-<service>` (Athenz's Lambda instance id).
    pub fn instance_id(&self) -> String {
        format!("lambda-{}-{}", self.account, self.service)
    }
}

/// The identity, in memory. `Debug` never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct ServiceIdentity {
    /// PKCS#8 PEM private key.
    pub key_pem: String,
    /// PEM certificate.
    pub cert_pem: String,
    /// PEM CA chain (`x509CertificateSigner`), when ZTS returned one.
    pub ca_pem: Option<String>,
    /// Provider that confirmed the function.
    pub provider: String,
    /// Instance id.
    pub instance_id: String,
    /// `domain.service`.
    pub name: String,
}

impl std::fmt::Debug for ServiceIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceIdentity")
            .field("name", &self.name)
            .field("provider", &self.provider)
            .field("instance_id", &self.instance_id)
            .finish_non_exhaustive()
    }
}

/// Gets a service identity for the calling function.
pub async fn get_service_identity(req: &LambdaIdentityRequest) -> Result<ServiceIdentity> {
    if req.domain.is_empty() || req.service.is_empty() || req.account.is_empty() {
        return Err(Error::Usage(
            "domain, service and account are required".into(),
        ));
    }
    // Region: the request's, else the SDK environment's (AWS_REGION), else us-east-1.
    let conf = sts::sdk_config(None, req.region.as_deref().unwrap_or("us-east-1")).await;
    let region = match &req.region {
        Some(r) => r.clone(),
        None => conf
            .region()
            .map_or_else(|| "us-east-1".to_string(), |r| r.to_string()),
    };
    let role = format!("{}.{}", req.domain, req.service);
    let arn = sts::role_arn(&req.account, req.role_path.as_deref(), &role);
    let creds = sts::assume_role(&conf, &arn, &role).await?;
    let attestation = AwsAttestationData::new(role.clone(), &creds, None, None).to_json()?;
    let provider = format!("{}.{region}", req.provider_prefix.trim_end_matches('.'));
    let instance_id = req.instance_id();
    let key = PrivateKey::generate(req.key_type)?;
    let spec = CsrSpec {
        domain: req.domain.clone(),
        service: req.service.clone(),
        provider: provider.clone(),
        instance_id: instance_id.clone(),
        dns_domains: req.dns_domains.clone(),
        spiffe_trust_domain: req.spiffe_trust_domain.clone(),
        spiffe_namespace: DEFAULT_SPIFFE_NAMESPACE.into(),
        ..Default::default()
    };
    let info = InstanceRegisterInformation {
        provider: provider.clone(),
        domain: req.domain.clone(),
        service: req.service.clone(),
        attestation_data: attestation,
        csr: csr::build_csr(&spec, &key)?,
        expiry_time: req.expiry_time,
        namespace: req
            .spiffe_trust_domain
            .as_ref()
            .map(|_| DEFAULT_SPIFFE_NAMESPACE.to_string()),
        ..Default::default()
    };
    let zts = ZtsClient::with_base_url(&req.zts_url, req.zts_ca_file.as_deref());
    let identity = zts.register(&info).await?;
    let cert_pem = identity
        .x509_certificate
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| sia_core::Error::Certificate("ZTS returned no x509Certificate".into()))?;
    sia_core::cert::inspect(&cert_pem, Some(key.public_key_raw()))?;
    Ok(ServiceIdentity {
        key_pem: key.pem().to_string(),
        cert_pem,
        ca_pem: identity.x509_certificate_signer,
        provider,
        instance_id,
        name: role,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_defaults_follow_athenz() {
        let r = LambdaIdentityRequest::new("sports", "api", "123456789012", "https://z/zts/v1");
        assert_eq!(r.instance_id(), "lambda-123456789012-api");
        assert_eq!(r.provider_prefix, "athenz.aws-lambda");
    }

    #[tokio::test]
    async fn missing_names_are_refused_before_any_call() {
        let r = LambdaIdentityRequest::new("", "api", "1", "https://127.0.0.1:1/zts/v1");
        let e = get_service_identity(&r).await.unwrap_err();
        assert!(e.to_string().contains("required"), "{e}");
    }
}
