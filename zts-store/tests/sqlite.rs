//! The conformance suite on SQLite, plus SQLite-only behaviour.

mod common;

use std::future::Future;

use zts_store::{CertKey, Issued, RefreshOutcome, StoreError, open};

/// Runs a case on a new database file in a temporary directory.
async fn with_sqlite<F, Fut>(case: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let url = format!("sqlite:{}", dir.path().join("zts.db").display());
    case(url).await;
}

common::conformance_suite!(with_sqlite);

fn key() -> CertKey {
    CertKey::new("sys.auth.zts", "i-1", "sports.api")
}

fn issued(serial: &str) -> Issued {
    Issued {
        serial: serial.to_owned(),
        time_ms: 1,
        ip: "10.0.0.1".to_owned(),
        expiry_time_ms: 2,
        hostname: None,
    }
}

#[tokio::test]
async fn creates_missing_file_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let store = open(&format!("sqlite:{}", path.display())).await.unwrap();
    store
        .insert(&key(), &issued("0a"), false, None)
        .await
        .unwrap();
    assert!(path.exists());
    assert!(dir.path().join("new.db-wal").exists(), "WAL journal in use");
}

#[tokio::test]
async fn memory_store_works_and_is_private() {
    let first = open("sqlite::memory:").await.unwrap();
    let second = open("sqlite::memory:").await.unwrap();
    first
        .insert(&key(), &issued("0a"), false, None)
        .await
        .unwrap();
    assert_eq!(
        first.refresh(&key(), "0a", &issued("0b")).await.unwrap(),
        RefreshOutcome::Current
    );
    assert_eq!(second.get(&key()).await.unwrap(), None);
    // Still there after the pool had time to recycle connections.
    tokio::task::yield_now().await;
    assert_eq!(
        first.get(&key()).await.unwrap().map(|r| r.current_serial),
        Some("0b".to_owned())
    );
}

#[tokio::test]
async fn rejects_unknown_scheme() {
    match open("mysql://root@localhost/zts").await {
        Err(StoreError::Url(msg)) => assert!(msg.contains("mysql://"), "{msg}"),
        other => panic!("expected Url error, got {other:?}"),
    }
}
