//! The ZTS client: register (`POST /zts/v1/instance`, 201, no client certificate) and refresh
//! (`POST /zts/v1/instance/{provider}/{domain}/{service}/{instanceId}`, 200, mTLS with the current
//! certificate), as declared in `core/zts/src/main/rdl/Instance.rdli`; role certificates
//! (`POST /zts/v1/rolecert`, `RoleCert.rdli`) and access tokens (`POST /zts/v1/oauth2/token`,
//! `OAuth.rdli`), both 200 over mTLS with the service identity. TLS is rustls
//! (aws-lc-rs) through reqwest; the server is trusted through a CA bundle file, or the system
//! roots when none is given.

use crate::error::{Error, Result};
use model::zts::{InstanceIdentity, InstanceRefreshInformation, InstanceRegisterInformation};
use model::zts_token::{AccessTokenResponse, RoleCertificate, RoleCertificateRequest};
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Connect timeout for ZTS requests.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Whole-request timeout; ZTS itself waits up to 30 s for a provider (`provider_read_timeout_ms`).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A ZTS endpoint: `https://<host>:<port>/zts/v1` plus the CA bundle that signs its certificate.
#[derive(Debug, Clone)]
pub struct ZtsClient {
    base: String,
    ca_file: Option<PathBuf>,
    user_agent: String,
}

impl ZtsClient {
    /// A client for `https://<host>:<port>/zts/v1` (Athenz siad's `-zts`/`-ztsport`).
    pub fn new(host: &str, port: u16, ca_file: Option<&Path>) -> Self {
        Self::with_base_url(&format!("https://{host}:{port}/zts/v1"), ca_file)
    }

    /// A client for an explicit base URL ending in `/zts/v1`.
    pub fn with_base_url(base: &str, ca_file: Option<&Path>) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            ca_file: ca_file.map(Path::to_path_buf),
            user_agent: format!("athenz-rs-sia/{}", env!("CARGO_PKG_VERSION")),
        }
    }

    /// The base URL (`https://host:port/zts/v1`).
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Registers a new instance. ZTS answers 201 with the identity; any other status is
    /// [`Error::Zts`] with the server's message.
    pub async fn register(&self, info: &InstanceRegisterInformation) -> Result<InstanceIdentity> {
        let http = self.http(None)?;
        let url = format!("{}/instance", self.base);
        let resp = http.post(&url).json(info).send().await.map_err(transport)?;
        decode(resp, 201, "InstanceIdentity").await
    }

    /// Refreshes an instance's certificate over mTLS with `cert_pem`/`key_pem` (the current
    /// identity). ZTS answers 200; any other status is [`Error::Zts`].
    #[allow(
        clippy::too_many_arguments,
        reason = "mirrors the Athenz refresh path parameters"
    )]
    pub async fn refresh(
        &self,
        provider: &str,
        domain: &str,
        service: &str,
        instance_id: &str,
        info: &InstanceRefreshInformation,
        cert_pem: &str,
        key_pem: &str,
    ) -> Result<InstanceIdentity> {
        let http = self.http(Some(client_identity(cert_pem, key_pem)?))?;
        let url = format!(
            "{}/instance/{}/{}/{}/{}",
            self.base,
            segment(provider),
            segment(domain),
            segment(service),
            segment(instance_id)
        );
        let resp = http.post(&url).json(info).send().await.map_err(transport)?;
        decode(resp, 200, "InstanceIdentity").await
    }

    /// Asks for a role certificate (`POST /rolecert`, Athenz `postRoleCertificateRequestExt`)
    /// over mTLS with the service identity `cert_pem`/`key_pem`: the CSR's principal URI must
    /// name that identity. ZTS answers 200; 403 when the principal is not in the role.
    pub async fn role_certificate(
        &self,
        req: &RoleCertificateRequest,
        cert_pem: &str,
        key_pem: &str,
    ) -> Result<RoleCertificate> {
        let http = self.http(Some(client_identity(cert_pem, key_pem)?))?;
        let url = format!("{}/rolecert", self.base);
        let resp = http.post(&url).json(req).send().await.map_err(transport)?;
        decode(resp, 200, "RoleCertificate").await
    }

    /// Asks for an access token (`POST /oauth2/token`, Athenz `libs/go/sia/access/tokens`
    /// `Fetch`) over mTLS with the service identity. `form` is the urlencoded body
    /// (`grant_type=client_credentials&expires_in=…&scope=…`). ZTS answers 200; 403 when the
    /// principal has none of the roles.
    pub async fn access_token(
        &self,
        form: &str,
        cert_pem: &str,
        key_pem: &str,
    ) -> Result<AccessTokenResponse> {
        let http = self.http(Some(client_identity(cert_pem, key_pem)?))?;
        let url = format!("{}/oauth2/token", self.base);
        let resp = http
            .post(&url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(form.to_string())
            .send()
            .await
            .map_err(transport)?;
        decode(resp, 200, "AccessTokenResponse").await
    }

    fn http(&self, identity: Option<reqwest::Identity>) -> Result<reqwest::Client> {
        let mut b = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(self.user_agent.clone())
            .tls_backend_rustls();
        if let Some(ca) = &self.ca_file {
            let pem = std::fs::read(ca).map_err(|e| Error::io("read", ca, e))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| Error::Certificate(format!("CA bundle {}: {e}", ca.display())))?;
            if certs.is_empty() {
                return Err(Error::Certificate(format!(
                    "CA bundle {} holds no certificate",
                    ca.display()
                )));
            }
            b = b.tls_certs_only(certs);
        }
        if let Some(id) = identity {
            b = b.identity(id);
        }
        b.build()
            .map_err(|e| Error::Transport(format!("unable to build HTTPS client: {e}")))
    }
}

/// The TLS client identity: the PEM key followed by the PEM certificate.
fn client_identity(cert_pem: &str, key_pem: &str) -> Result<reqwest::Identity> {
    let mut pem = String::with_capacity(cert_pem.len() + key_pem.len() + 1);
    pem.push_str(key_pem);
    if !pem.ends_with('\n') {
        pem.push('\n');
    }
    pem.push_str(cert_pem);
    reqwest::Identity::from_pem(pem.as_bytes())
        .map_err(|e| Error::Certificate(format!("unusable client key/certificate: {e}")))
}

/// Percent-encodes a path segment; Athenz names never need it, but an instance id is a
/// PathElement that may carry `@`, `:` or `=` only, so only reserved characters are escaped.
fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~=+@$,:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn transport(e: reqwest::Error) -> Error {
    // The source chain holds the useful part (connection refused, certificate unknown, ...).
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    Error::Transport(msg)
}

async fn decode<T: DeserializeOwned>(
    resp: reqwest::Response,
    expected: u16,
    what: &str,
) -> Result<T> {
    let status = resp.status().as_u16();
    let body = resp.bytes().await.map_err(transport)?;
    if status != expected {
        return Err(Error::Zts {
            status,
            message: error_message(&body),
        });
    }
    serde_json::from_slice(&body)
        .map_err(|e| Error::Transport(format!("unreadable {what} from ZTS: {e}")))
}

/// The `message` of Athenz's `{"code","message"}` error body, or the (trimmed, bounded) body.
pub(crate) fn error_message(body: &[u8]) -> String {
    if let Ok(err) = serde_json::from_slice::<model::ResourceError>(body) {
        return err.message;
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "(empty body)".into();
    }
    text.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_come_from_the_athenz_error_body() {
        assert_eq!(
            error_message(br#"{"code":403,"message":"Certificate revoked"}"#),
            "Certificate revoked"
        );
        assert_eq!(error_message(b"  bad gateway \n"), "bad gateway");
        assert_eq!(error_message(b""), "(empty body)");
    }

    #[test]
    fn urls_are_athenz_shaped() {
        let c = ZtsClient::new("zts.example.com", 4443, None);
        assert_eq!(c.base_url(), "https://zts.example.com:4443/zts/v1");
        assert_eq!(segment("i-0abc"), "i-0abc");
        assert_eq!(segment("a/b c"), "a%2Fb%20c");
    }

    /// Serves one plain-HTTP request with `status` and `body`; yields the request text.
    async fn serve_once(
        status: u16,
        body: &'static str,
    ) -> (String, tokio::task::JoinHandle<String>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/zts/v1", l.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut req = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                let n = s.read(&mut buf).await.unwrap();
                req.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&req).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let len = text
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length: ")
                                .map(|v| v.trim().parse::<usize>().unwrap())
                        })
                        .unwrap_or(0);
                    if req.len() >= end + 4 + len {
                        break;
                    }
                }
            }
            let resp = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            s.write_all(resp.as_bytes()).await.unwrap();
            String::from_utf8(req).unwrap()
        });
        (base, task)
    }

    fn identity_pems() -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["x".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    }

    #[tokio::test]
    async fn role_certificate_and_access_token_requests_are_athenz_shaped() {
        let (cert, key) = identity_pems();
        let (base, task) = serve_once(200, r#"{"x509Certificate":"PEM"}"#).await;
        let req = RoleCertificateRequest {
            csr: "CSR".into(),
            proxy_for_principal: None,
            expiry_time: 0,
            prev_cert_not_before: None,
            prev_cert_not_after: None,
            x509_cert_signer_key_id: None,
        };
        let c = ZtsClient::with_base_url(&base, None);
        let rc = c.role_certificate(&req, &cert, &key).await.unwrap();
        assert_eq!(rc.x509_certificate, "PEM");
        let sent = task.await.unwrap();
        assert!(sent.starts_with("POST /zts/v1/rolecert HTTP/1.1"), "{sent}");
        assert!(sent.ends_with(r#"{"csr":"CSR","expiryTime":0}"#), "{sent}");

        let (base, task) = serve_once(
            200,
            r#"{"access_token":"T","token_type":"Bearer","expires_in":60}"#,
        )
        .await;
        let c = ZtsClient::with_base_url(&base, None);
        let form = "grant_type=client_credentials&expires_in=60&scope=d%3Adomain";
        let at = c.access_token(form, &cert, &key).await.unwrap();
        assert_eq!((at.access_token.as_str(), at.expires_in), ("T", Some(60)));
        let sent = task.await.unwrap();
        assert!(
            sent.starts_with("POST /zts/v1/oauth2/token HTTP/1.1"),
            "{sent}"
        );
        assert!(
            sent.to_ascii_lowercase()
                .contains("content-type: application/x-www-form-urlencoded"),
            "{sent}"
        );
        assert!(sent.ends_with(form), "{sent}");

        let (base, _task) = serve_once(403, r#"{"code":403,"message":"not a member"}"#).await;
        let c = ZtsClient::with_base_url(&base, None);
        let e = c.access_token(form, &cert, &key).await.unwrap_err();
        assert_eq!(e.to_string(), "ZTS returned 403: not a member");
    }

    #[tokio::test]
    async fn unreachable_zts_is_a_transport_error() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let c = ZtsClient::new("127.0.0.1", port, None);
        let e = c
            .register(&InstanceRegisterInformation::default())
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Transport(_)), "{e}");
    }
}
