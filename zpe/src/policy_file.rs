//! Reading and verifying one policy file (`ZpeUpdPolLoader.loadFile`, reference §6.1).
//!
//! Two forms exist and the legacy one is tried first, as in Java:
//! - legacy `DomainSignedPolicyData` `{"signedPolicyData":{…},"keyId":"…","signature":"…"}`:
//!   ZTS's ybase64 signature over the canonical signed projection
//!   ([`model::zts_policy::SignedPolicyData::canonical_signable`]); ZMS's inner signature over
//!   the canonical `policyData` is checked only when configured
//!   (`athenz.zpe.check_policy_zms_signature`, default false, because ZTS may return policy
//!   versions ZMS never signed);
//! - JWS `JWSPolicyData` `{"protected","payload","header"?,"signature"}` whose payload is the
//!   `SignedPolicyData` JSON: the key comes from the protected header's `kid`, and an ES256
//!   signature is tried as P1363 first and then as DER (`getJWSPolicyData`);
//!   `model::crypto::verify_flattened_jws` does exactly that.
//!
//! On top of Java, a file whose `expires` is in the past is refused.

use crate::keys::KeyStore;
use model::crypto::{CryptoError, FlattenedJws, verify_flattened_jws};
use model::zts_policy::{DomainSignedPolicyData, PolicyData, SignedPolicyData};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Why a policy file was not loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read policy file: {0}")]
    Io(String),
    /// Neither a legacy nor a JWS policy file.
    #[error("not a policy file: {0}")]
    Malformed(String),
    /// The named ZTS (or ZMS) key is not in the key store.
    #[error("unknown {service} key id {key_id:?}")]
    UnknownKey {
        /// `zts` or `zms`.
        service: &'static str,
        /// The key id the file names.
        key_id: String,
    },
    /// A signature does not verify.
    #[error("{service} signature verification failed")]
    BadSignature {
        /// `zts` or `zms`.
        service: &'static str,
    },
    /// The policy data is past its `expires`.
    #[error("policy data for domain {domain} expired at {expires}")]
    Expired {
        /// The domain of the file.
        domain: String,
        /// Its `expires`.
        expires: String,
    },
}

/// The JWS file: like `model::crypto::FlattenedJws` but with `header` optional, since the
/// protected header alone carries what verification needs.
#[derive(Deserialize)]
struct JwsFile {
    payload: String,
    protected: String,
    #[serde(default)]
    header: BTreeMap<String, String>,
    signature: String,
}

/// Parses and verifies `bytes`; returns the signed data when it is valid and not expired at
/// `now_ms`.
pub(crate) fn verify_policy_file(
    bytes: &[u8],
    keys: &KeyStore,
    check_zms_signature: bool,
    now_ms: i64,
) -> Result<SignedPolicyData, LoadError> {
    // The form is told by its top-level key, and the file is parsed straight into its type:
    // an intermediate `serde_json::Value` tree would cost several times the file in memory.
    let has = |key: &[u8]| bytes.windows(key.len()).any(|w| w == key);
    let data = if has(b"\"signedPolicyData\"") {
        let file: DomainSignedPolicyData =
            serde_json::from_slice(bytes).map_err(|e| LoadError::Malformed(e.to_string()))?;
        verify_legacy(file, keys, check_zms_signature)?
    } else if has(b"\"payload\"") {
        let file: JwsFile =
            serde_json::from_slice(bytes).map_err(|e| LoadError::Malformed(e.to_string()))?;
        verify_jws(file, keys)?
    } else {
        serde_json::from_slice::<serde::de::IgnoredAny>(bytes)
            .map_err(|e| LoadError::Malformed(e.to_string()))?;
        return Err(LoadError::Malformed(
            "neither signedPolicyData nor a JWS".into(),
        ));
    };
    if data.expires.millis() < now_ms {
        return Err(LoadError::Expired {
            domain: data.policy_data.domain.clone(),
            expires: data.expires.to_string(),
        });
    }
    Ok(data)
}

fn verify_legacy(
    file: DomainSignedPolicyData,
    keys: &KeyStore,
    check_zms_signature: bool,
) -> Result<SignedPolicyData, LoadError> {
    let key = keys
        .zts_key(&file.key_id)
        .ok_or_else(|| LoadError::UnknownKey {
            service: "zts",
            key_id: file.key_id.clone(),
        })?;
    let signed = file
        .signed_policy_data
        .canonical_signable()
        .map_err(|e| LoadError::Malformed(e.to_string()))?;
    key.verify_ybase64(signed.as_bytes(), &file.signature)
        .map_err(|_| LoadError::BadSignature { service: "zts" })?;
    if check_zms_signature {
        verify_zms(&file.signed_policy_data, keys)?;
    }
    Ok(file.signed_policy_data)
}

fn verify_zms(data: &SignedPolicyData, keys: &KeyStore) -> Result<(), LoadError> {
    let key_id = data.zms_key_id.as_deref().unwrap_or_default();
    let key = keys.zms_key(key_id).ok_or_else(|| LoadError::UnknownKey {
        service: "zms",
        key_id: key_id.to_string(),
    })?;
    let signed = canonical_policy_data(&data.policy_data)?;
    key.verify_ybase64(
        signed.as_bytes(),
        data.zms_signature.as_deref().unwrap_or_default(),
    )
    .map_err(|_| LoadError::BadSignature { service: "zms" })
}

fn canonical_policy_data(data: &PolicyData) -> Result<String, LoadError> {
    data.canonical_signable()
        .map_err(|e| LoadError::Malformed(e.to_string()))
}

fn verify_jws(file: JwsFile, keys: &KeyStore) -> Result<SignedPolicyData, LoadError> {
    let jws = FlattenedJws {
        payload: file.payload,
        protected: file.protected,
        header: file.header,
        signature: file.signature,
    };
    let key_id = jws
        .protected_key_id()
        .map_err(|e| LoadError::Malformed(e.to_string()))?
        .unwrap_or_default();
    let key = keys.zts_key(&key_id).ok_or_else(|| LoadError::UnknownKey {
        service: "zts",
        key_id: key_id.clone(),
    })?;
    let payload = verify_flattened_jws(&jws, key).map_err(|e| match e {
        CryptoError::BadSignature => LoadError::BadSignature { service: "zts" },
        other => LoadError::Malformed(other.to_string()),
    })?;
    serde_json::from_slice(&payload).map_err(|e| LoadError::Malformed(e.to_string()))
}
