//! Role tokens: valid, tampered, expired, wrong key, malformed; the cache.

use super::*;
use crate::{AccessResult, Reason};

fn setup() -> (PolicyStore, SigningKey, i64) {
    let data = signed_data(
        "sports",
        vec![
            allow("sports:role.readers", "read", "sports:*"),
            deny("sports:role.readers", "read", "sports:secret"),
        ],
        now_ms() + 48 * HOUR_MS,
    );
    let (store, k) = store_with(&data);
    (store, k, now_ms() / 1000)
}

#[test]
fn valid_token_decides_and_is_cached() {
    let (s, k, now) = setup();
    let t = role_token(&k, "0", "sports", "writers,readers", now, now + 3600);
    assert_eq!(
        s.allow(&t, "read", "sports:news"),
        (AccessResult::Allow, Reason::Allow)
    );
    assert_eq!(s.cached_tokens(), 1);
    assert_eq!(s.allow(&t, "read", "sports:secret").1, Reason::Deny);
    assert_eq!(s.allow(&t, "write", "sports:news").1, Reason::DenyNoMatch);
    assert_eq!(s.allow(&t, "read", "").1, Reason::DenyInvalidParameters);
    assert_eq!(s.cached_tokens(), 1);
}

#[test]
fn tampered_token_is_invalid() {
    let (s, k, now) = setup();
    let t = role_token(&k, "0", "sports", "writers", now, now + 3600);
    let tampered = t.replace("r=writers", "r=readers");
    assert_eq!(
        s.allow(&tampered, "read", "sports:news").1,
        Reason::DenyRoleTokenInvalid
    );
    let (head, _) = t.split_once(";s=").unwrap();
    assert_eq!(
        s.allow(&format!("{head};s=AAAA"), "read", "sports:news").1,
        Reason::DenyRoleTokenInvalid
    );
    assert_eq!(
        s.allow(head, "read", "sports:news").1,
        Reason::DenyRoleTokenInvalid
    );
    assert_eq!(s.cached_tokens(), 0);
}

#[test]
fn wrong_or_unknown_key_is_invalid() {
    let (s, _, now) = setup();
    let other = key();
    let t = role_token(&other, "0", "sports", "readers", now, now + 3600);
    assert_eq!(
        s.allow(&t, "read", "sports:news").1,
        Reason::DenyRoleTokenInvalid
    );
    let t = role_token(&other, "9", "sports", "readers", now, now + 3600);
    assert_eq!(
        s.allow(&t, "read", "sports:news").1,
        Reason::DenyRoleTokenInvalid
    );
}

#[test]
fn expired_token() {
    let (s, k, now) = setup();
    let t = role_token(&k, "0", "sports", "readers", now - 7200, now - 10);
    assert_eq!(
        s.allow(&t, "read", "sports:news"),
        (AccessResult::Deny, Reason::DenyRoleTokenExpired)
    );
    // a cached token that expires later is refused as expired, then dropped by reload
    let t = role_token(&k, "0", "sports", "readers", now, now + 60);
    assert_eq!(s.allow(&t, "read", "sports:news").1, Reason::Allow);
    let later = (now + 120) * 1000;
    assert_eq!(
        s.allow_at(&t, "read", "sports:news", later).1,
        Reason::DenyRoleTokenExpired
    );
    s.reload_at(later);
    assert_eq!(s.cached_tokens(), 0);
}

#[test]
fn token_time_limits() {
    let (s, k, now) = setup();
    // issued beyond the allowed offset in the future
    let t = role_token(&k, "0", "sports", "readers", now + 3600, now + 7200);
    assert_eq!(
        s.allow(&t, "read", "sports:news").1,
        Reason::DenyRoleTokenInvalid
    );
    // issued within the offset is fine
    let t = role_token(&k, "0", "sports", "readers", now + 100, now + 7200);
    assert_eq!(s.allow(&t, "read", "sports:news").1, Reason::Allow);
    // lifetime beyond 30 days
    let t = role_token(&k, "0", "sports", "readers", now, now + 40 * 24 * 3600);
    assert_eq!(
        s.allow(&t, "read", "sports:news").1,
        Reason::DenyRoleTokenInvalid
    );
    // no expiry at all
    let t = role_token(&k, "0", "sports", "readers", now, 0);
    assert_eq!(
        s.allow(&t, "read", "sports:news").1,
        Reason::DenyRoleTokenInvalid
    );
}

#[test]
fn malformed_tokens_are_invalid() {
    let (s, k, now) = setup();
    for unsigned in [
        format!("v=Z2;d=sports;r=readers;t={now};e={};k=0", now + 60),
        format!("v=Z1;r=readers;t={now};e={};k=0", now + 60),
        format!("v=Z1;d=sports;t={now};e={};k=0", now + 60),
        format!("v=Z1;d=sports;r=readers;t=x;e={};k=0", now + 60),
        "Bearer abc".to_string(),
    ] {
        let sig = k.sign_ybase64(unsigned.as_bytes()).unwrap();
        let t = format!("{unsigned};s={sig}");
        assert_eq!(
            s.allow(&t, "read", "sports:news").1,
            Reason::DenyRoleTokenInvalid,
            "{t}"
        );
    }
}

#[test]
fn token_for_unknown_domain() {
    let (s, k, now) = setup();
    let t = role_token(&k, "0", "weather", "readers", now, now + 3600);
    assert_eq!(
        s.allow(&t, "read", "weather:x").1,
        Reason::DenyDomainNotFound
    );
}

#[test]
fn cache_is_bounded() {
    let k = key();
    let config = ZpeConfig {
        max_token_cache_entries: 2,
        ..ZpeConfig::default()
    };
    let s = PolicyStore::new(keys_with("0", &k), config);
    let data = signed_data(
        "sports",
        vec![allow("sports:role.r", "*", "*")],
        now_ms() + HOUR_MS,
    );
    s.load_policy_bytes(&legacy_file(&data, &k, "0")).unwrap();
    let now = now_ms() / 1000;
    for i in 0..5 {
        let t = role_token(&k, "0", "sports", "r", now, now + 600 + i);
        assert_eq!(s.allow(&t, "a", "b").1, Reason::Allow);
    }
    assert_eq!(s.cached_tokens(), 2);
}
