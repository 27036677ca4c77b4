//! Cases about storing records: insert, get, delete, keys, reopening.

use super::*;

pub async fn insert_then_get_round_trips(url: String) {
    let store = fresh(&url).await;
    let k = key("i-0a1b2c");
    let first = Issued {
        serial: "7f3a9c01d2".to_owned(),
        time_ms: 1_700_000_000_123,
        ip: "10.1.2.3".to_owned(),
        expiry_time_ms: 1_702_592_000_123,
        hostname: Some("api-1.sports.example.com".to_owned()),
    };
    store
        .insert(&k, &first, true, Some("sys.auth.aws"))
        .await
        .unwrap();
    let got = store.get(&k).await.unwrap().expect("inserted");
    assert_eq!(
        got,
        CertRecord {
            provider: "sys.auth.zts".to_owned(),
            instance_id: "i-0a1b2c".to_owned(),
            service: "sports.api".to_owned(),
            current_serial: "7f3a9c01d2".to_owned(),
            current_time_ms: 1_700_000_000_123,
            current_ip: "10.1.2.3".to_owned(),
            prev_serial: "7f3a9c01d2".to_owned(),
            prev_time_ms: 1_700_000_000_123,
            prev_ip: "10.1.2.3".to_owned(),
            client_cert: true,
            expiry_time_ms: 1_702_592_000_123,
            hostname: Some("api-1.sports.example.com".to_owned()),
            sia_provider: Some("sys.auth.aws".to_owned()),
            prev_used: true,
        }
    );
    assert_eq!(got.key(), k);

    // The optional fields absent and the flag false.
    let k2 = key("i-2");
    let bare = Issued {
        hostname: None,
        ..issued("01", 5)
    };
    store.insert(&k2, &bare, false, None).await.unwrap();
    let got = store.get(&k2).await.unwrap().expect("inserted");
    assert_eq!(got, registered(&k2, &bare, false, None));
    assert_eq!((got.hostname, got.sia_provider), (None, None));
    // The first record is untouched.
    assert_eq!(
        store.get(&k).await.unwrap().map(|r| r.current_serial),
        Some("7f3a9c01d2".to_owned())
    );
}

pub async fn get_missing_is_none(url: String) {
    let store = fresh(&url).await;
    assert_eq!(store.get(&key("nope")).await.unwrap(), None);
    assert!(!store.delete(&key("nope")).await.unwrap());
}

pub async fn values_round_trip_exactly(url: String) {
    let store = fresh(&url).await;
    // A 20-byte serial (the X.509 maximum), extreme times, IPv6, non-ASCII.
    let k = CertKey::new(
        "sys.auth.provider-é",
        "i-\u{1f600}/with spaces'quote\"",
        "home.user_1.svc-x",
    );
    let odd = Issued {
        serial: "00ff".repeat(10),
        time_ms: i64::MAX,
        ip: "2001:db8::ff00:42:8329".to_owned(),
        expiry_time_ms: i64::MIN,
        hostname: Some("h\u{e9}st.example.com".to_owned()),
    };
    store.insert(&k, &odd, true, Some("")).await.unwrap();
    assert_eq!(
        store.get(&k).await.unwrap(),
        Some(registered(&k, &odd, true, Some("")))
    );
    // Empty strings stay empty strings (not NULL).
    let k2 = key("");
    let empty = Issued {
        serial: String::new(),
        time_ms: 0,
        ip: String::new(),
        expiry_time_ms: -1,
        hostname: Some(String::new()),
    };
    store.insert(&k2, &empty, false, None).await.unwrap();
    assert_eq!(
        store.get(&k2).await.unwrap(),
        Some(registered(&k2, &empty, false, None))
    );
}

pub async fn reinsert_replaces_record(url: String) {
    let store = fresh(&url).await;
    let k = key("i-1");
    store
        .insert(&k, &issued("a1", 1), true, Some("aws"))
        .await
        .unwrap();
    refresh_expect(&*store, &k, "a1", &issued("b2", 2), RefreshOutcome::Current).await;
    // Re-registration replaces every field, prev_used included.
    let again = Issued {
        hostname: None,
        ..issued("c3", 3)
    };
    store.insert(&k, &again, false, None).await.unwrap();
    assert_eq!(
        store.get(&k).await.unwrap(),
        Some(registered(&k, &again, false, None))
    );
    // The serials of the replaced record are gone: presenting one revokes.
    refresh_expect(&*store, &k, "a1", &issued("d4", 4), RefreshOutcome::Revoked).await;
    // And re-registering a revoked record brings it back.
    let fourth = issued("e5", 5);
    register(&*store, &k, &fourth).await;
    refresh_expect(&*store, &k, "e5", &issued("f6", 6), RefreshOutcome::Current).await;
}

pub async fn delete_reports_whether_a_record_existed(url: String) {
    let store = fresh(&url).await;
    let k = key("i-1");
    let other = key("i-2");
    register(&*store, &k, &issued("a1", 1)).await;
    let kept = register(&*store, &other, &issued("b2", 2)).await;
    assert!(store.delete(&k).await.unwrap());
    assert_eq!(store.get(&k).await.unwrap(), None);
    assert!(!store.delete(&k).await.unwrap(), "already gone");
    refresh_expect(
        &*store,
        &k,
        "a1",
        &issued("c3", 3),
        RefreshOutcome::NotFound,
    )
    .await;
    assert_eq!(store.get(&k).await.unwrap(), None);
    assert_eq!(store.get(&other).await.unwrap(), Some(kept));
}

pub async fn keys_differ_by_each_part(url: String) {
    let store = fresh(&url).await;
    let base = CertKey::new("sys.auth.aws", "i-1", "sports.api");
    let keys = [
        base.clone(),
        CertKey::new("sys.auth.gcp", "i-1", "sports.api"),
        CertKey::new("sys.auth.aws", "i-2", "sports.api"),
        CertKey::new("sys.auth.aws", "i-1", "sports.web"),
        // Exact, case-sensitive comparison of every part.
        CertKey::new("sys.auth.AWS", "i-1", "sports.api"),
        CertKey::new("sys.auth.aws", "I-1", "sports.api"),
        CertKey::new("sys.auth.aws", "i-1", "Sports.api"),
        // No confusion between the parts' boundaries.
        CertKey::new("sys.auth.awsi-1", "", "sports.api"),
    ];
    let mut expected = Vec::new();
    for (n, k) in keys.iter().enumerate() {
        let t = i64::try_from(n).unwrap() + 1;
        expected.push(register(&*store, k, &issued(&format!("{t:x}0"), t)).await);
    }
    for (k, record) in keys.iter().zip(&expected) {
        assert_eq!(store.get(k).await.unwrap().as_ref(), Some(record));
    }

    // Refreshing, revoking and deleting one record touches no other.
    let (_, after) = model_refresh(&expected[1], "20", &issued("aa", 100));
    refresh_expect(
        &*store,
        &keys[1],
        "20",
        &issued("aa", 100),
        RefreshOutcome::Current,
    )
    .await;
    expected[1] = after;
    // The serial of keys[0] presented under keys[2] is unknown there.
    refresh_expect(
        &*store,
        &keys[2],
        "10",
        &issued("bb", 101),
        RefreshOutcome::Revoked,
    )
    .await;
    expected[2] = revoked(&expected[2]);
    assert!(store.delete(&keys[3]).await.unwrap());
    for (n, (k, record)) in keys.iter().zip(&expected).enumerate() {
        let got = store.get(k).await.unwrap();
        if n == 3 {
            assert_eq!(got, None);
        } else {
            assert_eq!(got.as_ref(), Some(record), "record {n}");
        }
    }
}

pub async fn reopen_keeps_data(url: String) {
    let k = key("i-1");
    let expected = {
        let store = fresh(&url).await;
        let record = register(&*store, &k, &issued("a1", 1)).await;
        refresh_expect(&*store, &k, "a1", &issued("b2", 2), RefreshOutcome::Current).await;
        model_refresh(&record, "a1", &issued("b2", 2)).1
    };
    let store = fresh(&url).await;
    assert_eq!(store.get(&k).await.unwrap(), Some(expected));
    // The state machine carries on where it was.
    refresh_expect(
        &*store,
        &k,
        "a1",
        &issued("c3", 3),
        RefreshOutcome::Previous,
    )
    .await;
}

pub async fn migrations_are_idempotent(url: String) {
    let first = fresh(&url).await;
    let second = fresh(&url).await;
    let k = key("i-1");
    let record = register(&*first, &k, &issued("a1", 1)).await;
    assert_eq!(second.get(&k).await.unwrap(), Some(record.clone()));
    drop(first);
    let third = fresh(&url).await;
    assert_eq!(third.get(&k).await.unwrap(), Some(record));
}
