//! Compact JWTs (RFC 7519) and JWKs (RFC 7517) as Athenz ZTS writes them: access tokens and ID
//! tokens are compact JWS signed with ZTS's private key (`ES256` with the fixed `r‖s` signature
//! of RFC 7518 §3.4, or `RS256`), and `GET /oauth2/keys` publishes the public keys as a JWK set
//! (`ZTSImpl.getJWKList`, `store/DataStore.java`; reference `athenz.md` §1.7, §1.9).

use crate::crypto::{B64URL, CryptoError, KeyAlgorithm, SigningKey, VerifyingKey};
use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// The decoded JOSE header of a compact JWT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwtHeader {
    /// `ES256` or `RS256`.
    pub alg: String,
    /// The key id that picks the verifying key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// `at+jwt` for access tokens (RFC 9068), `JWT` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
}

/// Signs `claims` into a compact JWT `header.payload.signature`.
pub fn sign(
    key: &SigningKey,
    kid: &str,
    typ: &str,
    claims: &impl Serialize,
) -> Result<String, CryptoError> {
    let header = JwtHeader {
        alg: key.jws_alg().to_string(),
        kid: Some(kid.to_string()),
        typ: Some(typ.to_string()),
    };
    let header = serde_json::to_vec(&header)
        .map_err(|_| CryptoError::MalformedJws("header cannot be encoded"))?;
    let payload = serde_json::to_vec(claims)
        .map_err(|_| CryptoError::MalformedJws("claims cannot be encoded"))?;
    let input = format!("{}.{}", B64URL.encode(header), B64URL.encode(payload));
    let sig = key.sign_jws(input.as_bytes())?;
    Ok(format!("{input}.{}", B64URL.encode(sig)))
}

/// A compact JWT split into its parts, the header decoded, nothing verified yet.
#[derive(Debug, Clone)]
pub struct UnverifiedJwt<'a> {
    /// The decoded header: its `kid` picks the key.
    pub header: JwtHeader,
    signing_input: &'a str,
    payload: &'a str,
    signature: &'a str,
}

impl<'a> UnverifiedJwt<'a> {
    /// Splits and decodes the header; refuses anything but three base64url parts.
    pub fn parse(token: &'a str) -> Result<Self, CryptoError> {
        let mut parts = token.splitn(4, '.');
        let (Some(h), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(CryptoError::MalformedJws(
                "a JWT has three dot-separated parts",
            ));
        };
        let bytes = B64URL
            .decode(h)
            .map_err(|_| CryptoError::MalformedJws("JWT header is not base64url"))?;
        let header: JwtHeader = serde_json::from_slice(&bytes)
            .map_err(|_| CryptoError::MalformedJws("JWT header is not a JOSE header"))?;
        let signing_input = &token[..h.len() + 1 + payload.len()];
        Ok(Self {
            header,
            signing_input,
            payload,
            signature,
        })
    }

    /// Verifies the signature with `key` (the header's `alg` must fit the key; `none` never
    /// does) and returns the payload bytes.
    pub fn verify(&self, key: &VerifyingKey) -> Result<Vec<u8>, CryptoError> {
        let sig = B64URL
            .decode(self.signature)
            .map_err(|_| CryptoError::MalformedJws("JWT signature is not base64url"))?;
        key.verify_jws(&self.header.alg, self.signing_input.as_bytes(), &sig)?;
        B64URL
            .decode(self.payload)
            .map_err(|_| CryptoError::MalformedJws("JWT payload is not base64url"))
    }
}

/// One JSON Web Key as ZTS publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// `EC` or `RSA`.
    pub kty: String,
    /// Key id (the `kid` of tokens it verifies).
    pub kid: String,
    /// `sig`.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "use")]
    pub use_: Option<String>,
    /// `ES256` or `RS256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// EC curve: `P-256` (RFC 7518), or `prime256v1` in Athenz's non-`rfc` form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// EC x coordinate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// RSA modulus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
}

/// `GET /oauth2/keys` answer (Athenz `JWKList`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwkList {
    /// The keys.
    pub keys: Vec<Jwk>,
}

/// SPKI prefix of an uncompressed P-256 point (id-ecPublicKey, prime256v1, BIT STRING of 66).
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// `AlgorithmIdentifier { rsaEncryption, NULL }`.
const RSA_ALG_ID: [u8; 15] = [
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];

impl Jwk {
    /// The JWK of `key`. `rfc` chooses RFC 7518's curve name `P-256` over the `prime256v1`
    /// Athenz returns without `?rfc=true`. Integers are unsigned big-endian either way.
    pub fn from_key(kid: &str, key: &VerifyingKey, rfc: bool) -> Result<Self, CryptoError> {
        let der = key.spki_der();
        let mut jwk = Jwk {
            kty: String::new(),
            kid: kid.to_string(),
            use_: Some("sig".into()),
            alg: Some(key.algorithm().jws_alg().into()),
            crv: None,
            x: None,
            y: None,
            n: None,
            e: None,
        };
        match key.algorithm() {
            KeyAlgorithm::Ec => {
                let point = der
                    .strip_prefix(&P256_SPKI_PREFIX[..])
                    .filter(|p| p.len() == 65 && p[0] == 4)
                    .ok_or_else(|| CryptoError::InvalidKey("unexpected EC key encoding".into()))?;
                jwk.kty = "EC".into();
                jwk.crv = Some(if rfc { "P-256" } else { "prime256v1" }.into());
                jwk.x = Some(B64URL.encode(&point[1..33]));
                jwk.y = Some(B64URL.encode(&point[33..]));
            }
            KeyAlgorithm::Rsa => {
                let (n, e) = rsa_components(der)
                    .ok_or_else(|| CryptoError::InvalidKey("unexpected RSA key encoding".into()))?;
                jwk.kty = "RSA".into();
                jwk.n = Some(B64URL.encode(n));
                jwk.e = Some(B64URL.encode(e));
            }
        }
        Ok(jwk)
    }

    /// The verifying key this JWK describes (EC P-256 or RSA).
    pub fn to_key(&self) -> Result<VerifyingKey, CryptoError> {
        let field = |v: &Option<String>, name: &'static str| {
            v.as_deref()
                .ok_or(CryptoError::MalformedJws(name))
                .and_then(|s| {
                    B64URL
                        .decode(s)
                        .map_err(|_| CryptoError::MalformedJws("JWK value is not base64url"))
                })
        };
        match self.kty.as_str() {
            "EC" => {
                if !matches!(
                    self.crv.as_deref(),
                    Some("P-256" | "prime256v1" | "secp256r1")
                ) {
                    return Err(CryptoError::InvalidKey(
                        "only P-256 EC keys are supported".into(),
                    ));
                }
                let (x, y) = (
                    field(&self.x, "EC JWK without x")?,
                    field(&self.y, "EC JWK without y")?,
                );
                if x.len() != 32 || y.len() != 32 {
                    return Err(CryptoError::InvalidKey(
                        "P-256 coordinates are 32 bytes".into(),
                    ));
                }
                let mut der = P256_SPKI_PREFIX.to_vec();
                der.push(4);
                der.extend_from_slice(&x);
                der.extend_from_slice(&y);
                VerifyingKey::from_spki_der(&der)
            }
            "RSA" => {
                let n = field(&self.n, "RSA JWK without n")?;
                let e = field(&self.e, "RSA JWK without e")?;
                let mut seq = der_integer(&n);
                seq.extend(der_integer(&e));
                let rsa_key = der_tlv(0x30, &seq);
                let mut bits = vec![0u8];
                bits.extend(rsa_key);
                let mut body = RSA_ALG_ID.to_vec();
                body.extend(der_tlv(0x03, &bits));
                VerifyingKey::from_spki_der(&der_tlv(0x30, &body))
            }
            other => Err(CryptoError::InvalidKey(format!(
                "unsupported JWK kty {:?}",
                other.chars().take(16).collect::<String>()
            ))),
        }
    }
}

/// Reads one DER TLV at the start of `input`: (tag, value, rest).
fn der_read(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&len0, rest) = rest.split_first()?;
    let (len, rest) = if len0 < 0x80 {
        (usize::from(len0), rest)
    } else {
        let n = usize::from(len0 & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |a, b| (a << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// `(n, e)` without leading zero bytes from an RSA SubjectPublicKeyInfo.
fn rsa_components(spki: &[u8]) -> Option<(&[u8], &[u8])> {
    let (_, body, _) = der_read(spki)?;
    let (_, _alg, rest) = der_read(body)?;
    let (tag, bits, _) = der_read(rest)?;
    let key = bits.strip_prefix(&[0u8][..]).filter(|_| tag == 0x03)?;
    let (_, seq, _) = der_read(key)?;
    let (_, n, rest) = der_read(seq)?;
    let (_, e, _) = der_read(rest)?;
    Some((trim_zeros(n), trim_zeros(e)))
}

fn trim_zeros(v: &[u8]) -> &[u8] {
    let first = v.iter().position(|b| *b != 0).unwrap_or(v.len());
    &v[first..]
}

fn der_tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(value);
    out
}

/// A positive DER INTEGER from unsigned big-endian bytes.
fn der_integer(unsigned: &[u8]) -> Vec<u8> {
    let v = trim_zeros(unsigned);
    let mut body = Vec::with_capacity(v.len() + 1);
    if v.first().is_none_or(|b| b & 0x80 != 0) {
        body.push(0);
    }
    body.extend_from_slice(v);
    der_tlv(0x02, &body)
}

#[cfg(test)]
mod tests;
