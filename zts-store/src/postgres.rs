//! PostgreSQL backend, for several ZTS instances sharing one database.
//!
//! A refresh is one transaction at READ COMMITTED (set explicitly, so a
//! server whose default is stricter changes nothing): it reads the record
//! with `SELECT … FOR UPDATE`, decides in Rust, and writes the new record
//! back before committing. The row lock makes a concurrent refresh of the
//! same record wait at its own `SELECT … FOR UPDATE` until we commit, and
//! READ COMMITTED then hands it the row as we left it (or no row, if it was
//! deleted meanwhile), so every refresh sees the result of the one before:
//! no lost update and no serial accepted twice. One row lock per transaction
//! cannot deadlock, and READ COMMITTED never fails with a serialization
//! error, so there is nothing to retry.
//!
//! Register is a single `INSERT … ON CONFLICT DO UPDATE`, delete a single
//! `DELETE`; both are atomic on their own.

use std::str::FromStr;

use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow};

use crate::error::{StoreError, redact_url};
use crate::{CertKey, CertRecord, CertStore, Issued, MIGRATIONS_TABLE, RefreshOutcome};

/// Pool size per ZTS instance; PostgreSQL allows 100 connections by default.
const MAX_CONNECTIONS: u32 = 10;

/// A [`CertStore`] on a PostgreSQL database.
#[derive(Debug)]
pub(crate) struct PgCertStore {
    pool: PgPool,
}

impl PgCertStore {
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
        let mut migrator = sqlx::migrate!("./migrations/postgres");
        migrator.dangerous_set_table_name(MIGRATIONS_TABLE);
        migrator.run(&pool).await.map_err(StoreError::migrate)?;
        Ok(Self { pool })
    }
}

fn record_from_row(row: &PgRow) -> Result<CertRecord, StoreError> {
    Ok(CertRecord {
        provider: row.try_get("provider").map_err(StoreError::db)?,
        instance_id: row.try_get("instance_id").map_err(StoreError::db)?,
        service: row.try_get("service").map_err(StoreError::db)?,
        current_serial: row.try_get("current_serial").map_err(StoreError::db)?,
        current_time_ms: row.try_get("current_time_ms").map_err(StoreError::db)?,
        current_ip: row.try_get("current_ip").map_err(StoreError::db)?,
        prev_serial: row.try_get("prev_serial").map_err(StoreError::db)?,
        prev_time_ms: row.try_get("prev_time_ms").map_err(StoreError::db)?,
        prev_ip: row.try_get("prev_ip").map_err(StoreError::db)?,
        client_cert: row.try_get("client_cert").map_err(StoreError::db)?,
        expiry_time_ms: row.try_get("expiry_time_ms").map_err(StoreError::db)?,
        hostname: row.try_get("hostname").map_err(StoreError::db)?,
        sia_provider: row.try_get("sia_provider").map_err(StoreError::db)?,
        prev_used: row.try_get("prev_used").map_err(StoreError::db)?,
    })
}

/// Writes back every mutable column of `record` (the key stays).
async fn update(conn: &mut PgConnection, record: &CertRecord) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE cert_records SET \
         current_serial = $4, current_time_ms = $5, current_ip = $6, \
         prev_serial = $7, prev_time_ms = $8, prev_ip = $9, \
         client_cert = $10, expiry_time_ms = $11, hostname = $12, sia_provider = $13, \
         prev_used = $14 \
         WHERE provider = $1 AND instance_id = $2 AND service = $3",
    )
    .bind(&record.provider)
    .bind(&record.instance_id)
    .bind(&record.service)
    .bind(&record.current_serial)
    .bind(record.current_time_ms)
    .bind(&record.current_ip)
    .bind(&record.prev_serial)
    .bind(record.prev_time_ms)
    .bind(&record.prev_ip)
    .bind(record.client_cert)
    .bind(record.expiry_time_ms)
    .bind(&record.hostname)
    .bind(&record.sia_provider)
    .bind(record.prev_used)
    .execute(&mut *conn)
    .await
    .map_err(StoreError::db)?;
    Ok(())
}

/// The refresh check and its write; the caller commits or rolls back.
async fn apply_refresh(
    conn: &mut PgConnection,
    key: &CertKey,
    presented_serial: &str,
    issued: &Issued,
) -> Result<RefreshOutcome, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM cert_records WHERE provider = $1 AND instance_id = $2 AND service = $3 \
         FOR UPDATE"
    ))
    .bind(&key.provider)
    .bind(&key.instance_id)
    .bind(&key.service)
    .fetch_optional(&mut *conn)
    .await
    .map_err(StoreError::db)?;
    let Some(record) = row.as_ref().map(record_from_row).transpose()? else {
        return Ok(RefreshOutcome::NotFound);
    };
    let (outcome, next) = crate::refreshed(&record, presented_serial, issued);
    if let Some(next) = next {
        update(conn, &next).await?;
    }
    Ok(outcome)
}

#[async_trait::async_trait]
impl CertStore for PgCertStore {
    async fn insert(
        &self,
        key: &CertKey,
        issued: &Issued,
        client_cert: bool,
        sia_provider: Option<&str>,
    ) -> Result<(), StoreError> {
        let record = CertRecord::registered(key, issued, client_cert, sia_provider);
        sqlx::query(concat!(
            "INSERT INTO cert_records (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             ON CONFLICT (provider, instance_id, service) DO UPDATE SET \
             current_serial = EXCLUDED.current_serial, \
             current_time_ms = EXCLUDED.current_time_ms, \
             current_ip = EXCLUDED.current_ip, \
             prev_serial = EXCLUDED.prev_serial, \
             prev_time_ms = EXCLUDED.prev_time_ms, \
             prev_ip = EXCLUDED.prev_ip, \
             client_cert = EXCLUDED.client_cert, \
             expiry_time_ms = EXCLUDED.expiry_time_ms, \
             hostname = EXCLUDED.hostname, \
             sia_provider = EXCLUDED.sia_provider, \
             prev_used = EXCLUDED.prev_used"
        ))
        .bind(&record.provider)
        .bind(&record.instance_id)
        .bind(&record.service)
        .bind(&record.current_serial)
        .bind(record.current_time_ms)
        .bind(&record.current_ip)
        .bind(&record.prev_serial)
        .bind(record.prev_time_ms)
        .bind(&record.prev_ip)
        .bind(record.client_cert)
        .bind(record.expiry_time_ms)
        .bind(&record.hostname)
        .bind(&record.sia_provider)
        .bind(record.prev_used)
        .execute(&self.pool)
        .await
        .map_err(StoreError::db)?;
        Ok(())
    }

    async fn get(&self, key: &CertKey) -> Result<Option<CertRecord>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM cert_records WHERE provider = $1 AND instance_id = $2 AND service = $3"
        ))
        .bind(&key.provider)
        .bind(&key.instance_id)
        .bind(&key.service)
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::db)?;
        row.as_ref().map(record_from_row).transpose()
    }

    async fn refresh(
        &self,
        key: &CertKey,
        presented_serial: &str,
        issued: &Issued,
    ) -> Result<RefreshOutcome, StoreError> {
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL READ COMMITTED")
            .await
            .map_err(StoreError::db)?;
        match apply_refresh(&mut tx, key, presented_serial, issued).await {
            Ok(outcome) => {
                tx.commit().await.map_err(StoreError::db)?;
                Ok(outcome)
            }
            Err(err) => {
                if let Err(rollback) = tx.rollback().await {
                    tracing::warn!(error = %rollback, "postgres rollback failed");
                }
                Err(err)
            }
        }
    }

    async fn delete(&self, key: &CertKey) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "DELETE FROM cert_records WHERE provider = $1 AND instance_id = $2 AND service = $3",
        )
        .bind(&key.provider)
        .bind(&key.instance_id)
        .bind(&key.service)
        .execute(&self.pool)
        .await
        .map_err(StoreError::db)?;
        Ok(done.rows_affected() == 1)
    }
}
