//! The certificate signer: ZTS's CA issues service certificates from checked CSRs. Subject and SANs
//! come from the CSR verbatim (ZTS adds none, as Athenz), the serial is 160 random bits, key usage
//! and EKU follow `certUsage`, AKI/SKI are set, and the CA chain is returned beside the leaf.

use crate::csr::Csr;
use anyhow::Context;
use rcgen::{ExtendedKeyUsagePurpose, Issuer, KeyPair, KeyUsagePurpose, SerialNumber};
#[cfg(test)]
use rustls_pki_types::pem::PemObject;
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
    /// The CA certificate (DER), to recognize certificates it issued.
    ca_der: Vec<u8>,
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
        x509_parser::parse_x509_certificate(first.as_ref()).context("parsing CA certificate")?;
        Ok(Self {
            issuer,
            chain_pem,
            ca_der: first.as_ref().to_vec(),
        })
    }

    /// Whether this CA signed `der`: TLS accepts every configured client CA, but only this CA's
    /// certificates are instance identities that may refresh.
    pub fn issued(&self, der: &[u8]) -> bool {
        let (Ok((_, cert)), Ok((_, ca))) = (
            x509_parser::parse_x509_certificate(der),
            x509_parser::parse_x509_certificate(&self.ca_der),
        ) else {
            return false;
        };
        cert.verify_signature(Some(ca.public_key())).is_ok()
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

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, PKCS_ECDSA_P256_SHA256, PKCS_RSA_SHA256,
    };

    fn ca_files(
        dir: &Path,
        alg: &'static rcgen::SignatureAlgorithm,
    ) -> (std::path::PathBuf, std::path::PathBuf) {
        let key = KeyPair::generate_for(alg).unwrap();
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, "Test CA");
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = p.self_signed(&key).unwrap();
        let (c, k) = (dir.join("ca.pem"), dir.join("ca.key"));
        std::fs::write(&c, cert.pem()).unwrap();
        std::fs::write(&k, key.serialize_pem()).unwrap();
        (c, k)
    }

    fn csr() -> Csr {
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(vec!["api.weather.example".to_string()]).unwrap();
        p.distinguished_name.push(DnType::CommonName, "weather.api");
        Csr::parse(&p.serialize_request(&key).unwrap().pem().unwrap()).unwrap()
    }

    #[test]
    fn signs_with_ec_and_rsa_cas_and_recognizes_its_certificates() {
        for alg in [&PKCS_ECDSA_P256_SHA256, &PKCS_RSA_SHA256] {
            let dir = tempfile::tempdir().unwrap();
            let (c, k) = ca_files(dir.path(), alg);
            let signer = CertSigner::load(&c, &k).unwrap();
            let serial = new_serial().unwrap();
            let pem = signer.sign(&csr(), Usage::Client, 60, &serial).unwrap();
            let der = rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
            let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).unwrap();
            assert_eq!(cert.raw_serial(), serial.as_slice(), "serial kept exactly");
            assert!(signer.issued(der.as_ref()));
            let other = tempfile::tempdir().unwrap();
            let (c2, k2) = ca_files(other.path(), &PKCS_ECDSA_P256_SHA256);
            assert!(
                !CertSigner::load(&c2, &k2).unwrap().issued(der.as_ref()),
                "another CA, even with the same name, did not issue it"
            );
        }
    }

    #[test]
    fn serials_are_positive_160_bit() {
        for _ in 0..100 {
            let s = new_serial().unwrap();
            assert_eq!(s.len(), 20);
            assert!(s[0] & 0x80 == 0 && s[0] & 0x40 != 0);
        }
    }
}
