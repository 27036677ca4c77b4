//! Persistent storage for the ZMS server: one JSON document per domain.
//!
//! # Why whole-domain documents
//!
//! In Athenz a domain is the unit of consistency: ZMS signs and ships a
//! domain's roles, groups, policies, services and entities together as one
//! `SignedDomain`, and every change bumps the domain's modification time as a
//! whole. Storing each domain as a single opaque document therefore matches how
//! the data is read and published, keeps the schema independent of the model
//! (this crate never parses the JSON), and makes concurrency simple: the server
//! reads a domain, changes it in memory and writes it back with the version it
//! read ([`Op::Put`] with `expected_version`). If someone else wrote in between,
//! the commit fails with [`StoreError::Conflict`] and the server retries, so no
//! update is ever lost and no row-level locking scheme is needed.
//!
//! A [`Store::commit`] applies several operations (e.g. create a subdomain and
//! [`Op::Assert`] its parent) and the audit records describing them in one
//! database transaction: either all of it lands or none of it does.
//!
//! # Backends
//!
//! [`open`] picks the backend from the URL: SQLite (`sqlite:/path/zms.db`,
//! `sqlite::memory:`) for single-instance deployments and tests, PostgreSQL
//! (`postgres://…`) for several ZMS instances sharing one database. Both run
//! their embedded migrations on open and pass the same conformance suite
//! (`tests/common/suite/`).

mod error;
mod postgres;
mod sqlite;

use std::sync::Arc;

pub use error::StoreError;

/// One stored domain document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredDomain {
    /// The domain name (the primary key).
    pub name: String,
    /// Optimistic-concurrency counter: 1 after insert, +1 on every replace.
    pub version: i64,
    /// Modification time in milliseconds since the epoch, as given by the writer.
    pub modified_ms: i64,
    /// The domain as an opaque JSON document, stored byte for byte.
    pub document: String,
}

/// One operation of an atomic [`Store::commit`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Insert (`expected_version: None`: the domain must not exist) or replace
    /// (`Some(v)`: its current version must be `v`). The new version is the old
    /// one plus one, or 1 on insert.
    Put {
        name: String,
        expected_version: Option<i64>,
        modified_ms: i64,
        document: String,
    },
    /// Delete; the current version must equal `expected_version`.
    Delete { name: String, expected_version: i64 },
    /// Touch nothing but require the domain to exist at this version, e.g. the
    /// parent of a new subdomain, so that the parent cannot be deleted or
    /// changed concurrently with the commit.
    Assert { name: String, expected_version: i64 },
}

impl Op {
    /// The domain this operation is about.
    pub fn name(&self) -> &str {
        match self {
            Op::Put { name, .. } | Op::Delete { name, .. } | Op::Assert { name, .. } => name,
        }
    }
}

/// An audit record to insert in the same transaction as the change it describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAudit {
    pub created_ms: i64,
    pub principal: String,
    pub action: String,
    pub domain: String,
    pub object: String,
    pub audit_ref: Option<String>,
    pub details: Option<String>,
}

/// A stored audit record; `id` grows with insertion order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: i64,
    pub created_ms: i64,
    pub principal: String,
    pub action: String,
    pub domain: String,
    pub object: String,
    pub audit_ref: Option<String>,
    pub details: Option<String>,
}

/// Storage of domain documents with optimistic concurrency.
#[async_trait::async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// The domain called `name`, if it exists.
    async fn get(&self, name: &str) -> Result<Option<StoredDomain>, StoreError>;

    /// All domains ordered by name (used at start-up to fill the server's
    /// in-memory cache).
    async fn list(&self) -> Result<Vec<StoredDomain>, StoreError>;

    /// Domains whose `modified_ms > since_ms`, oldest change first, for
    /// multi-instance cache refresh. Deleted domains are simply absent: a
    /// deletion is not reported here. `modified_ms` comes from the writers'
    /// clocks and a slow transaction can commit an older timestamp late, so
    /// callers should poll with some overlap.
    async fn modified_since(&self, since_ms: i64) -> Result<Vec<StoredDomain>, StoreError>;

    /// Applies all `ops` in order and inserts every `audit` record in ONE
    /// transaction. On any version mismatch returns [`StoreError::Conflict`]
    /// naming the domain and changes nothing. Returns the new versions of the
    /// `Put` ops, in order.
    async fn commit(&self, ops: &[Op], audit: &[NewAudit]) -> Result<Vec<i64>, StoreError>;

    /// Audit records of one domain, newest first, at most `limit`, only those
    /// with `id < before_id` when given (to fetch the next page).
    async fn audit_log(
        &self,
        domain: &str,
        limit: u32,
        before_id: Option<i64>,
    ) -> Result<Vec<AuditRecord>, StoreError>;
}

/// Opens a store by URL and runs that backend's migrations.
///
/// Accepted: `sqlite:/path/to/file.db` (created if missing), `sqlite::memory:`
/// (private to this store, gone when it is dropped), `postgres://…` and
/// `postgresql://…`. Opening the same database again is fine: migrations
/// already applied are skipped.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::open(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::open(url).await?))
    } else {
        Err(StoreError::Url(format!(
            "{}: expected sqlite:…, postgres://… or postgresql://…",
            error::redact_url(url)
        )))
    }
}
