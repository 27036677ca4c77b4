//! The built-in Lambda provider (`InstanceAWSLambdaProvider`; reference §3.4): no identity
//! document exists, so the identity rests on the STS proof alone. The instance id must be
//! `lambda-<account>-<service>` for the proven account (the SIA Lambda convention), and the
//! certificate is for clients only: a function never serves TLS.

use super::aws::{self, Attestation, AwsContext};
use super::{Provider, ProviderError};
use model::zts::InstanceConfirmation;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One Lambda provider service (e.g. `athenz.aws-lambda.us-west-2`).
#[derive(Debug)]
pub struct LambdaProvider {
    ctx: Arc<AwsContext>,
}

impl LambdaProvider {
    /// For provider `_name` (every Lambda provider behaves the same).
    pub fn new(_name: &str, ctx: Arc<AwsContext>) -> Self {
        Self { ctx }
    }

    async fn validate(
        &self,
        c: &InstanceConfirmation,
    ) -> Result<InstanceConfirmation, ProviderError> {
        let attrs = c.attributes.clone().unwrap_or_default();
        let att = Attestation::parse(&c.attestation_data)?;
        let accounts = aws::accounts(&attrs)?;
        aws::check_role(&att.role, &c.domain, &c.service)?;
        aws::check_san_dns(
            &self.ctx.settings.dns_suffixes,
            &c.domain,
            &c.service,
            &attrs,
        )?;
        let account = aws::prove_role(&self.ctx, &att, &accounts).await?;
        let expected = format!("lambda-{account}-{}", c.service);
        if attrs.get("instanceId") != Some(&expected) {
            return Err(ProviderError::Refused(format!(
                "Lambda instance id must be {expected}"
            )));
        }
        let mut out = BTreeMap::new();
        out.insert("certSSH".to_string(), "false".to_string());
        out.insert("certUsage".to_string(), "client".to_string());
        Ok(InstanceConfirmation {
            attributes: Some(out),
            ..c.clone()
        })
    }
}

#[async_trait::async_trait]
impl Provider for LambdaProvider {
    async fn confirm(
        &self,
        c: &InstanceConfirmation,
    ) -> Result<InstanceConfirmation, ProviderError> {
        self.validate(c).await
    }

    async fn refresh(
        &self,
        c: &InstanceConfirmation,
    ) -> Result<InstanceConfirmation, ProviderError> {
        self.validate(c).await
    }
}
