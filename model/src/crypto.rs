//! Signing helpers shared by ZMS (signs domain data), ZTS and ZPE: PEM key loading, the
//! signature forms Athenz puts on the wire, and the flattened JWS of `GET /domain/{name}/signed`.
//!
//! Two signature encodings exist for ECDSA and Athenz uses both:
//! - **ASN.1 DER** (`SHA256withECDSA` in Java): what Athenz `Crypto.sign`
//!   (`libs/java/auth_core/.../auth/util/Crypto.java`) produces. The ybase64 signatures of
//!   canonical JSON (`SignedDomain.signature`, `SignedPolicies.signature`) are always DER, and
//!   so, by default, is the JWS signature of `JWSDomain`/`JWSPolicyData` (see
//!   [`JwsSignatureFormat`]).
//! - **IEEE P1363** fixed `r‖s` (RFC 7518 §3.4): the standard ES256 JWS form, used by Athenz
//!   only when the client asks for it (`?signaturep1363format=true`).
//!
//! RSA uses PKCS#1 v1.5 with SHA-256 in every case (`SHA256withRSA`, RS256).
//!
//! Supported keys: ECDSA P-256 and RSA 2048–8192 bits, which is what Athenz servers and
//! services use. Error messages never contain key bytes.

use std::collections::BTreeMap;
use std::fmt;

use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _, ParsedPublicKey, RsaKeyPair};
use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{PrivateKeyDer, SubjectPublicKeyInfoDer};
use serde::{Deserialize, Serialize};

use crate::ybase64;

/// base64url without padding for encoding (RFC 7515 §2), lenient about padding when decoding
/// because Java's `Base64.getUrlDecoder()`, which Athenz verifiers use, accepts both.
pub(crate) const B64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Smallest and largest RSA modulus accepted, in bits (aws-lc-rs' `RSA_PKCS1_2048_8192_*`).
const RSA_MIN_BITS: usize = 2048;
const RSA_MAX_BITS: usize = 8192;

/// Anything that can go wrong loading keys, signing or verifying.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The text holds no usable PEM section of the expected kind, or the PEM is malformed.
    #[error("invalid PEM: {0}")]
    Pem(&'static str),
    /// The key was found but is not one this crate supports or is malformed.
    #[error("unsupported or invalid key: {0}")]
    InvalidKey(String),
    /// The ybase64 wrapper of a PEM public key is not valid ybase64.
    #[error("invalid ybase64-encoded public key: {0}")]
    Ybase64(#[from] ybase64::Ybase64Error),
    /// The crypto library refused to sign (should not happen with a loaded key).
    #[error("signing failed")]
    SigningFailed,
    /// The signature does not match the message and key.
    #[error("signature verification failed")]
    BadSignature,
    /// A JWS names an algorithm this crate does not verify (`none` included).
    #[error("unsupported JWS algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// A JWS names an algorithm that does not belong to the verifying key's type.
    #[error("JWS algorithm {alg:?} does not match the {key:?} verifying key")]
    AlgorithmMismatch {
        /// The `alg` the JWS claims.
        alg: String,
        /// The type of the key it was checked against.
        key: KeyAlgorithm,
    },
    /// The JWS structure is malformed (bad base64url, header not a JSON object, …).
    #[error("malformed JWS: {0}")]
    MalformedJws(&'static str),
}

/// The type of a key; decides the JWS `alg` and the signature scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// ECDSA over P-256 with SHA-256 (JWS `ES256`).
    Ec,
    /// RSA PKCS#1 v1.5 with SHA-256 (JWS `RS256`).
    Rsa,
}

impl KeyAlgorithm {
    /// The JWS `alg` name Athenz writes for this key type (`Crypto.ES256` / `Crypto.RS256`).
    pub fn jws_alg(self) -> &'static str {
        match self {
            KeyAlgorithm::Ec => "ES256",
            KeyAlgorithm::Rsa => "RS256",
        }
    }
}

/// How the signature of an ES256 flattened JWS is encoded. Ignored for RSA keys.
///
/// Athenz ZMS `signJwsDomain` (`servers/zms/.../ZMSImpl.java`) and ZTS `signJwsPolicyData`
/// sign with `Crypto.sign` (DER) and convert to P1363 only when the request carries
/// `signaturep1363format=true`; Java verifiers (`Crypto.validateJWSDocument`) expect DER.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum JwsSignatureFormat {
    /// ASN.1 DER `SEQUENCE { r, s }`: Athenz's default for JWSDomain / JWSPolicyData.
    #[default]
    Der,
    /// Fixed-width `r‖s` (64 bytes for P-256), as RFC 7518 §3.4 specifies for ES256.
    P1363,
}

enum SigningInner {
    // Two key pairs from the same private key: aws-lc-rs fixes the signature encoding per key
    // pair, and Athenz needs both encodings.
    Ec {
        asn1: EcdsaKeyPair,
        fixed: EcdsaKeyPair,
    },
    Rsa(RsaKeyPair),
}

/// A private key that signs in the forms Athenz uses. Cheap to share behind an `Arc`.
pub struct SigningKey {
    inner: SigningInner,
    verifying: VerifyingKey,
}

impl fmt::Debug for SigningKey {
    // Manual so that no key material can ever reach a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm())
            .finish()
    }
}

fn rejected(what: &str, err: aws_lc_rs::error::KeyRejected) -> CryptoError {
    // `KeyRejected`'s description is a fixed word ("InvalidEncoding", "WrongAlgorithm", …),
    // never key bytes.
    CryptoError::InvalidKey(format!("{what}: {err}"))
}

impl SigningKey {
    /// Loads the first private key in `pem`: PKCS#8 `PRIVATE KEY` (ECDSA P-256 or RSA),
    /// SEC1 `EC PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`. Other PEM sections (certificates,
    /// `EC PARAMETERS`) are skipped. Encrypted keys are not supported.
    pub fn from_pem(pem: &str) -> Result<Self, CryptoError> {
        let der = PrivateKeyDer::from_pem_slice(pem.as_bytes()).map_err(pem_error)?;
        Self::from_der(&der)
    }

    /// Loads a DER private key (as `from_pem` does, minus the PEM armour).
    pub fn from_der(der: &PrivateKeyDer<'_>) -> Result<Self, CryptoError> {
        let inner = match der {
            PrivateKeyDer::Pkcs8(pkcs8) => {
                let bytes = pkcs8.secret_pkcs8_der();
                match ec_pair_from_pkcs8_or_sec1(bytes) {
                    Ok(inner) => inner,
                    Err(ec_err) => match RsaKeyPair::from_pkcs8(bytes) {
                        Ok(pair) => SigningInner::Rsa(pair),
                        Err(rsa_err) => {
                            return Err(CryptoError::InvalidKey(format!(
                                "PKCS#8 key is neither ECDSA P-256 ({ec_err}) nor RSA 2048-8192 bits ({rsa_err})"
                            )));
                        }
                    },
                }
            }
            PrivateKeyDer::Sec1(sec1) => ec_pair_from_pkcs8_or_sec1(sec1.secret_sec1_der())
                .map_err(|err| rejected("SEC1 key is not a valid ECDSA P-256 key", err))?,
            PrivateKeyDer::Pkcs1(pkcs1) => RsaKeyPair::from_der(pkcs1.secret_pkcs1_der())
                .map(SigningInner::Rsa)
                .map_err(|err| rejected("PKCS#1 key is not a valid RSA 2048-8192 bit key", err))?,
            _ => return Err(CryptoError::InvalidKey("unknown private key format".into())),
        };
        let spki = match &inner {
            SigningInner::Ec { asn1, .. } => asn1.public_key().as_der(),
            SigningInner::Rsa(pair) => pair.public_key().as_der(),
        }
        .map_err(|_| CryptoError::InvalidKey("cannot encode the public key".into()))?;
        let verifying = VerifyingKey::from_spki_der(spki.as_ref())?;
        Ok(Self { inner, verifying })
    }

    /// The key's type.
    pub fn algorithm(&self) -> KeyAlgorithm {
        match self.inner {
            SigningInner::Ec { .. } => KeyAlgorithm::Ec,
            SigningInner::Rsa(_) => KeyAlgorithm::Rsa,
        }
    }

    /// Signs `msg` as Athenz `Crypto.sign` does: ECDSA-SHA256 with a DER signature, or RSA
    /// PKCS#1 v1.5 SHA-256. This is the form ybase64-encoded into `SignedDomain.signature`.
    pub fn sign_asn1(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let rng = SystemRandom::new();
        match &self.inner {
            SigningInner::Ec { asn1, .. } => asn1
                .sign(&rng, msg)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|_| CryptoError::SigningFailed),
            SigningInner::Rsa(pair) => rsa_sign(pair, &rng, msg),
        }
    }

    /// `ybase64(sign_asn1(msg))`: Athenz's `Crypto.sign(String, PrivateKey)`, the signature
    /// string of signed domains and policies over their canonical JSON.
    pub fn sign_ybase64(&self, msg: &[u8]) -> Result<String, CryptoError> {
        self.sign_asn1(msg).map(|sig| ybase64::encode(&sig))
    }

    /// Signs `msg` in the RFC 7518 JWS form: ES256 fixed `r‖s` (64 bytes), or RS256.
    pub fn sign_jws(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let rng = SystemRandom::new();
        match &self.inner {
            SigningInner::Ec { fixed, .. } => fixed
                .sign(&rng, msg)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|_| CryptoError::SigningFailed),
            SigningInner::Rsa(pair) => rsa_sign(pair, &rng, msg),
        }
    }

    /// The JWS `alg` for this key: `ES256` or `RS256`.
    pub fn jws_alg(&self) -> &'static str {
        self.algorithm().jws_alg()
    }

    /// The public half as a SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`), the form
    /// Athenz publishes (ybase64-encoded) as a ZMS/ZTS or service public key.
    pub fn public_key_pem(&self) -> String {
        self.verifying.to_pem()
    }

    /// The matching verifying key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.verifying
    }
}

fn ec_pair_from_pkcs8_or_sec1(der: &[u8]) -> Result<SigningInner, aws_lc_rs::error::KeyRejected> {
    // `from_private_key_der` takes PKCS#8 as well as SEC1 (RFC 5915) and checks the curve.
    let asn1 = EcdsaKeyPair::from_private_key_der(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, der)?;
    let fixed =
        EcdsaKeyPair::from_private_key_der(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der)?;
    Ok(SigningInner::Ec { asn1, fixed })
}

fn rsa_sign(pair: &RsaKeyPair, rng: &SystemRandom, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut sig = vec![0u8; pair.public_modulus_len()];
    pair.sign(&signature::RSA_PKCS1_SHA256, rng, msg, &mut sig)
        .map_err(|_| CryptoError::SigningFailed)?;
    Ok(sig)
}

fn pem_error(err: rustls_pki_types::pem::Error) -> CryptoError {
    use rustls_pki_types::pem::Error as E;
    // Only fixed texts: the pem error's Display can quote input lines.
    CryptoError::Pem(match err {
        E::NoItemsFound => "no key of a supported kind found",
        E::MissingSectionEnd { .. } => "a section has no END line",
        E::IllegalSectionStart { .. } => "malformed BEGIN line",
        E::Base64Decode(_) => "section body is not valid base64",
        E::SectionTooLarge => "section too large",
        _ => "unreadable PEM",
    })
}

#[derive(Clone)]
enum VerifyingInner {
    Ec {
        asn1: ParsedPublicKey,
        fixed: ParsedPublicKey,
    },
    Rsa(ParsedPublicKey),
}

/// A public key that verifies the signatures [`SigningKey`] makes (and Java/Go Athenz make).
#[derive(Clone)]
pub struct VerifyingKey {
    inner: VerifyingInner,
    /// Canonical SubjectPublicKeyInfo DER, re-encoded by aws-lc-rs.
    spki_der: Vec<u8>,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("algorithm", &self.algorithm())
            .finish()
    }
}

impl PartialEq for VerifyingKey {
    fn eq(&self, other: &Self) -> bool {
        self.spki_der == other.spki_der
    }
}

impl Eq for VerifyingKey {}

impl VerifyingKey {
    /// Loads the first `-----BEGIN PUBLIC KEY-----` (SubjectPublicKeyInfo) section of `pem`.
    pub fn from_pem(pem: &str) -> Result<Self, CryptoError> {
        let der = SubjectPublicKeyInfoDer::from_pem_slice(pem.as_bytes()).map_err(pem_error)?;
        Self::from_spki_der(der.as_ref())
    }

    /// Loads a public key stored as Athenz stores service keys (`PublicKeyEntry.key`, ZMS/ZTS
    /// public keys in config): the ybase64 encoding of the PEM text.
    pub fn from_ybase64_pem(text: &str) -> Result<Self, CryptoError> {
        let bytes = ybase64::decode(text.trim())?;
        let pem = std::str::from_utf8(&bytes)
            .map_err(|_| CryptoError::Pem("decoded ybase64 key is not UTF-8 text"))?;
        Self::from_pem(pem)
    }

    /// Loads a DER SubjectPublicKeyInfo: an ECDSA P-256 or RSA 2048–8192 bit key.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, CryptoError> {
        if let Ok(asn1) = ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, der) {
            let fixed = ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, der)
                .map_err(|err| rejected("EC public key", err))?;
            return Self::with_inner(VerifyingInner::Ec { asn1, fixed });
        }
        let rsa = aws_lc_rs::rsa::PublicKey::from_der(der).map_err(|_| {
            CryptoError::InvalidKey("public key is neither ECDSA P-256 nor RSA".into())
        })?;
        let bits = rsa.modulus_len() * 8;
        if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
            return Err(CryptoError::InvalidKey(format!(
                "RSA public key of {bits} bits is outside {RSA_MIN_BITS}-{RSA_MAX_BITS}"
            )));
        }
        let parsed = ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der)
            .map_err(|err| rejected("RSA public key", err))?;
        Self::with_inner(VerifyingInner::Rsa(parsed))
    }

    fn with_inner(inner: VerifyingInner) -> Result<Self, CryptoError> {
        let parsed = match &inner {
            VerifyingInner::Ec { asn1, .. } => asn1,
            VerifyingInner::Rsa(parsed) => parsed,
        };
        let spki: PublicKeyX509Der<'static> = parsed
            .as_der()
            .map_err(|_| CryptoError::InvalidKey("cannot encode the public key".into()))?;
        Ok(Self {
            inner,
            spki_der: spki.as_ref().to_vec(),
        })
    }

    /// The key's type.
    pub fn algorithm(&self) -> KeyAlgorithm {
        match self.inner {
            VerifyingInner::Ec { .. } => KeyAlgorithm::Ec,
            VerifyingInner::Rsa(_) => KeyAlgorithm::Rsa,
        }
    }

    /// The SubjectPublicKeyInfo DER.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The key as a `-----BEGIN PUBLIC KEY-----` PEM, 64-column lines, trailing newline.
    pub fn to_pem(&self) -> String {
        pem_encode("PUBLIC KEY", &self.spki_der)
    }

    /// The key as Athenz stores it: ybase64 of [`Self::to_pem`].
    pub fn to_ybase64_pem(&self) -> String {
        ybase64::encode(self.to_pem().as_bytes())
    }

    /// Verifies a [`SigningKey::sign_asn1`] signature (DER ECDSA-SHA256 / RSA PKCS#1 SHA-256),
    /// i.e. Athenz `Crypto.verify`.
    pub fn verify_asn1(&self, msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
        let key = match &self.inner {
            VerifyingInner::Ec { asn1, .. } => asn1,
            VerifyingInner::Rsa(parsed) => parsed,
        };
        key.verify_sig(msg, sig)
            .map_err(|_| CryptoError::BadSignature)
    }

    /// Verifies a ybase64 signature string over `msg` (Athenz `Crypto.verify(String, key,
    /// String)`), as found in `SignedDomain.signature`.
    pub fn verify_ybase64(&self, msg: &[u8], sig: &str) -> Result<(), CryptoError> {
        let sig = ybase64::decode(sig).map_err(|_| CryptoError::BadSignature)?;
        self.verify_asn1(msg, &sig)
    }

    /// Verifies an RFC 7518 JWS signature: `alg` must be `ES256` (fixed `r‖s`) for an EC key
    /// or `RS256` for an RSA key; anything else, `none` included, is refused.
    pub fn verify_jws(&self, alg: &str, msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
        self.check_alg(alg)?;
        let key = match &self.inner {
            VerifyingInner::Ec { fixed, .. } => fixed,
            VerifyingInner::Rsa(parsed) => parsed,
        };
        key.verify_sig(msg, sig)
            .map_err(|_| CryptoError::BadSignature)
    }

    fn check_alg(&self, alg: &str) -> Result<(), CryptoError> {
        let claimed = match alg {
            "ES256" => KeyAlgorithm::Ec,
            "RS256" => KeyAlgorithm::Rsa,
            // Bounded so an attacker-chosen header cannot flood the logs.
            other => {
                return Err(CryptoError::UnsupportedAlgorithm(
                    other.chars().take(32).collect(),
                ));
            }
        };
        if claimed != self.algorithm() {
            return Err(CryptoError::AlgorithmMismatch {
                alg: alg.to_owned(),
                key: self.algorithm(),
            });
        }
        Ok(())
    }
}

/// Writes DER as PEM with 64-character lines (RFC 7468 §2).
fn pem_encode(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut out = String::with_capacity(body.len() + body.len() / 64 + 2 * label.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    // base64 output is ASCII, so splitting on byte boundaries never cuts a character.
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

/// A flattened JWS JSON serialization (RFC 7515 §7.2.2), Athenz's `JWSDomain` /
/// `JWSPolicyData` (`core/zms/.../JWSDomain.java`: `payload`, `protected`, `header`,
/// `signature`, all strings, base64url without padding).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlattenedJws {
    /// base64url of the payload bytes (for `JWSDomain`, the JSON of `DomainData`).
    pub payload: String,
    /// base64url of the protected header JSON `{"kid":"…","alg":"…"}`.
    pub protected: String,
    /// Unprotected header; Athenz puts `{"kid": key_id}` here.
    pub header: BTreeMap<String, String>,
    /// base64url of the signature over `protected || "." || payload`.
    pub signature: String,
}

#[derive(Deserialize)]
struct ProtectedHeader {
    alg: Option<serde_json::Value>,
    kid: Option<serde_json::Value>,
    crit: Option<serde_json::Value>,
}

impl FlattenedJws {
    /// The `kid` of the protected header, which Athenz verifiers (`Crypto.validateJWSDocument`)
    /// use to pick the public key. `None` when the header has no string `kid`.
    pub fn protected_key_id(&self) -> Result<Option<String>, CryptoError> {
        let header = parse_protected(&self.protected)?;
        Ok(match header.kid {
            Some(serde_json::Value::String(kid)) => Some(kid),
            _ => None,
        })
    }
}

fn parse_protected(protected: &str) -> Result<ProtectedHeader, CryptoError> {
    let bytes = B64URL
        .decode(protected)
        .map_err(|_| CryptoError::MalformedJws("protected header is not base64url"))?;
    serde_json::from_slice(&bytes)
        .map_err(|_| CryptoError::MalformedJws("protected header is not a JSON object"))
}

/// Signs `payload` into a flattened JWS exactly as Athenz ZMS `signJwsDomain` does: protected
/// header `{"kid":"<key_id>","alg":"ES256"|"RS256"}` (that member order), unprotected header
/// `{"kid": key_id}`, signature over `base64url(protected) "." base64url(payload)`, all
/// base64url without padding. `format` chooses the ES256 signature encoding (Athenz default:
/// [`JwsSignatureFormat::Der`]).
pub fn sign_flattened_jws(
    key: &SigningKey,
    key_id: &str,
    payload: &[u8],
    format: JwsSignatureFormat,
) -> Result<FlattenedJws, CryptoError> {
    // Built by hand to keep Athenz's member order (kid first); serde_json escapes the id.
    let kid_json = serde_json::to_string(key_id)
        .map_err(|_| CryptoError::MalformedJws("key id cannot be encoded"))?;
    let header_json = format!(r#"{{"kid":{kid_json},"alg":"{}"}}"#, key.jws_alg());
    let protected = B64URL.encode(header_json.as_bytes());
    let payload = B64URL.encode(payload);
    let signing_input = format!("{protected}.{payload}");
    let sig = match format {
        JwsSignatureFormat::Der => key.sign_asn1(signing_input.as_bytes())?,
        JwsSignatureFormat::P1363 => key.sign_jws(signing_input.as_bytes())?,
    };
    Ok(FlattenedJws {
        payload,
        protected,
        header: BTreeMap::from([("kid".to_owned(), key_id.to_owned())]),
        signature: B64URL.encode(sig),
    })
}

/// Verifies a flattened JWS against `key` and returns the decoded payload.
///
/// The protected header must name `ES256` for an EC key or `RS256` for an RSA key; `none`,
/// any other algorithm, a mismatch, or a `crit` header (RFC 7515 §4.1.11: we understand no
/// extensions) is refused. For ES256 both encodings are accepted, P1363 and DER, because
/// Athenz servers send DER unless the client asked for P1363 ([`JwsSignatureFormat`]); either
/// one proves possession of the same key over the same bytes.
pub fn verify_flattened_jws(
    jws: &FlattenedJws,
    key: &VerifyingKey,
) -> Result<Vec<u8>, CryptoError> {
    let header = parse_protected(&jws.protected)?;
    if header.crit.is_some() {
        return Err(CryptoError::MalformedJws(
            "unsupported critical header parameters",
        ));
    }
    let alg = match header.alg {
        Some(serde_json::Value::String(alg)) => alg,
        Some(_) => return Err(CryptoError::MalformedJws("alg is not a string")),
        None => return Err(CryptoError::MalformedJws("protected header has no alg")),
    };
    key.check_alg(&alg)?;
    let sig = B64URL
        .decode(&jws.signature)
        .map_err(|_| CryptoError::MalformedJws("signature is not base64url"))?;
    let payload = B64URL
        .decode(&jws.payload)
        .map_err(|_| CryptoError::MalformedJws("payload is not base64url"))?;
    let signing_input = format!("{}.{}", jws.protected, jws.payload);
    let msg = signing_input.as_bytes();
    match &key.inner {
        VerifyingInner::Rsa(parsed) => verify_with(parsed, msg, &sig)?,
        VerifyingInner::Ec { asn1, fixed } => {
            // A P-256 P1363 signature is exactly 64 bytes; try that form first when the length
            // fits, then DER (a DER signature can also be 64 bytes long).
            let fixed_ok = sig.len() == 64 && verify_with(fixed, msg, &sig).is_ok();
            if !fixed_ok {
                verify_with(asn1, msg, &sig)?;
            }
        }
    }
    Ok(payload)
}

fn verify_with(key: &ParsedPublicKey, msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
    key.verify_sig(msg, sig)
        .map_err(|_| CryptoError::BadSignature)
}

#[cfg(test)]
mod tests;
