//! Attestation tokens the test makes itself (`docs/openstack.md` §1, "The attestation token"):
//! compact ES256 JWS with the provider's claims, signed with any PKCS#8 EC P-256 key — the
//! provider's own (to forge what an honest provider never issues: an expired token, an unbound
//! project) or another (a token the provider did not sign). Also reads a token's claims.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::{Value, json};
use std::path::Path;

/// The claims of an attestation token.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    /// `iss`: the provider service.
    pub iss: String,
    /// `sub`: the instance id.
    pub sub: String,
    /// `project_id`.
    pub project_id: String,
    /// `hostname`.
    pub hostname: String,
    /// `image_id`.
    pub image_id: String,
    /// `domain`.
    pub domain: String,
    /// `service`.
    pub service: String,
    /// `iat`.
    pub iat: i64,
    /// `exp`.
    pub exp: i64,
}

impl Claims {
    /// The claims as JSON.
    pub fn to_json(&self) -> Value {
        json!({"iss": self.iss, "sub": self.sub, "project_id": self.project_id,
            "hostname": self.hostname, "image_id": self.image_id, "domain": self.domain,
            "service": self.service, "iat": self.iat, "exp": self.exp})
    }

    /// Parses claims from JSON.
    pub fn from_json(v: &Value) -> anyhow::Result<Self> {
        let s = |k: &str| -> anyhow::Result<String> {
            v.get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| anyhow::anyhow!("claim {k} missing"))
        };
        let n = |k: &str| -> anyhow::Result<i64> {
            v.get(k)
                .and_then(Value::as_i64)
                .ok_or_else(|| anyhow::anyhow!("claim {k} missing"))
        };
        Ok(Self {
            iss: s("iss")?,
            sub: s("sub")?,
            project_id: s("project_id")?,
            hostname: s("hostname")?,
            image_id: s("image_id")?,
            domain: s("domain")?,
            service: s("service")?,
            iat: n("iat")?,
            exp: n("exp")?,
        })
    }
}

/// The header and claims of a compact JWS (not verified).
pub fn decode(token: &str) -> anyhow::Result<(Value, Value)> {
    let mut parts = token.split('.');
    let (Some(h), Some(c), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        anyhow::bail!("not a compact JWS: {token:?}");
    };
    Ok((
        serde_json::from_slice(&B64.decode(h)?)?,
        serde_json::from_slice(&B64.decode(c)?)?,
    ))
}

/// Signs `claims` with the PKCS#8 EC P-256 key in `key_pem` as ES256 with `kid`.
pub fn sign_es256(key_pem: &str, kid: &str, claims: &Value) -> anyhow::Result<String> {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
    let der = rcgen::KeyPair::from_pem(key_pem)?.serialize_der();
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der)
        .map_err(|e| anyhow::anyhow!("not an EC P-256 PKCS#8 key: {e}"))?;
    let header = json!({"alg": "ES256", "typ": "JWT", "kid": kid});
    let input = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    );
    let sig = key
        .sign(&aws_lc_rs::rand::SystemRandom::new(), input.as_bytes())
        .map_err(|e| anyhow::anyhow!("sign: {e}"))?;
    Ok(format!("{input}.{}", B64.encode(sig.as_ref())))
}

/// Signs `claims` with the key file at `key_file`.
pub fn sign_with_file(key_file: &Path, kid: &str, claims: &Claims) -> anyhow::Result<String> {
    sign_es256(&std::fs::read_to_string(key_file)?, kid, &claims.to_json())
}

/// Writes a new PKCS#8 EC P-256 key (PEM) to `path`.
pub fn new_signing_key(path: &Path) -> anyhow::Result<()> {
    let key = rcgen::KeyPair::generate()?;
    server_common::devca::write_private(path, &key.serialize_pem())
}

/// Seconds since the epoch now.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
