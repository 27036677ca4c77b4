//! The HTTP side: a reqwest client with the caller's certificate, URLs built from path segments
//! under `/zms/v1`, and the mapping of answers to JSON values or [`CliError`]s.

use crate::error::{CliError, Result};
use model::ResourceError;
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The API base path the server mounts everything under.
pub const BASE_PATH: &str = "/zms/v1";

/// Longest piece of a non-JSON error body echoed back to the user.
const MAX_ECHO: usize = 300;

/// Where and how to connect.
#[derive(Debug, Clone, Default)]
pub struct ClientConfig {
    /// Server URL, with or without the `/zms/v1` suffix.
    pub zms: String,
    /// Client certificate (PEM).
    pub cert: Option<PathBuf>,
    /// Client private key (PEM).
    pub key: Option<PathBuf>,
    /// CA bundle (PEM) to trust instead of the built-in roots.
    pub ca: Option<PathBuf>,
    /// Value of the `Y-Audit-Ref` header.
    pub audit_ref: Option<String>,
}

/// A ZMS client: every request goes to `base` plus percent-encoded path segments.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    audit_ref: Option<String>,
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| CliError::usage(format!("cannot read {what} {}: {e}", path.display())))
}

/// Parses the `--zms` URL and appends `/zms/v1` unless it is already there.
pub fn base_url(zms: &str) -> Result<Url> {
    let mut url =
        Url::parse(zms.trim()).map_err(|e| CliError::usage(format!("--zms {zms:?}: {e}")))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(CliError::usage(format!(
            "--zms {zms:?}: expected an https:// URL"
        )));
    }
    url.set_query(None);
    url.set_fragment(None);
    let path = url.path().trim_end_matches('/').to_string();
    if !path.ends_with(BASE_PATH) {
        url.set_path(&format!("{path}{BASE_PATH}"));
    } else {
        url.set_path(&path);
    }
    Ok(url)
}

impl Client {
    /// Builds the client: loads the identity and CA files, checks the URL. No network traffic.
    pub fn new(cfg: &ClientConfig) -> Result<Self> {
        let base = base_url(&cfg.zms)?;
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("zms-cli/", env!("CARGO_PKG_VERSION")));
        match (&cfg.cert, &cfg.key) {
            (Some(cert), Some(key)) => {
                let mut pem = read(cert, "certificate")?;
                pem.push(b'\n');
                pem.extend(read(key, "private key")?);
                // The error names the files only: never echo what is inside the key file.
                let identity = reqwest::Identity::from_pem(&pem).map_err(|_| {
                    CliError::usage(format!(
                        "cannot use --cert {} with --key {}: not a PEM certificate and matching private key",
                        cert.display(),
                        key.display()
                    ))
                })?;
                builder = builder.identity(identity);
            }
            (None, None) => {}
            _ => return Err(CliError::usage("--cert and --key go together")),
        }
        if let Some(ca) = &cfg.ca {
            let certs = reqwest::Certificate::from_pem_bundle(&read(ca, "CA bundle")?)
                .map_err(|e| CliError::usage(format!("--ca {}: {e}", ca.display())))?;
            if certs.is_empty() {
                return Err(CliError::usage(format!(
                    "--ca {}: no PEM certificate in it",
                    ca.display()
                )));
            }
            builder = builder.tls_certs_only(certs);
        }
        if let Some(a) = &cfg.audit_ref
            && reqwest::header::HeaderValue::from_str(a).is_err()
        {
            return Err(CliError::usage("--audit-ref: must be visible ASCII text"));
        }
        let http = builder
            .build()
            .map_err(|e| CliError::usage(format!("cannot set up TLS: {}", chain(&e))))?;
        Ok(Self {
            http,
            base,
            audit_ref: cfg.audit_ref.clone(),
        })
    }

    /// The API base URL (ending in `/zms/v1`).
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// `base` plus the segments, each percent-encoded as one path segment.
    pub fn url(&self, segments: &[&str], query: &[(&str, String)]) -> Result<Url> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|_| CliError::usage(format!("--zms {}: cannot be a base URL", self.base)))?
            .pop_if_empty()
            .extend(segments);
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        Ok(url)
    }

    async fn send(&self, method: Method, url: Url, body: Option<Vec<u8>>) -> Result<Option<Value>> {
        let mut req = self
            .http
            .request(method, url.clone())
            .header("Accept", "application/json");
        if let Some(a) = &self.audit_ref {
            req = req.header("Y-Audit-Ref", a);
        }
        if let Some(b) = body {
            req = req.header("Content-Type", "application/json").body(b);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| CliError::Connection(format!("{url}: {}", chain(&e))))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| {
            CliError::Connection(format!("{url}: reading the answer: {}", chain(&e)))
        })?;
        answer(status, &bytes)
    }

    /// `GET`: the answer's JSON.
    pub async fn get(&self, segments: &[&str], query: &[(&str, String)]) -> Result<Value> {
        let url = self.url(segments, query)?;
        self.send(Method::GET, url, None)
            .await?
            .ok_or_else(|| CliError::Response("empty body".into()))
    }

    /// `GET` decoded into a wire type, with the raw JSON kept for `--json`.
    pub async fn get_as<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &[(&str, String)],
    ) -> Result<(T, Value)> {
        let v = self.get(segments, query).await?;
        Ok((decode(&v)?, v))
    }

    /// `PUT` with a JSON body; the answer's JSON when it has one (most writes answer 204).
    pub async fn put<B: Serialize>(&self, segments: &[&str], body: &B) -> Result<Option<Value>> {
        let url = self.url(segments, &[])?;
        self.send(Method::PUT, url, Some(encode(body)?)).await
    }

    /// `POST` with a JSON body.
    pub async fn post<B: Serialize>(&self, segments: &[&str], body: &B) -> Result<Option<Value>> {
        let url = self.url(segments, &[])?;
        self.send(Method::POST, url, Some(encode(body)?)).await
    }

    /// `DELETE`.
    pub async fn delete(&self, segments: &[&str]) -> Result<Option<Value>> {
        let url = self.url(segments, &[])?;
        self.send(Method::DELETE, url, None).await
    }
}

fn encode<B: Serialize>(body: &B) -> Result<Vec<u8>> {
    serde_json::to_vec(body).map_err(|e| CliError::usage(format!("cannot encode request: {e}")))
}

/// Decodes a JSON value into a wire type.
pub fn decode<T: DeserializeOwned>(v: &Value) -> Result<T> {
    T::deserialize(v).map_err(|e| CliError::Response(e.to_string()))
}

/// Maps a status and body to the answer: JSON (or `None` when empty) for 2xx, else the
/// server's `{code, message}` as [`CliError::Server`].
pub fn answer(status: StatusCode, body: &[u8]) -> Result<Option<Value>> {
    if status.is_success() {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        return serde_json::from_slice(body)
            .map(Some)
            .map_err(|e| CliError::Response(format!("not JSON: {e}")));
    }
    let message = match serde_json::from_slice::<ResourceError>(body) {
        Ok(r) => r.message,
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let text: String = text
                .trim()
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_ECHO)
                .collect();
            if text.is_empty() {
                status.canonical_reason().unwrap_or("error").to_string()
            } else {
                text
            }
        }
    };
    Err(CliError::Server {
        code: status.as_u16(),
        message,
    })
}

/// An error with its sources, `outer: inner: …` (reqwest hides the useful part in the chain).
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_path_is_appended_once() {
        for (given, want) in [
            ("https://127.0.0.1:4443", "https://127.0.0.1:4443/zms/v1"),
            ("https://127.0.0.1:4443/", "https://127.0.0.1:4443/zms/v1"),
            ("https://h:1/zms/v1", "https://h:1/zms/v1"),
            ("https://h:1/zms/v1/", "https://h:1/zms/v1"),
            ("https://h/proxy", "https://h/proxy/zms/v1"),
        ] {
            assert_eq!(base_url(given).unwrap().as_str(), want, "{given}");
        }
        assert!(base_url("ftp://h").is_err());
        assert!(base_url("not a url").is_err());
    }

    #[test]
    fn segments_are_percent_encoded() {
        let c = Client::new(&ClientConfig {
            zms: "https://h:4443".into(),
            ..Default::default()
        })
        .unwrap();
        let u = c
            .url(
                &["access", "read", "d:a/b c"],
                &[("principal", "user.x&y".into())],
            )
            .unwrap();
        assert_eq!(
            u.as_str(),
            "https://h:4443/zms/v1/access/read/d:a%2Fb%20c?principal=user.x%26y"
        );
    }

    #[test]
    fn answers_map_to_values_and_errors() {
        assert_eq!(answer(StatusCode::NO_CONTENT, b"").unwrap(), None);
        assert_eq!(
            answer(StatusCode::OK, br#"{"granted":true}"#).unwrap(),
            Some(serde_json::json!({"granted": true}))
        );
        match answer(
            StatusCode::NOT_FOUND,
            br#"{"code":404,"message":"role not found: d:role.r"}"#,
        ) {
            Err(CliError::Server { code, message }) => {
                assert_eq!((code, message.as_str()), (404, "role not found: d:role.r"));
            }
            other => panic!("{other:?}"),
        }
        match answer(StatusCode::BAD_GATEWAY, b"") {
            Err(CliError::Server { code: 502, message }) => assert_eq!(message, "Bad Gateway"),
            other => panic!("{other:?}"),
        }
        match answer(StatusCode::INTERNAL_SERVER_ERROR, b"oops\n") {
            Err(CliError::Server { code: 500, message }) => assert_eq!(message, "oops"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn audit_ref_must_be_a_header_value() {
        let cfg = ClientConfig {
            zms: "https://h".into(),
            audit_ref: Some("a\nb".into()),
            ..Default::default()
        };
        assert_eq!(Client::new(&cfg).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn cert_without_key_is_a_usage_error() {
        let cfg = ClientConfig {
            zms: "https://h".into(),
            cert: Some("c.pem".into()),
            ..Default::default()
        };
        assert_eq!(Client::new(&cfg).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn bad_key_file_error_does_not_echo_its_content() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        std::fs::write(&cert, "not a cert").unwrap();
        std::fs::write(
            &key,
            "-----BEGIN PRIVATE KEY-----\nSECRETSECRET\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        let cfg = ClientConfig {
            zms: "https://h".into(),
            cert: Some(cert),
            key: Some(key),
            ..Default::default()
        };
        let e = Client::new(&cfg).unwrap_err().to_string();
        assert!(!e.contains("SECRET"), "{e}");
    }
}
