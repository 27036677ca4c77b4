//! ZTS's shared state: the verified copy of ZMS data, the certificate record store, the signer and
//! the providers, plus the authorization checks every instance request makes.

use crate::config::Config;
use crate::error::{ZtsError, ZtsResult};
use crate::providers::Providers;
use crate::signer::CertSigner;
use crate::zmsdata::ZmsCopy;
use model::Timestamp;
use model::access::AccessRequest;
use model::zms::AssertionEffect;
use std::sync::Arc;
use zts_store::CertStore;

/// Everything a request needs.
#[derive(Debug)]
pub struct AppState {
    /// Configuration.
    pub config: Config,
    /// ZMS data.
    pub zms: Arc<ZmsCopy>,
    /// Certificate records.
    pub store: Arc<dyn CertStore>,
    /// The CA.
    pub signer: CertSigner,
    /// Providers.
    pub providers: Providers,
    /// Signs tokens and policy data.
    pub tokens: crate::authz::TokenSigner,
}

impl AppState {
    /// Whether `principal` may `action` on `resource`, by the same evaluator ZMS uses, over the
    /// local copy. A missing domain is a denial here.
    pub fn allowed(&self, principal: &str, action: &str, resource: &str) -> bool {
        let req = AccessRequest {
            principal,
            action,
            resource,
            trust_domain: None,
        };
        self.zms
            .read(|d| model::access::check(d, &req, Timestamp::now()))
            .unwrap_or(false)
    }

    /// Launch authorization (`InstanceCertManager.authorizeLaunch`): the provider has `launch` on
    /// `sys.auth:instance` and on `<domain>:service.<service>`.
    pub fn authorize_launch(&self, provider: &str, domain: &str, service: &str) -> ZtsResult<()> {
        if !self.allowed(provider, "launch", "sys.auth:instance") {
            return Err(ZtsError::Forbidden(format!(
                "provider '{provider}' not authorized to launch instances (launch on sys.auth:instance)"
            )));
        }
        let resource = format!("{domain}:service.{service}");
        if !self.allowed(provider, "launch", &resource) {
            return Err(ZtsError::Forbidden(format!(
                "provider '{provider}' not authorized to launch {domain}.{service}"
            )));
        }
        Ok(())
    }

    /// DNS suffixes sys.auth grants the provider: ALLOW `launch` assertions on
    /// `sys.auth:dns.<suffix>` whose role holds the provider (`DataCache`, reference §2.3).
    pub fn provider_dns_suffixes(&self, provider: &str) -> Vec<String> {
        let Some(sys) = self.zms.domain("sys.auth") else {
            return Vec::new();
        };
        let now = Timestamp::now();
        let mut out = Vec::new();
        for p in sys
            .data
            .policies
            .contents
            .policies
            .iter()
            .filter(|p| p.active != Some(false))
        {
            for a in &p.assertions {
                let resource = a.resource.to_ascii_lowercase();
                let Some(suffix) = resource.strip_prefix("sys.auth:dns.") else {
                    continue;
                };
                if a.effect == Some(AssertionEffect::Deny)
                    || !model::glob::Glob::new(&a.action.to_lowercase()).matches("launch")
                {
                    continue;
                }
                let member = self.zms.read(|d| {
                    sys.compiled
                        .has_role_member(d, &a.role.to_lowercase(), provider, now)
                });
                if member && !suffix.is_empty() && !out.iter().any(|s| s == suffix) {
                    out.push(suffix.to_string());
                }
            }
        }
        out
    }
}
