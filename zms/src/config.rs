//! ZMS configuration: a TOML file, then `ZMS_*` environment overrides, then validation that reports
//! every problem at once. Loading has no side effects; dev mode fills in defaults before validation.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Default request body limit: Athenz objects are small; a big role is a few hundred KiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// The file form, every field optional so env and dev mode can fill the gaps.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// `host:port` to listen on.
    pub listen: Option<String>,
    /// `sqlite:/path/zms.db` or `postgres://user@host/db`.
    pub store_url: Option<String>,
    /// Server certificate chain (PEM).
    pub tls_cert_file: Option<PathBuf>,
    /// Server private key (PEM).
    pub tls_key_file: Option<PathBuf>,
    /// CAs whose client certificates are accepted.
    pub client_ca_files: Option<Vec<PathBuf>>,
    /// Key that signs domain data (PKCS#8 PEM, EC P-256 or RSA).
    pub signing_key_file: Option<PathBuf>,
    /// Key id published with the signing key.
    pub signing_key_id: Option<String>,
    /// System administrators (`user.<name>`), members of `sys.auth:role.admin` at bootstrap.
    pub admin_users: Option<Vec<String>>,
    /// Request body limit in bytes.
    pub max_body_bytes: Option<usize>,
    /// How often to pick up changes other ZMS instances made to a shared store (0: never).
    pub cache_refresh_secs: Option<u64>,
}

/// Validated configuration.
#[derive(Clone)]
pub struct Config {
    /// Listen address.
    pub listen: SocketAddr,
    /// Store URL (may hold a password: never printed).
    pub store_url: String,
    /// Server certificate chain.
    pub tls_cert_file: PathBuf,
    /// Server key.
    pub tls_key_file: PathBuf,
    /// Client CAs.
    pub client_ca_files: Vec<PathBuf>,
    /// Signing key.
    pub signing_key_file: PathBuf,
    /// Signing key id.
    pub signing_key_id: String,
    /// Bootstrap admins.
    pub admin_users: Vec<String>,
    /// Body limit.
    pub max_body_bytes: usize,
    /// Shared-store refresh interval in seconds; 0 disables it.
    pub cache_refresh_secs: u64,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("store_url", &redact_url(&self.store_url))
            .field("tls_cert_file", &self.tls_cert_file)
            .field("client_ca_files", &self.client_ca_files)
            .field("signing_key_id", &self.signing_key_id)
            .field("admin_users", &self.admin_users)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("cache_refresh_secs", &self.cache_refresh_secs)
            .finish_non_exhaustive()
    }
}

/// Hides the password of `scheme://user:password@host/…`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl RawConfig {
    /// Reads a TOML file.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read config {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("config {}: {e}", path.display()))
    }

    /// Applies `ZMS_*` overrides from `env` (a lookup, so tests never touch the process env).
    pub fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
        let mut errors = Vec::new();
        let list = |v: String| -> Vec<String> {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        };
        if let Some(v) = env("ZMS_LISTEN") {
            self.listen = Some(v);
        }
        if let Some(v) = env("ZMS_STORE_URL") {
            self.store_url = Some(v);
        }
        if let Some(v) = env("ZMS_TLS_CERT_FILE") {
            self.tls_cert_file = Some(v.into());
        }
        if let Some(v) = env("ZMS_TLS_KEY_FILE") {
            self.tls_key_file = Some(v.into());
        }
        if let Some(v) = env("ZMS_CLIENT_CA_FILES") {
            self.client_ca_files = Some(list(v).into_iter().map(PathBuf::from).collect());
        }
        if let Some(v) = env("ZMS_SIGNING_KEY_FILE") {
            self.signing_key_file = Some(v.into());
        }
        if let Some(v) = env("ZMS_SIGNING_KEY_ID") {
            self.signing_key_id = Some(v);
        }
        if let Some(v) = env("ZMS_ADMIN_USERS") {
            self.admin_users = Some(list(v));
        }
        if let Some(v) = env("ZMS_CACHE_REFRESH_SECS") {
            match v.parse() {
                Ok(n) => self.cache_refresh_secs = Some(n),
                Err(_) => errors.push(format!("ZMS_CACHE_REFRESH_SECS: not a number: {v:?}")),
            }
        }
        if let Some(v) = env("ZMS_MAX_BODY_BYTES") {
            match v.parse() {
                Ok(n) => self.max_body_bytes = Some(n),
                Err(_) => errors.push(format!("ZMS_MAX_BODY_BYTES: not a number: {v:?}")),
            }
        }
        errors
    }

    /// Fills what dev mode provides when the file and env did not say.
    pub fn with_dev_defaults(mut self, dir: &Path, listen: Option<&str>) -> Self {
        let p = |f: &str| Some(dir.join(f));
        if let Some(l) = listen {
            self.listen = Some(l.to_string());
        }
        self.listen.get_or_insert_with(|| "127.0.0.1:4443".into());
        self.store_url
            .get_or_insert_with(|| format!("sqlite:{}", dir.join("zms.db").display()));
        self.tls_cert_file = self.tls_cert_file.or_else(|| p(crate::dev::ZMS_CERT));
        self.tls_key_file = self.tls_key_file.or_else(|| p(crate::dev::ZMS_KEY));
        self.client_ca_files
            .get_or_insert_with(|| vec![dir.join(crate::dev::CA_CERT)]);
        self.signing_key_file = self.signing_key_file.or_else(|| p(crate::dev::ZMS_KEY));
        self.admin_users
            .get_or_insert_with(|| vec![crate::dev::ADMIN_PRINCIPAL.into()]);
        self
    }

    /// Checks meaning; returns every problem found, not just the first.
    pub fn validate(self) -> Result<Config, Vec<String>> {
        let mut errors = Vec::new();
        let mut need = |name: &str, v: &Option<PathBuf>| -> PathBuf {
            match v {
                None => {
                    errors.push(format!("{name} is required"));
                    PathBuf::new()
                }
                Some(p) if !p.is_file() => {
                    errors.push(format!("{name}: no such file {}", p.display()));
                    p.clone()
                }
                Some(p) => p.clone(),
            }
        };
        let tls_cert_file = need("tls_cert_file", &self.tls_cert_file);
        let tls_key_file = need("tls_key_file", &self.tls_key_file);
        let signing_key_file = need("signing_key_file", &self.signing_key_file);
        let client_ca_files = self.client_ca_files.unwrap_or_default();
        if client_ca_files.is_empty() {
            errors.push("client_ca_files: at least one CA is required".into());
        }
        for f in &client_ca_files {
            if !f.is_file() {
                errors.push(format!("client_ca_files: no such file {}", f.display()));
            }
        }
        let listen = match self.listen.as_deref().map(str::parse::<SocketAddr>) {
            Some(Ok(a)) => a,
            Some(Err(_)) => {
                errors.push(format!(
                    "listen: not host:port: {:?}",
                    self.listen.unwrap_or_default()
                ));
                SocketAddr::from(([127, 0, 0, 1], 0))
            }
            None => SocketAddr::from(([0, 0, 0, 0], 4443)),
        };
        let store_url = self.store_url.unwrap_or_default();
        if !["sqlite:", "postgres://", "postgresql://"]
            .iter()
            .any(|s| store_url.starts_with(s))
        {
            errors.push(format!(
                "store_url: must start with sqlite:, postgres:// or postgresql:// (got {:?})",
                redact_url(&store_url)
            ));
        }
        let admin_users = self.admin_users.unwrap_or_default();
        if admin_users.is_empty() {
            errors.push("admin_users: at least one user.<name> is required".into());
        }
        for u in &admin_users {
            match model::MemberName::parse(u) {
                Ok(model::MemberName::Principal(p)) if p.starts_with("user.") => {}
                _ => errors.push(format!("admin_users: {u:?} is not a user.<name> principal")),
            }
        }
        let signing_key_id = self.signing_key_id.unwrap_or_else(|| "0".into());
        if !model::names::is_simple_name(&signing_key_id) {
            errors.push(format!(
                "signing_key_id: {signing_key_id:?} is not a simple name"
            ));
        }
        let max_body_bytes = self.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY_BYTES);
        if max_body_bytes < 1024 {
            errors.push("max_body_bytes: must be at least 1024".into());
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Config {
            listen,
            store_url,
            tls_cert_file,
            tls_key_file,
            client_ca_files,
            signing_key_file,
            signing_key_id,
            admin_users: admin_users.iter().map(|u| u.to_ascii_lowercase()).collect(),
            max_body_bytes,
            cache_refresh_secs: self.cache_refresh_secs.unwrap_or(5),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_every_problem() {
        let raw = RawConfig {
            listen: Some("nope".into()),
            store_url: Some("mysql://x".into()),
            admin_users: Some(vec!["bob".into()]),
            ..RawConfig::default()
        };
        let errs = raw.validate().unwrap_err();
        let all = errs.join("\n");
        for needle in [
            "tls_cert_file",
            "tls_key_file",
            "signing_key_file",
            "client_ca_files",
            "listen",
            "store_url",
            "admin_users",
        ] {
            assert!(all.contains(needle), "missing {needle} in {all}");
        }
    }

    #[test]
    fn env_overrides_file_values() {
        let mut raw: RawConfig =
            toml::from_str("listen = \"127.0.0.1:1\"\nadmin_users = [\"user.a\"]").unwrap();
        let env = |k: &str| match k {
            "ZMS_LISTEN" => Some("127.0.0.1:2".to_string()),
            "ZMS_ADMIN_USERS" => Some("user.b, user.c".to_string()),
            "ZMS_MAX_BODY_BYTES" => Some("x".to_string()),
            _ => None,
        };
        let errs = raw.apply_env(&env);
        assert_eq!(raw.listen.as_deref(), Some("127.0.0.1:2"));
        assert_eq!(
            raw.admin_users,
            Some(vec!["user.b".into(), "user.c".into()])
        );
        assert_eq!(errs.len(), 1);
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(toml::from_str::<RawConfig>("lisen = \"x\"").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://zms:secret@db/zms"),
            "postgres://zms:***@db/zms"
        );
        assert_eq!(redact_url("sqlite:/x"), "sqlite:/x");
    }
}
