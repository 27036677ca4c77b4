//! STS `AssumeRole` into the service's IAM role, through aws-sdk-sts configured by aws-config so
//! the SDK's standard environment applies (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_STS`,
//! `AWS_REGION`, profile files). Athenz SIA assumes `arn:aws:iam::<account>:role/[<path>/]<role>`
//! with session name = role (`libs/go/sia/aws/stssession`), and the ZTS provider accepts the
//! credentials when `GetCallerIdentity` answers `assumed-role/<domain>.<service>/...`.

use crate::document::Credentials;
use crate::error::{Error, Result};
use aws_config::BehaviorVersion;
use aws_config::environment::EnvironmentVariableRegionProvider;
use aws_config::meta::region::RegionProviderChain;
use aws_sdk_sts::config::Region;

/// `arn:aws:iam::<account>:role/[<path>/]<role>`.
pub fn role_arn(account: &str, role_path: Option<&str>, role: &str) -> String {
    match role_path
        .map(|p| p.trim_matches('/'))
        .filter(|p| !p.is_empty())
    {
        Some(path) => format!("arn:aws:iam::{account}:role/{path}/{role}"),
        None => format!("arn:aws:iam::{account}:role/{role}"),
    }
}

/// The SDK configuration: region from `AWS_REGION`/`AWS_DEFAULT_REGION`, else `default_region`;
/// credentials `base` when given, else the SDK's default chain (environment, profile, web
/// identity, container, IMDS).
pub async fn sdk_config(base: Option<&Credentials>, default_region: &str) -> aws_config::SdkConfig {
    let region = RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new())
        .or_else(Region::new(default_region.to_string()));
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).region(region);
    if let Some(c) = base {
        loader = loader.credentials_provider(aws_sdk_sts::config::Credentials::new(
            c.access_key_id.clone(),
            c.secret_access_key.clone(),
            c.token.clone(),
            None,
            "sia-instance-profile",
        ));
    }
    loader.load().await
}

/// Assumes `role_arn` with session name `session`.
pub async fn assume_role(
    conf: &aws_config::SdkConfig,
    role_arn: &str,
    session: &str,
) -> Result<Credentials> {
    let client = aws_sdk_sts::Client::new(conf);
    let out = client
        .assume_role()
        .role_arn(role_arn)
        .role_session_name(session)
        .send()
        .await
        .map_err(|e| Error::Sts {
            role_arn: role_arn.into(),
            message: aws_sdk_sts::error::DisplayErrorContext(&e).to_string(),
        })?;
    let c = out.credentials().ok_or_else(|| Error::Sts {
        role_arn: role_arn.into(),
        message: "no credentials in the answer".into(),
    })?;
    Ok(Credentials {
        access_key_id: c.access_key_id().to_string(),
        secret_access_key: c.secret_access_key().to_string(),
        token: Some(c.session_token().to_string()),
        expiration: Some(c.expiration().to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns() {
        assert_eq!(
            role_arn("123456789012", None, "sports.api"),
            "arn:aws:iam::123456789012:role/sports.api"
        );
        assert_eq!(
            role_arn("123456789012", Some("/athenz/"), "sports.api"),
            "arn:aws:iam::123456789012:role/athenz/sports.api"
        );
        assert_eq!(role_arn("1", Some(""), "d.s"), "arn:aws:iam::1:role/d.s");
    }
}
