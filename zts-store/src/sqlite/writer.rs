//! Group commit for the SQLite store. SQLite has one writer at a time and, with
//! `synchronous=FULL`, one fsync per commit; a write lock around one
//! transaction per refresh therefore caps ZTS at one refresh per
//! fsync-plus-round-trips, whatever the cores (measured: ~950 refreshes/s with
//! the server on one core of two, `docs/benchmarks.md`). Here every write goes
//! to one task that takes whatever has queued up meanwhile and applies it in
//! one `BEGIN IMMEDIATE` transaction, in arrival order, and answers each caller
//! only after the commit. Each write is still its own compare-and-set against
//! the state left by the ones before it, so concurrent refreshes still end as
//! some serial order of them; a batch only shares the fsync.
//!
//! A write that fails inside a batch does not fail its neighbours: the batch is
//! rolled back and each write is retried in a transaction of its own.

use super::{delete_record, insert_record, select, update};
use crate::error::StoreError;
use crate::{CertKey, CertRecord, Issued, RefreshOutcome};
use sqlx::sqlite::{SqliteConnection, SqlitePool};
use sqlx::{Connection, Sqlite, Transaction};
use tokio::sync::{mpsc, oneshot};

/// Most writes in one transaction (a bound on a commit's latency).
const MAX_BATCH: usize = 256;
/// Writes waiting for the writer before callers wait to enqueue.
const QUEUE: usize = 4096;

/// One write.
#[derive(Debug)]
pub(crate) enum Op {
    /// Register: insert or replace the record.
    Insert(CertRecord),
    /// The refresh compare-and-set.
    Refresh {
        key: CertKey,
        presented: String,
        issued: Issued,
    },
    /// Remove the record.
    Delete(CertKey),
}

/// What a write did.
#[derive(Debug)]
pub(crate) enum Done {
    Inserted,
    Refreshed(RefreshOutcome),
    Deleted(bool),
}

struct Job {
    op: Op,
    reply: oneshot::Sender<Result<Done, StoreError>>,
}

/// The handle callers submit writes through; the task ends when the last
/// handle is dropped.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer task on `pool` (a connection is taken per batch, so an
    /// in-memory database's single connection is shared with the readers).
    pub(crate) fn start(pool: SqlitePool) -> Self {
        let (jobs, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(pool, rx));
        Self { jobs }
    }

    /// Applies `op` and answers once it is committed.
    pub(crate) async fn submit(&self, op: Op) -> Result<Done, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { op, reply })
            .await
            .map_err(|_| StoreError::Database("the SQLite writer has stopped".into()))?;
        answer.await.map_err(|_| {
            StoreError::Database("the SQLite writer stopped before answering".into())
        })?
    }
}

async fn run(pool: SqlitePool, mut rx: mpsc::Receiver<Job>) {
    let mut jobs: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let batch = {
            let ops: Vec<&Op> = jobs.iter().map(|j| &j.op).collect();
            commit(&pool, &ops).await
        };
        match batch {
            Ok(done) => {
                for (job, d) in jobs.drain(..).zip(done) {
                    // A caller that went away still had its write committed,
                    // as if its answer were lost on the wire.
                    let _ = job.reply.send(Ok(d));
                }
            }
            Err(err) if jobs.len() == 1 => {
                if let Some(job) = jobs.pop() {
                    let _ = job.reply.send(Err(err));
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, writes = jobs.len(), "sqlite batch failed; retrying each write alone");
                for job in jobs.drain(..) {
                    let alone = commit(&pool, &[&job.op]).await.and_then(|mut d| {
                        d.pop()
                            .ok_or_else(|| StoreError::Database("no result".into()))
                    });
                    let _ = job.reply.send(alone);
                }
            }
        }
    }
}

/// Applies `ops` in order in one transaction: all committed, or none.
async fn commit(pool: &SqlitePool, ops: &[&Op]) -> Result<Vec<Done>, StoreError> {
    let mut conn = pool.acquire().await.map_err(StoreError::db)?;
    let mut tx = conn
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(StoreError::db)?;
    let mut done = Vec::with_capacity(ops.len());
    for op in ops {
        match apply(&mut tx, op).await {
            Ok(d) => done.push(d),
            Err(err) => {
                if let Err(rollback) = tx.rollback().await {
                    tracing::warn!(error = %rollback, "sqlite rollback failed");
                }
                return Err(err);
            }
        }
    }
    tx.commit().await.map_err(StoreError::db)?;
    Ok(done)
}

async fn apply(tx: &mut Transaction<'_, Sqlite>, op: &Op) -> Result<Done, StoreError> {
    let conn: &mut SqliteConnection = tx;
    match op {
        Op::Insert(record) => {
            insert_record(conn, record).await?;
            Ok(Done::Inserted)
        }
        Op::Refresh {
            key,
            presented,
            issued,
        } => {
            let Some(record) = select(conn, key).await? else {
                return Ok(Done::Refreshed(RefreshOutcome::NotFound));
            };
            let (outcome, next) = crate::refreshed(&record, presented, issued);
            if let Some(next) = next {
                update(conn, &next).await?;
            }
            Ok(Done::Refreshed(outcome))
        }
        Op::Delete(key) => Ok(Done::Deleted(delete_record(conn, key).await?)),
    }
}
