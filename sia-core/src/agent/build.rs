//! Resolving an [`AgentConfig`] from `sia_config` plus what only the platform knows (account id,
//! DNS suffixes from the command line). Every problem is reported at once.

use super::{AgentConfig, ServiceTarget, Timing};
use crate::config::SiaConfig;
use crate::error::{Error, Result};
use crate::files::Owner;
use crate::keys::KeyType;
use crate::schedule::{
    Backoff, DEFAULT_FAIL_COUNT_FOR_EXIT, DEFAULT_REFRESH_FRACTION, DEFAULT_REFRESH_INTERVAL_MINS,
    DEFAULT_TOKEN_REFRESH_PERIOD, parse_go_duration,
};
use crate::tokens::{StoreTokenOption, TOKEN_REFRESH_PERIOD_ENV};
use crate::{roles, tokens};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Athenz's default key directory.
pub const DEFAULT_KEY_DIR: &str = "/var/lib/sia/keys";
/// Athenz's default certificate directory.
pub const DEFAULT_CERT_DIR: &str = "/var/lib/sia/certs";
/// Athenz's default token directory.
pub const DEFAULT_TOKEN_DIR: &str = "/var/lib/sia/tokens";
/// Default first retry delay.
pub const DEFAULT_RETRY_INITIAL_MS: u64 = 5_000;
/// Default longest retry delay.
pub const DEFAULT_RETRY_MAX_MS: u64 = 300_000;
/// How long required role certificates are retried (Athenz `GetRequiredRoleCertificates`).
pub const REQUIRED_ROLE_CERTS_TIMEOUT: Duration = Duration::from_secs(180);

/// Resolves optional user and group names to ids (injected so tests need no system users).
pub(crate) type OwnerLookup<'a> = dyn Fn(Option<&str>, Option<&str>) -> Result<Owner> + 'a;

impl AgentConfig {
    /// Builds the agent configuration. `account_id` selects the `accounts` entry (see
    /// [`SiaConfig::select_account`]); `dns_domains` (from `-dnsdomains`) wins over the config's
    /// `dns_domains`; `system_hostname` is used for `sandns_hostname` when the config names no
    /// `hostname`. The `TOKEN_REFRESH_PERIOD` environment variable sets the token refresh period.
    pub fn from_sia_config(
        cfg: &SiaConfig,
        account_id: Option<&str>,
        dns_domains: &[String],
        system_hostname: Option<&str>,
    ) -> Result<Self> {
        Self::resolve(
            cfg,
            account_id,
            None,
            dns_domains,
            system_hostname,
            &|u, g| Owner::resolve(u, g),
            token_refresh_env().as_deref(),
        )
    }

    /// [`Self::from_sia_config`] for a platform that learns the identity itself (from instance
    /// metadata, say) rather than from an `accounts` entry: `domain` and `service` become the
    /// domain and primary service whatever `sia_config` says, so the caller must first have
    /// reconciled them with [`SiaConfig::identity`]. `account_id` still selects the `accounts`
    /// entry for its `user` and `group`.
    pub fn for_identity(
        cfg: &SiaConfig,
        account_id: Option<&str>,
        identity: (&str, &str),
        dns_domains: &[String],
        system_hostname: Option<&str>,
    ) -> Result<Self> {
        Self::resolve(
            cfg,
            account_id,
            Some(identity),
            dns_domains,
            system_hostname,
            &|u, g| Owner::resolve(u, g),
            token_refresh_env().as_deref(),
        )
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "the injected lookups keep tests hermetic"
    )]
    pub(crate) fn resolve(
        cfg: &SiaConfig,
        account_id: Option<&str>,
        identity: Option<(&str, &str)>,
        dns_domains: &[String],
        system_hostname: Option<&str>,
        owner: &OwnerLookup<'_>,
        token_refresh: Option<&str>,
    ) -> Result<Self> {
        let mut problems = Vec::new();
        let account = cfg.select_account(account_id);
        if account.is_none() && !cfg.accounts.is_empty() {
            problems.push(format!(
                "no accounts entry matches account {}",
                account_id.unwrap_or("(unknown)")
            ));
        }
        let (domain, primary) = match identity {
            Some((d, s)) => (d.to_string(), s.to_string()),
            None => {
                let named = cfg.identity(account_id);
                (
                    named.domain.unwrap_or_default(),
                    named.service.unwrap_or_default(),
                )
            }
        };
        if domain.is_empty() {
            problems.push("no domain: add an accounts entry with \"domain\"".into());
        }
        if primary.is_empty() {
            problems.push("no service: set \"service\"".into());
        }
        let mut names = vec![primary.clone()];
        names.extend(cfg.services.keys().filter(|s| **s != primary).cloned());

        let dns: Vec<String> = if dns_domains.is_empty() {
            cfg.dns_domains.clone()
        } else {
            dns_domains.to_vec()
        };
        let dns: Vec<String> = dns
            .iter()
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty())
            .collect();
        if dns.is_empty() {
            problems.push("no DNS domains: give -dnsdomains".into());
        }
        let key_type = match cfg.key_type.as_deref().map(str::parse::<KeyType>) {
            None => KeyType::default(),
            Some(Ok(k)) => k,
            Some(Err(Error::Config(mut m))) => {
                problems.append(&mut m);
                KeyType::default()
            }
            Some(Err(e)) => return Err(e),
        };
        let key_dir = dir(&cfg.sia_key_dir, DEFAULT_KEY_DIR);
        let cert_dir = dir(&cfg.sia_cert_dir, DEFAULT_CERT_DIR);
        let token_dir = dir(&cfg.sia_token_dir, DEFAULT_TOKEN_DIR);
        let top_user = account.and_then(|a| a.user.clone()).or(cfg.user.clone());
        let top_group = account.and_then(|a| a.group.clone()).or(cfg.group.clone());

        let mut services = Vec::new();
        for name in names.iter().filter(|n| !n.is_empty()) {
            let sc = cfg.services.get(name).cloned().unwrap_or_default();
            let user = sc.user.clone().or(top_user.clone());
            let group = sc.group.clone().or(top_group.clone());
            let owner = owner(user.as_deref(), group.as_deref()).unwrap_or_else(|e| {
                problems.push(e.to_string());
                Owner::default()
            });
            services.push(ServiceTarget {
                name: name.clone(),
                key_file: file(
                    &key_dir,
                    &sc.key_filename,
                    &format!("{domain}.{name}.key.pem"),
                ),
                cert_file: file(
                    &cert_dir,
                    &sc.cert_filename,
                    &format!("{domain}.{name}.cert.pem"),
                ),
                owner,
                expiry_time: sc.expiry_time.or(cfg.expiry_time),
            });
        }
        let backoff = Backoff::try_new(
            Duration::from_millis(cfg.retry_initial_ms.unwrap_or(DEFAULT_RETRY_INITIAL_MS)),
            Duration::from_millis(
                cfg.retry_max_ms
                    .unwrap_or(DEFAULT_RETRY_MAX_MS)
                    .max(cfg.retry_initial_ms.unwrap_or(0)),
            ),
        )
        .unwrap_or_else(|e| {
            problems.push(e.to_string());
            Backoff::default()
        });
        let hostname = if cfg.sandns_hostname {
            let h = cfg.hostname.clone().or(system_hostname.map(str::to_string));
            if h.as_deref().is_none_or(str::is_empty) {
                problems.push("sandns_hostname is set but no host name is known".into());
            }
            h
        } else {
            None
        };
        let mut rotate_key = cfg.rotate_key;
        let mut generate_role_key = cfg.generate_role_key;
        let role_cfgs = cfg.roles_for(account_id);
        if (rotate_key || generate_role_key)
            && role_cfgs.values().any(|r| {
                r.filename
                    .as_deref()
                    .is_some_and(|f| Path::new(f).is_absolute())
            })
        {
            // Athenz `options.go`: absolute role file names rule out both.
            log::warn!(
                "a role certificate has an absolute filename: rotate_key and generate_role_key \
                 are not supported with it; both disabled"
            );
            rotate_key = false;
            generate_role_key = false;
        }
        if rotate_key && !generate_role_key && !role_cfgs.is_empty() {
            // Athenz `options.go`: role certificates share the service key, so rotating it
            // would leave them for the old key.
            log::warn!(
                "rotate_key needs generate_role_key when roles are configured; rotate_key disabled"
            );
            rotate_key = false;
        }
        let (roles, access_tokens) = if services.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            (
                roles::resolve(
                    cfg,
                    account_id,
                    &services,
                    &key_dir,
                    &cert_dir,
                    generate_role_key,
                    owner,
                    &mut problems,
                ),
                tokens::resolve(cfg, &services, &token_dir, &mut problems),
            )
        };
        let token_refresh = match token_refresh.map(str::trim).filter(|v| !v.is_empty()) {
            None => DEFAULT_TOKEN_REFRESH_PERIOD,
            Some(v) => parse_go_duration(v).unwrap_or_else(|e| {
                if !access_tokens.is_empty() {
                    problems.push(format!("{TOKEN_REFRESH_PERIOD_ENV}: {e}"));
                }
                DEFAULT_TOKEN_REFRESH_PERIOD
            }),
        };
        if !problems.is_empty() {
            return Err(Error::Config(problems));
        }
        Ok(Self {
            domain,
            services,
            dns_domains: dns,
            key_type,
            key_dir,
            cert_dir,
            token_dir,
            wildcard: cfg.sandns_wildcard,
            hostname,
            hostname_suffix: cfg.hostname_suffix.clone(),
            cnames: cfg
                .sandns_x509_cnames
                .as_deref()
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect(),
            spiffe_trust_domain: cfg.spiffe_trust_domain.clone().filter(|t| !t.is_empty()),
            rotate_key,
            timing: Timing {
                refresh_interval: Duration::from_secs(
                    60 * cfg
                        .refresh_interval
                        .unwrap_or(DEFAULT_REFRESH_INTERVAL_MINS),
                ),
                refresh_fraction: cfg.refresh_fraction.unwrap_or(DEFAULT_REFRESH_FRACTION),
                backoff,
                fail_count_for_exit: cfg
                    .fail_count_for_exit
                    .unwrap_or(DEFAULT_FAIL_COUNT_FOR_EXIT),
                token_refresh,
                required_role_certs_timeout: REQUIRED_ROLE_CERTS_TIMEOUT,
            },
            roles,
            role_certs_required: cfg.role_certs_required,
            access_tokens,
            store_token_option: StoreTokenOption::from_config(cfg.store_token_option),
        })
    }
}

/// `$TOKEN_REFRESH_PERIOD` (Athenz `tokens.go`), read only here so tests stay hermetic.
fn token_refresh_env() -> Option<String> {
    std::env::var(TOKEN_REFRESH_PERIOD_ENV).ok()
}

/// The kernel's host name (`/proc/sys/kernel/hostname`, which is what `uname -n` reports).
pub fn system_hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
}

fn dir(configured: &Option<PathBuf>, default: &str) -> PathBuf {
    configured
        .clone()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from(default))
}

/// A configured file name is relative to its directory unless absolute (Athenz
/// `GetSvcKeyFileName`).
fn file(dir: &Path, configured: &Option<String>, default: &str) -> PathBuf {
    match configured.as_deref().filter(|f| !f.is_empty()) {
        Some(f) if Path::new(f).is_absolute() => PathBuf::from(f),
        Some(f) => dir.join(f),
        None => dir.join(default),
    }
}
