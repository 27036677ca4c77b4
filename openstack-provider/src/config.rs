//! Provider configuration (docs/openstack.md "Provider configuration"): a TOML file read into
//! [`RawConfig`] (unknown keys refused), then [`RawConfig::validate`] checks every key and reports
//! every problem at once. Loading has no side effects; files are only read.

use model::DomainName;
use model::crypto::SigningKey;
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The principal ZTS presents (`sys.auth.zts`), accepted on the callback by default.
pub const DEFAULT_ZTS_PRINCIPAL: &str = "sys.auth.zts";

/// Default token lifetime: one hour.
pub const DEFAULT_TOKEN_LIFETIME: u64 = 3600;

/// The file form: every key optional so that validation can name each missing one.
#[derive(Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// `host:port` (an IP address and port; port 0 picks a free port).
    pub listen: Option<String>,
    /// The ZMS service name of this provider; the tokens' `iss`. Default: the CN of
    /// `tls_cert_file`.
    pub provider_name: Option<String>,
    /// Server certificate chain (PEM); its CN must be the provider service.
    pub tls_cert_file: Option<PathBuf>,
    /// Server key (PEM).
    pub tls_key_file: Option<PathBuf>,
    /// CA of the ZTS client certificates accepted on `/instance` and `/refresh`.
    pub client_ca_file: Option<PathBuf>,
    /// Principals (client certificate CNs) allowed to call `/instance` and `/refresh`; default
    /// `["sys.auth.zts"]`. The CA that signs ZTS's certificate usually signs every workload's
    /// too, so the CA alone does not tell ZTS from any workload.
    pub zts_principals: Option<Vec<String>>,
    /// PKCS#8 PEM, EC P-256 or RSA: signs the attestation tokens.
    pub signing_key_file: Option<PathBuf>,
    /// The tokens' `kid` (default `0`).
    pub signing_key_id: Option<String>,
    /// Token lifetime in seconds (default 3600).
    pub token_lifetime: Option<u64>,
    /// Keystone base URL with its version path (`…/v3`).
    pub keystone_url: Option<String>,
    /// Extra trust roots for Keystone's TLS certificate (PEM).
    pub keystone_ca_file: Option<PathBuf>,
    /// The provider's own Keystone user name.
    pub keystone_user: Option<String>,
    /// Its password.
    pub keystone_password: Option<String>,
    /// The project its token is scoped to (a name, in the user's domain).
    pub keystone_project: Option<String>,
    /// The user's (and project's) domain name.
    pub keystone_user_domain: Option<String>,
    /// The role Nova's vendordata user must hold.
    pub vendordata_role: Option<String>,
    /// Nova compute base URL with its version path (`…/v2.1`); otherwise from the catalog.
    pub nova_url: Option<String>,
    /// Extra trust roots for Nova's TLS certificate (PEM).
    pub nova_ca_file: Option<PathBuf>,
    /// OpenStack project id → Athenz domain.
    pub bindings: Option<BTreeMap<String, String>>,
}

impl fmt::Debug for RawConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Manual so that the password never reaches a log line.
        f.debug_struct("RawConfig")
            .field("listen", &self.listen)
            .field("provider_name", &self.provider_name)
            .field("keystone_url", &self.keystone_url)
            .field("keystone_user", &self.keystone_user)
            .field(
                "keystone_password",
                &self.keystone_password.as_ref().map(|_| "<redacted>"),
            )
            .field("nova_url", &self.nova_url)
            .finish_non_exhaustive()
    }
}

/// A secret string (a password, a token) whose `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The provider's own Keystone account.
#[derive(Debug, Clone)]
pub struct KeystoneConfig {
    /// Base URL with its version path, no trailing slash.
    pub url: String,
    /// Extra trust roots.
    pub ca_file: Option<PathBuf>,
    /// User name.
    pub user: String,
    /// Password.
    pub password: Secret,
    /// Project name (in the user's domain).
    pub project: String,
    /// The user's domain name.
    pub user_domain: String,
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address.
    pub listen: SocketAddr,
    /// This provider's service name, lowercased.
    pub provider_name: String,
    /// Server certificate chain.
    pub tls_cert_file: PathBuf,
    /// Server key.
    pub tls_key_file: PathBuf,
    /// CA of accepted ZTS client certificates.
    pub client_ca_file: PathBuf,
    /// Principals allowed to call the callback, lowercased.
    pub zts_principals: Vec<String>,
    /// Where the signing key was read from.
    pub signing_key_file: PathBuf,
    /// The signing key (its `Debug` shows no key material).
    pub signing_key: Arc<SigningKey>,
    /// The tokens' `kid`.
    pub signing_key_id: String,
    /// Token lifetime in seconds.
    pub token_lifetime: u64,
    /// Keystone.
    pub keystone: KeystoneConfig,
    /// The role Nova's vendordata user must hold.
    pub vendordata_role: String,
    /// Nova base URL (no trailing slash), or `None` to take it from the Keystone catalog.
    pub nova_url: Option<String>,
    /// Extra trust roots for Nova.
    pub nova_ca_file: Option<PathBuf>,
    /// OpenStack project id → Athenz domain.
    pub bindings: BTreeMap<String, DomainName>,
}

impl RawConfig {
    /// Reads a TOML file; the error names the file and the TOML problem.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        Self::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses TOML text.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// Checks every key; all problems are returned together, one line each.
    pub fn validate(self) -> Result<Config, Vec<String>> {
        let mut errors = Vec::new();
        let e = &mut errors;
        let listen = required(e, "listen", self.listen).and_then(|l| {
            l.parse::<SocketAddr>()
                .map_err(|_| e.push(format!("listen: {l:?} is not an IP address and port")))
                .ok()
        });
        let tls_cert_file = required(e, "tls_cert_file", self.tls_cert_file)
            .and_then(|p| check_certs(e, "tls_cert_file", p));
        // The provider's name defaults to its certificate's CN, which ZTS requires to be the
        // provider service anyway (docs/openstack.md §3).
        let provider_name = match self.provider_name {
            Some(p) => Some(p),
            None => tls_cert_file.as_deref().and_then(|f| {
                let certs = server_common::tls::load_certs(f).ok()?;
                let cn = server_common::tls::principal_of(Some(&certs)).map(|c| c.to_string());
                if cn.is_none() {
                    e.push(format!(
                        "provider_name is required: the CN of {} is not a service name",
                        f.display()
                    ));
                }
                cn
            }),
        }
        .and_then(|p| {
            let lower = p.to_ascii_lowercase();
            if model::names::is_compound_name(&lower) && lower.contains('.') {
                Some(lower)
            } else {
                e.push(format!(
                    "provider_name: {p:?} is not a service name (domain.service)"
                ));
                None
            }
        });
        let tls_key_file = required(e, "tls_key_file", self.tls_key_file).and_then(|p| {
            match PrivateKeyDer::from_pem_file(&p) {
                Ok(_) => Some(p),
                Err(err) => {
                    e.push(format!("tls_key_file: {}: {err}", p.display()));
                    None
                }
            }
        });
        let client_ca_file = required(e, "client_ca_file", self.client_ca_file)
            .and_then(|p| check_certs(e, "client_ca_file", p));
        let signing = required(e, "signing_key_file", self.signing_key_file).and_then(|p| {
            let key = std::fs::read_to_string(&p)
                .map_err(|err| err.to_string())
                .and_then(|pem| SigningKey::from_pem(&pem).map_err(|err| err.to_string()));
            match key {
                Ok(k) => Some((p, Arc::new(k))),
                Err(err) => {
                    e.push(format!("signing_key_file: {}: {err}", p.display()));
                    None
                }
            }
        });
        let zts_principals: Vec<String> = self
            .zts_principals
            .unwrap_or_else(|| vec![DEFAULT_ZTS_PRINCIPAL.to_string()])
            .iter()
            .map(|p| p.trim().to_ascii_lowercase())
            .collect();
        if zts_principals.is_empty() {
            e.push("zts_principals: must name at least one principal".into());
        }
        for p in &zts_principals {
            if !(model::names::is_compound_name(p) && p.contains('.')) {
                e.push(format!(
                    "zts_principals: {p:?} is not a principal name (domain.service)"
                ));
            }
        }
        let signing_key_id = self.signing_key_id.unwrap_or_else(|| "0".into());
        if signing_key_id.is_empty() {
            e.push("signing_key_id: must not be empty".into());
        }
        let token_lifetime = self.token_lifetime.unwrap_or(DEFAULT_TOKEN_LIFETIME);
        if token_lifetime == 0 {
            e.push("token_lifetime: must be at least 1 second".into());
        }
        let keystone_url = required(e, "keystone_url", self.keystone_url)
            .and_then(|u| check_url(e, "keystone_url", &u));
        let keystone_ca_file = self
            .keystone_ca_file
            .and_then(|p| check_certs(e, "keystone_ca_file", p));
        let keystone_user = non_empty(e, "keystone_user", self.keystone_user);
        let keystone_password = non_empty(e, "keystone_password", self.keystone_password);
        let keystone_project = non_empty(e, "keystone_project", self.keystone_project);
        let keystone_user_domain = non_empty(e, "keystone_user_domain", self.keystone_user_domain);
        let vendordata_role = non_empty(e, "vendordata_role", self.vendordata_role);
        let nova_url = self.nova_url.and_then(|u| check_url(e, "nova_url", &u));
        let nova_ca_file = self
            .nova_ca_file
            .and_then(|p| check_certs(e, "nova_ca_file", p));
        let mut bindings = BTreeMap::new();
        for (project, domain) in self.bindings.unwrap_or_default() {
            if project.trim().is_empty() {
                e.push("bindings: a project id must not be empty".into());
                continue;
            }
            match DomainName::parse(&domain) {
                Ok(d) => {
                    bindings.insert(project, d);
                }
                Err(err) => e.push(format!("bindings.{project}: {err}")),
            }
        }
        if let (Some(cert), Some(key), Some(ca)) = (&tls_cert_file, &tls_key_file, &client_ca_file)
            && let Err(err) = server_common::tls::server_config(cert, key, std::slice::from_ref(ca))
        {
            e.push(format!("tls_cert_file/tls_key_file: {err:#}"));
        }
        match (
            listen,
            provider_name,
            tls_cert_file,
            tls_key_file,
            client_ca_file,
            signing,
            keystone_url,
            keystone_user,
            keystone_password,
            keystone_project,
            keystone_user_domain,
            vendordata_role,
        ) {
            (
                Some(listen),
                Some(provider_name),
                Some(tls_cert_file),
                Some(tls_key_file),
                Some(client_ca_file),
                Some((signing_key_file, signing_key)),
                Some(url),
                Some(user),
                Some(password),
                Some(project),
                Some(user_domain),
                Some(vendordata_role),
            ) if errors.is_empty() => Ok(Config {
                listen,
                provider_name,
                tls_cert_file,
                tls_key_file,
                client_ca_file,
                zts_principals,
                signing_key_file,
                signing_key,
                signing_key_id,
                token_lifetime,
                keystone: KeystoneConfig {
                    url,
                    ca_file: keystone_ca_file,
                    user,
                    password: Secret::new(password),
                    project,
                    user_domain,
                },
                vendordata_role,
                nova_url,
                nova_ca_file,
                bindings,
            }),
            _ => Err(errors),
        }
    }
}

impl Config {
    /// Reads and validates `path`; every problem is returned, one line each.
    pub fn load(path: &Path) -> Result<Self, Vec<String>> {
        RawConfig::from_file(path)
            .map_err(|e| vec![e])
            .and_then(RawConfig::validate)
    }
}

fn required<T>(errors: &mut Vec<String>, name: &str, v: Option<T>) -> Option<T> {
    if v.is_none() {
        errors.push(format!("{name} is required"));
    }
    v
}

fn non_empty(errors: &mut Vec<String>, name: &str, v: Option<String>) -> Option<String> {
    match required(errors, name, v) {
        Some(s) if s.trim().is_empty() => {
            errors.push(format!("{name}: must not be empty"));
            None
        }
        other => other,
    }
}

fn check_certs(errors: &mut Vec<String>, name: &str, p: PathBuf) -> Option<PathBuf> {
    match server_common::tls::load_certs(&p) {
        Ok(_) => Some(p),
        Err(err) => {
            errors.push(format!("{name}: {err:#}"));
            None
        }
    }
}

/// An `http(s)://host…` URL, returned without its trailing slash.
fn check_url(errors: &mut Vec<String>, name: &str, u: &str) -> Option<String> {
    match reqwest::Url::parse(u) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Some(u.trim_end_matches('/').to_string())
        }
        Ok(_) => {
            errors.push(format!("{name}: {u:?} is not an http(s) URL with a host"));
            None
        }
        Err(err) => {
            errors.push(format!("{name}: {u:?}: {err}"));
            None
        }
    }
}

#[cfg(test)]
mod tests;
