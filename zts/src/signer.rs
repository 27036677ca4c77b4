//! The certificate signer: ZTS's CA issues service certificates from checked CSRs. Subject and SANs
//! come from the CSR verbatim (ZTS adds none, as Athenz), the serial is 160 random bits, key usage
//! and EKU follow `certUsage`, AKI/SKI are set, and the CA chain is returned beside the leaf.

use crate::csr::Csr;
use anyhow::Context;
use rcgen::{ExtendedKeyUsagePurpose, Issuer, KeyPair, KeyUsagePurpose, SerialNumber};
use std::path::Path;
use time::{Duration, OffsetDateTime};

/// What the certificate may be used for (provider attribute `certUsage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    /// TLS client and server (the default).
    Both,
    /// TLS client only.
    Client,
    /// TLS server only.
    Server,
}

impl Usage {
    /// Parses `certUsage`; unknown values are refused by the caller.
    pub fn parse(v: &str) -> Option<Self> {
        match v.to_ascii_lowercase().as_str() {
            "client" => Some(Self::Client),
            "server" => Some(Self::Server),
            "" | "client,server" | "server,client" => Some(Self::Both),
            _ => None,
        }
    }
}

/// A random serial: 20 bytes, positive and without a leading zero byte so its DER form (and so
/// the hex the certificate record keeps) is exactly these bytes.
pub fn new_serial() -> anyhow::Result<Vec<u8>> {
    let mut b = [0u8; 20];
    aws_lc_rs::rand::fill(&mut b).map_err(|_| anyhow::anyhow!("no randomness"))?;
    b[0] = (b[0] & 0x7f) | 0x40;
    Ok(b.to_vec())
}

/// ZTS's CA.
pub struct CertSigner {
    issuer: Issuer<'static, KeyPair>,
    chain_pem: String,
    /// DER of the CA's subject name, to recognize certificates this CA issued.
    subject: Vec<u8>,
}

impl std::fmt::Debug for CertSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CertSigner { .. }")
    }
}

impl CertSigner {
    /// Loads the CA certificate (chain) and key.
    pub fn load(cert: &Path, key: &Path) -> anyhow::Result<Self> {
        let chain_pem =
            std::fs::read_to_string(cert).with_context(|| format!("reading {}", cert.display()))?;
        let key_pem =
            std::fs::read_to_string(key).with_context(|| format!("reading {}", key.display()))?;
        let kp = KeyPair::from_pem(&key_pem).context("CA key")?;
        let issuer = Issuer::from_ca_cert_pem(&chain_pem, kp).context("CA certificate")?;
        let ders = server_common::tls::load_certs(cert)?;
        let first = ders.first().context("no CA certificate")?;
        let (_, ca) = x509_parser::parse_x509_certificate(first.as_ref())
            .context("parsing CA certificate")?;
        let subject = ca.subject().as_raw().to_vec();
        Ok(Self {
            issuer,
            chain_pem,
            subject,
        })
    }

    /// Whether `der` names this CA as its issuer (TLS already verified its signature chain).
    pub fn issued(&self, der: &[u8]) -> bool {
        x509_parser::parse_x509_certificate(der)
            .is_ok_and(|(_, c)| c.issuer().as_raw() == self.subject.as_slice())
    }

    /// The CA chain (PEM), returned as `x509CertificateSigner`.
    pub fn chain_pem(&self) -> &str {
        &self.chain_pem
    }

    /// Signs the CSR for `minutes` with `serial`.
    pub fn sign(
        &self,
        csr: &Csr,
        usage: Usage,
        minutes: u32,
        serial: &[u8],
    ) -> anyhow::Result<String> {
        let mut req = csr.request.clone();
        let p = &mut req.params;
        let now = OffsetDateTime::now_utc();
        p.not_before = now - Duration::minutes(5);
        p.not_after = now + Duration::minutes(i64::from(minutes));
        p.serial_number = Some(SerialNumber::from_slice(serial));
        p.is_ca = rcgen::IsCa::ExplicitNoCa;
        p.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        p.extended_key_usages = match usage {
            Usage::Both => vec![
                ExtendedKeyUsagePurpose::ClientAuth,
                ExtendedKeyUsagePurpose::ServerAuth,
            ],
            Usage::Client => vec![ExtendedKeyUsagePurpose::ClientAuth],
            Usage::Server => vec![ExtendedKeyUsagePurpose::ServerAuth],
        };
        p.use_authority_key_identifier_extension = true;
        Ok(req.signed_by(&self.issuer)?.pem())
    }
}
