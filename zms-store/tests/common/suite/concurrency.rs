//! Cases with concurrent writers: no lost update, conflicts instead of errors.

use std::sync::Arc;

use tokio::task::JoinSet;

use super::*;

const TASKS: usize = 8;

pub async fn concurrent_inserts_exactly_one_wins(url: String) {
    let store = fresh(&url).await;
    let mut tasks = JoinSet::new();
    for t in 0..TASKS {
        let store = Arc::clone(&store);
        tasks.spawn(async move {
            store
                .commit(
                    &[put_new("race", 100, &format!("task{t}"))],
                    &[audit("race", "put")],
                )
                .await
        });
    }
    let mut wins = 0;
    while let Some(joined) = tasks.join_next().await {
        match joined.unwrap() {
            Ok(v) => {
                assert_eq!(v, vec![1]);
                wins += 1;
            }
            Err(e) => expect_conflict(Err(e), "race"),
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(store.get("race").await.unwrap().unwrap().version, 1);
    assert_eq!(audit_count(&*store, "race").await, 1);
}

pub async fn concurrent_read_modify_write_loses_no_update(url: String) {
    const PER_TASK: i64 = 10;
    // Two stores on one database, as two server instances (or processes) would be.
    let store = fresh(&url).await;
    let other = fresh(&url).await;
    seed(&*store, "counter", "0").await;
    let mut tasks = JoinSet::new();
    for t in 0..TASKS {
        let store = Arc::clone(if t % 2 == 0 { &store } else { &other });
        tasks.spawn(async move {
            let mut conflicts = 0u32;
            for _ in 0..PER_TASK {
                loop {
                    let current = store.get("counter").await.unwrap().unwrap();
                    let n: i64 = current.document.parse().unwrap();
                    let op = put("counter", current.version, 100 + n, &(n + 1).to_string());
                    match store.commit(&[op], &[audit("counter", "increment")]).await {
                        Ok(v) => {
                            assert_eq!(v, vec![current.version + 1]);
                            break;
                        }
                        Err(StoreError::Conflict(name)) => {
                            assert_eq!(name, "counter");
                            conflicts += 1;
                            tokio::task::yield_now().await;
                        }
                        Err(other) => panic!("unexpected error: {other}"),
                    }
                }
            }
            conflicts
        });
    }
    let mut conflicts = 0;
    while let Some(joined) = tasks.join_next().await {
        conflicts += joined.unwrap();
    }
    eprintln!("read-modify-write: {conflicts} conflicts retried");
    let total = TASKS as i64 * PER_TASK;
    let last = store.get("counter").await.unwrap().unwrap();
    assert_eq!(
        last.document,
        total.to_string(),
        "({conflicts} conflicts retried)"
    );
    assert_eq!(last.version, 1 + total);
    assert_eq!(audit_count(&*store, "counter").await as i64, total);
}

pub async fn crossed_commits_succeed_or_conflict(url: String) {
    // Each commit asserts one domain and bumps the other, in opposite orders:
    // on PostgreSQL this can deadlock, which must surface as a Conflict (for
    // the caller to retry), never as a database error or a lost update.
    let store = fresh(&url).await;
    seed(&*store, "a", "0").await;
    seed(&*store, "b", "0").await;
    let mut successes = 0;
    for _ in 0..10 {
        let a = store.get("a").await.unwrap().unwrap().version;
        let b = store.get("b").await.unwrap().unwrap().version;
        let mut tasks = JoinSet::new();
        for (check, check_v, bump, bump_v) in [("a", a, "b", b), ("b", b, "a", a)] {
            let store = Arc::clone(&store);
            tasks.spawn(async move {
                let ops = [assert_at(check, check_v), put(bump, bump_v, 100, "x")];
                store.commit(&ops, &[audit(bump, "put")]).await
            });
        }
        while let Some(joined) = tasks.join_next().await {
            match joined.unwrap() {
                Ok(_) => successes += 1,
                Err(StoreError::Conflict(_)) => {}
                Err(other) => panic!("unexpected error: {other}"),
            }
        }
    }
    assert!(
        successes >= 10,
        "at least one commit per round wins: {successes}"
    );
    let a = store.get("a").await.unwrap().unwrap().version;
    let b = store.get("b").await.unwrap().unwrap().version;
    assert_eq!(a + b - 2, successes);
    let audits = audit_count(&*store, "a").await + audit_count(&*store, "b").await;
    assert_eq!(audits as i64, successes);
}
