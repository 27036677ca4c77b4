//! The role proof: STS `GetCallerIdentity` with the temporary credentials the instance sent
//! (`AWSStsCredentialsAttestationValidator`; reference §3.2 step 7). Only AWS can answer with an
//! `assumed-role` ARN for those credentials, so the answer proves the caller holds the role.

use crate::providers::ProviderError;
use aws_config::SdkConfig;
use aws_sdk_sts::config::{Credentials, Region};
use aws_sdk_sts::error::SdkError;
use std::time::Duration;

/// The STS identity of a set of temporary credentials.
pub async fn caller_arn(
    sdk: &SdkConfig,
    region: &str,
    timeout: Duration,
    access: &str,
    secret: &str,
    token: Option<&str>,
) -> Result<String, ProviderError> {
    let creds = Credentials::new(
        access,
        secret,
        token.map(str::to_string),
        None,
        "athenz-attestation",
    );
    let conf = aws_sdk_sts::config::Builder::from(sdk)
        .credentials_provider(creds)
        .region(Region::new(region.to_string()))
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .operation_timeout(timeout)
                .build(),
        )
        .build();
    let out = aws_sdk_sts::Client::from_conf(conf)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| match &e {
            SdkError::ServiceError(s) => {
                let code = s.err().meta().code().unwrap_or("unknown error");
                ProviderError::Refused(format!("STS rejected the attestation credentials: {code}"))
            }
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => {
                ProviderError::Unreachable(format!("STS unreachable: {e}"))
            }
            _ => ProviderError::Refused(format!("STS GetCallerIdentity failed: {e}")),
        })?;
    out.arn
        .ok_or_else(|| ProviderError::Refused("STS answered without an ARN".into()))
}

/// Splits `arn:<partition>:sts::<account>:assumed-role/<role>/<session>` into account and role.
pub fn assumed_role(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_partition), Some("sts"), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let rest = resource.strip_prefix("assumed-role/")?;
    let (role, session) = rest.split_once('/')?;
    (!account.is_empty() && !role.is_empty() && !session.is_empty()).then_some((account, role))
}

#[cfg(test)]
mod tests {
    use super::assumed_role;

    #[test]
    fn parses_assumed_role_arns_only() {
        assert_eq!(
            assumed_role("arn:aws:sts::123456789012:assumed-role/weather.api/sess"),
            Some(("123456789012", "weather.api"))
        );
        for bad in [
            "arn:aws:sts::123456789012:user/moto",
            "arn:aws:iam::123456789012:role/weather.api",
            "arn:aws:sts::123456789012:assumed-role/weather.api",
            "arn:aws:sts::123456789012:assumed-role/weather.api/",
            "arn:aws:sts:::assumed-role/weather.api/s",
            "nonsense",
        ] {
            assert_eq!(assumed_role(bad), None, "{bad}");
        }
    }
}
