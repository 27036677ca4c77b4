//! ZTS's own copy of ZMS data. ZTS reads ZMS only through the signed-domains feed
//! (`GET /zms/v1/sys/modified_domains`, ETag polling; Athenz `DataStore`), verifies every domain's
//! signature with ZMS's public key, keeps the domains in memory for decisions, and persists each
//! verified `SignedDomain` as a file so it keeps serving, also after a restart, while ZMS is down.

use anyhow::Context;
use model::access::{CompiledDomain, DomainSource};
use model::crypto::VerifyingKey;
use model::zms::DomainData;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// One verified domain.
#[derive(Debug)]
pub struct ZtsDomain {
    /// The data as ZMS signed it.
    pub data: DomainData,
    /// Prepared for the evaluator.
    pub compiled: CompiledDomain,
}

/// Every domain by name.
#[derive(Debug, Default)]
pub struct Domains(pub HashMap<String, Arc<ZtsDomain>>);

impl DomainSource for Domains {
    fn compiled_domain(&self, name: &str) -> Option<&CompiledDomain> {
        self.0.get(name).map(|d| &d.compiled)
    }
}

/// The copy, its feed position and whether it is loaded.
#[derive(Debug)]
pub struct ZmsCopy {
    domains: RwLock<Domains>,
    ready: AtomicBool,
    etag: Mutex<Option<String>>,
    key: VerifyingKey,
    dir: PathBuf,
    client: reqwest::Client,
    base: String,
}

/// Reads ZMS's public key from a PEM public key or a certificate carrying it.
pub fn load_zms_key(path: &Path) -> anyhow::Result<VerifyingKey> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    if text.contains("BEGIN CERTIFICATE") {
        let der = server_common::tls::load_certs(path)?;
        let first = der.first().context("no certificate")?;
        let (_, cert) =
            x509_parser::parse_x509_certificate(first.as_ref()).context("parsing certificate")?;
        return Ok(VerifyingKey::from_spki_der(cert.public_key().raw)?);
    }
    Ok(VerifyingKey::from_pem(&text)?)
}

impl ZmsCopy {
    /// Builds the copy and loads what was persisted (each file re-verified).
    pub fn open(
        key: VerifyingKey,
        dir: &Path,
        client: reqwest::Client,
        zms_url: &str,
    ) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let copy = Self {
            domains: RwLock::new(Domains::default()),
            ready: AtomicBool::new(false),
            etag: Mutex::new(None),
            key,
            dir: dir.to_path_buf(),
            client,
            base: zms_url.to_string(),
        };
        let mut loaded = 0;
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let parsed = std::fs::read(&path)
                .map_err(anyhow::Error::from)
                .and_then(|b| {
                    let v: Value = serde_json::from_slice(&b)?;
                    copy.verify(&v)
                });
            match parsed {
                Ok(d) => {
                    copy.install(d)?;
                    loaded += 1;
                }
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "ignoring cached domain")
                }
            }
        }
        if loaded > 0 {
            copy.ready.store(true, Ordering::SeqCst);
            tracing::info!(domains = loaded, "loaded ZMS data from the local copy");
        }
        Ok(copy)
    }

    /// Whether a copy is loaded (from ZMS or from disk).
    pub fn ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    /// Runs `f` over the domains.
    pub fn read<T>(&self, f: impl FnOnce(&Domains) -> T) -> T {
        match self.domains.read() {
            Ok(g) => f(&g),
            Err(poisoned) => f(&poisoned.into_inner()),
        }
    }

    /// One domain.
    pub fn domain(&self, name: &str) -> Option<Arc<ZtsDomain>> {
        self.read(|d| d.0.get(name).cloned())
    }

    /// Checks a `SignedDomain` (as received) and returns its data.
    fn verify(&self, signed: &Value) -> anyhow::Result<DomainData> {
        let data = signed.get("domain").context("no domain")?;
        let sig = signed
            .get("signature")
            .and_then(Value::as_str)
            .context("no signature")?;
        let canonical = model::canonical::to_canonical_string(data)?;
        self.key
            .verify_ybase64(canonical.as_bytes(), sig)
            .context("ZMS signature does not verify")?;
        Ok(serde_json::from_value(data.clone())?)
    }

    fn install(&self, data: DomainData) -> anyhow::Result<()> {
        let compiled = CompiledDomain::compile(
            &data.name,
            data.meta.enabled != Some(false),
            &data.roles,
            &data.groups,
            &data.policies.contents.policies,
        );
        let name = data.name.clone();
        let mut g = self
            .domains
            .write()
            .map_err(|_| anyhow::anyhow!("lock poisoned"))?;
        g.0.insert(name, Arc::new(ZtsDomain { data, compiled }));
        Ok(())
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    /// One poll of the feed: fetch what changed since the last ETag, verify, install, persist.
    pub async fn poll(&self) -> anyhow::Result<usize> {
        let etag = self
            .etag
            .lock()
            .map_err(|_| anyhow::anyhow!("lock poisoned"))?
            .clone();
        let mut req = self
            .client
            .get(format!("{}/zms/v1/sys/modified_domains", self.base));
        if let Some(e) = &etag {
            req = req.header("If-None-Match", e);
        }
        let resp = req.send().await.context("ZMS unreachable")?;
        if resp.status() == reqwest::StatusCode::NOT_MODIFIED {
            self.ready.store(true, Ordering::SeqCst);
            return Ok(0);
        }
        anyhow::ensure!(resp.status().is_success(), "ZMS answered {}", resp.status());
        let new_etag = resp
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body: Value = resp.json().await?;
        let list = body
            .get("domains")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for signed in &list {
            let data = self.verify(signed)?;
            let name = data.name.clone();
            anyhow::ensure!(
                model::names::is_compound_name(&name),
                "bad domain name from ZMS"
            );
            write_atomic(&self.file(&name), &serde_json::to_vec(signed)?)?;
            self.install(data)?;
        }
        if etag.is_none() {
            self.drop_missing().await?;
        }
        *self
            .etag
            .lock()
            .map_err(|_| anyhow::anyhow!("lock poisoned"))? = new_etag;
        self.ready.store(true, Ordering::SeqCst);
        Ok(list.len())
    }

    /// Removes domains ZMS no longer lists (the feed reports changes, not deletions).
    pub async fn drop_missing(&self) -> anyhow::Result<()> {
        let resp = self
            .client
            .get(format!("{}/zms/v1/domain", self.base))
            .send()
            .await?;
        anyhow::ensure!(resp.status().is_success(), "ZMS answered {}", resp.status());
        let list: model::zms::DomainList = resp.json().await?;
        let keep: std::collections::HashSet<String> = list.names.into_iter().collect();
        let gone: Vec<String> =
            self.read(|d| d.0.keys().filter(|k| !keep.contains(*k)).cloned().collect());
        if gone.is_empty() {
            return Ok(());
        }
        let mut g = self
            .domains
            .write()
            .map_err(|_| anyhow::anyhow!("lock poisoned"))?;
        for name in gone {
            g.0.remove(&name);
            let _ = std::fs::remove_file(self.file(&name));
        }
        Ok(())
    }

    /// Polls forever; every tenth round also looks for deletions.
    pub async fn run(self: Arc<Self>, every: std::time::Duration) {
        let mut round = 0u64;
        loop {
            if let Err(e) = self.poll().await {
                tracing::warn!(error = %format!("{e:#}"), "ZMS poll failed; serving the current copy");
            } else if round % 10 == 9
                && let Err(e) = self.drop_missing().await
            {
                tracing::warn!(error = %format!("{e:#}"), "ZMS domain list failed");
            }
            round += 1;
            tokio::time::sleep(every).await;
        }
    }
}

/// Writes a file by renaming a finished temporary one, so a crash never leaves half a domain.
fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
