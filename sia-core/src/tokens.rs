//! Access tokens (Athenz `libs/go/sia/access/tokens/tokens.go` `Fetch`, `makeTokenRequest`;
//! `libs/go/sia/options/options.go` `processAccessTokens`). For each `access_tokens` entry the
//! agent posts `grant_type=client_credentials&expires_in=…&scope=…` to `POST /oauth2/token` over
//! mTLS with the service identity and writes the answer to `<token_dir>/<domain>/<fileName>`,
//! mode 0440, in the form `store_token_option` selects.
//!
//! A failure is reported per token and leaves that token's file as it was.

use crate::agent::{AgentConfig, ServiceTarget, ZtsApi};
use crate::config::{SiaConfig, parse_token_key, token_roles};
use crate::error::{Error, Result};
use crate::files::{self, Owner};
use model::zts_token::AccessTokenResponse;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Athenz's default token lifetime when `expires_in` is absent (`config.go`
/// `DefaultTokenExpiry`, 8 h).
pub const DEFAULT_TOKEN_EXPIRY_SECS: u64 = 28_800;
/// Token files are readable by their owner and group only (Athenz `siafile.Update(…, 0440)`).
pub const TOKEN_MODE: u32 = 0o440;
/// `<token_dir>/<domain>` directories (Athenz `futil.MakeDirs(dirs, 0755)`); the 0440 files
/// keep the tokens private.
pub const TOKEN_DIR_MODE: u32 = 0o755;
/// The environment variable that sets the token refresh period (Athenz `tokens.go`).
pub const TOKEN_REFRESH_PERIOD_ENV: &str = "TOKEN_REFRESH_PERIOD";

/// What a token file holds (`store_token_option`, Athenz `access/config` `StoreTokenOptions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StoreTokenOption {
    /// 0: the whole `AccessTokenResponse` JSON (`{"access_token":…,"token_type":…,…}`).
    Response,
    /// 1, the default when unset (Athenz `tokenOptions`): the token as a JSON string, i.e. in
    /// double quotes (Athenz writes `json.Marshal(res.Access_token)`).
    #[default]
    AccessToken,
    /// 2: the bare token, without quotes.
    AccessTokenWithoutQuotes,
}

impl StoreTokenOption {
    /// The option for a `store_token_option` value (checked to be 0..=2 by
    /// [`SiaConfig::parse`]); unset is [`StoreTokenOption::AccessToken`].
    pub fn from_config(value: Option<i64>) -> Self {
        match value {
            Some(0) => Self::Response,
            Some(2) => Self::AccessTokenWithoutQuotes,
            _ => Self::AccessToken,
        }
    }

    /// The file contents for `resp` (Athenz `tokenBytesToStore`).
    pub fn contents(self, resp: &AccessTokenResponse) -> Result<Vec<u8>> {
        let json = |r: serde_json::Result<Vec<u8>>| {
            r.map_err(|e| Error::Transport(format!("unable to encode the token: {e}")))
        };
        match self {
            Self::Response => json(serde_json::to_vec(resp)),
            Self::AccessToken => json(serde_json::to_vec(&resp.access_token)),
            Self::AccessTokenWithoutQuotes => Ok(resp.access_token.clone().into_bytes()),
        }
    }
}

/// One access token to maintain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenTarget {
    /// The `access_tokens` key, `<domain>/<fileName>`, as configured.
    pub name: String,
    /// The token's domain, lowercased.
    pub domain: String,
    /// `<token_dir>/<domain as configured>/<fileName>`.
    pub file: PathBuf,
    /// The service whose identity asks for the token.
    pub service: String,
    /// Lowercased short role names, or `["*"]` for every role in the domain.
    pub roles: Vec<String>,
    /// Requested lifetime, seconds.
    pub expires_in: u64,
    /// Owner and group of the file (the service's).
    pub owner: Owner,
}

impl TokenTarget {
    /// The `scope`: `<domain>:domain` for `*`, else `<domain>:role.<r>` for each role, space
    /// separated (Athenz `makeTokenRequest`).
    pub fn scope(&self) -> String {
        if self.roles.iter().any(|r| r == "*") {
            return format!("{}:domain", self.domain);
        }
        self.roles
            .iter()
            .map(|r| model::names::role_full_name(&self.domain, r))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The urlencoded request body.
    pub fn form(&self) -> String {
        let expires = self.expires_in.to_string();
        let scope = self.scope();
        let pairs = [
            ("grant_type", "client_credentials"),
            ("expires_in", expires.as_str()),
            ("scope", scope.as_str()),
        ];
        let mut out = String::new();
        for (k, v) in pairs {
            if !out.is_empty() {
                out.push('&');
            }
            out.push_str(k);
            out.push('=');
            out.push_str(&form_escape(v));
        }
        out
    }
}

/// `application/x-www-form-urlencoded` escaping (space as `+`, as Go's `url.Values.Encode`).
fn form_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b' ' => out.push('+'),
            b if b.is_ascii_alphanumeric() || b"-._*".contains(&b) => out.push(char::from(b)),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A token fetched and written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFetched {
    /// The `access_tokens` key.
    pub name: String,
    /// The file written.
    pub file: PathBuf,
    /// The token's lifetime: ZTS's `expires_in`, else the requested one.
    pub lifetime: Duration,
}

/// What one pass over the tokens did.
#[derive(Debug, Default)]
pub struct TokensReport {
    /// Tokens fetched and written.
    pub fetched: Vec<TokenFetched>,
    /// Tokens that failed, by `access_tokens` key (their old files are untouched).
    pub failed: Vec<(String, Error)>,
}

impl TokensReport {
    /// Whether no token failed.
    pub fn is_ok(&self) -> bool {
        self.failed.is_empty()
    }

    /// The failure as one error: the failed names and the last failure.
    pub fn into_result(mut self) -> Result<Self> {
        match Error::credentials("access tokens", std::mem::take(&mut self.failed)) {
            None => Ok(self),
            Some(e) => Err(e),
        }
    }
}

/// Fetches and writes every configured access token.
pub async fn fetch_all(cfg: &AgentConfig, zts: &dyn ZtsApi) -> TokensReport {
    let mut report = TokensReport::default();
    for t in &cfg.access_tokens {
        match fetch_one(cfg, zts, t).await {
            Ok(f) => report.fetched.push(f),
            Err(e) => report.failed.push((t.name.clone(), e)),
        }
    }
    report
}

/// Fetches one access token and writes it atomically.
pub async fn fetch_one(
    cfg: &AgentConfig,
    zts: &dyn ZtsApi,
    t: &TokenTarget,
) -> Result<TokenFetched> {
    let outcome = fetch_and_write(cfg, zts, t).await;
    match &outcome {
        Ok(f) => log::info!(
            "access token {} ({}) written to {}, lifetime {}s",
            t.name,
            t.scope(),
            f.file.display(),
            f.lifetime.as_secs()
        ),
        Err(e) => log::warn!("access token {} ({}): {e}", t.name, t.scope()),
    }
    outcome
}

async fn fetch_and_write(
    cfg: &AgentConfig,
    zts: &dyn ZtsApi,
    t: &TokenTarget,
) -> Result<TokenFetched> {
    let svc = cfg
        .services
        .iter()
        .find(|s| s.name == t.service)
        .ok_or_else(|| {
            Error::Config(vec![format!(
                "access_tokens.\"{}\": service `{}` is not configured",
                t.name, t.service
            )])
        })?;
    let key_pem = read(&svc.key_file)?;
    let cert_pem = read(&svc.cert_file)?;
    let resp = zts.access_token(&t.form(), &cert_pem, &key_pem).await?;
    if resp.access_token.trim().is_empty() {
        return Err(Error::Transport(
            "ZTS returned an empty access_token".into(),
        ));
    }
    let contents = cfg.store_token_option.contents(&resp)?;
    if let Some(dir) = t.file.parent() {
        files::ensure_dir(dir, TOKEN_DIR_MODE)?;
    }
    files::write_atomic(&t.file, &contents, TOKEN_MODE, t.owner)?;
    let lifetime = resp
        .expires_in
        .and_then(|s| u64::try_from(s).ok())
        .filter(|s| *s > 0)
        .unwrap_or(t.expires_in);
    Ok(TokenFetched {
        name: t.name.clone(),
        file: t.file.clone(),
        lifetime: Duration::from_secs(lifetime),
    })
}

fn read(p: &Path) -> Result<String> {
    std::fs::read_to_string(p).map_err(|e| Error::io("read", p, e))
}

/// Resolves `access_tokens` against the services, reporting every problem into `problems`.
pub(crate) fn resolve(
    sia: &SiaConfig,
    services: &[ServiceTarget],
    token_dir: &Path,
    problems: &mut Vec<String>,
) -> Vec<TokenTarget> {
    let mut out = Vec::new();
    for (key, tc) in &sia.access_tokens {
        // Bad keys and roles are reported by SiaConfig::validate.
        let Ok((domain, file)) = parse_token_key(key) else {
            continue;
        };
        let Ok(roles) = token_roles(key, &file, &tc.roles) else {
            continue;
        };
        let svc_name = tc.service.as_deref().filter(|s| !s.is_empty());
        let svc = match svc_name {
            None => services.first(),
            Some(s) => services.iter().find(|t| t.name == s),
        };
        let Some(svc) = svc else {
            problems.push(format!(
                "access_tokens.\"{key}\": service `{}` is not one of this agent's services ({})",
                svc_name.unwrap_or(""),
                crate::roles::names(services)
            ));
            continue;
        };
        // The directory is the domain as configured, like Athenz's `<token_dir>/<domain>`.
        let dir = key.split_once('/').map_or("", |(d, _)| d);
        out.push(TokenTarget {
            name: key.clone(),
            domain: domain.as_str().to_string(),
            file: token_dir.join(dir).join(&file),
            service: svc.name.clone(),
            roles,
            expires_in: tc
                .expires_in
                .and_then(|e| u64::try_from(e).ok())
                .filter(|e| *e > 0)
                .unwrap_or(DEFAULT_TOKEN_EXPIRY_SECS),
            owner: svc.owner,
        });
    }
    out
}

#[cfg(test)]
mod tests;
