//! PostgreSQL backend, for several ZMS instances sharing one database.
//!
//! Transactions run at the default READ COMMITTED level. That is enough
//! because every version check is part of the statement that writes: an
//! `UPDATE … WHERE name = $1 AND version = $2` (or `DELETE`) re-checks its
//! condition on the latest committed row after waiting for a concurrent writer,
//! so it matches zero rows instead of overwriting, and an
//! `INSERT … ON CONFLICT DO NOTHING` inserts nothing if the domain appeared
//! meanwhile. Zero rows means a conflict. `Assert` reads with `FOR SHARE`,
//! which keeps the row from being changed or deleted until we commit.
//!
//! Two commits touching the same domains in opposite orders can deadlock;
//! PostgreSQL aborts one of them, and that is reported as a
//! [`StoreError::Conflict`] so the caller's retry loop handles it like any
//! other lost race.

use std::str::FromStr;

use sqlx::Row;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow};

use crate::error::{StoreError, redact_url};
use crate::{AuditRecord, NewAudit, Op, Store, StoredDomain};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Pool size per ZMS instance; PostgreSQL allows 100 connections by default.
const MAX_CONNECTIONS: u32 = 10;

/// SQLSTATEs meaning "lost a race, try again": serialization failure and
/// deadlock detected.
const RETRYABLE_SQLSTATES: [&str; 2] = ["40001", "40P01"];

/// A [`Store`] on a PostgreSQL database.
#[derive(Debug)]
pub(crate) struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to the database of a `postgres://` URL and migrates it.
    pub(crate) async fn open(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Url(format!("{}: {e}", redact_url(url))))?;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(StoreError::db)?;
        // The migrator takes an advisory lock, so instances starting together
        // do not race on the schema.
        MIGRATOR.run(&pool).await.map_err(StoreError::migrate)?;
        Ok(Self { pool })
    }
}

/// Maps an error of a statement about domain `name`: a deadlock or
/// serialization failure becomes a conflict, anything else a database error.
fn op_error(name: &str, err: sqlx::Error) -> StoreError {
    let retryable = err
        .as_database_error()
        .and_then(|db| db.code())
        .is_some_and(|code| RETRYABLE_SQLSTATES.contains(&code.as_ref()));
    if retryable {
        StoreError::Conflict(name.to_owned())
    } else {
        StoreError::db(err)
    }
}

fn domain_from_row(row: &PgRow) -> Result<StoredDomain, StoreError> {
    Ok(StoredDomain {
        name: row.try_get("name").map_err(StoreError::db)?,
        version: row.try_get("version").map_err(StoreError::db)?,
        modified_ms: row.try_get("modified_ms").map_err(StoreError::db)?,
        document: row.try_get("document").map_err(StoreError::db)?,
    })
}

fn audit_from_row(row: &PgRow) -> Result<AuditRecord, StoreError> {
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

/// Applies one op; `Ok(false)` means its version condition did not hold.
async fn apply_op(
    conn: &mut PgConnection,
    op: &Op,
    versions: &mut Vec<i64>,
) -> Result<bool, sqlx::Error> {
    match op {
        Op::Put {
            name,
            expected_version: None,
            modified_ms,
            document,
        } => {
            let done = sqlx::query(
                "INSERT INTO domains (name, version, modified_ms, document) \
                 VALUES ($1, 1, $2, $3) ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(modified_ms)
            .bind(document)
            .execute(&mut *conn)
            .await?;
            versions.push(1);
            Ok(done.rows_affected() == 1)
        }
        Op::Put {
            name,
            expected_version: Some(expected),
            modified_ms,
            document,
        } => {
            let done = sqlx::query(
                "UPDATE domains SET version = version + 1, modified_ms = $3, document = $4 \
                 WHERE name = $1 AND version = $2",
            )
            .bind(name)
            .bind(expected)
            .bind(modified_ms)
            .bind(document)
            .execute(&mut *conn)
            .await?;
            versions.push(expected + 1);
            Ok(done.rows_affected() == 1)
        }
        Op::Delete {
            name,
            expected_version,
        } => {
            let done = sqlx::query("DELETE FROM domains WHERE name = $1 AND version = $2")
                .bind(name)
                .bind(expected_version)
                .execute(&mut *conn)
                .await?;
            Ok(done.rows_affected() == 1)
        }
        Op::Assert {
            name,
            expected_version,
        } => {
            let row = sqlx::query("SELECT version FROM domains WHERE name = $1 FOR SHARE")
                .bind(name)
                .fetch_optional(&mut *conn)
                .await?;
            let current = row.map(|r| r.try_get::<i64, _>("version")).transpose()?;
            Ok(current == Some(*expected_version))
        }
    }
}

/// Applies the ops and audit records; the caller commits or rolls back.
async fn apply(
    conn: &mut PgConnection,
    ops: &[Op],
    audit: &[NewAudit],
) -> Result<Vec<i64>, StoreError> {
    let mut versions = Vec::new();
    for op in ops {
        let held = apply_op(conn, op, &mut versions)
            .await
            .map_err(|e| op_error(op.name(), e))?;
        if !held {
            return Err(StoreError::Conflict(op.name().to_owned()));
        }
    }
    for record in audit {
        sqlx::query(
            "INSERT INTO audit_log \
             (created_ms, principal, action, domain, object, audit_ref, details) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
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
        .map_err(|e| op_error(&record.domain, e))?;
    }
    Ok(versions)
}

#[async_trait::async_trait]
impl Store for PgStore {
    async fn get(&self, name: &str) -> Result<Option<StoredDomain>, StoreError> {
        let row =
            sqlx::query("SELECT name, version, modified_ms, document FROM domains WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::db)?;
        row.as_ref().map(domain_from_row).transpose()
    }

    async fn list(&self) -> Result<Vec<StoredDomain>, StoreError> {
        let rows = sqlx::query(
            "SELECT name, version, modified_ms, document FROM domains ORDER BY name COLLATE \"C\"",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::db)?;
        rows.iter().map(domain_from_row).collect()
    }

    async fn modified_since(&self, since_ms: i64) -> Result<Vec<StoredDomain>, StoreError> {
        let rows = sqlx::query(
            "SELECT name, version, modified_ms, document FROM domains \
             WHERE modified_ms > $1 ORDER BY modified_ms, name COLLATE \"C\"",
        )
        .bind(since_ms)
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::db)?;
        rows.iter().map(domain_from_row).collect()
    }

    async fn commit(&self, ops: &[Op], audit: &[NewAudit]) -> Result<Vec<i64>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(StoreError::db)?;
        match apply(&mut tx, ops, audit).await {
            Ok(versions) => {
                // A serialization failure can surface only at commit time.
                let name = ops.first().map_or("", Op::name);
                tx.commit().await.map_err(|e| op_error(name, e))?;
                Ok(versions)
            }
            Err(err) => {
                if let Err(rollback) = tx.rollback().await {
                    tracing::warn!(error = %rollback, "postgres rollback failed");
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
             FROM audit_log WHERE domain = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
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
