//! SQLite backend, for single-instance deployments and tests.
//!
//! The database runs in WAL mode so readers never block the writer nor each
//! other. A refresh reads the record and writes it back inside one
//! transaction started with `BEGIN IMMEDIATE`, which takes SQLite's write lock
//! up front: no other writer (in this or another process) can change the
//! record between the check and the update, and, unlike a plain `BEGIN`, two
//! refreshes cannot both start as readers and then fail with `SQLITE_BUSY`
//! when upgrading; they simply queue on the busy timeout. Inside one process
//! writes are additionally serialized by a tokio mutex so they wait in order
//! instead of polling SQLite's busy handler.

use std::str::FromStr;
use std::time::Duration;

use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow,
};

use crate::error::StoreError;
use crate::{CertKey, CertRecord, CertStore, Issued, MIGRATIONS_TABLE, RefreshOutcome};

mod writer;
use writer::{Done, Op, Writer};

/// How long a writer waits for another process's write transaction before
/// giving up with a database error.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Connections of a file database: readers run in parallel under WAL.
const MAX_CONNECTIONS: u32 = 8;

/// A [`CertStore`] on one SQLite database file (or a private in-memory database).
#[derive(Debug)]
pub(crate) struct SqliteCertStore {
    pool: SqlitePool,
    /// Every write goes through it, one transaction per batch (group commit, see
    /// `writer`); its `BEGIN IMMEDIATE` covers other processes.
    writer: Writer,
}

impl SqliteCertStore {
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
        let mut migrator = sqlx::migrate!("./migrations/sqlite");
        migrator.dangerous_set_table_name(MIGRATIONS_TABLE);
        migrator.run(&pool).await.map_err(StoreError::migrate)?;
        let writer = Writer::start(pool.clone());
        Ok(Self { pool, writer })
    }
}

fn record_from_row(row: &SqliteRow) -> Result<CertRecord, StoreError> {
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

/// The record under `key`, read on `conn`.
async fn select(
    conn: &mut SqliteConnection,
    key: &CertKey,
) -> Result<Option<CertRecord>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM cert_records WHERE provider = ? AND instance_id = ? AND service = ?"
    ))
    .bind(&key.provider)
    .bind(&key.instance_id)
    .bind(&key.service)
    .fetch_optional(&mut *conn)
    .await
    .map_err(StoreError::db)?;
    row.as_ref().map(record_from_row).transpose()
}

/// Writes back every mutable column of `record` (the key stays): the upsert of
/// [`insert_record`] is exactly that for a record that exists.
async fn update(conn: &mut SqliteConnection, record: &CertRecord) -> Result<(), StoreError> {
    insert_record(conn, record).await
}

/// Inserts `record`, replacing any record under its key.
async fn insert_record(conn: &mut SqliteConnection, record: &CertRecord) -> Result<(), StoreError> {
    sqlx::query(concat!(
        "INSERT INTO cert_records (",
        columns!(),
        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) \
             ON CONFLICT (provider, instance_id, service) DO UPDATE SET \
             current_serial = excluded.current_serial, \
             current_time_ms = excluded.current_time_ms, \
             current_ip = excluded.current_ip, \
             prev_serial = excluded.prev_serial, \
             prev_time_ms = excluded.prev_time_ms, \
             prev_ip = excluded.prev_ip, \
             client_cert = excluded.client_cert, \
             expiry_time_ms = excluded.expiry_time_ms, \
             hostname = excluded.hostname, \
             sia_provider = excluded.sia_provider, \
             prev_used = excluded.prev_used"
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
    .execute(&mut *conn)
    .await
    .map_err(StoreError::db)?;
    Ok(())
}

/// Removes the record under `key`; true when one existed.
async fn delete_record(conn: &mut SqliteConnection, key: &CertKey) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "DELETE FROM cert_records WHERE provider = ? AND instance_id = ? AND service = ?",
    )
    .bind(&key.provider)
    .bind(&key.instance_id)
    .bind(&key.service)
    .execute(&mut *conn)
    .await
    .map_err(StoreError::db)?;
    Ok(done.rows_affected() == 1)
}

#[async_trait::async_trait]
impl CertStore for SqliteCertStore {
    async fn insert(
        &self,
        key: &CertKey,
        issued: &Issued,
        client_cert: bool,
        sia_provider: Option<&str>,
    ) -> Result<(), StoreError> {
        let record = CertRecord::registered(key, issued, client_cert, sia_provider);
        self.writer.submit(Op::Insert(record)).await.map(|_| ())
    }

    async fn get(&self, key: &CertKey) -> Result<Option<CertRecord>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(StoreError::db)?;
        select(&mut conn, key).await
    }

    async fn refresh(
        &self,
        key: &CertKey,
        presented_serial: &str,
        issued: &Issued,
    ) -> Result<RefreshOutcome, StoreError> {
        let op = Op::Refresh {
            key: key.clone(),
            presented: presented_serial.to_owned(),
            issued: issued.clone(),
        };
        match self.writer.submit(op).await? {
            Done::Refreshed(outcome) => Ok(outcome),
            other => Err(StoreError::Database(format!("writer answered {other:?}"))),
        }
    }

    async fn delete(&self, key: &CertKey) -> Result<bool, StoreError> {
        match self.writer.submit(Op::Delete(key.clone())).await? {
            Done::Deleted(existed) => Ok(existed),
            other => Err(StoreError::Database(format!("writer answered {other:?}"))),
        }
    }
}
