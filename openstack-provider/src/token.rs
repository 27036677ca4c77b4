//! The attestation token (docs/openstack.md §1, "The attestation token"): a compact JWS (RFC 7515
//! §7.1) whose payload is a JWT claims set, signed ES256 (EC P-256) or RS256 (RSA) with the
//! provider's signing key. Segments are base64url without padding.
//!
//! This module signs and verifies only; it knows nothing of HTTP. Verification checks, in order:
//! structure, `alg`, signature, `iss`, then (when asked) `exp`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use model::crypto::{CryptoError, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

/// Longest token accepted for verification; a real one is well under 2 KiB.
const MAX_TOKEN_LEN: usize = 16 * 1024;

/// The claims of an attestation token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The provider service name (`provider_name`).
    pub iss: String,
    /// The instance id (Nova server uuid).
    pub sub: String,
    /// The OpenStack project id.
    pub project_id: String,
    /// Nova's hostname for the instance.
    pub hostname: String,
    /// The image id.
    pub image_id: String,
    /// The Athenz domain asked for (metadata `athenz_domain`).
    pub domain: String,
    /// The Athenz service asked for (metadata `athenz_service`).
    pub service: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
}

/// Why a token does not verify. Messages are safe to return to a caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a compact JWS, bad base64url, header or claims not the expected JSON.
    #[error("malformed: {0}")]
    Malformed(&'static str),
    /// `alg` is not the one of the provider's key (`none` included).
    #[error("algorithm {0:?} is not the provider key's")]
    Algorithm(String),
    /// The signature does not verify with the provider's key.
    #[error("signature does not verify with the provider's key")]
    BadSignature,
    /// `iss` is not this provider.
    #[error("issued by {found:?}, not by this provider {expected:?}")]
    WrongIssuer {
        /// The token's `iss`.
        found: String,
        /// This provider's name.
        expected: String,
    },
    /// `exp` is past.
    #[error("expired at {exp} (now {now})")]
    Expired {
        /// The token's `exp`.
        exp: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// The key could not sign (should not happen with a loaded key).
    #[error("signing failed")]
    Signing,
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    alg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    typ: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kid: Option<String>,
}

/// Signs `claims` with `key` into a compact JWS, header
/// `{"alg": "ES256"|"RS256", "typ": "JWT", "kid": kid}`.
pub fn sign(key: &SigningKey, kid: &str, claims: &Claims) -> Result<String, TokenError> {
    let header = Header {
        alg: key.jws_alg().to_string(),
        typ: Some("JWT".into()),
        kid: Some(kid.to_string()),
    };
    let header = serde_json::to_vec(&header).map_err(|_| TokenError::Signing)?;
    let payload = serde_json::to_vec(claims).map_err(|_| TokenError::Signing)?;
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let sig = key
        .sign_jws(signing_input.as_bytes())
        .map_err(|_| TokenError::Signing)?;
    Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig)))
}

/// What a verification checks besides the signature.
#[derive(Debug, Clone, Copy)]
pub struct Expect<'a> {
    /// The required `iss`: this provider's name.
    pub issuer: &'a str,
    /// The verifier's clock (seconds since the epoch).
    pub now: i64,
    /// Whether `exp` must not be past. Registration checks it; refresh does not, since the
    /// token's lifetime bounds registration only (docs/openstack.md §3, check 1).
    pub check_expiry: bool,
}

/// Verifies `token` with `key` and returns its claims, or the first check that failed.
pub fn verify(key: &VerifyingKey, token: &str, expect: Expect<'_>) -> Result<Claims, TokenError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::Malformed("token too long"));
    }
    let mut parts = token.trim().split('.');
    let (Some(h64), Some(p64), Some(s64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed("not three dot-separated segments"));
    };
    let header = URL_SAFE_NO_PAD
        .decode(h64)
        .map_err(|_| TokenError::Malformed("header is not base64url"))?;
    let header: Header = serde_json::from_slice(&header)
        .map_err(|_| TokenError::Malformed("header is not a JWS header"))?;
    let sig = URL_SAFE_NO_PAD
        .decode(s64)
        .map_err(|_| TokenError::Malformed("signature is not base64url"))?;
    let signing_input = &token.trim()[..h64.len() + 1 + p64.len()];
    key.verify_jws(&header.alg, signing_input.as_bytes(), &sig)
        .map_err(|e| match e {
            CryptoError::UnsupportedAlgorithm(_) | CryptoError::AlgorithmMismatch { .. } => {
                TokenError::Algorithm(header.alg.chars().take(32).collect())
            }
            _ => TokenError::BadSignature,
        })?;
    let payload = URL_SAFE_NO_PAD
        .decode(p64)
        .map_err(|_| TokenError::Malformed("claims are not base64url"))?;
    let claims: Claims = serde_json::from_slice(&payload)
        .map_err(|_| TokenError::Malformed("claims are not the attestation claims"))?;
    if claims.iss != expect.issuer {
        return Err(TokenError::WrongIssuer {
            found: claims.iss.chars().take(128).collect(),
            expected: expect.issuer.to_string(),
        });
    }
    if expect.check_expiry && claims.exp <= expect.now {
        return Err(TokenError::Expired {
            exp: claims.exp,
            now: expect.now,
        });
    }
    Ok(claims)
}

#[cfg(test)]
mod tests;
