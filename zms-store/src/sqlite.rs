//! SQLite backend, for single-instance deployments and tests.
//!
//! The database runs in WAL mode so readers never block the writer nor each
//! other. Every commit starts with `BEGIN IMMEDIATE`, which takes SQLite's
//! write lock up front: a plain `BEGIN` would start as a reader and fail with
//! `SQLITE_BUSY` when two transactions both try to upgrade to writers, whereas
//! immediate transactions simply queue on the busy timeout. Inside one process
//! commits are additionally serialized by a tokio mutex so they wait in
//! order instead of polling SQLite's busy handler.

use std::str::FromStr;
use std::time::Duration;

use sqlx::Row;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow,
};

use crate::error::StoreError;
use crate::{AuditRecord, NewAudit, Op, Store, StoredDomain};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// How long a writer waits for another process's write transaction before
/// giving up with a database error.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Connections of a file database: readers run in parallel under WAL.
const MAX_CONNECTIONS: u32 = 8;

/// A [`Store`] on one SQLite database file (or a private in-memory database).
#[derive(Debug)]
pub(crate) struct SqliteStore {
    pool: SqlitePool,
    /// Serializes this process's commits; `BEGIN IMMEDIATE` covers other processes.
    write_lock: tokio::sync::Mutex<()>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database of a `sqlite:` URL and migrates it.
    pub(crate) async fn open(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Url(format!("{url}: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        // An in-memory database lives only as long as a connection to it, and
        // each pool connection would otherwise see its own: keep exactly one,
        // forever.
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let pool_options = if in_memory {
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            SqlitePoolOptions::new().max_connections(MAX_CONNECTIONS)
        };
        let pool = pool_options
            .connect_with(options)
            .await
            .map_err(StoreError::db)?;
        MIGRATOR.run(&pool).await.map_err(StoreError::migrate)?;
        Ok(Self {
            pool,
            write_lock: tokio::sync::Mutex::new(()),
        })
    }
}

fn domain_from_row(row: &SqliteRow) -> Result<StoredDomain, StoreError> {
    Ok(StoredDomain {
        name: row.try_get("name").map_err(StoreError::db)?,
        version: row.try_get("version").map_err(StoreError::db)?,
        modified_ms: row.try_get("modified_ms").map_err(StoreError::db)?,
        document: row.try_get("document").map_err(StoreError::db)?,
    })
}

fn audit_from_row(row: &SqliteRow) -> Result<AuditRecord, StoreError> {
    Ok(AuditRecord {
        id: row.try_get("id").map_err(StoreError::db)?,
        created_ms: row.try_get("created_ms").map_err(StoreError::db)?,
        principal: row.try_get("principal").map_err(StoreError::db)?,
        action: row.try_get("action").map_err(StoreError::db)?,
        domain: row.try_get("domain").map_err(StoreError::db)?,
        object: row.try_get("object").map_err(StoreError::db)?,
        audit_ref: row.try_get("audit_ref").map_err(StoreError::db)?,
        details: row.try_get("details").map_err(StoreError::db)?,
    })
}

/// The current version of a domain inside the write transaction.
async fn current_version(
    conn: &mut SqliteConnection,
    name: &str,
) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query("SELECT version FROM domains WHERE name = ?")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await
        .map_err(StoreError::db)?;
    row.map(|r| r.try_get::<i64, _>("version").map_err(StoreError::db))
        .transpose()
}

/// Applies the ops and audit records; the caller commits or rolls back.
/// SQLite holds the write lock for the whole transaction, so reading the
/// version and then writing cannot race with another writer.
async fn apply(
    conn: &mut SqliteConnection,
    ops: &[Op],
    audit: &[NewAudit],
) -> Result<Vec<i64>, StoreError> {
    let mut versions = Vec::new();
    for op in ops {
        let current = current_version(conn, op.name()).await?;
        match op {
            Op::Put {
                name,
                expected_version,
                modified_ms,
                document,
            } => {
                if current != *expected_version {
                    return Err(StoreError::Conflict(name.clone()));
                }
                let version = expected_version.map_or(1, |v| v + 1);
                let sql = if expected_version.is_some() {
                    "UPDATE domains SET version = ?2, modified_ms = ?3, document = ?4 WHERE name = ?1"
                } else {
                    "INSERT INTO domains (name, version, modified_ms, document) VALUES (?1, ?2, ?3, ?4)"
                };
                sqlx::query(sql)
                    .bind(name)
                    .bind(version)
                    .bind(modified_ms)
                    .bind(document)
                    .execute(&mut *conn)
                    .await
                    .map_err(StoreError::db)?;
                versions.push(version);
            }
            Op::Delete {
                name,
                expected_version,
            } => {
                if current != Some(*expected_version) {
                    return Err(StoreError::Conflict(name.clone()));
                }
                sqlx::query("DELETE FROM domains WHERE name = ?")
                    .bind(name)
                    .execute(&mut *conn)
                    .await
                    .map_err(StoreError::db)?;
            }
            Op::Assert {
                name,
                expected_version,
            } => {
                if current != Some(*expected_version) {
                    return Err(StoreError::Conflict(name.clone()));
                }
            }
        }
    }
    for record in audit {
        sqlx::query(
            "INSERT INTO audit_log \
             (created_ms, principal, action, domain, object, audit_ref, details) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(record.created_ms)
        .bind(&record.principal)
        .bind(&record.action)
        .bind(&record.domain)
        .bind(&record.object)
        .bind(&record.audit_ref)
        .bind(&record.details)
        .execute(&mut *conn)
        .await
        .map_err(StoreError::db)?;
    }
    Ok(versions)
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn get(&self, name: &str) -> Result<Option<StoredDomain>, StoreError> {
        let row =
            sqlx::query("SELECT name, version, modified_ms, document FROM domains WHERE name = ?")
                .bind(name)
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::db)?;
        row.as_ref().map(domain_from_row).transpose()
    }

    async fn list(&self) -> Result<Vec<StoredDomain>, StoreError> {
        let rows =
            sqlx::query("SELECT name, version, modified_ms, document FROM domains ORDER BY name")
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::db)?;
        rows.iter().map(domain_from_row).collect()
    }

    async fn modified_since(&self, since_ms: i64) -> Result<Vec<StoredDomain>, StoreError> {
        let rows = sqlx::query(
            "SELECT name, version, modified_ms, document FROM domains \
             WHERE modified_ms > ? ORDER BY modified_ms, name",
        )
        .bind(since_ms)
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::db)?;
        rows.iter().map(domain_from_row).collect()
    }

    async fn commit(&self, ops: &[Op], audit: &[NewAudit]) -> Result<Vec<i64>, StoreError> {
        let _guard = self.write_lock.lock().await;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(StoreError::db)?;
        match apply(&mut tx, ops, audit).await {
            Ok(versions) => {
                tx.commit().await.map_err(StoreError::db)?;
                Ok(versions)
            }
            Err(err) => {
                if let Err(rollback) = tx.rollback().await {
                    tracing::warn!(error = %rollback, "sqlite rollback failed");
                }
                Err(err)
            }
        }
    }

    async fn audit_log(
        &self,
        domain: &str,
        limit: u32,
        before_id: Option<i64>,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, created_ms, principal, action, domain, object, audit_ref, details \
             FROM audit_log WHERE domain = ? AND id < ? ORDER BY id DESC LIMIT ?",
        )
        .bind(domain)
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::db)?;
        rows.iter().map(audit_from_row).collect()
    }
}
