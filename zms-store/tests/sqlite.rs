//! The conformance suite on SQLite, plus SQLite-only behaviour.

mod common;

use std::future::Future;

use zms_store::{Op, StoreError, open};

/// Runs a case on a new database file in a temporary directory.
async fn with_sqlite<F, Fut>(case: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let url = format!("sqlite:{}", dir.path().join("zms.db").display());
    case(url).await;
}

common::conformance_suite!(with_sqlite);

fn put_new(name: &str) -> Op {
    Op::Put {
        name: name.to_owned(),
        expected_version: None,
        modified_ms: 1,
        document: "{}".to_owned(),
    }
}

#[tokio::test]
async fn creates_missing_file_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let store = open(&format!("sqlite:{}", path.display())).await.unwrap();
    store.commit(&[put_new("a")], &[]).await.unwrap();
    assert!(path.exists());
    assert!(dir.path().join("new.db-wal").exists(), "WAL journal in use");
}

#[tokio::test]
async fn memory_store_works_and_is_private() {
    let first = open("sqlite::memory:").await.unwrap();
    let second = open("sqlite::memory:").await.unwrap();
    first.commit(&[put_new("a")], &[]).await.unwrap();
    assert_eq!(first.get("a").await.unwrap().unwrap().version, 1);
    assert_eq!(second.get("a").await.unwrap(), None);
    // Still there after the pool had time to recycle connections.
    tokio::task::yield_now().await;
    assert_eq!(first.list().await.unwrap().len(), 1);
}

#[tokio::test]
async fn rejects_unknown_scheme() {
    match open("mysql://root@localhost/zms").await {
        Err(StoreError::Url(msg)) => assert!(msg.contains("mysql://"), "{msg}"),
        other => panic!("expected Url error, got {other:?}"),
    }
}
