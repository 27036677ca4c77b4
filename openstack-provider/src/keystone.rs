//! The Keystone v3 client (Identity API v3, "Tokens"): the provider's own token by password
//! authentication (`POST /auth/tokens`, token in the `X-Subject-Token` answer header), cached until
//! shortly before its `expires_at`; validation of another token (`GET /auth/tokens` with
//! `X-Auth-Token` and `X-Subject-Token`) giving its role names; the compute endpoint from the
//! catalog.
//!
//! Tokens are held as [`Secret`]s and never logged.

use crate::config::{KeystoneConfig, Secret};
use crate::error::{Error, Result};
use reqwest::StatusCode;
use serde::Deserialize;
use std::path::Path;
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::Mutex;

/// How long before its expiry a cached token is replaced (at most half its remaining life).
const REFRESH_MARGIN: time::Duration = time::Duration::seconds(120);

/// The provider's Keystone client. Shared by all requests; the cached token is behind a mutex
/// so that concurrent requests after expiry authenticate once.
#[derive(Debug)]
pub struct Keystone {
    http: reqwest::Client,
    cfg: KeystoneConfig,
    cached: Mutex<Option<OwnToken>>,
}

/// The provider's own token and what came with it.
#[derive(Debug, Clone)]
pub struct OwnToken {
    /// The token (`X-Subject-Token` of the authentication answer).
    pub token: Secret,
    /// The catalog's `compute` `public` endpoint, if listed.
    pub compute_url: Option<String>,
    refresh_at: OffsetDateTime,
}

impl Keystone {
    /// A client for `cfg`; fails only if its CA file cannot be read.
    pub fn new(cfg: KeystoneConfig) -> anyhow::Result<Self> {
        Ok(Self {
            http: http_client(cfg.ca_file.as_deref())?,
            cfg,
            cached: Mutex::new(None),
        })
    }

    /// The provider's own token, from the cache or freshly issued. Keystone unreachable or
    /// refusing the provider's credentials: [`Error::Unavailable`].
    pub async fn own_token(&self) -> Result<OwnToken> {
        let mut cached = self.cached.lock().await;
        if let Some(t) = cached.as_ref()
            && OffsetDateTime::now_utc() < t.refresh_at
        {
            return Ok(t.clone());
        }
        let fresh = self.authenticate().await?;
        *cached = Some(fresh.clone());
        Ok(fresh)
    }

    /// Drops the cached token (Keystone or Nova refused it before its expiry).
    pub async fn invalidate(&self) {
        *self.cached.lock().await = None;
    }

    /// The role names of `subject` (Nova's vendordata token). An invalid or expired token is
    /// [`Error::Unauthenticated`]; Keystone unreachable is [`Error::Unavailable`].
    pub async fn validate(&self, subject: &str) -> Result<Vec<String>> {
        for attempt in 0..2 {
            let own = self.own_token().await?;
            let resp = self
                .http
                .get(format!("{}/auth/tokens", self.cfg.url))
                .header("X-Auth-Token", own.token.expose())
                .header("X-Subject-Token", subject)
                .send()
                .await
                .map_err(|e| Error::unavailable("keystone", format!("validating a token: {e}")))?;
            match resp.status() {
                StatusCode::OK => {
                    let body: TokenBody = resp.json().await.map_err(|e| {
                        Error::unavailable("keystone", format!("unreadable token answer: {e}"))
                    })?;
                    return Ok(body.token.roles.into_iter().map(|r| r.name).collect());
                }
                // Our own token may have been revoked early: authenticate again, once.
                StatusCode::UNAUTHORIZED if attempt == 0 => self.invalidate().await,
                StatusCode::UNAUTHORIZED | StatusCode::NOT_FOUND => break,
                other => {
                    return Err(Error::unavailable(
                        "keystone",
                        format!("token validation answered {other}"),
                    ));
                }
            }
        }
        Err(Error::Unauthenticated(
            "the X-Auth-Token is not a valid Keystone token".into(),
        ))
    }

    /// The compute endpoint of the catalog (`compute`, interface `public`).
    pub async fn compute_url(&self) -> Result<String> {
        self.own_token().await?.compute_url.ok_or_else(|| {
            Error::unavailable(
                "nova",
                "nova_url is unset and the Keystone catalog has no public compute endpoint",
            )
        })
    }

    async fn authenticate(&self) -> Result<OwnToken> {
        let c = &self.cfg;
        let body = serde_json::json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": c.user, "domain": {"name": c.user_domain}, "password": c.password.expose(),
            }}},
            "scope": {"project": {"name": c.project, "domain": {"name": c.user_domain}}},
        }});
        let resp = self
            .http
            .post(format!("{}/auth/tokens", c.url))
            .json(&body)
            .send()
            .await
            .map_err(|e| Error::unavailable("keystone", format!("authenticating: {e}")))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(Error::unavailable(
                "keystone",
                format!("authenticating as {:?} answered {status}", c.user),
            ));
        }
        let token = resp
            .headers()
            .get("X-Subject-Token")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(Secret::new)
            .ok_or_else(|| {
                Error::unavailable("keystone", "authentication answer has no X-Subject-Token")
            })?;
        let body: TokenBody = resp.json().await.map_err(|e| {
            Error::unavailable("keystone", format!("unreadable authentication answer: {e}"))
        })?;
        let now = OffsetDateTime::now_utc();
        let refresh_at = match body.token.expires_at.as_deref().map(parse_time) {
            Some(Some(exp)) => {
                let half: time::Duration = (exp - now) / 2;
                exp - half.min(REFRESH_MARGIN)
            }
            _ => {
                tracing::warn!("Keystone token without a readable expires_at; caching it 60s");
                now + time::Duration::seconds(60)
            }
        };
        let compute_url = body
            .token
            .catalog
            .iter()
            .filter(|s| s.kind == "compute")
            .flat_map(|s| &s.endpoints)
            .find(|e| e.interface == "public")
            .map(|e| e.url.trim_end_matches('/').to_string());
        tracing::info!(user = %c.user, project = %c.project, "authenticated with Keystone");
        Ok(OwnToken {
            token,
            compute_url,
            refresh_at,
        })
    }
}

/// An HTTP client with bounded waits, trusting `ca_file`'s certificates besides the defaults.
pub(crate) fn http_client(ca_file: Option<&Path>) -> anyhow::Result<reqwest::Client> {
    let mut b = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(20));
    if let Some(f) = ca_file {
        for c in server_common::tls::load_certs(f)? {
            b = b.add_root_certificate(reqwest::Certificate::from_der(c.as_ref())?);
        }
    }
    Ok(b.build()?)
}

/// Keystone writes `2026-01-01T00:00:00.000000Z`; older releases leave out the zone.
fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339)
        .or_else(|_| OffsetDateTime::parse(&format!("{s}Z"), &Rfc3339))
        .ok()
}

#[derive(Deserialize)]
struct TokenBody {
    token: TokenInfo,
}

#[derive(Deserialize)]
struct TokenInfo {
    #[serde(default)]
    expires_at: Option<String>,
    #[serde(default)]
    catalog: Vec<CatalogService>,
    #[serde(default)]
    roles: Vec<Role>,
}

#[derive(Deserialize)]
struct CatalogService {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    endpoints: Vec<Endpoint>,
}

#[derive(Deserialize)]
struct Endpoint {
    interface: String,
    url: String,
}

#[derive(Deserialize)]
struct Role {
    name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keystone_times() {
        assert!(parse_time("2026-01-01T00:00:00.000000Z").is_some());
        assert!(parse_time("2026-01-01T00:00:00Z").is_some());
        assert!(parse_time("2026-01-01T00:00:00.000000").is_some());
        assert!(parse_time("tomorrow").is_none());
    }
}
