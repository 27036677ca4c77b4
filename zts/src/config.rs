//! ZTS configuration: a TOML file, then `ZTS_*` environment overrides, then validation that
//! reports every problem at once. Dev mode fills defaults from the shared state directory.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Athenz's default and maximum service certificate lifetime: 30 days.
pub const DEFAULT_CERT_EXPIRY_MINS: u32 = 43_200;

/// The file form; every field optional so env and dev mode can fill the gaps.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// `host:port` to listen on.
    pub listen: Option<String>,
    /// Certificate record store: `sqlite:/path/zts.db` or `postgres://…`.
    pub store_url: Option<String>,
    /// Server certificate chain (PEM); its key also authenticates ZTS to ZMS and providers.
    pub tls_cert_file: Option<PathBuf>,
    /// Server key (PEM).
    pub tls_key_file: Option<PathBuf>,
    /// Extra CAs whose client certificates are accepted (the signing CA always is).
    pub client_ca_files: Option<Vec<PathBuf>>,
    /// CA certificate that signs issued identities (PEM; its chain is returned to clients).
    pub ca_cert_file: Option<PathBuf>,
    /// CA key (PKCS#8 PEM, EC P-256 by default, RSA 2048 supported).
    pub ca_key_file: Option<PathBuf>,
    /// ZMS base URL, without `/zms/v1`.
    pub zms_url: Option<String>,
    /// CA bundle trusted for ZMS's server certificate.
    pub zms_ca_file: Option<PathBuf>,
    /// ZMS's signing public key (PEM public key, or a certificate carrying it).
    pub zms_public_key_file: Option<PathBuf>,
    /// Where the verified copy of ZMS data is kept across restarts.
    pub zms_cache_dir: Option<PathBuf>,
    /// Seconds between polls of ZMS's signed-domains feed.
    pub zms_poll_secs: Option<u64>,
    /// CAs trusted for provider TLS.
    pub provider_ca_files: Option<Vec<PathBuf>>,
    /// Provider connect timeout (ms).
    pub provider_connect_timeout_ms: Option<u64>,
    /// Provider read timeout (ms).
    pub provider_read_timeout_ms: Option<u64>,
    /// Lifetime when neither request nor provider nor domain says (minutes).
    pub cert_default_expiry_mins: Option<u32>,
    /// Upper bound on any lifetime (minutes).
    pub cert_max_expiry_mins: Option<u32>,
    /// Request body limit.
    pub max_body_bytes: Option<usize>,
    /// The AWS providers' settings (`[aws]`).
    pub aws: Option<crate::providers::aws::RawAws>,
    /// Token and policy signing (`[tokens]`).
    pub tokens: Option<crate::authz::settings::RawTokens>,
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address.
    pub listen: SocketAddr,
    /// Store URL (may hold a password: never printed).
    pub store_url: String,
    /// Server certificate chain.
    pub tls_cert_file: PathBuf,
    /// Server key.
    pub tls_key_file: PathBuf,
    /// Client CAs (signing CA first).
    pub client_ca_files: Vec<PathBuf>,
    /// Signing CA certificate.
    pub ca_cert_file: PathBuf,
    /// Signing CA key.
    pub ca_key_file: PathBuf,
    /// ZMS base URL.
    pub zms_url: String,
    /// CA for ZMS TLS.
    pub zms_ca_file: PathBuf,
    /// ZMS signing key.
    pub zms_public_key_file: PathBuf,
    /// Persisted ZMS copy.
    pub zms_cache_dir: PathBuf,
    /// Poll interval.
    pub zms_poll_secs: u64,
    /// Provider CAs.
    pub provider_ca_files: Vec<PathBuf>,
    /// Provider connect timeout (ms).
    pub provider_connect_timeout_ms: u64,
    /// Provider read timeout (ms).
    pub provider_read_timeout_ms: u64,
    /// Default lifetime (minutes).
    pub cert_default_expiry_mins: u32,
    /// Maximum lifetime (minutes).
    pub cert_max_expiry_mins: u32,
    /// Body limit.
    pub max_body_bytes: usize,
    /// AWS provider settings.
    pub aws: crate::providers::aws::AwsSettings,
    /// Token and policy signing.
    pub tokens: crate::authz::settings::TokenSettings,
}

impl RawConfig {
    /// Reads a TOML file.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read config {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("config {}: {e}", path.display()))
    }

    /// Applies `ZTS_*` overrides from `env` (a lookup, so tests never touch the process env).
    pub fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
        let mut errors = Vec::new();
        let mut num = |name: &str, slot: &mut Option<u64>| {
            if let Some(v) = env(name) {
                match v.parse() {
                    Ok(n) => *slot = Some(n),
                    Err(_) => errors.push(format!("{name}: not a number: {v:?}")),
                }
            }
        };
        num("ZTS_ZMS_POLL_SECS", &mut self.zms_poll_secs);
        num(
            "ZTS_PROVIDER_CONNECT_TIMEOUT_MS",
            &mut self.provider_connect_timeout_ms,
        );
        num(
            "ZTS_PROVIDER_READ_TIMEOUT_MS",
            &mut self.provider_read_timeout_ms,
        );
        let strs: [(&str, &mut Option<String>); 3] = [
            ("ZTS_LISTEN", &mut self.listen),
            ("ZTS_STORE_URL", &mut self.store_url),
            ("ZTS_ZMS_URL", &mut self.zms_url),
        ];
        for (name, slot) in strs {
            if let Some(v) = env(name) {
                *slot = Some(v);
            }
        }
        let paths: [(&str, &mut Option<PathBuf>); 7] = [
            ("ZTS_TLS_CERT_FILE", &mut self.tls_cert_file),
            ("ZTS_TLS_KEY_FILE", &mut self.tls_key_file),
            ("ZTS_CA_CERT_FILE", &mut self.ca_cert_file),
            ("ZTS_CA_KEY_FILE", &mut self.ca_key_file),
            ("ZTS_ZMS_CA_FILE", &mut self.zms_ca_file),
            ("ZTS_ZMS_PUBLIC_KEY_FILE", &mut self.zms_public_key_file),
            ("ZTS_ZMS_CACHE_DIR", &mut self.zms_cache_dir),
        ];
        for (name, slot) in paths {
            if let Some(v) = env(name) {
                *slot = Some(v.into());
            }
        }
        errors
    }

    /// Dev mode: everything from the state directory ZMS's `--dev` shares.
    pub fn with_dev_defaults(
        mut self,
        dir: &Path,
        listen: Option<&str>,
        zms_url: Option<&str>,
    ) -> Self {
        let p = |f: &str| Some(dir.join(f));
        if let Some(l) = listen {
            self.listen = Some(l.to_string());
        }
        if let Some(u) = zms_url {
            self.zms_url = Some(u.to_string());
        }
        self.listen.get_or_insert_with(|| "127.0.0.1:8443".into());
        self.store_url
            .get_or_insert_with(|| format!("sqlite:{}", dir.join("zts.db").display()));
        self.tls_cert_file = self.tls_cert_file.or_else(|| p(crate::dev::ZTS_CERT));
        self.tls_key_file = self.tls_key_file.or_else(|| p(crate::dev::ZTS_KEY));
        self.ca_cert_file = self
            .ca_cert_file
            .or_else(|| p(server_common::devca::CA_CERT));
        self.ca_key_file = self.ca_key_file.or_else(|| p(server_common::devca::CA_KEY));
        self.zms_ca_file = self
            .zms_ca_file
            .or_else(|| p(server_common::devca::CA_CERT));
        self.zms_public_key_file = self.zms_public_key_file.or_else(|| p(crate::dev::ZMS_CERT));
        self.zms_cache_dir = self.zms_cache_dir.or_else(|| p("zts-zms-cache"));
        self.provider_ca_files
            .get_or_insert_with(|| vec![dir.join(server_common::devca::CA_CERT)]);
        self
    }

    /// Checks meaning; returns every problem found.
    pub fn validate(self) -> Result<Config, Vec<String>> {
        let mut errors = Vec::new();
        let mut file = |name: &str, v: &Option<PathBuf>| -> PathBuf {
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
        let tls_cert_file = file("tls_cert_file", &self.tls_cert_file);
        let tls_key_file = file("tls_key_file", &self.tls_key_file);
        let ca_cert_file = file("ca_cert_file", &self.ca_cert_file);
        let ca_key_file = file("ca_key_file", &self.ca_key_file);
        let zms_ca_file = file("zms_ca_file", &self.zms_ca_file);
        let zms_public_key_file = file("zms_public_key_file", &self.zms_public_key_file);
        let mut list = |name: &str, v: Option<Vec<PathBuf>>| -> Vec<PathBuf> {
            let v = v.unwrap_or_default();
            for f in &v {
                if !f.is_file() {
                    errors.push(format!("{name}: no such file {}", f.display()));
                }
            }
            v
        };
        let mut client_ca_files = vec![ca_cert_file.clone()];
        client_ca_files.extend(list("client_ca_files", self.client_ca_files));
        let provider_ca_files = list("provider_ca_files", self.provider_ca_files);
        if provider_ca_files.is_empty() {
            errors.push("provider_ca_files: at least one CA is required for provider TLS".into());
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
            errors.push("store_url: must start with sqlite:, postgres:// or postgresql://".into());
        }
        let zms_url = self
            .zms_url
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string();
        if !zms_url.starts_with("https://") {
            errors.push(format!(
                "zms_url: must be https://host:port (got {zms_url:?})"
            ));
        }
        let zms_cache_dir = self.zms_cache_dir.unwrap_or_default();
        if zms_cache_dir.as_os_str().is_empty() {
            errors.push("zms_cache_dir is required".into());
        }
        let cert_max_expiry_mins = self
            .cert_max_expiry_mins
            .unwrap_or(DEFAULT_CERT_EXPIRY_MINS);
        let cert_default_expiry_mins = self
            .cert_default_expiry_mins
            .unwrap_or(DEFAULT_CERT_EXPIRY_MINS);
        if cert_default_expiry_mins == 0 || cert_default_expiry_mins > cert_max_expiry_mins {
            errors.push(
                "cert_default_expiry_mins: must be between 1 and cert_max_expiry_mins".into(),
            );
        }
        let aws = self.aws.unwrap_or_default().validate(&mut errors);
        let tokens = self
            .tokens
            .unwrap_or_default()
            .validate(&tls_key_file, listen, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Config {
            aws,
            tokens,
            listen,
            store_url,
            tls_cert_file,
            tls_key_file,
            client_ca_files,
            ca_cert_file,
            ca_key_file,
            zms_url,
            zms_ca_file,
            zms_public_key_file,
            zms_cache_dir,
            zms_poll_secs: self.zms_poll_secs.unwrap_or(2).max(1),
            provider_ca_files,
            provider_connect_timeout_ms: self.provider_connect_timeout_ms.unwrap_or(5_000),
            provider_read_timeout_ms: self.provider_read_timeout_ms.unwrap_or(30_000),
            cert_default_expiry_mins,
            cert_max_expiry_mins,
            max_body_bytes: self.max_body_bytes.unwrap_or(1024 * 1024),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_every_problem() {
        let raw = RawConfig {
            listen: Some("x".into()),
            zms_url: Some("http://z".into()),
            ..RawConfig::default()
        };
        let all = raw.validate().unwrap_err().join("\n");
        for needle in [
            "tls_cert_file",
            "ca_key_file",
            "zms_public_key_file",
            "provider_ca_files",
            "listen",
            "store_url",
            "zms_url",
        ] {
            assert!(all.contains(needle), "missing {needle} in {all}");
        }
    }

    #[test]
    fn env_overrides() {
        let mut raw = RawConfig::default();
        let env = |k: &str| match k {
            "ZTS_ZMS_URL" => Some("https://z:1".to_string()),
            "ZTS_ZMS_POLL_SECS" => Some("x".to_string()),
            _ => None,
        };
        let errs = raw.apply_env(&env);
        assert_eq!(raw.zms_url.as_deref(), Some("https://z:1"));
        assert_eq!(errs.len(), 1);
    }
}
