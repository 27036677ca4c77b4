//! TLS for the servers: rustls over aws-lc-rs, client certificates requested (not required, so
//! `/status` and ZTS registration answer anyone) and verified against the configured CAs. The
//! principal is the certificate's CN.

use anyhow::Context;
use rustls::RootCertStore;
use rustls::server::{ServerConfig, WebPkiClientVerifier};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The caller of one connection, as its verified client certificate says.
#[derive(Debug, Clone, Default)]
pub struct Peer {
    /// `domain.service` or `user.<name>`, lowercased; `None` without a usable client certificate.
    pub principal: Option<Arc<str>>,
    /// The verified leaf certificate (DER), for callers that need more than the CN (ZTS refresh
    /// reads its serial and instance id).
    pub cert: Option<Arc<CertificateDer<'static>>>,
}

impl Peer {
    /// The peer of a connection whose client chain (if any) rustls verified.
    pub fn from_certs(certs: Option<&[CertificateDer<'_>]>) -> Self {
        let leaf = certs.and_then(|c| c.first());
        Self {
            principal: principal_of(certs),
            cert: leaf.map(|c| Arc::new(c.clone().into_owned())),
        }
    }
}

/// The process-wide crypto provider: aws-lc-rs, the only one in the dependency graph.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Reads every certificate in a PEM file.
pub fn load_certs(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .with_context(|| format!("reading {}", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("parsing {}", path.display()))?;
    anyhow::ensure!(
        !certs.is_empty(),
        "{}: no certificate found",
        path.display()
    );
    Ok(certs)
}

/// Trust roots from PEM files.
pub fn roots(files: &[PathBuf]) -> anyhow::Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for f in files {
        for c in load_certs(f)? {
            roots
                .add(c)
                .with_context(|| format!("CA certificate in {}", f.display()))?;
        }
    }
    Ok(roots)
}

/// Server TLS: this certificate chain and key, client certificates from `client_cas` accepted.
pub fn server_config(
    cert: &Path,
    key: &Path,
    client_cas: &[PathBuf],
) -> anyhow::Result<Arc<ServerConfig>> {
    let verifier =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots(client_cas)?), provider())
            .allow_unauthenticated()
            .build()?;
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("reading key {}", key.display()))?;
    let mut sc = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(load_certs(cert)?, key)?;
    sc.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(sc))
}

/// The principal named by a verified client certificate: its CN, which must be a dotted name
/// (`domain.service`, `user.name`). Role certificates (`domain:role.r`) are not principals here.
pub fn principal_of(certs: Option<&[CertificateDer<'_>]>) -> Option<Arc<str>> {
    let leaf = certs?.first()?;
    let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref()).ok()?;
    let cn = cert.subject().iter_common_name().next()?.as_str().ok()?;
    let lower = cn.to_ascii_lowercase();
    (model::names::is_compound_name(&lower) && lower.contains('.')).then(|| Arc::from(lower))
}
