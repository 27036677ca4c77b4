//! ZTS and ZMS public keys, by key id, and the two files Athenz clients read them from.
//!
//! Java ZPE's `FilePublicKeyStore` (`clients/java/zpe/.../pkey/file/FilePublicKeyStore.java`,
//! reference `athenz.md` §6.1) loads:
//! - `$ROOT/conf/athenz/athenz.conf` (`athenz.athenz_conf`): `AthenzConfig` with
//!   `ztsPublicKeys` / `zmsPublicKeys` lists of `{id, key}`, `key` the ybase64 of a PEM;
//! - `/var/lib/sia/athenz.conf` (`athenz.jwk_athenz_conf`): `AthenzJWKConfig`
//!   `{zms:{keys:[…]}, zts:{keys:[…]}, modified}` written by SIA, the keys as JWKs.
//!
//! Java verifies access tokens through a separate resolver (`JwtsSigningKeyResolver`) that reads
//! the same `ztsPublicKeys` and JWKs; here one ZTS key map serves policy files, role tokens and
//! access tokens alike, which is what those Java stores end up holding.
//!
//! Unlike Java, which logs and skips a key it cannot decode, a bad key fails the whole load with
//! an error naming the list and key id: a half-loaded key set would only show up later as
//! unexplained DENY_ROLETOKEN_INVALID answers.

use model::crypto::VerifyingKey;
use model::jwt::JwkList;
use model::zts_token::{AthenzConf, AthenzJwkConfig, PublicKeyEntry};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Public keys for verification, by key id: ZTS's (policy files, role tokens, access tokens)
/// and ZMS's (the optional inner signature of legacy policy files).
#[derive(Debug, Clone, Default)]
pub struct KeyStore {
    zts: HashMap<String, VerifyingKey>,
    zms: HashMap<String, VerifyingKey>,
}

/// Why keys could not be loaded. Messages name the file format, list and key id at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// A key file could not be read.
    #[error("cannot read key file {}: {message}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        message: String,
    },
    /// The document is not JSON of the expected shape.
    #[error("{format} is malformed: {message}")]
    Malformed {
        /// `athenz.conf`, `JWK athenz.conf` or `JWK set`.
        format: &'static str,
        /// The parser's message.
        message: String,
    },
    /// One key of a list cannot be used.
    #[error("{format}: {list} key {key_id:?} is unusable: {message}")]
    BadKey {
        /// `athenz.conf`, `JWK athenz.conf` or `JWK set`.
        format: &'static str,
        /// `ztsPublicKeys`, `zmsPublicKeys`, `zts.keys`, `zms.keys` or `keys`.
        list: &'static str,
        /// The key's id (may be empty, which is itself refused).
        key_id: String,
        /// What is wrong with it.
        message: String,
    },
    /// A file given to [`KeyStore::load_files`] is neither known format.
    #[error(
        "{}: neither an athenz.conf (ztsPublicKeys/zmsPublicKeys) nor a JWK athenz.conf (zts/zms key sets)",
        path.display()
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// An error in one of the files given to [`KeyStore::load_files`].
    #[error("{}: {error}", path.display())]
    InFile {
        /// The file.
        path: PathBuf,
        /// The error.
        error: Box<KeyError>,
    },
}

const ATHENZ_CONF: &str = "athenz.conf";
const JWK_CONF: &str = "JWK athenz.conf";
const JWK_SET: &str = "JWK set";

impl KeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store with these ZTS keys.
    pub fn with_zts_keys(zts: HashMap<String, VerifyingKey>) -> Self {
        Self {
            zts,
            zms: HashMap::new(),
        }
    }

    /// Adds (or replaces) a ZTS key.
    pub fn add_zts_key(&mut self, key_id: impl Into<String>, key: VerifyingKey) {
        self.zts.insert(key_id.into(), key);
    }

    /// Adds (or replaces) a ZMS key.
    pub fn add_zms_key(&mut self, key_id: impl Into<String>, key: VerifyingKey) {
        self.zms.insert(key_id.into(), key);
    }

    /// The ZTS key with this id.
    pub fn zts_key(&self, key_id: &str) -> Option<&VerifyingKey> {
        self.zts.get(key_id)
    }

    /// The ZMS key with this id.
    pub fn zms_key(&self, key_id: &str) -> Option<&VerifyingKey> {
        self.zms.get(key_id)
    }

    /// The ZTS key ids, sorted (for status pages and tests).
    pub fn zts_key_ids(&self) -> Vec<&str> {
        sorted_ids(&self.zts)
    }

    /// The ZMS key ids, sorted.
    pub fn zms_key_ids(&self) -> Vec<&str> {
        sorted_ids(&self.zms)
    }

    /// The keys of an `athenz.conf` (`AthenzConfig`: `ztsPublicKeys`, `zmsPublicKeys`).
    pub fn from_athenz_conf(bytes: &[u8]) -> Result<Self, KeyError> {
        let mut keys = Self::new();
        keys.add_athenz_conf(bytes)?;
        Ok(keys)
    }

    /// The keys of SIA's JWK `athenz.conf` (`AthenzJWKConfig`: `zts.keys`, `zms.keys`).
    pub fn from_jwk_conf(bytes: &[u8]) -> Result<Self, KeyError> {
        let mut keys = Self::new();
        keys.add_jwk_conf(bytes)?;
        Ok(keys)
    }

    /// Adds the keys of an `athenz.conf`. All or nothing: on error the store is unchanged.
    pub fn add_athenz_conf(&mut self, bytes: &[u8]) -> Result<(), KeyError> {
        let conf: AthenzConf = from_json_object(bytes, ATHENZ_CONF)?;
        self.merge_athenz_conf(&conf)
    }

    /// Adds the keys of a JWK `athenz.conf`. All or nothing: on error the store is unchanged.
    pub fn add_jwk_conf(&mut self, bytes: &[u8]) -> Result<(), KeyError> {
        let conf: AthenzJwkConfig = from_json_object(bytes, JWK_CONF)?;
        self.merge_jwk_conf(&conf)
    }

    /// Adds ZTS keys published as a JWK set (`GET /oauth2/keys`, Java's `athenz.zpe.jwk_uri`).
    /// All or nothing: one unusable key is an error and the store is unchanged.
    pub fn add_jwks(&mut self, zts: &JwkList) -> Result<(), KeyError> {
        let keys = jwk_keys(zts, JWK_SET, "keys")?;
        self.zts.extend(keys);
        Ok(())
    }

    /// Loads and merges key files, each either an `athenz.conf` or a JWK `athenz.conf` (told
    /// apart by their fields), later files replacing earlier keys of the same id: Java reads
    /// both `athenz.athenz_conf` and `athenz.jwk_athenz_conf` into one store. Any unreadable,
    /// unrecognised or bad file fails the whole load.
    pub fn load_files<P: AsRef<Path>>(
        paths: impl IntoIterator<Item = P>,
    ) -> Result<Self, KeyError> {
        let mut keys = Self::new();
        for path in paths {
            let path = path.as_ref();
            keys.merge_file(path).map_err(|error| match error {
                e @ (KeyError::Io { .. } | KeyError::UnknownFormat { .. }) => e,
                e => KeyError::InFile {
                    path: path.to_path_buf(),
                    error: Box::new(e),
                },
            })?;
        }
        Ok(keys)
    }

    fn merge_file(&mut self, path: &Path) -> Result<(), KeyError> {
        let bytes = std::fs::read(path).map_err(|e| KeyError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| malformed("key file", e))?;
        let has = |field: &str| value.get(field).is_some();
        if ["ztsPublicKeys", "zmsPublicKeys", "ztsUrl", "zmsUrl"]
            .into_iter()
            .any(has)
        {
            let conf: AthenzConf =
                serde_json::from_value(value).map_err(|e| malformed(ATHENZ_CONF, e))?;
            self.merge_athenz_conf(&conf)
        } else if has("zts") || has("zms") {
            let conf: AthenzJwkConfig =
                serde_json::from_value(value).map_err(|e| malformed(JWK_CONF, e))?;
            self.merge_jwk_conf(&conf)
        } else {
            Err(KeyError::UnknownFormat {
                path: path.to_path_buf(),
            })
        }
    }

    fn merge_athenz_conf(&mut self, conf: &AthenzConf) -> Result<(), KeyError> {
        let zts = entry_keys(&conf.zts_public_keys, "ztsPublicKeys")?;
        let zms = entry_keys(&conf.zms_public_keys, "zmsPublicKeys")?;
        self.zts.extend(zts);
        self.zms.extend(zms);
        Ok(())
    }

    fn merge_jwk_conf(&mut self, conf: &AthenzJwkConfig) -> Result<(), KeyError> {
        let zts = jwk_keys(&conf.zts, JWK_CONF, "zts.keys")?;
        let zms = jwk_keys(&conf.zms, JWK_CONF, "zms.keys")?;
        self.zts.extend(zts);
        self.zms.extend(zms);
        Ok(())
    }
}

fn sorted_ids(map: &HashMap<String, VerifyingKey>) -> Vec<&str> {
    let mut ids: Vec<&str> = map.keys().map(String::as_str).collect();
    ids.sort_unstable();
    ids
}

/// Parses a JSON object (serde would also take a JSON array for a struct).
fn from_json_object<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    format: &'static str,
) -> Result<T, KeyError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| malformed(format, e))?;
    if !value.is_object() {
        return Err(KeyError::Malformed {
            format,
            message: "not a JSON object".into(),
        });
    }
    serde_json::from_value(value).map_err(|e| malformed(format, e))
}

fn malformed(format: &'static str, e: serde_json::Error) -> KeyError {
    KeyError::Malformed {
        format,
        message: e.to_string(),
    }
}

fn bad_key(format: &'static str, list: &'static str, key_id: &str, message: String) -> KeyError {
    KeyError::BadKey {
        format,
        list,
        // Bounded: the id comes from a file and ends up in logs.
        key_id: key_id.chars().take(64).collect(),
        message,
    }
}

/// `{id, key}` entries, `key` ybase64 PEM (`Crypto.ybase64DecodeString` then `loadPublicKey`).
fn entry_keys(
    entries: &[PublicKeyEntry],
    list: &'static str,
) -> Result<Vec<(String, VerifyingKey)>, KeyError> {
    entries
        .iter()
        .map(|entry| {
            if entry.id.is_empty() {
                return Err(bad_key(ATHENZ_CONF, list, "", "empty key id".into()));
            }
            VerifyingKey::from_ybase64_pem(&entry.key)
                .map(|key| (entry.id.clone(), key))
                .map_err(|e| bad_key(ATHENZ_CONF, list, &entry.id, e.to_string()))
        })
        .collect()
}

fn jwk_keys(
    jwks: &JwkList,
    format: &'static str,
    list: &'static str,
) -> Result<Vec<(String, VerifyingKey)>, KeyError> {
    jwks.keys
        .iter()
        .map(|jwk| {
            if jwk.kid.is_empty() {
                return Err(bad_key(format, list, "", "empty kid".into()));
            }
            jwk.to_key()
                .map(|key| (jwk.kid.clone(), key))
                .map_err(|e| bad_key(format, list, &jwk.kid, e.to_string()))
        })
        .collect()
}
