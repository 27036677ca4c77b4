//! The HTTPS callback provider (`InstanceHttpProvider`): ZTS posts the InstanceConfirmation to
//! `<endpoint>/instance` (register) or `<endpoint>/refresh`, presenting its own client certificate
//! so the provider can refuse every other caller, and accepts the provider only if its TLS
//! certificate chains to the configured provider CAs and its CN names the provider service
//! (`ProviderHostnameVerifier`). A 200 carries the provider's InstanceConfirmation; any other
//! status refuses; no answer in time is a gateway timeout.

use super::{Provider, ProviderError};
use model::zts::InstanceConfirmation;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// TLS and timeouts for provider calls.
#[derive(Debug, Clone)]
pub struct ProviderTls {
    /// CAs the provider's certificate must chain to.
    pub ca_files: Vec<PathBuf>,
    /// ZTS's client certificate chain.
    pub client_cert: PathBuf,
    /// Its key.
    pub client_key: PathBuf,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout.
    pub read_timeout: Duration,
}

/// One callback provider.
#[derive(Debug)]
pub struct HttpProvider {
    endpoint: String,
    client: reqwest::Client,
}

/// Chain check as usual, but the name checked is the certificate's CN against the provider.
#[derive(Debug)]
struct ProviderNameVerifier {
    inner: Arc<WebPkiServerVerifier>,
    provider: String,
}

impl ServerCertVerifier for ProviderNameVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Ok(_) => {}
            // webpki checks the chain before the name: a name mismatch means the chain is good.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => {}
            Err(e) => return Err(e),
        }
        let cn = server_common::tls::principal_of(Some(std::slice::from_ref(end_entity)));
        if cn.as_deref() == Some(self.provider.as_str()) {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "provider certificate does not name {}",
                self.provider
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

impl HttpProvider {
    /// A client for provider `name` at `endpoint`.
    pub fn new(name: &str, endpoint: &str, tls: &ProviderTls) -> anyhow::Result<Self> {
        let provider = server_common::tls::provider();
        let roots = Arc::new(server_common::tls::roots(&tls.ca_files)?);
        let inner = WebPkiServerVerifier::builder_with_provider(roots, provider.clone()).build()?;
        let verifier = Arc::new(ProviderNameVerifier {
            inner,
            provider: name.to_string(),
        });
        let certs = server_common::tls::load_certs(&tls.client_cert)?;
        let key = PrivateKeyDer::from_pem_file(&tls.client_key)?;
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_client_auth_cert(certs, key)?;
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(config)
            .connect_timeout(tls.connect_timeout)
            .timeout(tls.read_timeout)
            .build()?;
        Ok(Self {
            endpoint: endpoint.trim_end_matches('/').to_string(),
            client,
        })
    }

    async fn call(
        &self,
        path: &str,
        c: &InstanceConfirmation,
    ) -> Result<InstanceConfirmation, ProviderError> {
        let resp = self
            .client
            .post(format!("{}{path}", self.endpoint))
            .json(c)
            .send()
            .await
            .map_err(|e| ProviderError::Unreachable(error_chain(&e)))?;
        let status = resp.status();
        if status == reqwest::StatusCode::OK {
            return resp
                .json()
                .await
                .map_err(|e| ProviderError::Refused(format!("unreadable answer: {e}")));
        }
        let text = resp.text().await.unwrap_or_default();
        let text: String = text.chars().take(300).collect();
        let message = format!("{} {}", status.as_u16(), text);
        // A provider that cannot decide now (its own backend is down: 5xx) has not refused:
        // the caller should retry, so it is answered as an unavailable provider (504).
        if status.is_server_error() {
            Err(ProviderError::Unreachable(message))
        } else {
            Err(ProviderError::Refused(message))
        }
    }
}

#[async_trait::async_trait]
impl Provider for HttpProvider {
    async fn confirm(
        &self,
        c: &InstanceConfirmation,
    ) -> Result<InstanceConfirmation, ProviderError> {
        self.call("/instance", c).await
    }

    async fn refresh(
        &self,
        c: &InstanceConfirmation,
    ) -> Result<InstanceConfirmation, ProviderError> {
        self.call("/refresh", c).await
    }
}

/// An error with its causes (`a: b: c`): reqwest's own message says only that sending failed,
/// while the reason an operator needs (a TLS name mismatch, a refused connection) is a cause.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let next = cause.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = cause.source();
    }
    text
}
