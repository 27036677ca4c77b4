//! Cases about reading back: listing, change feeds, the audit log, reopening.

use super::*;

pub async fn list_returns_all_by_name(url: String) {
    let store = fresh(&url).await;
    for name in ["sports", "Zeta", "athenz", "sports.api", "home.user"] {
        seed(&*store, name, name).await;
    }
    store
        .commit(&[put("athenz", 1, 500, "new")], &[])
        .await
        .unwrap();
    let all = store.list().await.unwrap();
    // Byte order on both backends (upper case first).
    let names: Vec<_> = all.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        ["Zeta", "athenz", "home.user", "sports", "sports.api"]
    );
    assert_eq!(all[1], domain("athenz", 2, 500, "new"));
}

pub async fn modified_since_filters_and_orders(url: String) {
    let store = fresh(&url).await;
    store
        .commit(
            &[
                put_new("a", 300, "a"),
                put_new("b", 100, "b"),
                put_new("c", 200, "c"),
            ],
            &[],
        )
        .await
        .unwrap();
    let names = |v: Vec<StoredDomain>| v.into_iter().map(|d| d.name).collect::<Vec<_>>();
    assert_eq!(
        names(store.modified_since(0).await.unwrap()),
        ["b", "c", "a"]
    );
    // Strictly greater than.
    assert_eq!(names(store.modified_since(100).await.unwrap()), ["c", "a"]);
    assert_eq!(
        names(store.modified_since(300).await.unwrap()),
        Vec::<String>::new()
    );
    store
        .commit(&[put("b", 1, 400, "b2"), delete("a", 1)], &[])
        .await
        .unwrap();
    let since = store.modified_since(250).await.unwrap();
    assert_eq!(since, vec![domain("b", 2, 400, "b2")]);
}

pub async fn audit_log_newest_first_with_limit_and_before_id(url: String) {
    let store = fresh(&url).await;
    for i in 0..7 {
        let mut record = audit("sports", &format!("action{i}"));
        record.created_ms = i;
        store.commit(&[], &[record]).await.unwrap();
    }
    let all = store.audit_log("sports", 100, None).await.unwrap();
    let actions: Vec<_> = all.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "action6", "action5", "action4", "action3", "action2", "action1", "action0"
        ]
    );
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "ids descending");

    let page1 = store.audit_log("sports", 3, None).await.unwrap();
    assert_eq!(page1, all[..3]);
    let page2 = store
        .audit_log("sports", 3, Some(page1[2].id))
        .await
        .unwrap();
    assert_eq!(page2, all[3..6]);
    let page3 = store
        .audit_log("sports", 3, Some(page2[2].id))
        .await
        .unwrap();
    assert_eq!(page3, all[6..]);
    assert!(
        store
            .audit_log("sports", 3, Some(all[6].id))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.audit_log("sports", 0, None).await.unwrap().is_empty());
}

pub async fn audit_log_filters_by_domain(url: String) {
    let store = fresh(&url).await;
    store
        .commit(
            &[],
            &[
                audit("a", "one"),
                audit("b", "two"),
                audit("a", "three"),
                audit("a.sub", "four"),
            ],
        )
        .await
        .unwrap();
    let a: Vec<_> = store
        .audit_log("a", 10, None)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert_eq!(a, ["three", "one"]);
    assert_eq!(audit_count(&*store, "b").await, 1);
    assert_eq!(audit_count(&*store, "a.sub").await, 1);
    assert_eq!(audit_count(&*store, "c").await, 0);
}

pub async fn audit_optional_fields_round_trip(url: String) {
    let store = fresh(&url).await;
    let full = NewAudit {
        created_ms: 1_700_000_000_123,
        principal: "user.jane".to_owned(),
        action: "putRole".to_owned(),
        domain: "sports".to_owned(),
        object: "sports:role.readers".to_owned(),
        audit_ref: Some("ticket-42".to_owned()),
        details: Some(r#"{"added":["user.joe"]}"#.to_owned()),
    };
    let bare = audit("sports", "deleteRole");
    store
        .commit(&[], &[full.clone(), bare.clone()])
        .await
        .unwrap();
    let got = store.audit_log("sports", 10, None).await.unwrap();
    assert_eq!(got.len(), 2);
    let as_new = |r: &zms_store::AuditRecord| NewAudit {
        created_ms: r.created_ms,
        principal: r.principal.clone(),
        action: r.action.clone(),
        domain: r.domain.clone(),
        object: r.object.clone(),
        audit_ref: r.audit_ref.clone(),
        details: r.details.clone(),
    };
    assert_eq!(as_new(&got[0]), bare);
    assert_eq!(as_new(&got[1]), full);
}

pub async fn reopen_keeps_data(url: String) {
    {
        let store = fresh(&url).await;
        seed(&*store, "sports", "v1").await;
        store
            .commit(&[put("sports", 1, 200, "v2")], &[audit("sports", "put")])
            .await
            .unwrap();
    }
    let store = fresh(&url).await;
    assert_eq!(
        store.get("sports").await.unwrap(),
        Some(domain("sports", 2, 200, "v2"))
    );
    assert_eq!(audit_count(&*store, "sports").await, 1);
    assert_eq!(
        store
            .commit(&[put("sports", 2, 300, "v3")], &[])
            .await
            .unwrap(),
        vec![3]
    );
}

pub async fn migrations_are_idempotent(url: String) {
    let first = fresh(&url).await;
    let second = fresh(&url).await;
    seed(&*first, "sports", "v1").await;
    assert_eq!(second.get("sports").await.unwrap().unwrap().version, 1);
    expect_conflict(
        second.commit(&[put_new("sports", 1, "x")], &[]).await,
        "sports",
    );
    drop(first);
    let third = fresh(&url).await;
    assert_eq!(third.list().await.unwrap().len(), 1);
}
