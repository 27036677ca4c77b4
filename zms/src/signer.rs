//! ZMS's signature over domain data: ybase64 signatures over canonical JSON for the
//! `SignedDomains` feed (Athenz `SignUtils`), and flattened JWS for `GET /domain/{name}/signed`.

use anyhow::Context;
use model::crypto::{JwsSignatureFormat, SigningKey};
use model::zms::JWSDomain;
use std::path::Path;

/// The configured signing key and its published id.
#[derive(Debug)]
pub struct DomainSigner {
    key: SigningKey,
    key_id: String,
}

impl DomainSigner {
    /// Loads a PKCS#8 PEM key (EC P-256 or RSA).
    pub fn load(path: &Path, key_id: &str) -> anyhow::Result<Self> {
        let pem = std::fs::read_to_string(path)
            .with_context(|| format!("reading signing key {}", path.display()))?;
        let key = SigningKey::from_pem(&pem)
            .with_context(|| format!("signing key {}", path.display()))?;
        Ok(Self {
            key,
            key_id: key_id.to_string(),
        })
    }

    /// The key id published with signatures.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The public key as PEM.
    pub fn public_key_pem(&self) -> String {
        self.key.public_key_pem()
    }

    /// ybase64 signature over the canonical JSON of `value`.
    pub fn sign_canonical<T: serde::Serialize>(&self, value: &T) -> anyhow::Result<String> {
        let text = model::canonical::to_canonical_string(value)?;
        let sig = self.key.sign_asn1(text.as_bytes())?;
        Ok(model::ybase64::encode(&sig))
    }

    /// Flattened JWS over `payload`; the signature is DER unless `p1363` (Athenz
    /// `signJwsDomain`, `?signaturep1363format=true`).
    pub fn sign_jws(&self, payload: &[u8], p1363: bool) -> anyhow::Result<JWSDomain> {
        let format = if p1363 {
            JwsSignatureFormat::P1363
        } else {
            JwsSignatureFormat::Der
        };
        let jws = model::crypto::sign_flattened_jws(&self.key, &self.key_id, payload, format)?;
        Ok(JWSDomain {
            payload: jws.payload,
            protected: jws.protected,
            header: jws.header,
            signature: jws.signature,
        })
    }
}
