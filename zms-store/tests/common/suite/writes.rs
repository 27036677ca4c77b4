//! Cases about single commits: version checks, atomicity, what gets written.

use super::*;

pub async fn insert_then_get(url: String) {
    let store = fresh(&url).await;
    let versions = store
        .commit(
            &[put_new("sports", 42, r#"{"name":"sports"}"#)],
            &[audit("sports", "putDomain")],
        )
        .await
        .unwrap();
    assert_eq!(versions, vec![1]);
    let got = store.get("sports").await.unwrap();
    assert_eq!(got, Some(domain("sports", 1, 42, r#"{"name":"sports"}"#)));
    assert_eq!(audit_count(&*store, "sports").await, 1);
}

pub async fn get_missing_is_none(url: String) {
    let store = fresh(&url).await;
    assert_eq!(store.get("nope").await.unwrap(), None);
    assert!(store.list().await.unwrap().is_empty());
}

pub async fn document_round_trips_exactly(url: String) {
    let store = fresh(&url).await;
    // Key order, whitespace, escapes and non-ASCII must survive untouched
    // (a signed document must verify after a round trip).
    let mut doc = String::from("{ \"z\": 1,\n\t\"a\": \"héllo \\u00e9 \u{1f600}\", \"big\": \"");
    doc.push_str(&"x".repeat(1 << 20));
    doc.push_str("\" }");
    seed(&*store, "weird.name-1_x", &doc).await;
    assert_eq!(
        store.get("weird.name-1_x").await.unwrap().unwrap().document,
        doc
    );
}

pub async fn insert_existing_conflicts_and_writes_nothing(url: String) {
    let store = fresh(&url).await;
    seed(&*store, "sports", "v1").await;
    let result = store
        .commit(
            &[put_new("sports", 200, "other")],
            &[audit("sports", "putDomain")],
        )
        .await;
    expect_conflict(result, "sports");
    assert_eq!(
        store.get("sports").await.unwrap(),
        Some(domain("sports", 1, 100, "v1"))
    );
    assert_eq!(audit_count(&*store, "sports").await, 0);
}

pub async fn replace_with_right_version(url: String) {
    let store = fresh(&url).await;
    seed(&*store, "sports", "v1").await;
    let v = store
        .commit(&[put("sports", 1, 200, "v2")], &[])
        .await
        .unwrap();
    assert_eq!(v, vec![2]);
    let v = store
        .commit(&[put("sports", 2, 300, "v3")], &[])
        .await
        .unwrap();
    assert_eq!(v, vec![3]);
    assert_eq!(
        store.get("sports").await.unwrap(),
        Some(domain("sports", 3, 300, "v3"))
    );
}

pub async fn replace_with_wrong_version_conflicts(url: String) {
    let store = fresh(&url).await;
    seed(&*store, "sports", "v1").await;
    for wrong in [0, 2, 7] {
        let result = store
            .commit(
                &[put("sports", wrong, 200, "v2")],
                &[audit("sports", "put")],
            )
            .await;
        expect_conflict(result, "sports");
    }
    assert_eq!(
        store.get("sports").await.unwrap(),
        Some(domain("sports", 1, 100, "v1"))
    );
    assert_eq!(audit_count(&*store, "sports").await, 0);
}

pub async fn replace_missing_conflicts(url: String) {
    let store = fresh(&url).await;
    let result = store.commit(&[put("ghost", 1, 200, "v2")], &[]).await;
    expect_conflict(result, "ghost");
    assert_eq!(store.get("ghost").await.unwrap(), None);
}

pub async fn delete_with_right_version(url: String) {
    let store = fresh(&url).await;
    seed(&*store, "sports", "v1").await;
    store
        .commit(&[put("sports", 1, 200, "v2")], &[])
        .await
        .unwrap();
    let v = store
        .commit(&[delete("sports", 2)], &[audit("sports", "deleteDomain")])
        .await
        .unwrap();
    assert!(v.is_empty(), "deletes report no version: {v:?}");
    assert_eq!(store.get("sports").await.unwrap(), None);
    assert_eq!(audit_count(&*store, "sports").await, 1);
    // The name is free again and starts over at version 1.
    seed(&*store, "sports", "again").await;
}

pub async fn delete_with_wrong_version_conflicts(url: String) {
    let store = fresh(&url).await;
    seed(&*store, "sports", "v1").await;
    expect_conflict(store.commit(&[delete("sports", 2)], &[]).await, "sports");
    expect_conflict(store.commit(&[delete("ghost", 1)], &[]).await, "ghost");
    assert_eq!(
        store.get("sports").await.unwrap(),
        Some(domain("sports", 1, 100, "v1"))
    );
}

pub async fn assert_missing_fails_whole_commit(url: String) {
    let store = fresh(&url).await;
    let result = store
        .commit(
            &[put_new("sports.api", 100, "sub"), assert_at("sports", 1)],
            &[audit("sports.api", "putDomain")],
        )
        .await;
    expect_conflict(result, "sports");
    assert_eq!(store.get("sports.api").await.unwrap(), None);
    assert_eq!(audit_count(&*store, "sports.api").await, 0);
}

pub async fn assert_wrong_version_fails_whole_commit(url: String) {
    let store = fresh(&url).await;
    seed(&*store, "sports", "parent").await;
    let result = store
        .commit(
            &[assert_at("sports", 2), put_new("sports.api", 100, "sub")],
            &[
                audit("sports.api", "putDomain"),
                audit("sports", "putDomain"),
            ],
        )
        .await;
    expect_conflict(result, "sports");
    assert_eq!(store.get("sports.api").await.unwrap(), None);
    assert_eq!(audit_count(&*store, "sports.api").await, 0);
    assert_eq!(audit_count(&*store, "sports").await, 0);
}

pub async fn assert_right_version_lets_commit_through(url: String) {
    let store = fresh(&url).await;
    seed(&*store, "sports", "parent").await;
    let v = store
        .commit(
            &[assert_at("sports", 1), put_new("sports.api", 150, "sub")],
            &[audit("sports.api", "putDomain")],
        )
        .await
        .unwrap();
    assert_eq!(v, vec![1]);
    // Assert touches nothing.
    assert_eq!(
        store.get("sports").await.unwrap(),
        Some(domain("sports", 1, 100, "parent"))
    );
    assert_eq!(
        store.get("sports.api").await.unwrap(),
        Some(domain("sports.api", 1, 150, "sub"))
    );
}

pub async fn multi_op_commit_applies_all(url: String) {
    let store = fresh(&url).await;
    seed(&*store, "a", "a1").await;
    seed(&*store, "c", "c1").await;
    let v = store
        .commit(
            &[
                put("a", 1, 200, "a2"),
                put_new("b", 200, "b1"),
                delete("c", 1),
            ],
            &[audit("a", "put"), audit("b", "put"), audit("c", "delete")],
        )
        .await
        .unwrap();
    assert_eq!(v, vec![2, 1]);
    let names: Vec<_> = store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(names, ["a", "b"]);
    for name in ["a", "b", "c"] {
        assert_eq!(audit_count(&*store, name).await, 1, "audit of {name}");
    }
}

pub async fn multi_op_commit_is_atomic_on_late_conflict(url: String) {
    let store = fresh(&url).await;
    seed(&*store, "a", "a1").await;
    seed(&*store, "c", "c1").await;
    let result = store
        .commit(
            &[
                put("a", 1, 200, "a2"),
                put_new("b", 200, "b1"),
                delete("c", 5),
            ],
            &[audit("a", "put"), audit("b", "put"), audit("c", "delete")],
        )
        .await;
    expect_conflict(result, "c");
    let all = store.list().await.unwrap();
    assert_eq!(
        all,
        vec![domain("a", 1, 100, "a1"), domain("c", 1, 100, "c1")]
    );
    for name in ["a", "b", "c"] {
        assert_eq!(audit_count(&*store, name).await, 0, "audit of {name}");
    }
    // The store is still usable after the rolled-back transaction.
    assert_eq!(
        store.commit(&[put("a", 1, 300, "a2")], &[]).await.unwrap(),
        vec![2]
    );
}

pub async fn same_domain_twice_in_one_commit(url: String) {
    let store = fresh(&url).await;
    // Ops apply in order, so a later op sees the version an earlier one made.
    let v = store
        .commit(&[put_new("a", 100, "a1"), put("a", 1, 200, "a2")], &[])
        .await
        .unwrap();
    assert_eq!(v, vec![1, 2]);
    assert_eq!(
        store.get("a").await.unwrap(),
        Some(domain("a", 2, 200, "a2"))
    );
    let v = store
        .commit(&[put("a", 2, 300, "a3"), delete("a", 3)], &[])
        .await
        .unwrap();
    assert_eq!(v, vec![3]);
    assert_eq!(store.get("a").await.unwrap(), None);
}

pub async fn audit_only_commit(url: String) {
    let store = fresh(&url).await;
    let v = store
        .commit(&[], &[audit("sports", "failedLogin")])
        .await
        .unwrap();
    assert!(v.is_empty());
    assert_eq!(audit_count(&*store, "sports").await, 1);
    assert_eq!(store.commit(&[], &[]).await.unwrap(), Vec::<i64>::new());
}
