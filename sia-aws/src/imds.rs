//! The EC2 instance metadata client as Athenz SIA uses it (`libs/go/sia/aws/meta/meta.go`):
//! IMDSv2 first (`PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds`, then GETs
//! carrying `X-aws-ec2-metadata-token`), IMDSv1 (plain GETs) when the token cannot be had; a 5 s
//! timeout; only HTTP 200 is accepted. Proxies are never used: IMDS is link-local.

use crate::error::{Error, Result};
use std::time::Duration;

/// Athenz's IMDS timeout.
const TIMEOUT: Duration = Duration::from_secs(5);
/// The token lifetime we ask for (Athenz asks for 300 s; one attestation needs seconds).
pub const TOKEN_TTL_SECONDS: u32 = 300;
/// Default endpoint (Athenz `-meta` default).
pub const DEFAULT_ENDPOINT: &str = "http://169.254.169.254:80";

/// An IMDS endpoint.
#[derive(Debug, Clone)]
pub struct Imds {
    base: String,
    http: reqwest::Client,
}

/// A metadata session: the IMDSv2 token when one was issued, else IMDSv1.
#[derive(Clone)]
pub struct Session<'a> {
    imds: &'a Imds,
    token: Option<String>,
}

impl std::fmt::Debug for Session<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("imdsv2", &self.token.is_some())
            .finish()
    }
}

impl Imds {
    /// A client for `base` (`http://169.254.169.254:80`).
    pub fn new(base: &str) -> Result<Self> {
        // IMDS is plain HTTP on a link-local address: no trust roots to load (loading the
        // system's would cost the agent memory and time for nothing).
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .no_proxy()
            .tls_certs_only(Vec::new())
            .build()
            .map_err(|e| Error::Imds {
                path: String::new(),
                message: format!("unable to build HTTP client: {e}"),
            })?;
        Ok(Self {
            base: base.trim_end_matches('/').to_string(),
            http,
        })
    }

    /// Starts a session: asks for an IMDSv2 token and falls back to IMDSv1 when that fails.
    pub async fn session(&self) -> Session<'_> {
        let token = match self.token().await {
            Ok(t) => Some(t),
            Err(e) => {
                log::info!("IMDSv2 token unavailable ({e}); using IMDSv1");
                None
            }
        };
        Session { imds: self, token }
    }

    async fn token(&self) -> Result<String> {
        let path = "/latest/api/token";
        let resp = self
            .http
            .put(format!("{}{path}", self.base))
            .header(
                "X-aws-ec2-metadata-token-ttl-seconds",
                TOKEN_TTL_SECONDS.to_string(),
            )
            .send()
            .await
            .map_err(|e| imds_err(path, e))?;
        let token = body(path, resp).await?;
        if token.trim().is_empty() {
            return Err(Error::Imds {
                path: path.into(),
                message: "empty token".into(),
            });
        }
        Ok(token.trim().to_string())
    }
}

impl Session<'_> {
    /// Whether this session uses an IMDSv2 token.
    pub fn is_v2(&self) -> bool {
        self.token.is_some()
    }

    /// GETs a metadata path (`/latest/...`); only 200 is success.
    pub async fn get(&self, path: &str) -> Result<String> {
        let mut req = self.imds.http.get(format!("{}{path}", self.imds.base));
        if let Some(t) = &self.token {
            req = req.header("X-aws-ec2-metadata-token", t);
        }
        let resp = req.send().await.map_err(|e| imds_err(path, e))?;
        body(path, resp).await
    }
}

async fn body(path: &str, resp: reqwest::Response) -> Result<String> {
    let status = resp.status();
    if status != reqwest::StatusCode::OK {
        return Err(Error::Imds {
            path: path.into(),
            message: format!("HTTP {}", status.as_u16()),
        });
    }
    resp.text().await.map_err(|e| imds_err(path, e))
}

fn imds_err(path: &str, e: reqwest::Error) -> Error {
    let mut message = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        message.push_str(&format!(": {s}"));
        src = s.source();
    }
    Error::Imds {
        path: path.into(),
        message,
    }
}
