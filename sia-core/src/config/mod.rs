//! `/etc/sia/sia_config`: Athenz's SIA JSON configuration (`libs/go/sia/config/config.go`).
//! Fields we implement are parsed into [`SiaConfig`]; fields Athenz defines that we do not
//! implement, and fields nobody defines, are reported as warnings naming them rather than being
//! silently ignored (a typo such as `refresh_intervl` must not go unnoticed). Loading has no side
//! effects.
//!
//! Our own optional keys (not in Athenz): `key_type`, `refresh_fraction`, `retry_initial_ms`,
//! `retry_max_ms`, `dns_domains`, `hostname`; see [`SiaConfig`].

mod creds;
mod fields;

pub use creds::{AccessTokenConfig, RoleConfig, parse_role_key, parse_token_key, token_roles};

use crate::error::{Error, Result};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The parsed `sia_config`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SiaConfig {
    /// Informational version string.
    pub version: Option<String>,
    /// The primary service name.
    pub service: Option<String>,
    /// Further services (each gets its own key and certificate), with per-service settings.
    pub services: BTreeMap<String, ServiceConfig>,
    /// Accounts; the one matching the platform's account id is used (`domain` comes from it).
    pub accounts: Vec<AccountConfig>,
    /// Add `*.<service>.<domain-dashes>.<dnsdomain>` SAN DNS names.
    pub sandns_wildcard: bool,
    /// Add the host name as a SAN DNS name and send it as `hostname`.
    pub sandns_hostname: bool,
    /// Extra SAN DNS names, comma separated.
    pub sandns_x509_cnames: Option<String>,
    /// Suffix appended to a short host name (`<host>.<service>.<domain-dashes>.<suffix>`).
    pub hostname_suffix: Option<String>,
    /// Owner of the key and certificate files (name or uid).
    pub user: Option<String>,
    /// Group of the key and certificate files (name or gid); makes keys 0440.
    pub group: Option<String>,
    /// Requested certificate lifetime in minutes (ZTS caps it).
    pub expiry_time: Option<i32>,
    /// Longest time between refreshes, minutes (default 1440).
    pub refresh_interval: Option<u64>,
    /// Consecutive failures after which the daemon exits (default 2).
    pub fail_count_for_exit: Option<u32>,
    /// Key directory (default `/var/lib/sia/keys`).
    pub sia_key_dir: Option<PathBuf>,
    /// Certificate directory (default `/var/lib/sia/certs`).
    pub sia_cert_dir: Option<PathBuf>,
    /// Token directory (default `/var/lib/sia/tokens`).
    pub sia_token_dir: Option<PathBuf>,
    /// ZTS host name or `https://host:port[/zts/v1]` URL (the `-zts` flag wins).
    pub zts: Option<String>,
    /// SPIFFE trust domain: selects `spiffe://<td>/ns/default/sa/<domain>.<service>`.
    pub spiffe_trust_domain: Option<String>,
    /// Generate a new key on every refresh instead of reusing the current one.
    pub rotate_key: bool,
    /// IAM role path for the `<domain>.<service>` role (AWS).
    pub role_path: Option<String>,
    /// Ours: `"ecdsa"` (default) or `"rsa"` for newly generated keys.
    pub key_type: Option<String>,
    /// Ours: refresh at this fraction of the certificate lifetime, in (0, 1] (default 0.5).
    pub refresh_fraction: Option<f64>,
    /// Ours: first retry delay after a failure, milliseconds (default 5000).
    pub retry_initial_ms: Option<u64>,
    /// Ours: longest retry delay, milliseconds (default 300000).
    pub retry_max_ms: Option<u64>,
    /// Ours: provider DNS suffixes, used when the `-dnsdomains` flag is not given.
    pub dns_domains: Vec<String>,
    /// Ours: the host name for `sandns_hostname` instead of the kernel's.
    pub hostname: Option<String>,
    /// Role certificates to maintain, keyed `<domain>:role.<role>` (an `accounts` entry's own
    /// `roles` replaces these, as in Athenz `options.go`).
    pub roles: BTreeMap<String, RoleConfig>,
    /// Give each role certificate its own key instead of the service key.
    pub generate_role_key: bool,
    /// Fail (one-shot) or never report ready (daemon) without every role certificate.
    pub role_certs_required: bool,
    /// Access tokens to maintain, keyed `<domain>/<fileName>`.
    pub access_tokens: BTreeMap<String, AccessTokenConfig>,
    /// What a token file holds: 0 the whole ZTS response, 1 (default) the token as a JSON
    /// string, 2 the bare token (Athenz `StoreTokenOptions`).
    pub store_token_option: Option<i64>,
}

/// One entry of `services`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceConfig {
    /// Key file name, relative to the key directory or absolute.
    pub key_filename: Option<String>,
    /// Certificate file name, relative to the certificate directory or absolute.
    pub cert_filename: Option<String>,
    /// File owner for this service.
    pub user: Option<String>,
    /// File group for this service.
    pub group: Option<String>,
    /// Requested lifetime in minutes for this service.
    pub expiry_time: Option<i32>,
}

/// One entry of `accounts`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccountConfig {
    /// Athenz domain.
    pub domain: Option<String>,
    /// Cloud account id (AWS account number).
    pub account: Option<String>,
    /// Service name (overrides the top-level `service`).
    pub service: Option<String>,
    /// Older spelling of `service`.
    pub name: Option<String>,
    /// File owner.
    pub user: Option<String>,
    /// File group.
    pub group: Option<String>,
    /// ZTS host or URL for this account.
    pub zts: Option<String>,
    /// Informational version.
    pub version: Option<String>,
    /// Role certificates; when present they replace the top-level `roles`.
    pub roles: Option<BTreeMap<String, RoleConfig>>,
}

/// A domain and primary service as `sia_config` names them ([`SiaConfig::identity`]); `None`
/// where it names none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// Athenz domain.
    pub domain: Option<String>,
    /// Primary service.
    pub service: Option<String>,
}

/// A parsed configuration and the warnings it produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// The configuration.
    pub config: SiaConfig,
    /// One message per ignored field, naming it.
    pub warnings: Vec<String>,
}

impl SiaConfig {
    /// Reads and parses a `sia_config` file.
    pub fn load(path: &Path) -> Result<Loaded> {
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::io("read sia_config", path, e))?;
        Self::parse(&text).map_err(|e| match e {
            Error::Config(msgs) => Error::Config(
                msgs.into_iter()
                    .map(|m| format!("{}: {m}", path.display()))
                    .collect(),
            ),
            other => other,
        })
    }

    /// Parses `sia_config` JSON text.
    pub fn parse(text: &str) -> Result<Loaded> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| Error::Config(vec![format!("not valid JSON: {e}")]))?;
        let Value::Object(top) = value else {
            return Err(Error::Config(vec!["must be a JSON object".into()]));
        };
        let mut warnings = Vec::new();
        let mut top = filter(top, "", fields::TOP, fields::TOP_ATHENZ, &mut warnings);
        if let Some(Value::Array(accounts)) = top.get_mut("accounts") {
            for (i, a) in accounts.iter_mut().enumerate() {
                if let Value::Object(m) = a {
                    let ctx = format!("accounts[{i}].");
                    *m = filter(
                        std::mem::take(m),
                        &ctx,
                        fields::ACCOUNT,
                        fields::ACCOUNT_ATHENZ,
                        &mut warnings,
                    );
                    filter_entries(
                        m,
                        &ctx,
                        "roles",
                        creds::ROLE,
                        creds::ROLE_ATHENZ,
                        &mut warnings,
                    );
                }
            }
        }
        filter_entries(
            &mut top,
            "",
            "roles",
            creds::ROLE,
            creds::ROLE_ATHENZ,
            &mut warnings,
        );
        filter_entries(
            &mut top,
            "",
            "access_tokens",
            creds::TOKEN,
            creds::TOKEN_ATHENZ,
            &mut warnings,
        );
        if let Some(Value::Object(services)) = top.get_mut("services") {
            for (name, s) in services.iter_mut() {
                if let Value::Object(m) = s {
                    let ctx = format!("services.{name}.");
                    *m = filter(
                        std::mem::take(m),
                        &ctx,
                        fields::SERVICE,
                        fields::SERVICE_ATHENZ,
                        &mut warnings,
                    );
                }
            }
        }
        let config: SiaConfig = serde_json::from_value(Value::Object(top))
            .map_err(|e| Error::Config(vec![e.to_string()]))?;
        config.validate()?;
        Ok(Loaded { config, warnings })
    }

    /// Checks values whose meaning serde cannot check; reports every problem at once.
    fn validate(&self) -> Result<()> {
        let mut problems = Vec::new();
        if let Some(f) = self.refresh_fraction
            && !(f > 0.0 && f <= 1.0)
        {
            problems.push(format!("refresh_fraction must be in (0, 1], got {f}"));
        }
        if self.retry_initial_ms == Some(0) {
            problems.push("retry_initial_ms must be > 0".into());
        }
        if self.refresh_interval == Some(0) {
            problems.push("refresh_interval must be > 0".into());
        }
        if self.fail_count_for_exit == Some(0) {
            problems.push("fail_count_for_exit must be > 0".into());
        }
        if let Some(k) = &self.key_type
            && let Err(Error::Config(mut m)) = k.parse::<crate::keys::KeyType>()
        {
            problems.append(&mut m);
        }
        if let Some(e) = self.expiry_time
            && e <= 0
        {
            problems.push(format!("expiry_time must be > 0 minutes, got {e}"));
        }
        if let Some(o) = self.store_token_option
            && !(0..=2).contains(&o)
        {
            problems.push(format!("store_token_option must be 0, 1 or 2, got {o}"));
        }
        creds::check_roles("", &self.roles, &mut problems);
        for (i, a) in self.accounts.iter().enumerate() {
            if let Some(roles) = &a.roles {
                creds::check_roles(&format!("accounts[{i}]."), roles, &mut problems);
            }
        }
        creds::check_tokens(&self.access_tokens, &mut problems);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Config(problems))
        }
    }

    /// The domain and primary service this configuration names for `account_id`: the selected
    /// account's `domain`, and its `service` (or older `name`), else the top-level `service`.
    /// A platform that also learns the identity elsewhere compares the two with this.
    pub fn identity(&self, account_id: Option<&str>) -> Identity {
        let account = self.select_account(account_id);
        let nonempty = |v: Option<String>| v.filter(|s| !s.is_empty());
        Identity {
            domain: nonempty(account.and_then(|a| a.domain.clone())),
            service: nonempty(
                account
                    .and_then(|a| a.service.clone().or_else(|| a.name.clone()))
                    .or_else(|| self.service.clone()),
            ),
        }
    }

    /// The account entry to use: the one whose `account` equals `account_id`, else the only
    /// entry when there is exactly one, else none (Athenz `GetEC2Config` picks by account).
    pub fn select_account(&self, account_id: Option<&str>) -> Option<&AccountConfig> {
        if let Some(id) = account_id
            && let Some(a) = self
                .accounts
                .iter()
                .find(|a| a.account.as_deref() == Some(id))
        {
            return Some(a);
        }
        match self.accounts.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }

    /// The role certificates for `account_id`: the selected account's `roles` when it has
    /// them, else the top-level `roles` (Athenz `libs/go/sia/options/options.go`).
    pub fn roles_for(&self, account_id: Option<&str>) -> &BTreeMap<String, RoleConfig> {
        self.select_account(account_id)
            .and_then(|a| a.roles.as_ref())
            .unwrap_or(&self.roles)
    }
}

/// Filters the fields of each entry of the object `map[name]` (`roles`, `access_tokens`).
fn filter_entries(
    map: &mut Map<String, Value>,
    ctx: &str,
    name: &str,
    supported: &[&str],
    athenz_only: &[&str],
    warnings: &mut Vec<String>,
) {
    if let Some(Value::Object(entries)) = map.get_mut(name) {
        for (key, e) in entries.iter_mut() {
            if let Value::Object(m) = e {
                let ctx = format!("{ctx}{name}.\"{key}\".");
                *m = filter(std::mem::take(m), &ctx, supported, athenz_only, warnings);
            }
        }
    }
}

/// Keeps the keys we support; warns about Athenz keys we do not and about unknown keys.
fn filter(
    map: Map<String, Value>,
    ctx: &str,
    supported: &[&str],
    athenz_only: &[&str],
    warnings: &mut Vec<String>,
) -> Map<String, Value> {
    let mut kept = Map::new();
    for (k, v) in map {
        if supported.contains(&k.as_str()) {
            kept.insert(k, v);
        } else if athenz_only.contains(&k.as_str()) {
            warnings.push(format!(
                "sia_config: `{ctx}{k}` is an Athenz field this agent does not support; ignored"
            ));
        } else {
            warnings.push(format!("sia_config: unknown field `{ctx}{k}`; ignored"));
        }
    }
    kept
}

#[cfg(test)]
mod tests;
