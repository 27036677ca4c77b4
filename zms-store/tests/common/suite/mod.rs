//! The conformance cases, each an `async fn(url)` taking the URL of a fresh,
//! empty database, and the helpers they share.

mod concurrency;
mod reads;
mod writes;

use std::sync::Arc;

use zms_store::{NewAudit, Op, Store, StoreError, StoredDomain, open};

pub use concurrency::*;
pub use reads::*;
pub use writes::*;

async fn fresh(url: &str) -> Arc<dyn Store> {
    open(url).await.expect("open store")
}

fn put_new(name: &str, modified_ms: i64, document: &str) -> Op {
    Op::Put {
        name: name.to_owned(),
        expected_version: None,
        modified_ms,
        document: document.to_owned(),
    }
}

fn put(name: &str, expected: i64, modified_ms: i64, document: &str) -> Op {
    Op::Put {
        name: name.to_owned(),
        expected_version: Some(expected),
        modified_ms,
        document: document.to_owned(),
    }
}

fn delete(name: &str, expected: i64) -> Op {
    Op::Delete {
        name: name.to_owned(),
        expected_version: expected,
    }
}

fn assert_at(name: &str, expected: i64) -> Op {
    Op::Assert {
        name: name.to_owned(),
        expected_version: expected,
    }
}

fn audit(domain: &str, action: &str) -> NewAudit {
    NewAudit {
        created_ms: 1_000,
        principal: "user.admin".to_owned(),
        action: action.to_owned(),
        domain: domain.to_owned(),
        object: domain.to_owned(),
        audit_ref: None,
        details: None,
    }
}

/// Inserts `name` at version 1 with no audit record.
async fn seed(store: &dyn Store, name: &str, document: &str) {
    let versions = store
        .commit(&[put_new(name, 100, document)], &[])
        .await
        .expect("seed");
    assert_eq!(versions, vec![1]);
}

async fn audit_count(store: &dyn Store, domain: &str) -> usize {
    store
        .audit_log(domain, 10_000, None)
        .await
        .expect("audit log")
        .len()
}

fn expect_conflict(result: Result<Vec<i64>, StoreError>, name: &str) {
    match result {
        Err(StoreError::Conflict(got)) => assert_eq!(got, name),
        other => panic!("expected Conflict({name}), got {other:?}"),
    }
}

fn domain(name: &str, version: i64, modified_ms: i64, document: &str) -> StoredDomain {
    StoredDomain {
        name: name.to_owned(),
        version,
        modified_ms,
        document: document.to_owned(),
    }
}
