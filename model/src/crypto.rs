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
const B64URL: GeneralPurpose = GeneralPurpose::new(
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
mod tests {
    use super::*;
    use aws_lc_rs::encoding::Pkcs8V1Der;
    use aws_lc_rs::rsa::KeySize;
    use std::sync::OnceLock;

    fn ec_pem() -> String {
        rcgen::KeyPair::generate().unwrap().serialize_pem()
    }

    /// One RSA key for the whole test run: generation costs ~0.1–1 s.
    fn rsa_pem() -> &'static str {
        static PEM: OnceLock<String> = OnceLock::new();
        PEM.get_or_init(|| {
            let pair = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
            let der: Pkcs8V1Der<'static> = pair.as_der().unwrap();
            pem_encode("PRIVATE KEY", der.as_ref())
        })
    }

    fn keys() -> Vec<SigningKey> {
        vec![
            SigningKey::from_pem(&ec_pem()).unwrap(),
            SigningKey::from_pem(rsa_pem()).unwrap(),
        ]
    }

    #[test]
    fn loads_ec_and_rsa_pkcs8() {
        let ec = SigningKey::from_pem(&ec_pem()).unwrap();
        assert_eq!(ec.algorithm(), KeyAlgorithm::Ec);
        assert_eq!(ec.jws_alg(), "ES256");
        let rsa = SigningKey::from_pem(rsa_pem()).unwrap();
        assert_eq!(rsa.algorithm(), KeyAlgorithm::Rsa);
        assert_eq!(rsa.jws_alg(), "RS256");
    }

    #[test]
    fn debug_shows_no_key_material() {
        let ec = SigningKey::from_pem(&ec_pem()).unwrap();
        assert_eq!(format!("{ec:?}"), "SigningKey { algorithm: Ec }");
        let rsa = SigningKey::from_pem(rsa_pem()).unwrap();
        assert_eq!(format!("{rsa:?}"), "SigningKey { algorithm: Rsa }");
        assert_eq!(
            format!("{:?}", rsa.verifying_key()),
            "VerifyingKey { algorithm: Rsa }"
        );
    }

    #[test]
    fn sec1_ec_private_key_loads() {
        let pkcs8 = SigningKey::from_pem(&ec_pem()).unwrap();
        let SigningInner::Ec { asn1, .. } = &pkcs8.inner else {
            panic!("not EC")
        };
        let sec1 = asn1.private_key().as_der().unwrap();
        let pem = pem_encode("EC PRIVATE KEY", sec1.as_ref());
        let with_params = format!(
            "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n{pem}"
        );
        let key = SigningKey::from_pem(&with_params).unwrap();
        assert_eq!(key.algorithm(), KeyAlgorithm::Ec);
        assert_eq!(key.public_key_pem(), pkcs8.public_key_pem());
    }

    #[test]
    fn asn1_sign_verify_roundtrip_and_tamper() {
        for key in keys() {
            let vk = key.verifying_key();
            let sig = key.sign_asn1(b"canonical json").unwrap();
            vk.verify_asn1(b"canonical json", &sig).unwrap();
            assert_eq!(
                vk.verify_asn1(b"canonical jsoN", &sig),
                Err(CryptoError::BadSignature)
            );
            let mut bad = sig.clone();
            let last = bad.len() - 1;
            bad[last] ^= 1;
            assert_eq!(
                vk.verify_asn1(b"canonical json", &bad),
                Err(CryptoError::BadSignature)
            );
            // ybase64 string form.
            let y = key.sign_ybase64(b"doc").unwrap();
            vk.verify_ybase64(b"doc", &y).unwrap();
            assert!(vk.verify_ybase64(b"doc2", &y).is_err());
            assert!(vk.verify_ybase64(b"doc", "not+ybase64").is_err());
        }
    }

    #[test]
    fn ec_asn1_is_der_and_jws_is_fixed() {
        let key = SigningKey::from_pem(&ec_pem()).unwrap();
        let der = key.sign_asn1(b"m").unwrap();
        assert_eq!(der[0], 0x30, "DER SEQUENCE");
        assert!((8..=72).contains(&der.len()));
        let fixed = key.sign_jws(b"m").unwrap();
        assert_eq!(fixed.len(), 64);
        let vk = key.verifying_key();
        vk.verify_jws("ES256", b"m", &fixed).unwrap();
        // The two forms are not interchangeable at this level.
        assert!(vk.verify_asn1(b"m", &fixed).is_err());
        assert!(vk.verify_jws("ES256", b"m", &der).is_err());
    }

    #[test]
    fn jws_sign_verify_roundtrip_and_alg_checks() {
        for key in keys() {
            let vk = key.verifying_key();
            let sig = key.sign_jws(b"input").unwrap();
            vk.verify_jws(key.jws_alg(), b"input", &sig).unwrap();
            assert_eq!(
                vk.verify_jws(key.jws_alg(), b"inpuT", &sig),
                Err(CryptoError::BadSignature)
            );
            let other = if key.algorithm() == KeyAlgorithm::Ec {
                "RS256"
            } else {
                "ES256"
            };
            assert!(matches!(
                vk.verify_jws(other, b"input", &sig),
                Err(CryptoError::AlgorithmMismatch { .. })
            ));
            for bad_alg in ["none", "HS256", "es256", ""] {
                assert!(matches!(
                    vk.verify_jws(bad_alg, b"input", &sig),
                    Err(CryptoError::UnsupportedAlgorithm(_))
                ));
            }
        }
    }

    #[test]
    fn wrong_key_fails() {
        let a = SigningKey::from_pem(&ec_pem()).unwrap();
        let b = SigningKey::from_pem(&ec_pem()).unwrap();
        let sig = a.sign_asn1(b"msg").unwrap();
        assert_eq!(
            b.verifying_key().verify_asn1(b"msg", &sig),
            Err(CryptoError::BadSignature)
        );
        let rsa = SigningKey::from_pem(rsa_pem()).unwrap();
        assert_eq!(
            rsa.verifying_key().verify_asn1(b"msg", &sig),
            Err(CryptoError::BadSignature)
        );
        let jws = sign_flattened_jws(&a, "0", b"{}", JwsSignatureFormat::P1363).unwrap();
        assert_eq!(
            verify_flattened_jws(&jws, b.verifying_key()),
            Err(CryptoError::BadSignature)
        );
    }

    #[test]
    fn public_pem_parses_back_and_ybase64_form_too() {
        for key in keys() {
            let pem = key.public_key_pem();
            assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
            assert!(pem.ends_with("-----END PUBLIC KEY-----\n"));
            assert!(pem.lines().all(|l| l.len() <= 64));
            let vk = VerifyingKey::from_pem(&pem).unwrap();
            assert_eq!(vk.algorithm(), key.algorithm());
            assert_eq!(&vk, key.verifying_key());
            let y = ybase64::encode(pem.as_bytes());
            let from_y = VerifyingKey::from_ybase64_pem(&y).unwrap();
            assert_eq!(from_y, vk);
            assert_eq!(vk.to_ybase64_pem(), y);
            let sig = key.sign_asn1(b"x").unwrap();
            from_y.verify_asn1(b"x", &sig).unwrap();
        }
        let ec = SigningKey::from_pem(&ec_pem()).unwrap();
        // P-256 SPKI: 26-byte fixed prefix + 65-byte uncompressed point.
        assert_eq!(ec.verifying_key().spki_der().len(), 91);
    }

    #[test]
    fn rejects_bad_inputs_without_leaking() {
        assert_eq!(
            SigningKey::from_pem("").unwrap_err(),
            CryptoError::Pem("no key of a supported kind found")
        );
        assert!(matches!(
            SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
            Err(CryptoError::InvalidKey(_))
        ));
        assert!(
            SigningKey::from_pem(
                "-----BEGIN PRIVATE KEY-----\nQUJD!!\n-----END PRIVATE KEY-----\n"
            )
            .is_err()
        );
        // A public key is not a private key.
        let public = SigningKey::from_pem(&ec_pem()).unwrap().public_key_pem();
        assert!(SigningKey::from_pem(&public).is_err());
        // … and a private key is not a public key.
        assert!(VerifyingKey::from_pem(rsa_pem()).is_err());
        assert!(VerifyingKey::from_ybase64_pem("abc").is_err());
        assert!(VerifyingKey::from_ybase64_pem(&ybase64::encode(&[0xff, 0xfe])).is_err());
        // Error text never quotes the PEM body.
        let secret_body = "SECRETSECRETSECRET";
        let err = SigningKey::from_pem(&format!(
            "-----BEGIN PRIVATE KEY-----\n{secret_body}\n-----END PRIVATE KEY-----\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(!err.contains(secret_body), "{err}");
    }

    #[test]
    fn flattened_jws_roundtrip_matches_athenz_layout() {
        for key in keys() {
            for format in [JwsSignatureFormat::Der, JwsSignatureFormat::P1363] {
                let payload = br#"{"name":"sports","modified":"2024-01-01T00:00:00.000Z"}"#;
                let jws = sign_flattened_jws(&key, "zms.dev.0", payload, format).unwrap();
                let header = B64URL.decode(&jws.protected).unwrap();
                assert_eq!(
                    String::from_utf8(header).unwrap(),
                    format!(r#"{{"kid":"zms.dev.0","alg":"{}"}}"#, key.jws_alg())
                );
                assert_eq!(
                    jws.header,
                    BTreeMap::from([("kid".to_owned(), "zms.dev.0".to_owned())])
                );
                assert!(!jws.payload.contains('=') && !jws.signature.contains('='));
                assert_eq!(
                    jws.protected_key_id().unwrap().as_deref(),
                    Some("zms.dev.0")
                );
                let sig = B64URL.decode(&jws.signature).unwrap();
                if key.algorithm() == KeyAlgorithm::Ec {
                    match format {
                        JwsSignatureFormat::Der => assert_eq!(sig[0], 0x30),
                        JwsSignatureFormat::P1363 => assert_eq!(sig.len(), 64),
                    }
                }
                assert_eq!(
                    verify_flattened_jws(&jws, key.verifying_key()).unwrap(),
                    payload
                );
                // Wire field names.
                let json: serde_json::Value = serde_json::to_value(&jws).unwrap();
                let mut names: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
                names.sort();
                assert_eq!(names, ["header", "payload", "protected", "signature"]);
                let back: FlattenedJws = serde_json::from_value(json).unwrap();
                assert_eq!(back, jws);
            }
        }
    }

    #[test]
    fn flattened_jws_tampering_fails() {
        for key in keys() {
            let vk = key.verifying_key();
            let jws =
                sign_flattened_jws(&key, "0", br#"{"a":1}"#, JwsSignatureFormat::Der).unwrap();
            let mut tampered = jws.clone();
            tampered.payload = B64URL.encode(br#"{"a":2}"#);
            assert_eq!(
                verify_flattened_jws(&tampered, vk),
                Err(CryptoError::BadSignature)
            );
            // Re-labelling the key id in the protected header breaks the signature too.
            let mut relabel = jws.clone();
            relabel.protected =
                B64URL.encode(format!(r#"{{"kid":"1","alg":"{}"}}"#, key.jws_alg()));
            assert_eq!(
                verify_flattened_jws(&relabel, vk),
                Err(CryptoError::BadSignature)
            );
            // The unprotected header is not covered, as in RFC 7515.
            let mut unprotected = jws.clone();
            unprotected.header.insert("kid".into(), "other".into());
            assert!(verify_flattened_jws(&unprotected, vk).is_ok());
            let mut garbage = jws.clone();
            garbage.signature = "***".into();
            assert!(matches!(
                verify_flattened_jws(&garbage, vk),
                Err(CryptoError::MalformedJws(_))
            ));
        }
    }

    #[test]
    fn flattened_jws_alg_none_and_mismatch_refused() {
        let key = SigningKey::from_pem(&ec_pem()).unwrap();
        let vk = key.verifying_key();
        let payload = B64URL.encode(b"{}");
        for (header, want_unsupported) in [
            (r#"{"kid":"0","alg":"none"}"#, true),
            (r#"{"kid":"0","alg":"HS256"}"#, true),
            (r#"{"kid":"0","alg":"RS256"}"#, false),
        ] {
            let protected = B64URL.encode(header);
            let jws = FlattenedJws {
                payload: payload.clone(),
                protected,
                header: BTreeMap::new(),
                signature: String::new(),
            };
            let err = verify_flattened_jws(&jws, vk).unwrap_err();
            if want_unsupported {
                assert!(matches!(err, CryptoError::UnsupportedAlgorithm(_)), "{err}");
            } else {
                assert!(
                    matches!(err, CryptoError::AlgorithmMismatch { .. }),
                    "{err}"
                );
            }
        }
        for header in [
            r#"{"kid":"0"}"#,
            r#"{"alg":256}"#,
            "not json",
            r#"{"alg":"ES256","crit":["b64"]}"#,
        ] {
            let jws = FlattenedJws {
                payload: payload.clone(),
                protected: B64URL.encode(header),
                header: BTreeMap::new(),
                signature: String::new(),
            };
            assert!(matches!(
                verify_flattened_jws(&jws, vk),
                Err(CryptoError::MalformedJws(_))
            ));
        }
    }

    #[test]
    fn key_id_is_json_escaped_in_protected_header() {
        let key = SigningKey::from_pem(&ec_pem()).unwrap();
        let jws = sign_flattened_jws(&key, "a\"b", b"x", JwsSignatureFormat::Der).unwrap();
        assert_eq!(jws.protected_key_id().unwrap().as_deref(), Some("a\"b"));
        verify_flattened_jws(&jws, key.verifying_key()).unwrap();
    }

    /// Runs the openssl CLI (installed by `scripts/test`); a missing CLI fails the test.
    fn openssl(args: &[&str], dir: &std::path::Path) -> Option<std::process::Output> {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output();
        Some(out.unwrap_or_else(|err| panic!("running openssl (scripts/test installs it): {err}")))
    }

    fn scratch_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("modelx-crypto-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn openssl_verifies_our_der_signatures() {
        let dir = scratch_dir("verify");
        for (name, key) in [
            ("ec", SigningKey::from_pem(&ec_pem()).unwrap()),
            ("rsa", SigningKey::from_pem(rsa_pem()).unwrap()),
        ] {
            let msg = br#"{"domain":"sports","policies":[]}"#;
            std::fs::write(dir.join("msg"), msg).unwrap();
            std::fs::write(dir.join("pub.pem"), key.public_key_pem()).unwrap();
            std::fs::write(dir.join("sig.bin"), key.sign_asn1(msg).unwrap()).unwrap();
            let Some(out) = openssl(
                &[
                    "dgst",
                    "-sha256",
                    "-verify",
                    "pub.pem",
                    "-signature",
                    "sig.bin",
                    "msg",
                ],
                &dir,
            ) else {
                eprintln!("openssl CLI not found: skipping interop check");
                return;
            };
            assert!(
                out.status.success(),
                "{name}: openssl rejected our signature: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(String::from_utf8_lossy(&out.stdout).contains("Verified OK"));
            // And a signature over other bytes is refused by openssl too.
            std::fs::write(dir.join("sig.bin"), key.sign_asn1(b"other").unwrap()).unwrap();
            let out = openssl(
                &[
                    "dgst",
                    "-sha256",
                    "-verify",
                    "pub.pem",
                    "-signature",
                    "sig.bin",
                    "msg",
                ],
                &dir,
            )
            .unwrap();
            assert!(
                !out.status.success(),
                "{name}: openssl accepted a wrong signature"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn we_load_openssl_keys_and_verify_openssl_signatures() {
        let dir = scratch_dir("load");
        let cases: [(&str, &[&str]); 3] = [
            (
                "ec-sec1",
                &[
                    "ecparam",
                    "-name",
                    "prime256v1",
                    "-genkey",
                    "-out",
                    "key.pem",
                ],
            ),
            (
                "rsa-pkcs1",
                &["genrsa", "-traditional", "-out", "key.pem", "2048"],
            ),
            (
                "ec-pkcs8",
                &[
                    "genpkey",
                    "-algorithm",
                    "EC",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                    "-out",
                    "key.pem",
                ],
            ),
        ];
        for (name, args) in cases {
            let Some(out) = openssl(args, &dir) else {
                eprintln!("openssl CLI not found: skipping interop check");
                return;
            };
            assert!(
                out.status.success(),
                "{name}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let pem = std::fs::read_to_string(dir.join("key.pem")).unwrap();
            let key = SigningKey::from_pem(&pem).unwrap_or_else(|e| panic!("{name}: {e}"));
            // openssl's public key export equals ours.
            let out = openssl(&["pkey", "-in", "key.pem", "-pubout"], &dir).unwrap();
            assert!(out.status.success());
            assert_eq!(
                String::from_utf8(out.stdout).unwrap(),
                key.public_key_pem(),
                "{name}"
            );
            // openssl signs (DER), we verify.
            std::fs::write(dir.join("msg"), b"hello athenz").unwrap();
            let out = openssl(
                &[
                    "dgst", "-sha256", "-sign", "key.pem", "-out", "sig.bin", "msg",
                ],
                &dir,
            )
            .unwrap();
            assert!(out.status.success());
            let sig = std::fs::read(dir.join("sig.bin")).unwrap();
            key.verifying_key()
                .verify_asn1(b"hello athenz", &sig)
                .unwrap();
        }
        // Keys outside the supported set are refused with a clear reason.
        let out = openssl(&["genrsa", "-out", "small.pem", "1024"], &dir).unwrap();
        assert!(out.status.success());
        let small = std::fs::read_to_string(dir.join("small.pem")).unwrap();
        assert!(matches!(
            SigningKey::from_pem(&small),
            Err(CryptoError::InvalidKey(_))
        ));
        let out = openssl(&["pkey", "-in", "small.pem", "-pubout"], &dir).unwrap();
        let err = VerifyingKey::from_pem(&String::from_utf8(out.stdout).unwrap()).unwrap_err();
        assert!(err.to_string().contains("1024 bits"), "{err}");
        let p384 = [
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-384",
            "-out",
            "p384.pem",
        ];
        assert!(openssl(&p384, &dir).unwrap().status.success());
        let p384 = std::fs::read_to_string(dir.join("p384.pem")).unwrap();
        assert!(matches!(
            SigningKey::from_pem(&p384),
            Err(CryptoError::InvalidKey(_))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
