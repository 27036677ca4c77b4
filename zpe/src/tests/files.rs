//! Policy files: both forms load; tampered, wrong-key, unknown-key and expired files are refused
//! with the reason, and a refused file does not replace what was loaded.

use super::*;
use crate::{LoadError, Reason};

fn data() -> SignedPolicyData {
    signed_data(
        "sports",
        vec![allow("sports:role.readers", "read", "sports:*")],
        now_ms() + HOUR_MS,
    )
}

fn fresh_store(k: &SigningKey) -> PolicyStore {
    PolicyStore::new(keys_with("zts.0", k), ZpeConfig::default())
}

fn loads(store: &PolicyStore, bytes: &[u8]) {
    assert_eq!(store.load_policy_bytes(bytes).unwrap(), "sports");
    assert_eq!(
        store
            .allow_roles("sports", &["readers"], "read", "sports:x")
            .1,
        Reason::Allow
    );
}

#[test]
fn legacy_and_jws_forms_load() {
    let k = key();
    loads(&fresh_store(&k), &legacy_file(&data(), &k, "zts.0"));
    loads(
        &fresh_store(&k),
        &jws_file(&data(), &k, "zts.0", JwsSignatureFormat::P1363),
    );
    loads(
        &fresh_store(&k),
        &jws_file(&data(), &k, "zts.0", JwsSignatureFormat::Der),
    );
}

#[test]
fn jws_without_unprotected_header_loads() {
    let k = key();
    let mut v: serde_json::Value =
        serde_json::from_slice(&jws_file(&data(), &k, "zts.0", JwsSignatureFormat::P1363)).unwrap();
    v.as_object_mut().unwrap().remove("header");
    loads(&fresh_store(&k), &serde_json::to_vec(&v).unwrap());
}

#[test]
fn legacy_with_extra_fields_verifies() {
    // ZTS's signature covers SignUtils' fields only; `id`, `version`, `active` ride along.
    let k = key();
    let mut d = data();
    d.policy_data.policies[0].assertions[0].id = Some(42);
    d.policy_data.policies[0].version = Some("0".into());
    d.policy_data.policies[0].active = Some(true);
    loads(&fresh_store(&k), &legacy_file(&d, &k, "zts.0"));
}

#[test]
fn tampered_files_are_refused() {
    let k = key();
    let store = fresh_store(&k);
    let good = data();
    let mut evil = data();
    evil.policy_data.policies[0].assertions[0].action = "*".into();

    let legacy = String::from_utf8(legacy_file(&good, &k, "zts.0")).unwrap();
    let tampered = legacy.replace("\"read\"", "\"*\"");
    assert_ne!(legacy, tampered);
    assert_eq!(
        store.load_policy_bytes(tampered.as_bytes()),
        Err(LoadError::BadSignature { service: "zts" })
    );

    // JWS: a payload from other data under the original signature
    let mut jws: serde_json::Value =
        serde_json::from_slice(&jws_file(&good, &k, "zts.0", JwsSignatureFormat::P1363)).unwrap();
    let other: serde_json::Value =
        serde_json::from_slice(&jws_file(&evil, &k, "zts.0", JwsSignatureFormat::P1363)).unwrap();
    jws["payload"] = other["payload"].clone();
    assert_eq!(
        store.load_policy_bytes(&serde_json::to_vec(&jws).unwrap()),
        Err(LoadError::BadSignature { service: "zts" })
    );
    assert!(store.domains().is_empty(), "nothing was loaded");
}

#[test]
fn wrong_and_unknown_keys_are_refused() {
    let (k, other) = (key(), key());
    let store = fresh_store(&k);
    let d = data();
    assert_eq!(
        store.load_policy_bytes(&legacy_file(&d, &other, "zts.0")),
        Err(LoadError::BadSignature { service: "zts" })
    );
    assert_eq!(
        store.load_policy_bytes(&jws_file(&d, &other, "zts.0", JwsSignatureFormat::Der)),
        Err(LoadError::BadSignature { service: "zts" })
    );
    let unknown = LoadError::UnknownKey {
        service: "zts",
        key_id: "zts.9".into(),
    };
    assert_eq!(
        store.load_policy_bytes(&legacy_file(&d, &k, "zts.9")),
        Err(unknown.clone())
    );
    assert_eq!(
        store.load_policy_bytes(&jws_file(&d, &k, "zts.9", JwsSignatureFormat::P1363)),
        Err(unknown)
    );
}

#[test]
fn expired_files_are_refused() {
    let k = key();
    let store = fresh_store(&k);
    let mut d = data();
    d.expires = Timestamp::from_millis(now_ms() - 1000);
    for bytes in [
        legacy_file(&d, &k, "zts.0"),
        jws_file(&d, &k, "zts.0", JwsSignatureFormat::P1363),
    ] {
        assert!(matches!(
            store.load_policy_bytes(&bytes),
            Err(LoadError::Expired { domain, .. }) if domain == "sports"
        ));
    }
    assert_eq!(
        store.allow_roles("sports", &["readers"], "read", "x").1,
        Reason::DenyDomainNotFound
    );
}

#[test]
fn malformed_files_are_refused() {
    let store = fresh_store(&key());
    for bytes in [
        &b"not json"[..],
        b"{}",
        b"{\"signedPolicyData\":{}}",
        b"{\"payload\":\"x\"}",
    ] {
        assert!(
            matches!(store.load_policy_bytes(bytes), Err(LoadError::Malformed(_))),
            "{bytes:?}"
        );
    }
}

#[test]
fn refused_reload_keeps_previous_data() {
    let (k, other) = (key(), key());
    let store = fresh_store(&k);
    store
        .load_policy_bytes(&legacy_file(&data(), &k, "zts.0"))
        .unwrap();
    assert!(
        store
            .load_policy_bytes(&legacy_file(&data(), &other, "zts.0"))
            .is_err()
    );
    assert_eq!(
        store.allow_roles("sports", &["readers"], "read", "x").1,
        Reason::Allow
    );
}

#[test]
fn zms_signature_when_configured() {
    let (zts, zms) = (key(), key());
    let mut keys = keys_with("zts.0", &zts);
    keys.add_zms_key("zms.0", zms.verifying_key().clone());
    let config = ZpeConfig {
        check_zms_signature: true,
        ..ZpeConfig::default()
    };
    let store = PolicyStore::new(keys, config);
    let mut d = data();
    d.zms_key_id = Some("zms.0".into());
    let canonical = d.policy_data.canonical_signable().unwrap();
    d.zms_signature = Some(zms.sign_ybase64(canonical.as_bytes()).unwrap());
    assert_eq!(
        store
            .load_policy_bytes(&legacy_file(&d, &zts, "zts.0"))
            .unwrap(),
        "sports"
    );

    d.zms_signature = Some(zts.sign_ybase64(canonical.as_bytes()).unwrap());
    assert_eq!(
        store.load_policy_bytes(&legacy_file(&d, &zts, "zts.0")),
        Err(LoadError::BadSignature { service: "zms" })
    );
    d.zms_key_id = Some("zms.7".into());
    assert!(matches!(
        store.load_policy_bytes(&legacy_file(&d, &zts, "zts.0")),
        Err(LoadError::UnknownKey { service: "zms", .. })
    ));
}
