//! The HTTPS client: hyper HTTP/1.1 over rustls (aws-lc-rs, as the servers), either kept alive
//! or opened for a single request.

use anyhow::{Context, Result};
use hyper::body::Body as _;
use hyper_util::rt::TokioIo;
use rustls::client::ResolvesClientCert;
use rustls::sign::{CertifiedKey, SigningKey};
use rustls::{RootCertStore, SignatureScheme};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// Trust roots from a PEM file.
pub(crate) fn roots(ca_file: &Path) -> Result<Arc<RootCertStore>> {
    let mut roots = RootCertStore::empty();
    for c in server_common::tls::load_certs(ca_file)? {
        roots.add(c)?;
    }
    Ok(Arc::new(roots))
}

/// Client TLS trusting `roots`, with an optional client certificate; HTTP/1.1 by ALPN. A new
/// config has an empty session cache, so its first connection is a full handshake.
pub(crate) fn connector(
    roots: &Arc<RootCertStore>,
    identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
) -> Result<TlsConnector> {
    let builder = rustls::ClientConfig::builder_with_provider(server_common::tls::provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(Arc::clone(roots));
    let mut cfg = match identity {
        Some((chain, key)) => builder.with_client_auth_cert(chain, key)?,
        None => builder.with_no_client_auth(),
    };
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsConnector::from(Arc::new(cfg)))
}

/// A client identity whose key is already loaded: building a config for a new certificate then
/// costs no key parsing (aws-lc checks each key it loads with a sign and a verify).
#[derive(Debug)]
struct Fixed(Arc<CertifiedKey>);

impl ResolvesClientCert for Fixed {
    fn resolve(&self, _: &[&[u8]], _: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(&self.0))
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// Loads a private key for [`connector_with`].
pub(crate) fn signing_key(key: &PrivateKeyDer<'_>) -> Result<Arc<dyn SigningKey>> {
    Ok(server_common::tls::provider()
        .key_provider
        .load_private_key(key.clone_key())?)
}

/// Like [`connector`] with a client certificate and an already loaded key.
pub(crate) fn connector_with(
    roots: &Arc<RootCertStore>,
    cert: CertificateDer<'static>,
    key: Arc<dyn SigningKey>,
) -> Result<TlsConnector> {
    let certified = Arc::new(CertifiedKey::new(vec![cert], key));
    let mut cfg = rustls::ClientConfig::builder_with_provider(server_common::tls::provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(Arc::clone(roots))
        .with_client_cert_resolver(Arc::new(Fixed(certified)));
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsConnector::from(Arc::new(cfg)))
}

/// One HTTP/1.1 connection over TLS.
pub(crate) struct Conn {
    sender: hyper::client::conn::http1::SendRequest<String>,
    host: String,
    addr: SocketAddr,
    tls: TlsConnector,
}

/// An answer: status and body.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body)
            .chars()
            .take(300)
            .collect()
    }

    pub(crate) fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_slice(&self.body).with_context(|| format!("answer {}", self.text()))
    }
}

impl Conn {
    pub(crate) async fn connect(addr: SocketAddr, tls: &TlsConnector) -> Result<Self> {
        let tcp = TcpStream::connect(addr).await?;
        tcp.set_nodelay(true)?;
        let name = ServerName::try_from(addr.ip().to_string())?;
        let stream = tls.connect(name, tcp).await?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Self {
            sender,
            host: addr.to_string(),
            addr,
            tls: tls.clone(),
        })
    }

    pub(crate) async fn reconnect(&mut self) -> Result<()> {
        *self = Self::connect(self.addr, &self.tls).await?;
        Ok(())
    }

    /// Sends one request; `body` empty means GET, else POST with a JSON body.
    pub(crate) async fn call(
        &mut self,
        path: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> Result<Answer> {
        self.sender.ready().await?;
        let mut req = hyper::Request::builder()
            .uri(path)
            .header(hyper::header::HOST, &self.host);
        req = if body.is_empty() {
            req.method(hyper::Method::GET)
        } else {
            req.method(hyper::Method::POST)
                .header(hyper::header::CONTENT_TYPE, "application/json")
        };
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = self
            .sender
            .send_request(req.body(body.to_string())?)
            .await?;
        let status = resp.status().as_u16();
        let mut incoming = resp.into_body();
        let mut buf = Vec::new();
        while let Some(frame) =
            std::future::poll_fn(|cx| Pin::new(&mut incoming).poll_frame(cx)).await
        {
            if let Ok(data) = frame?.into_data() {
                buf.extend_from_slice(&data);
            }
        }
        Ok(Answer { status, body: buf })
    }
}

/// Whether `needle` occurs in `hay` (a cheap check of measured answers; the first answer of each
/// row is parsed in full before measuring).
pub(crate) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
