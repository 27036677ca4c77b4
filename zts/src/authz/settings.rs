//! The `[tokens]` section of the ZTS configuration: the key that signs access tokens, role
//! tokens and policy data, and the lifetimes Athenz defaults to (`ZTSImpl` constructor,
//! `ZTSConsts`: `athenz.zts.role_token_default_timeout` 7200 s, `role_token_max_timeout`
//! 30 days, `signed_policy_timeout` 7 days; the private key id
//! `athenz.auth.private_key_store.private_key_id` defaults to "0").

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

/// File form; every field optional.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTokens {
    /// Private key (PEM) that signs tokens and policy data. Default: the TLS server key, as
    /// Athenz deployments use `zts_private.pem` for both.
    pub signing_key_file: Option<PathBuf>,
    /// Its key id (`kid`, role token `k`, policy `keyId`).
    pub signing_key_id: Option<String>,
    /// OAuth2 issuer. Default `https://<listen>/zts/v1` (Athenz: server host and port).
    pub issuer: Option<String>,
    /// Token lifetime when the request names none (seconds).
    pub default_timeout_secs: Option<i64>,
    /// Longest token lifetime (seconds).
    pub max_timeout_secs: Option<i64>,
    /// How long signed policy data stays valid (seconds).
    pub signed_policy_timeout_secs: Option<i64>,
    /// The id of ZMS's signing key, published with `GET /oauth2/keys?service=zms`.
    pub zms_public_key_id: Option<String>,
    /// Principals allowed to ask for tokens on behalf of others (`proxy_for_principal`,
    /// Athenz `athenz.zts.authorized_proxy_users`).
    pub authorized_proxy_users: Option<Vec<String>>,
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    /// Signing key file.
    pub signing_key_file: PathBuf,
    /// Key id.
    pub signing_key_id: String,
    /// Issuer.
    pub issuer: String,
    /// The issuer was not configured: [`crate::serve`] sets it from the bound address.
    pub issuer_from_listen: bool,
    /// Default lifetime (s).
    pub default_timeout_secs: i64,
    /// Maximum lifetime (s).
    pub max_timeout_secs: i64,
    /// Policy data lifetime (s).
    pub signed_policy_timeout_secs: i64,
    /// ZMS key id.
    pub zms_public_key_id: String,
    /// Proxy users.
    pub authorized_proxy_users: Vec<String>,
}

impl RawTokens {
    /// Validates, filling defaults from the TLS key and the listen address.
    pub fn validate(
        self,
        tls_key_file: &std::path::Path,
        listen: SocketAddr,
        errors: &mut Vec<String>,
    ) -> TokenSettings {
        let signing_key_file = self
            .signing_key_file
            .unwrap_or_else(|| tls_key_file.to_path_buf());
        if !signing_key_file.as_os_str().is_empty() && !signing_key_file.is_file() {
            errors.push(format!(
                "tokens.signing_key_file: no such file {}",
                signing_key_file.display()
            ));
        }
        let mut id = |name: &str, v: Option<String>| {
            let v = v.unwrap_or_else(|| "0".into());
            if v.is_empty()
                || !v
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            {
                errors.push(format!(
                    "tokens.{name}: must be letters, digits, '.', '_' or '-'"
                ));
            }
            v
        };
        let signing_key_id = id("signing_key_id", self.signing_key_id);
        let zms_public_key_id = id("zms_public_key_id", self.zms_public_key_id);
        let issuer_from_listen = self.issuer.is_none();
        let issuer = self
            .issuer
            .unwrap_or_else(|| format!("https://{listen}/zts/v1"));
        if !issuer.starts_with("https://") {
            errors.push(format!(
                "tokens.issuer: must be an https URL (got {issuer:?})"
            ));
        }
        let max_timeout_secs = self.max_timeout_secs.unwrap_or(30 * 24 * 3600);
        let default_timeout_secs = self.default_timeout_secs.unwrap_or(7200);
        if max_timeout_secs <= 0 || default_timeout_secs <= 0 {
            errors
                .push("tokens: default_timeout_secs and max_timeout_secs must be positive".into());
        } else if default_timeout_secs > max_timeout_secs {
            errors.push("tokens.default_timeout_secs: exceeds max_timeout_secs".into());
        }
        let signed_policy_timeout_secs = self.signed_policy_timeout_secs.unwrap_or(7 * 24 * 3600);
        if signed_policy_timeout_secs <= 0 {
            errors.push("tokens.signed_policy_timeout_secs: must be positive".into());
        }
        TokenSettings {
            signing_key_file,
            signing_key_id,
            issuer: issuer.trim_end_matches('/').to_string(),
            issuer_from_listen,
            default_timeout_secs,
            max_timeout_secs,
            signed_policy_timeout_secs,
            zms_public_key_id,
            authorized_proxy_users: self
                .authorized_proxy_users
                .unwrap_or_default()
                .into_iter()
                .map(|p| p.to_ascii_lowercase())
                .collect(),
        }
    }
}
