//! Instance providers: the one small trait every provider implements, how a provider name is
//! resolved (a ZMS service whose `providerEndpoint` is `https://…` or `class://…`), and the list of
//! built-in providers (reference §2.1, §2.4).

pub mod aws;
mod aws_ec2;
mod aws_lambda;
mod http;

use crate::error::{ZtsError, ZtsResult};
use crate::zmsdata::ZmsCopy;
use model::zts::InstanceConfirmation;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub use aws_ec2::Ec2Provider;
pub use aws_lambda::LambdaProvider;
pub use http::{HttpProvider, ProviderTls};

/// Why a provider did not confirm.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider refused (403).
    #[error("{0}")]
    Refused(String),
    /// The provider could not be reached in time (504).
    #[error("{0}")]
    Unreachable(String),
}

impl From<ProviderError> for ZtsError {
    fn from(e: ProviderError) -> Self {
        match e {
            ProviderError::Refused(m) => ZtsError::Forbidden(format!("provider refused: {m}")),
            ProviderError::Unreachable(m) => {
                ZtsError::GatewayTimeout(format!("provider unreachable: {m}"))
            }
        }
    }
}

/// A provider: confirms a launch and each refresh. Implementations only decide; ZTS checks what
/// they return.
#[async_trait::async_trait]
pub trait Provider: Send + Sync + std::fmt::Debug {
    /// Register (`POST /instance` for callback providers).
    async fn confirm(
        &self,
        c: &InstanceConfirmation,
    ) -> Result<InstanceConfirmation, ProviderError>;
    /// Refresh (`POST /refresh`).
    async fn refresh(
        &self,
        c: &InstanceConfirmation,
    ) -> Result<InstanceConfirmation, ProviderError>;
}

/// What built-in providers are built from.
#[derive(Debug, Clone)]
pub struct BuiltinContext {
    /// The AWS settings and SDK configuration.
    pub aws: Arc<aws::AwsContext>,
}

/// Builds a built-in provider for a provider name.
pub type BuiltinFactory = fn(&str, &BuiltinContext) -> Arc<dyn Provider>;

fn ec2(name: &str, ctx: &BuiltinContext) -> Arc<dyn Provider> {
    Arc::new(Ec2Provider::new(name, ctx.aws.clone()))
}

fn lambda(name: &str, ctx: &BuiltinContext) -> Arc<dyn Provider> {
    Arc::new(LambdaProvider::new(name, ctx.aws.clone()))
}

/// The built-in providers by `class://` name: Athenz's own class names, so existing ZMS data
/// works unchanged, beside shorter names of ours.
pub const BUILTINS: &[(&str, BuiltinFactory)] = &[
    (
        "com.yahoo.athenz.instance.provider.impl.InstanceAWSProvider",
        ec2,
    ),
    ("aws-ec2", ec2),
    (
        "com.yahoo.athenz.instance.provider.impl.InstanceAWSLambdaProvider",
        lambda,
    ),
    ("aws-lambda", lambda),
];

/// Resolves provider names to providers, caching callback clients per provider and endpoint.
#[derive(Debug)]
pub struct Providers {
    tls: ProviderTls,
    builtin: BuiltinContext,
    http: Mutex<HashMap<(String, String), Arc<HttpProvider>>>,
}

impl Providers {
    /// With the TLS settings for callback providers and the context of built-in ones.
    pub fn new(tls: ProviderTls, builtin: BuiltinContext) -> Self {
        Self {
            tls,
            builtin,
            http: Mutex::new(HashMap::new()),
        }
    }

    /// The provider named `name` (`domain.service`), from its ZMS service's `providerEndpoint`.
    pub fn resolve(&self, copy: &ZmsCopy, name: &str) -> ZtsResult<Arc<dyn Provider>> {
        let unknown =
            || ZtsError::BadRequest(format!("unable to get instance for provider {name}"));
        let (domain, _) = name.rsplit_once('.').ok_or_else(unknown)?;
        let endpoint = copy
            .domain(domain)
            .and_then(|d| {
                d.data
                    .services
                    .iter()
                    .find(|s| s.name == name)
                    .and_then(|s| s.provider_endpoint.clone())
            })
            .ok_or_else(unknown)?;
        if let Some(class) = endpoint.strip_prefix("class://") {
            let (_, make) = BUILTINS
                .iter()
                .find(|(c, _)| *c == class)
                .ok_or_else(unknown)?;
            return Ok(make(name, &self.builtin));
        }
        if !endpoint.starts_with("https://") {
            return Err(unknown());
        }
        let key = (name.to_string(), endpoint.clone());
        let mut cache = self
            .http
            .lock()
            .map_err(|_| ZtsError::Internal("provider cache poisoned".into()))?;
        if let Some(p) = cache.get(&key) {
            return Ok(p.clone());
        }
        let p = Arc::new(
            HttpProvider::new(name, &endpoint, &self.tls)
                .map_err(|e| ZtsError::Internal(format!("provider client: {e:#}")))?,
        );
        cache.insert(key, p.clone());
        Ok(p)
    }
}
