//! Cases about the refresh state machine, one refresh at a time.

use super::*;

pub async fn refresh_with_current_shifts_record(url: String) {
    let store = fresh(&url).await;
    let k = key("i-1");
    let a = issued("0a", 1);
    let b = issued("0b", 2);
    store.insert(&k, &a, true, Some("aws")).await.unwrap();
    refresh_expect(&*store, &k, "0a", &b, RefreshOutcome::Current).await;
    let after_b = CertRecord {
        provider: PROVIDER.to_owned(),
        instance_id: "i-1".to_owned(),
        service: SERVICE.to_owned(),
        current_serial: "0b".to_owned(),
        current_time_ms: 2,
        current_ip: b.ip.clone(),
        prev_serial: "0a".to_owned(),
        prev_time_ms: 1,
        prev_ip: a.ip.clone(),
        client_cert: true,
        expiry_time_ms: b.expiry_time_ms,
        hostname: b.hostname.clone(),
        sia_provider: Some("aws".to_owned()),
        prev_used: false,
    };
    assert_eq!(store.get(&k).await.unwrap(), Some(after_b.clone()));

    // Again with the new current; a refresh without a hostname clears it.
    let c = Issued {
        hostname: None,
        ..issued("0c", 3)
    };
    refresh_expect(&*store, &k, "0b", &c, RefreshOutcome::Current).await;
    let after_c = CertRecord {
        current_serial: "0c".to_owned(),
        current_time_ms: 3,
        current_ip: c.ip.clone(),
        prev_serial: "0b".to_owned(),
        prev_time_ms: 2,
        prev_ip: b.ip.clone(),
        expiry_time_ms: c.expiry_time_ms,
        hostname: None,
        ..after_b
    };
    assert_eq!(store.get(&k).await.unwrap(), Some(after_c));
}

pub async fn refresh_with_previous_is_accepted_once(url: String) {
    let store = fresh(&url).await;
    let k = key("i-1");
    let a = issued("0a", 1);
    let record = register(&*store, &k, &a).await;
    refresh_expect(&*store, &k, "0a", &issued("0b", 2), RefreshOutcome::Current).await;
    // The client lost the response carrying 0b and retries with 0a.
    let c = issued("0c", 3);
    refresh_expect(&*store, &k, "0a", &c, RefreshOutcome::Previous).await;
    let after_c = CertRecord {
        current_serial: "0c".to_owned(),
        current_time_ms: 3,
        current_ip: c.ip.clone(),
        prev_serial: "0a".to_owned(),
        prev_time_ms: 1,
        prev_ip: a.ip.clone(),
        expiry_time_ms: c.expiry_time_ms,
        hostname: c.hostname.clone(),
        prev_used: true,
        ..record
    };
    assert_eq!(store.get(&k).await.unwrap(), Some(after_c.clone()));

    // Not a second time: that revokes, changing only the serials.
    refresh_expect(&*store, &k, "0a", &issued("0d", 4), RefreshOutcome::Revoked).await;
    assert_eq!(store.get(&k).await.unwrap(), Some(revoked(&after_c)));
    // From then on even the certificate issued last is refused.
    refresh_expect(&*store, &k, "0c", &issued("0e", 5), RefreshOutcome::Revoked).await;
    assert_eq!(store.get(&k).await.unwrap(), Some(revoked(&after_c)));
}

pub async fn refresh_after_previous_restores_a_fallback(url: String) {
    let store = fresh(&url).await;
    let k = key("i-1");
    let mut expected = register(&*store, &k, &issued("0a", 1)).await;
    // a -> b (current), a -> c (previous), c -> d (current): d's fallback is
    // c, unused; c -> e (previous); e -> f (current); e -> g (previous).
    let steps = [
        ("0a", "0b", RefreshOutcome::Current),
        ("0a", "0c", RefreshOutcome::Previous),
        ("0c", "0d", RefreshOutcome::Current),
        ("0c", "0e", RefreshOutcome::Previous),
        ("0e", "0f", RefreshOutcome::Current),
        ("0e", "10", RefreshOutcome::Previous),
        ("10", "11", RefreshOutcome::Current),
        ("11", "12", RefreshOutcome::Current),
        ("12", "13", RefreshOutcome::Current),
    ];
    for (t, (presented, new, outcome)) in (2..).zip(steps) {
        let next = issued(new, t);
        refresh_expect(&*store, &k, presented, &next, outcome).await;
        let (model_outcome, model_next) = model_refresh(&expected, presented, &next);
        assert_eq!(model_outcome, outcome, "the model agrees");
        expected = model_next;
        assert_eq!(store.get(&k).await.unwrap().as_ref(), Some(&expected));
    }
    assert_eq!(
        (
            expected.current_serial.as_str(),
            expected.prev_serial.as_str()
        ),
        ("13", "12")
    );
}

pub async fn refresh_with_unknown_serial_revokes_for_good(url: String) {
    let store = fresh(&url).await;
    let k = key("i-1");
    register(&*store, &k, &issued("0a", 1)).await;
    refresh_expect(&*store, &k, "0a", &issued("0b", 2), RefreshOutcome::Current).await;
    let live = store.get(&k).await.unwrap().unwrap();
    assert!(!live.prev_used, "0a is a usable fallback");
    // A serial this record never had: somebody else holds a copy.
    refresh_expect(&*store, &k, "ff", &issued("0c", 3), RefreshOutcome::Revoked).await;
    assert_eq!(store.get(&k).await.unwrap(), Some(revoked(&live)));
    // Neither the current nor the unused previous serial works any more, nor
    // the revocation marker itself.
    for (t, presented) in (4..).zip(["0b", "0a", REVOKED_SERIAL, "0c"]) {
        refresh_expect(
            &*store,
            &k,
            presented,
            &issued("0d", t),
            RefreshOutcome::Revoked,
        )
        .await;
        assert_eq!(store.get(&k).await.unwrap(), Some(revoked(&live)));
    }
}

pub async fn refresh_presenting_revoked_marker_revokes(url: String) {
    let store = fresh(&url).await;
    let k = key("i-1");
    let record = register(&*store, &k, &issued("0a", 1)).await;
    refresh_expect(
        &*store,
        &k,
        REVOKED_SERIAL,
        &issued("0b", 2),
        RefreshOutcome::Revoked,
    )
    .await;
    assert_eq!(store.get(&k).await.unwrap(), Some(revoked(&record)));
}

pub async fn refresh_missing_is_not_found_and_writes_nothing(url: String) {
    let store = fresh(&url).await;
    let present = register(&*store, &key("i-1"), &issued("0a", 1)).await;
    for (t, presented) in (2..).zip(["0a", "ff", REVOKED_SERIAL]) {
        refresh_expect(
            &*store,
            &key("i-2"),
            presented,
            &issued("0b", t),
            RefreshOutcome::NotFound,
        )
        .await;
    }
    assert_eq!(store.get(&key("i-2")).await.unwrap(), None);
    assert!(!store.delete(&key("i-2")).await.unwrap());
    assert_eq!(store.get(&key("i-1")).await.unwrap(), Some(present));
}

pub async fn delete_after_revoke_then_insert_works(url: String) {
    let store = fresh(&url).await;
    let k = key("i-1");
    let record = register(&*store, &k, &issued("0a", 1)).await;
    refresh_expect(&*store, &k, "ff", &issued("0b", 2), RefreshOutcome::Revoked).await;
    assert_eq!(store.get(&k).await.unwrap(), Some(revoked(&record)));
    assert!(store.delete(&k).await.unwrap());
    assert_eq!(store.get(&k).await.unwrap(), None);
    refresh_expect(
        &*store,
        &k,
        "0a",
        &issued("0c", 3),
        RefreshOutcome::NotFound,
    )
    .await;
    // The instance registers again and refreshes normally.
    let fresh_record = register(&*store, &k, &issued("0d", 4)).await;
    refresh_expect(&*store, &k, "0d", &issued("0e", 5), RefreshOutcome::Current).await;
    let (_, expected) = model_refresh(&fresh_record, "0d", &issued("0e", 5));
    assert_eq!(store.get(&k).await.unwrap(), Some(expected));
}
