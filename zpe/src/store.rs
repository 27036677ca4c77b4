//! [`PolicyStore`]: the loaded domains, the keys, the token cache and the decision entry points.
//!
//! The compiled domains live in one immutable map behind an `ArcSwap`: a decision loads the
//! current map without locking or allocating, and a reload builds a new map beside it and swaps
//! it in, so decisions never pause (Java swaps per-domain entries of `ConcurrentHashMap`s,
//! `ZpeUpdPolLoader.loadFile`).
//!
//! Directory handling follows `ZpeUpdPolLoader.loadDb`: every `*.pol` file is considered; a file
//! is (re)loaded when new, when its mtime changed, or when its last load failed (a file may have
//! been caught half-written); a removed file leaves its domain loaded but empty.

use crate::compiled::CompiledDomain;
use crate::keys::KeyStore;
use crate::policy_file::{LoadError, verify_policy_file};
use crate::role_cert::NormalizedDn;
use crate::token_cache::TokenCache;
use arc_swap::ArcSwap;
use model::Timestamp;
use rustc_hash::FxHashMap;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

mod decide;

type Domains = FxHashMap<Box<str>, Arc<CompiledDomain>>;

/// Settings, with Athenz's defaults.
#[derive(Debug, Clone)]
pub struct ZpeConfig {
    /// Also verify ZMS's signature inside legacy files
    /// (`athenz.zpe.check_policy_zms_signature`, default false).
    pub check_zms_signature: bool,
    /// Allowed clock skew for a role or access token's issue time and a role certificate's
    /// notBefore (`athenz.zpe.token_allowed_offset`, default 300 s).
    pub token_allowed_offset_secs: i64,
    /// Longest lifetime accepted for a role token (`athenz.token_max_expiry`, default 30 days).
    pub token_max_expiry_secs: i64,
    /// Validated tokens kept (`athenz.zpe.max_token_cache_entries`, default 10240).
    pub max_token_cache_entries: usize,
    /// Issuer DNs a role certificate must have for [`PolicyStore::allow_role_cert`]
    /// (`athenz.zpe.x509.ca.issuers`, whose value is `|`-separated: `value.split('|')`). Empty,
    /// the default, checks no issuer. Names compare as sets of attributes, case and whitespace
    /// ignored, so Java's form `CN=Athenz CA,O=Athenz,C=US` and x509-parser's
    /// `C=US, O=Athenz, CN=Athenz CA` are the same; a name that cannot be parsed matches no
    /// certificate.
    pub x509_ca_issuers: Vec<String>,
}

impl Default for ZpeConfig {
    fn default() -> Self {
        Self {
            check_zms_signature: false,
            token_allowed_offset_secs: 300,
            token_max_expiry_secs: 30 * 24 * 3600,
            max_token_cache_entries: 10240,
            x509_ca_issuers: Vec::new(),
        }
    }
}

/// What a [`PolicyStore::reload`] did.
#[derive(Debug, Default)]
pub struct ReloadReport {
    /// Files loaded (or reloaded), with their domain.
    pub loaded: Vec<(PathBuf, String)>,
    /// Files refused, with the reason; a refused file leaves the previous data in place.
    pub failed: Vec<(PathBuf, LoadError)>,
    /// Files that disappeared; their domains are now empty.
    pub removed: Vec<PathBuf>,
    /// Loaded domains past their `expires`: they now answer DENY_DOMAIN_EXPIRED.
    pub expired: Vec<String>,
}

#[derive(Debug)]
struct FileStatus {
    mtime: Option<SystemTime>,
    valid: bool,
    domain: Option<String>,
}

/// The policy engine: loaded domains and the decision entry points. Share it behind an `Arc`.
#[derive(Debug)]
pub struct PolicyStore {
    dir: Option<PathBuf>,
    config: ZpeConfig,
    keys: ArcSwap<KeyStore>,
    domains: ArcSwap<Domains>,
    files: Mutex<HashMap<PathBuf, FileStatus>>,
    tokens: TokenCache,
    /// `config.x509_ca_issuers` parsed; `None` when none is configured.
    issuers: Option<Vec<NormalizedDn>>,
}

fn now_ms() -> i64 {
    Timestamp::now().millis()
}

impl PolicyStore {
    /// A store with no policies and no directory; feed it with [`Self::load_policy_bytes`].
    pub fn new(keys: KeyStore, config: ZpeConfig) -> Self {
        let configured: Vec<&str> = config
            .x509_ca_issuers
            .iter()
            .map(|i| i.trim())
            .filter(|i| !i.is_empty())
            .collect();
        // Unparsable names are dropped but still make the check active: fail closed.
        let issuers = (!configured.is_empty()).then(|| {
            configured
                .into_iter()
                .filter_map(NormalizedDn::parse)
                .collect()
        });
        Self {
            dir: None,
            tokens: TokenCache::new(config.max_token_cache_entries),
            issuers,
            config,
            keys: ArcSwap::from_pointee(keys),
            domains: ArcSwap::from_pointee(Domains::default()),
            files: Mutex::new(HashMap::new()),
        }
    }

    /// A store over a policy directory (Athenz default `/home/athenz/var/zpe`), loaded now.
    /// Files that fail are reported, not fatal: a service starts with what is valid.
    pub fn open(
        dir: impl Into<PathBuf>,
        keys: KeyStore,
        config: ZpeConfig,
    ) -> (Self, ReloadReport) {
        let mut store = Self::new(keys, config);
        store.dir = Some(dir.into());
        let report = store.reload();
        (store, report)
    }

    /// The policy directory, when the store has one.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Replaces the verification keys (for example after `athenz.conf` changed). Loaded
    /// policies and cached tokens are kept.
    pub fn set_keys(&self, keys: KeyStore) {
        self.keys.store(Arc::new(keys));
    }

    /// Rescans the directory and reloads changed files, marks domains past their `expires`
    /// (DENY_DOMAIN_EXPIRED from then on) and drops expired cached tokens. Call it on a timer
    /// (Java polls every `athenz.zpe.monitor_timeout_secs`, default 300 s).
    pub fn reload(&self) -> ReloadReport {
        self.reload_at(now_ms())
    }

    pub(crate) fn reload_at(&self, now_ms: i64) -> ReloadReport {
        self.tokens.purge_expired(now_ms.div_euclid(1000));
        let mut report = ReloadReport::default();
        if let Some(dir) = &self.dir {
            self.reload_dir(dir, now_ms, &mut report);
        }
        for (domain, compiled) in self.domains.load().iter() {
            if compiled.check_expiry(now_ms) {
                report.expired.push(domain.to_string());
            }
        }
        report
    }

    fn reload_dir(&self, dir: &Path, now_ms: i64, report: &mut ReloadReport) {
        let mut files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        let mut present = Vec::new();
        match std::fs::read_dir(dir) {
            Ok(entries) => {
                for entry in entries.flatten() {
                    let path = entry.path();
                    if path.extension().is_some_and(|e| e == "pol") && path.is_file() {
                        present.push(path);
                    }
                }
            }
            Err(e) => {
                report
                    .failed
                    .push((dir.to_path_buf(), LoadError::Io(e.to_string())));
                return;
            }
        }
        present.sort();
        let mut updates: Vec<(String, Arc<CompiledDomain>)> = Vec::new();
        for path in &present {
            let mtime = std::fs::metadata(path).and_then(|m| m.modified()).ok();
            if let Some(st) = files.get(path)
                && st.valid
                && st.mtime == mtime
            {
                continue;
            }
            let result = std::fs::read(path)
                .map_err(|e| LoadError::Io(e.to_string()))
                .and_then(|bytes| self.compile_bytes(&bytes, now_ms));
            let status = files.entry(path.clone()).or_insert(FileStatus {
                mtime,
                valid: false,
                domain: None,
            });
            status.mtime = mtime;
            match result {
                Ok((domain, compiled)) => {
                    status.valid = true;
                    status.domain = Some(domain.clone());
                    report.loaded.push((path.clone(), domain.clone()));
                    updates.push((domain, Arc::new(compiled)));
                }
                Err(e) => {
                    status.valid = false;
                    report.failed.push((path.clone(), e));
                }
            }
        }
        let gone: Vec<PathBuf> = files
            .keys()
            .filter(|p| !present.contains(p))
            .cloned()
            .collect();
        for path in gone {
            if let Some(FileStatus {
                valid: true,
                domain: Some(domain),
                ..
            }) = files.remove(&path)
            {
                updates.push((domain, Arc::new(CompiledDomain::emptied())));
            }
            report.removed.push(path);
        }
        drop(files);
        self.publish(updates);
    }

    /// Verifies and loads one policy file's bytes; returns its domain.
    pub fn load_policy_bytes(&self, bytes: &[u8]) -> Result<String, LoadError> {
        self.load_policy_bytes_at(bytes, now_ms())
    }

    pub(crate) fn load_policy_bytes_at(
        &self,
        bytes: &[u8],
        now_ms: i64,
    ) -> Result<String, LoadError> {
        let (domain, compiled) = self.compile_bytes(bytes, now_ms)?;
        self.publish(vec![(domain.clone(), Arc::new(compiled))]);
        Ok(domain)
    }

    fn compile_bytes(
        &self,
        bytes: &[u8],
        now_ms: i64,
    ) -> Result<(String, CompiledDomain), LoadError> {
        let keys = self.keys.load();
        let data = verify_policy_file(bytes, &keys, self.config.check_zms_signature, now_ms)?;
        let domain = data.policy_data.domain;
        let compiled =
            CompiledDomain::compile(&domain, &data.policy_data.policies, data.expires.millis());
        Ok((domain, compiled))
    }

    fn publish(&self, updates: Vec<(String, Arc<CompiledDomain>)>) {
        if updates.is_empty() {
            return;
        }
        // Reloads are serialized by `files`; direct loads race only with each other, and
        // `rcu` retries so neither update is lost.
        self.domains.rcu(|current| {
            let mut next = Domains::clone(current);
            for (domain, compiled) in &updates {
                next.insert(domain.as_str().into(), Arc::clone(compiled));
            }
            next
        });
    }

    /// The loaded domains with their assertion counts, sorted (for status pages and tests).
    pub fn domains(&self) -> Vec<(String, usize)> {
        let mut out: Vec<(String, usize)> = self
            .domains
            .load()
            .iter()
            .map(|(d, c)| (d.to_string(), c.assertion_count()))
            .collect();
        out.sort();
        out
    }

    /// The number of validated role and access tokens cached.
    pub fn cached_tokens(&self) -> usize {
        self.tokens.len()
    }
}
