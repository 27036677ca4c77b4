//! What the AWS providers share: the `[aws]` settings, the SDK configuration (the standard AWS
//! environment: `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_STS`, `AWS_REGION`, credentials), the
//! attestation data, and the checks both EC2 and Lambda make (reference §3).

pub mod document;
pub mod liveness;
pub mod settings;
pub mod sts;

use super::ProviderError;
use serde::Deserialize;
use std::collections::BTreeMap;

pub use settings::{AwsSettings, RawAws};

/// Everything the AWS providers need, built once at start.
#[derive(Debug)]
pub struct AwsContext {
    /// The `[aws]` settings.
    pub settings: AwsSettings,
    /// The SDK's configuration from the standard environment.
    pub sdk: aws_config::SdkConfig,
    /// Present when `aws.liveness` is on.
    pub liveness: Option<liveness::Liveness>,
}

impl AwsContext {
    /// Loads the SDK configuration from the environment.
    pub async fn load(settings: AwsSettings) -> Self {
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        let liveness = settings
            .liveness_role
            .clone()
            .map(|role| liveness::Liveness::new(sdk.clone(), role, settings.timeout));
        Self {
            settings,
            sdk,
            liveness,
        }
    }

    /// The region of STS calls: `aws.region_name`, else the SDK's, else `us-east-1`.
    pub fn sts_region(&self) -> String {
        self.settings
            .region_name
            .clone()
            .or_else(|| self.sdk.region().map(ToString::to_string))
            .unwrap_or_else(|| "us-east-1".into())
    }
}

/// Athenz's `AWSAttestationData`. Fields the agent adds beyond it (`commonName`) are ignored, as
/// Athenz's JSON reader ignores them.
#[derive(Debug, Default, Deserialize)]
pub struct Attestation {
    /// The identity document text.
    #[serde(default)]
    pub document: Option<String>,
    /// Its PKCS7 signature (base64).
    #[serde(default)]
    pub signature: Option<String>,
    /// `<domain>.<service>` (or `<service>`): the assumed role.
    #[serde(default)]
    pub role: String,
    /// Temporary access key.
    #[serde(default)]
    pub access: String,
    /// Temporary secret.
    #[serde(default)]
    pub secret: String,
    /// Session token.
    #[serde(default)]
    pub token: Option<String>,
}

impl Attestation {
    /// Parses the attestation data string.
    pub fn parse(data: &str) -> Result<Self, ProviderError> {
        if data.trim().is_empty() {
            return Err(ProviderError::Refused(
                "attestation data is required".into(),
            ));
        }
        serde_json::from_str(data)
            .map_err(|e| ProviderError::Refused(format!("unable to parse attestation data: {e}")))
    }

    /// The document, when one was sent.
    pub fn document(&self) -> Option<&str> {
        self.document.as_deref().filter(|d| !d.trim().is_empty())
    }
}

/// The domain's AWS accounts, from the `awsAccount` attribute ZTS sends.
pub fn accounts(attrs: &BTreeMap<String, String>) -> Result<Vec<String>, ProviderError> {
    let list: Vec<String> = attrs
        .get("awsAccount")
        .map(|a| {
            a.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if list.is_empty() {
        return Err(ProviderError::Refused(
            "Unable to extract AWS Account id: the domain has no account".into(),
        ));
    }
    Ok(list)
}

/// The attestation role names the service: `<domain>.<service>` or `<service>`.
pub fn check_role(role: &str, domain: &str, service: &str) -> Result<(), ProviderError> {
    if role == format!("{domain}.{service}") || role == service {
        Ok(())
    } else {
        Err(ProviderError::Refused(format!(
            "Service name mismatch: attestation role {role:?} is not {domain}.{service}"
        )))
    }
}

/// The SAN DNS rule of `InstanceUtils.validateCertRequestSanDnsNames`: every name is
/// `<…>.<service>.<domain-with-dashes>.<suffix>` for a configured suffix (some label before the
/// domain part equal to the service), or `<instanceId>.instanceid.athenz.<suffix>`.
pub fn check_san_dns(
    suffixes: &[String],
    domain: &str,
    service: &str,
    attrs: &BTreeMap<String, String>,
) -> Result<(), ProviderError> {
    if suffixes.is_empty() {
        return Err(ProviderError::Refused(
            "aws.dns_suffix is not configured: no SAN DNS name can be accepted".into(),
        ));
    }
    let names: Vec<&str> = attrs
        .get("sanDNS")
        .map(|s| s.split(',').filter(|n| !n.is_empty()).collect())
        .unwrap_or_default();
    if names.is_empty() {
        return Err(ProviderError::Refused("the CSR has no SAN DNS name".into()));
    }
    let instance_id = attrs.get("instanceId").map(String::as_str).unwrap_or("");
    let dashed = domain.replace('.', "-");
    let mut host_names = 0;
    for name in &names {
        let ok = suffixes.iter().any(|suffix| {
            if let Some(id) = name.strip_suffix(&format!(".instanceid.athenz.{suffix}")) {
                return id == instance_id;
            }
            name.strip_suffix(&format!(".{dashed}.{suffix}"))
                .is_some_and(|prefix| prefix.split('.').any(|label| label == service))
        });
        if !ok {
            return Err(ProviderError::Refused(format!(
                "SAN DNS name {name} is not under the provider's DNS suffixes for {domain}.{service}"
            )));
        }
        if !name.contains(".instanceid.athenz.") {
            host_names += 1;
        }
    }
    if host_names == 0 {
        return Err(ProviderError::Refused(
            "the CSR has no service SAN DNS name".into(),
        ));
    }
    Ok(())
}

/// Proves the role with STS: the credentials belong to `assumed-role/<role>/…` in one of
/// `accounts`. Returns the account.
pub async fn prove_role(
    ctx: &AwsContext,
    att: &Attestation,
    accounts: &[String],
) -> Result<String, ProviderError> {
    if att.access.is_empty() || att.secret.is_empty() {
        return Err(ProviderError::Refused(
            "attestation data has no temporary credentials (access, secret, token)".into(),
        ));
    }
    let arn = sts::caller_arn(
        &ctx.sdk,
        &ctx.sts_region(),
        ctx.settings.timeout,
        &att.access,
        &att.secret,
        att.token.as_deref(),
    )
    .await?;
    match sts::assumed_role(&arn) {
        Some((account, role)) if role == att.role && accounts.iter().any(|a| a == account) => {
            Ok(account.to_string())
        }
        _ => Err(ProviderError::Refused(format!(
            "credentials are for {arn}, not for role {} in account {}",
            att.role,
            accounts.join(",")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn san_dns_rule() {
        let sfx = vec!["aws.example.com".to_string()];
        let ok = attrs(&[
            (
                "sanDNS",
                "api.weather-prod.aws.example.com,i-1.instanceid.athenz.aws.example.com",
            ),
            ("instanceId", "i-1"),
        ]);
        check_san_dns(&sfx, "weather.prod", "api", &ok).unwrap();
        for bad in [
            "api.weather-prod.other.com",
            "web.weather-prod.aws.example.com",
            "api.weather.aws.example.com",
            "i-2.instanceid.athenz.aws.example.com,api.weather-prod.aws.example.com",
            "i-1.instanceid.athenz.aws.example.com",
            "",
        ] {
            let a = attrs(&[("sanDNS", bad), ("instanceId", "i-1")]);
            assert!(
                check_san_dns(&sfx, "weather.prod", "api", &a).is_err(),
                "{bad}"
            );
        }
        assert!(check_san_dns(&[], "weather.prod", "api", &ok).is_err());
    }

    #[test]
    fn role_and_accounts() {
        check_role("weather.api", "weather", "api").unwrap();
        check_role("api", "weather", "api").unwrap();
        assert!(check_role("weather.web", "weather", "api").is_err());
        assert!(accounts(&attrs(&[])).is_err());
        assert_eq!(
            accounts(&attrs(&[("awsAccount", "1,2")])).unwrap(),
            ["1", "2"]
        );
        assert!(Attestation::parse("").is_err());
        assert!(Attestation::parse("{").is_err());
        let a = Attestation::parse(r#"{"role":"weather.api","commonName":"x"}"#).unwrap();
        assert!(a.document().is_none());
    }
}
