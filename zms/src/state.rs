//! Server state: the store (source of truth), the in-memory cache of every committed domain that
//! reads and access checks are served from, and the one write path that keeps them in step.

use crate::config::Config;
use crate::doc::DomainDoc;
use crate::error::{ZmsError, ZmsResult};
use crate::signer::DomainSigner;
use model::Timestamp;
use model::access::{AccessError, AccessRequest, CompiledDomain, DomainSource};
use model::zms::SignedDomain;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};
use zms_store::{NewAudit, Op, Store};

/// One committed domain as cached.
#[derive(Debug)]
pub struct Entry {
    /// Store version of this document.
    pub version: i64,
    /// The document.
    pub doc: DomainDoc,
    /// Its compiled form for the evaluator.
    pub compiled: CompiledDomain,
    /// Signed full data, made on first request for this version.
    pub signed: OnceLock<Arc<SignedDomain>>,
}

impl Entry {
    fn new(version: i64, doc: DomainDoc) -> Self {
        let compiled = doc.compile();
        Self {
            version,
            doc,
            compiled,
            signed: OnceLock::new(),
        }
    }
}

/// Every domain by name, plus the youngest modification time (the feed's ETag).
#[derive(Debug, Default)]
pub struct Cache {
    /// Domains by name.
    pub domains: HashMap<String, Arc<Entry>>,
    /// Largest `modified` (ms) seen.
    pub max_modified: i64,
}

impl DomainSource for Cache {
    fn compiled_domain(&self, name: &str) -> Option<&CompiledDomain> {
        self.domains.get(name).map(|e| &e.compiled)
    }
}

/// What a change is, for authorization messages and the audit log.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    /// Who.
    pub principal: &'a str,
    /// `Y-Audit-Ref`.
    pub audit_ref: Option<&'a str>,
    /// API operation name (`putRole`).
    pub action: &'static str,
    /// Full name of the object changed.
    pub object: String,
}

/// Shared server state.
#[derive(Debug)]
pub struct AppState {
    store: Arc<dyn Store>,
    cache: RwLock<Cache>,
    /// Writes are serialized in-process; the store's version check guards other instances.
    write_lock: tokio::sync::Mutex<()>,
    /// Signs domain data.
    pub signer: DomainSigner,
    /// Validated configuration.
    pub config: Config,
}

const MAX_ATTEMPTS: usize = 3;

impl AppState {
    /// Opens the store, bootstraps it when empty and loads every domain.
    pub async fn open(config: Config) -> anyhow::Result<Arc<Self>> {
        let store = zms_store::open(&config.store_url).await?;
        let signer = DomainSigner::load(&config.signing_key_file, &config.signing_key_id)?;
        let state = Arc::new(Self {
            store,
            cache: RwLock::new(Cache::default()),
            write_lock: tokio::sync::Mutex::new(()),
            signer,
            config,
        });
        crate::bootstrap::ensure(&state).await?;
        state.reload().await?;
        Ok(state)
    }

    /// The store (for the audit log and bootstrap).
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// Replaces the cache with the store's content.
    pub async fn reload(&self) -> anyhow::Result<()> {
        let mut fresh = Cache::default();
        for d in self.store.list().await? {
            let doc: DomainDoc = serde_json::from_str(&d.document)?;
            fresh.max_modified = fresh.max_modified.max(d.modified_ms);
            fresh
                .domains
                .insert(d.name.clone(), Arc::new(Entry::new(d.version, doc)));
        }
        *self
            .cache
            .write()
            .map_err(|_| anyhow::anyhow!("cache lock poisoned"))? = fresh;
        Ok(())
    }

    /// Runs `f` with a read view of the cache.
    pub fn read<T>(&self, f: impl FnOnce(&Cache) -> T) -> ZmsResult<T> {
        let guard = self
            .cache
            .read()
            .map_err(|_| ZmsError::Internal("cache lock poisoned".into()))?;
        Ok(f(&guard))
    }

    /// The cached entry of a domain, or 404.
    pub fn entry(&self, domain: &str) -> ZmsResult<Arc<Entry>> {
        self.read(|c| c.domains.get(domain).cloned())?
            .ok_or_else(|| ZmsError::NotFound(format!("domain not found: {domain}")))
    }

    /// Central access decision.
    pub fn check(&self, req: &AccessRequest<'_>) -> ZmsResult<Result<bool, AccessError>> {
        self.read(|c| model::access::check(c, req, Timestamp::now()))
    }

    /// Authorizes `principal` for `action` on `resource` with the same evaluator as `/access`.
    pub fn authorize(&self, principal: &str, action: &str, resource: &str) -> ZmsResult<()> {
        let req = AccessRequest {
            principal,
            action,
            resource,
            trust_domain: None,
        };
        match self.check(&req)? {
            Ok(true) => Ok(()),
            Ok(false) => Err(ZmsError::Forbidden(format!(
                "principal {principal} is not authorized for {action} on {resource}"
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// Picks up domains that other ZMS instances sharing the store changed. Polls with an
    /// overlap because `modified` comes from each writer's clock; versions decide what is newer.
    /// Deletions made elsewhere are not seen until restart (the store reports none).
    pub async fn refresh_from_store(&self) -> anyhow::Result<usize> {
        const OVERLAP_MS: i64 = 10_000;
        let since = self.read(|c| c.max_modified)?.saturating_sub(OVERLAP_MS);
        let changed = self.store.modified_since(since).await?;
        let _serial = self.write_lock.lock().await;
        let mut installed = 0;
        for d in changed {
            let newer =
                self.read(|c| c.domains.get(&d.name).is_none_or(|e| e.version < d.version))?;
            if newer {
                let doc: DomainDoc = serde_json::from_str(&d.document)?;
                self.install(doc, d.version, Timestamp::from_millis(d.modified_ms))?;
                installed += 1;
            }
        }
        Ok(installed)
    }

    fn next_modified(&self) -> ZmsResult<Timestamp> {
        // Strictly increasing so the feed's "modified after ETag" never misses a change made in
        // the same millisecond as the previous one.
        let last = self.read(|c| c.max_modified)?;
        Ok(Timestamp::from_millis(
            Timestamp::now().millis().max(last + 1),
        ))
    }

    /// Read-modify-write of one domain: `f` edits the document and returns audit details. The
    /// change, its new modification time and its audit record commit in one transaction.
    pub async fn update_domain<F>(
        &self,
        change: Change<'_>,
        domain: &str,
        mut f: F,
    ) -> ZmsResult<()>
    where
        F: FnMut(&mut DomainDoc, Timestamp) -> ZmsResult<Option<serde_json::Value>>,
    {
        let _serial = self.write_lock.lock().await;
        let mut fresh_from_store = false;
        for _ in 0..MAX_ATTEMPTS {
            let (version, mut doc) = if fresh_from_store {
                let stored = self
                    .store
                    .get(domain)
                    .await?
                    .ok_or_else(|| not_found(domain))?;
                let doc: DomainDoc = serde_json::from_str(&stored.document)
                    .map_err(|e| ZmsError::Internal(format!("stored domain {domain}: {e}")))?;
                (stored.version, doc)
            } else {
                let e = self.entry(domain)?;
                (e.version, e.doc.clone())
            };
            if doc.domain.audit_enabled == Some(true) && change.audit_ref.is_none() {
                return Err(ZmsError::BadRequest(format!(
                    "domain {domain} is audit-enabled: the Y-Audit-Ref header is required"
                )));
            }
            let now = self.next_modified()?;
            let details = f(&mut doc, now)?;
            doc.domain.modified = Some(now);
            let op = Op::Put {
                name: domain.to_string(),
                expected_version: Some(version),
                modified_ms: now.millis(),
                document: to_json(&doc)?,
            };
            match self
                .store
                .commit(&[op], &[audit(&change, domain, now, details)])
                .await
            {
                Ok(versions) => {
                    let v = versions.first().copied().unwrap_or(version + 1);
                    self.install(doc, v, now)?;
                    return Ok(());
                }
                Err(zms_store::StoreError::Conflict(_)) => fresh_from_store = true,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ZmsError::Conflict(format!(
            "domain {domain} changed concurrently; retry"
        )))
    }

    /// Creates domains (all or none). `parent` must exist and is version-checked so it cannot be
    /// deleted underneath the new subdomain.
    pub async fn create_domains(
        &self,
        change: Change<'_>,
        docs: Vec<DomainDoc>,
        parent: Option<&str>,
    ) -> ZmsResult<()> {
        let _serial = self.write_lock.lock().await;
        let now = self.next_modified()?;
        let mut ops = Vec::new();
        if let Some(p) = parent {
            ops.push(Op::Assert {
                name: p.to_string(),
                expected_version: self.entry(p)?.version,
            });
        }
        let mut audits = Vec::new();
        let mut docs = docs;
        for doc in &mut docs {
            if self.read(|c| c.domains.contains_key(doc.name()))? {
                return Err(ZmsError::Conflict(format!(
                    "domain already exists: {}",
                    doc.name()
                )));
            }
            doc.domain.modified = Some(now);
            ops.push(Op::Put {
                name: doc.name().to_string(),
                expected_version: None,
                modified_ms: now.millis(),
                document: to_json(doc)?,
            });
            let details = serde_json::to_value(&doc.domain).ok();
            audits.push(audit(&change, doc.name(), now, details));
        }
        let versions = self
            .store
            .commit(&ops, &audits)
            .await
            .map_err(|e| match e {
                zms_store::StoreError::Conflict(d) => {
                    ZmsError::Conflict(format!("domain {d} already exists or changed concurrently"))
                }
                other => other.into(),
            })?;
        for (doc, v) in docs.into_iter().zip(versions) {
            self.install(doc, v, now)?;
        }
        Ok(())
    }

    /// Deletes a domain that has no subdomains.
    pub async fn delete_domain(&self, change: Change<'_>, domain: &str) -> ZmsResult<()> {
        let _serial = self.write_lock.lock().await;
        let entry = self.entry(domain)?;
        let prefix = format!("{domain}.");
        let subs = self.read(|c| c.domains.keys().filter(|k| k.starts_with(&prefix)).count())?;
        if subs > 0 {
            return Err(ZmsError::BadRequest(format!(
                "cannot delete domain {domain}: {subs} subdomain(s) exist"
            )));
        }
        if entry.doc.domain.audit_enabled == Some(true) && change.audit_ref.is_none() {
            return Err(ZmsError::BadRequest(format!(
                "domain {domain} is audit-enabled: the Y-Audit-Ref header is required"
            )));
        }
        let now = self.next_modified()?;
        let op = Op::Delete {
            name: domain.to_string(),
            expected_version: entry.version,
        };
        self.store
            .commit(&[op], &[audit(&change, domain, now, None)])
            .await?;
        let mut cache = self
            .cache
            .write()
            .map_err(|_| ZmsError::Internal("cache lock poisoned".into()))?;
        cache.domains.remove(domain);
        cache.max_modified = cache.max_modified.max(now.millis());
        Ok(())
    }

    fn install(&self, doc: DomainDoc, version: i64, now: Timestamp) -> ZmsResult<()> {
        let entry = Arc::new(Entry::new(version, doc));
        let mut cache = self
            .cache
            .write()
            .map_err(|_| ZmsError::Internal("cache lock poisoned".into()))?;
        cache.max_modified = cache.max_modified.max(now.millis());
        cache.domains.insert(entry.doc.name().to_string(), entry);
        Ok(())
    }
}

fn not_found(domain: &str) -> ZmsError {
    ZmsError::NotFound(format!("domain not found: {domain}"))
}

fn to_json(doc: &DomainDoc) -> ZmsResult<String> {
    serde_json::to_string(doc).map_err(|e| ZmsError::Internal(e.to_string()))
}

fn audit(
    change: &Change<'_>,
    domain: &str,
    now: Timestamp,
    details: Option<serde_json::Value>,
) -> NewAudit {
    NewAudit {
        created_ms: now.millis(),
        principal: change.principal.to_string(),
        action: change.action.to_string(),
        domain: domain.to_string(),
        object: change.object.clone(),
        audit_ref: change.audit_ref.map(str::to_string),
        details: details.map(|d| d.to_string()),
    }
}
