//! Service private keys. New keys are ECDSA P-256 by default (small, fast; ZTS signs any key the CSR
//! carries) or RSA 2048 for compatibility with Athenz's Go SIA, which only writes RSA keys
//! (`libs/go/sia/util/util.go` `GenerateKeyPair`). Keys written by Athenz itself are PKCS#1
//! (`RSA PRIVATE KEY`), so refresh must load PKCS#1, SEC1 (`EC PRIVATE KEY`) and PKCS#8 alike.

use crate::error::{Error, Result};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// The algorithm of a newly generated key (`key_type` in `sia_config`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyType {
    /// ECDSA on P-256, signed with SHA-256 (default).
    #[default]
    Ecdsa,
    /// RSA 2048, signed with SHA-256 (Athenz Go SIA compatible).
    Rsa,
}

impl std::str::FromStr for KeyType {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "ecdsa" | "ec" => Ok(KeyType::Ecdsa),
            "rsa" => Ok(KeyType::Rsa),
            other => Err(Error::Config(vec![format!(
                "key_type `{other}` is not supported (use \"ecdsa\" or \"rsa\")"
            )])),
        }
    }
}

/// A private key together with the PEM it is stored as. The PEM is kept as read so a refresh
/// never rewrites (or re-encodes) a key it did not create. `Debug` never shows the key.
pub struct PrivateKey {
    pair: rcgen::KeyPair,
    pem: String,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey")
            .field("algorithm", &self.algorithm_name())
            .finish_non_exhaustive()
    }
}

impl PrivateKey {
    /// Generates a new key; its PEM is PKCS#8 (`PRIVATE KEY`).
    pub fn generate(kind: KeyType) -> Result<Self> {
        let pair = match kind {
            KeyType::Ecdsa => rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
            // aws-lc-rs is the rcgen backend that can generate RSA keys.
            KeyType::Rsa => {
                rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
            }
        }
        .map_err(|e| Error::Key(format!("unable to generate {kind:?} key: {e}")))?;
        let pem = pair.serialize_pem();
        Ok(Self { pair, pem })
    }

    /// Loads a PEM key: PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`) or SEC1
    /// (`EC PRIVATE KEY`); RSA or ECDSA P-256/P-384.
    pub fn from_pem(pem: &str) -> Result<Self> {
        let der = PrivateKeyDer::from_pem_slice(pem.as_bytes())
            .map_err(|e| Error::Key(format!("no PEM private key found: {e}")))?;
        let pair = rcgen::KeyPair::try_from(&der)
            .map_err(|e| Error::Key(format!("unsupported private key: {e}")))?;
        Ok(Self {
            pair,
            pem: pem.to_string(),
        })
    }

    /// The PEM text (as generated or as loaded).
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// The rcgen key pair, for signing the CSR.
    pub fn key_pair(&self) -> &rcgen::KeyPair {
        &self.pair
    }

    /// The raw public key bits (the SubjectPublicKeyInfo BIT STRING content), used to check that
    /// an issued certificate carries this key.
    pub fn public_key_raw(&self) -> &[u8] {
        self.pair.public_key_raw()
    }

    /// `"ECDSA"` or `"RSA"` (for logs).
    pub fn algorithm_name(&self) -> &'static str {
        if self.pair.algorithm() == &rcgen::PKCS_RSA_SHA256 {
            "RSA"
        } else {
            "ECDSA"
        }
    }

    /// The key as PKCS#8 DER, whatever format it was loaded from.
    pub fn pkcs8_der(&self) -> PrivatePkcs8KeyDer<'static> {
        PrivatePkcs8KeyDer::from(self.pair.serialize_der())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_round_trip_through_pem() {
        for kind in [KeyType::Ecdsa, KeyType::Rsa] {
            let k = PrivateKey::generate(kind).unwrap();
            assert!(k.pem().starts_with("-----BEGIN PRIVATE KEY-----"));
            let again = PrivateKey::from_pem(k.pem()).unwrap();
            assert_eq!(again.public_key_raw(), k.public_key_raw());
            assert_eq!(
                again.algorithm_name(),
                if kind == KeyType::Rsa { "RSA" } else { "ECDSA" }
            );
            assert!(!format!("{k:?}").contains("BEGIN"));
        }
    }

    #[test]
    fn loads_pkcs1_and_sec1_keys() {
        // Keys encoded the way Athenz's Go SIA (PKCS#1) and `openssl ecparam` (SEC1) write them.
        let rsa = openssl::rsa::Rsa::generate(2048).unwrap();
        let pem = String::from_utf8(rsa.private_key_to_pem().unwrap()).unwrap();
        assert!(pem.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
        let k = PrivateKey::from_pem(&pem).unwrap();
        assert_eq!(k.algorithm_name(), "RSA");
        assert_eq!(k.pem(), pem);
        assert_eq!(k.public_key_raw(), rsa.public_key_to_der_pkcs1().unwrap());

        let group =
            openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap();
        let ec = openssl::ec::EcKey::generate(&group).unwrap();
        let pem = String::from_utf8(ec.private_key_to_pem().unwrap()).unwrap();
        assert!(pem.starts_with("-----BEGIN EC PRIVATE KEY-----"));
        let k = PrivateKey::from_pem(&pem).unwrap();
        assert_eq!(k.algorithm_name(), "ECDSA");
        let mut ctx = openssl::bn::BigNumContext::new().unwrap();
        let point = ec
            .public_key()
            .to_bytes(
                &group,
                openssl::ec::PointConversionForm::UNCOMPRESSED,
                &mut ctx,
            )
            .unwrap();
        assert_eq!(k.public_key_raw(), point);
    }

    #[test]
    fn rejects_garbage_and_unknown_key_types() {
        assert!(matches!(PrivateKey::from_pem("nope"), Err(Error::Key(_))));
        assert!("dsa".parse::<KeyType>().is_err());
        assert_eq!("RSA".parse::<KeyType>().unwrap(), KeyType::Rsa);
    }
}
