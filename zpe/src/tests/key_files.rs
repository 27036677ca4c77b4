//! Key files: `athenz.conf` (ybase64 PEM entries) and SIA's JWK `athenz.conf`, a JWK set, the
//! merged file loader, and the errors for a bad key or file.

use super::*;
use crate::{KeyError, Reason};
use model::jwt::{Jwk, JwkList};
use model::zts_token::{AthenzConf, AthenzJwkConfig, PublicKeyEntry};

fn entry(id: &str, key: &SigningKey) -> PublicKeyEntry {
    PublicKeyEntry {
        id: id.into(),
        key: key.verifying_key().to_ybase64_pem(),
    }
}

fn athenz_conf(zts: Vec<PublicKeyEntry>, zms: Vec<PublicKeyEntry>) -> Vec<u8> {
    serde_json::to_vec(&AthenzConf {
        zms_url: Some("https://zms.example:4443/zms/v1".into()),
        zts_url: Some("https://zts.example:4443/zts/v1".into()),
        zts_public_keys: zts,
        zms_public_keys: zms,
    })
    .unwrap()
}

fn jwk(kid: &str, key: &SigningKey, rfc: bool) -> Jwk {
    Jwk::from_key(kid, key.verifying_key(), rfc).unwrap()
}

fn jwk_conf(zts: Vec<Jwk>, zms: Vec<Jwk>) -> Vec<u8> {
    serde_json::to_vec(&AthenzJwkConfig {
        zts: JwkList { keys: zts },
        zms: JwkList { keys: zms },
        modified: Some(model::Timestamp::from_millis(1_700_000_000_000)),
    })
    .unwrap()
}

/// The keys verify: a policy file signed with `zts` under `kid` loads, an access token decides.
fn keys_work(keys: KeyStore, kid: &str, zts: &SigningKey) {
    let s = PolicyStore::new(keys, ZpeConfig::default());
    let data = signed_data(
        "sports",
        vec![allow("sports:role.readers", "read", "sports:*")],
        now_ms() + HOUR_MS,
    );
    s.load_policy_bytes(&legacy_file(&data, zts, kid)).unwrap();
    let now = now_ms() / 1000;
    let at = access_token(
        zts,
        kid,
        &access_claims("sports", &["readers"], now, now + 60),
    );
    assert_eq!(s.allow(&at, "read", "sports:x").1, Reason::Allow);
}

#[test]
fn athenz_conf_keys() {
    let (ec, rsa, zms) = (key(), rsa_key(), key());
    let bytes = athenz_conf(
        vec![entry("0", &ec), entry("1", &rsa)],
        vec![entry("zms.0", &zms)],
    );
    let keys = KeyStore::from_athenz_conf(&bytes).unwrap();
    assert_eq!(keys.zts_key_ids(), ["0", "1"]);
    assert_eq!(keys.zms_key_ids(), ["zms.0"]);
    assert_eq!(keys.zts_key("1"), Some(rsa.verifying_key()));
    assert_eq!(keys.zms_key("zms.0"), Some(zms.verifying_key()));
    keys_work(keys.clone(), "0", &ec);
    keys_work(keys, "1", &rsa);
    // only the keys matter: no URLs, no ZMS keys
    let bare = format!(
        r#"{{"ztsPublicKeys":[{{"id":"0","key":"{}"}}]}}"#,
        entry("0", &ec).key
    );
    assert_eq!(
        KeyStore::from_athenz_conf(bare.as_bytes())
            .unwrap()
            .zts_key_ids(),
        ["0"]
    );
}

#[test]
fn jwk_conf_keys() {
    let (ec, rsa, zms) = (key(), rsa_key(), key());
    let bytes = jwk_conf(
        vec![jwk("0", &ec, true), jwk("rsa", &rsa, false)],
        vec![jwk("zms.0", &zms, false)],
    );
    let keys = KeyStore::from_jwk_conf(&bytes).unwrap();
    assert_eq!(keys.zts_key_ids(), ["0", "rsa"]);
    assert_eq!(keys.zts_key("0"), Some(ec.verifying_key()));
    assert_eq!(keys.zms_key("zms.0"), Some(zms.verifying_key()));
    keys_work(keys.clone(), "0", &ec);
    keys_work(keys, "rsa", &rsa);
}

#[test]
fn jwk_set_is_added_whole_or_not_at_all() {
    let (a, b) = (key(), rsa_key());
    let mut keys = keys_with("0", &a);
    keys.add_jwks(&JwkList {
        keys: vec![jwk("zts.1", &b, true)],
    })
    .unwrap();
    assert_eq!(keys.zts_key_ids(), ["0", "zts.1"]);
    let mut broken = jwk("zts.3", &a, true);
    broken.crv = Some("P-384".into());
    let err = keys
        .add_jwks(&JwkList {
            keys: vec![jwk("zts.2", &a, true), broken],
        })
        .unwrap_err();
    assert!(
        matches!(&err, KeyError::BadKey { format: "JWK set", list: "keys", key_id, .. } if key_id == "zts.3"),
        "{err:?}"
    );
    assert_eq!(keys.zts_key_ids(), ["0", "zts.1"]);
    keys_work(keys, "zts.1", &b);
}

#[test]
fn a_bad_key_fails_the_load() {
    let ec = key();
    let mut bad = entry("bad", &ec);
    bad.key.truncate(40);
    let err =
        KeyStore::from_athenz_conf(&athenz_conf(vec![entry("0", &ec), bad], vec![])).unwrap_err();
    assert!(
        matches!(&err, KeyError::BadKey { format: "athenz.conf", list: "ztsPublicKeys", key_id, .. } if key_id == "bad"),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("ztsPublicKeys") && text.contains("\"bad\""),
        "{text}"
    );

    let not_b64 = PublicKeyEntry {
        id: "z".into(),
        key: "%%%".into(),
    };
    let err = KeyStore::from_athenz_conf(&athenz_conf(vec![], vec![not_b64])).unwrap_err();
    assert!(
        matches!(
            err,
            KeyError::BadKey {
                list: "zmsPublicKeys",
                ..
            }
        ),
        "{err:?}"
    );
    let err = KeyStore::from_athenz_conf(&athenz_conf(vec![entry("", &ec)], vec![])).unwrap_err();
    assert!(matches!(err, KeyError::BadKey { .. }), "{err:?}");

    let mut oct = jwk("sym", &ec, true);
    oct.kty = "oct".into();
    let err =
        KeyStore::from_jwk_conf(&jwk_conf(vec![jwk("0", &ec, true), oct], vec![])).unwrap_err();
    assert!(
        matches!(&err, KeyError::BadKey { format: "JWK athenz.conf", list: "zts.keys", key_id, .. } if key_id == "sym"),
        "{err:?}"
    );
    let mut no_x = jwk("zms.0", &ec, true);
    no_x.x = None;
    let err = KeyStore::from_jwk_conf(&jwk_conf(vec![], vec![no_x])).unwrap_err();
    assert!(
        matches!(
            err,
            KeyError::BadKey {
                list: "zms.keys",
                ..
            }
        ),
        "{err:?}"
    );

    for bytes in [&b"not json"[..], br#"{"ztsPublicKeys":{}}"#, b"[]"] {
        let err = KeyStore::from_athenz_conf(bytes).unwrap_err();
        assert!(
            matches!(
                err,
                KeyError::Malformed {
                    format: "athenz.conf",
                    ..
                }
            ),
            "{err:?}"
        );
    }
    let err = KeyStore::from_jwk_conf(br#"{"zts":{"keys":"none"}}"#).unwrap_err();
    assert!(
        matches!(
            err,
            KeyError::Malformed {
                format: "JWK athenz.conf",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn files_of_both_formats_merge() {
    let dir = tempfile::tempdir().unwrap();
    let (ec, rsa, zms) = (key(), rsa_key(), key());
    let conf = dir.path().join("athenz.conf");
    let sia = dir.path().join("sia-athenz.conf");
    std::fs::write(
        &conf,
        athenz_conf(vec![entry("0", &ec)], vec![entry("zms.0", &zms)]),
    )
    .unwrap();
    std::fs::write(&sia, jwk_conf(vec![jwk("1", &rsa, true)], vec![])).unwrap();
    let keys = KeyStore::load_files([&conf, &sia]).unwrap();
    assert_eq!(keys.zts_key_ids(), ["0", "1"]);
    assert_eq!(keys.zms_key_ids(), ["zms.0"]);
    keys_work(keys.clone(), "0", &ec);
    keys_work(keys, "1", &rsa);
    // a later file replaces a key of the same id
    let newer = dir.path().join("newer.conf");
    std::fs::write(&newer, jwk_conf(vec![jwk("0", &rsa, true)], vec![])).unwrap();
    let keys = KeyStore::load_files([&conf, &newer]).unwrap();
    assert_eq!(keys.zts_key("0"), Some(rsa.verifying_key()));
    assert_eq!(
        KeyStore::load_files(Vec::<&std::path::Path>::new())
            .unwrap()
            .zts_key_ids()
            .len(),
        0
    );
}

#[test]
fn file_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let ec = key();
    let good = dir.path().join("athenz.conf");
    std::fs::write(&good, athenz_conf(vec![entry("0", &ec)], vec![])).unwrap();

    let missing = dir.path().join("missing.conf");
    let err = KeyStore::load_files([&good, &missing]).unwrap_err();
    assert!(
        matches!(&err, KeyError::Io { path, .. } if *path == missing),
        "{err:?}"
    );

    let other = dir.path().join("other.json");
    std::fs::write(&other, br#"{"domain":"sports"}"#).unwrap();
    let err = KeyStore::load_files([&other]).unwrap_err();
    assert!(
        matches!(&err, KeyError::UnknownFormat { path } if *path == other),
        "{err:?}"
    );

    let bad = dir.path().join("bad.conf");
    let mut broken = jwk("1", &ec, true);
    broken.y = Some("AAAA".into());
    std::fs::write(&bad, jwk_conf(vec![broken], vec![])).unwrap();
    let err = KeyStore::load_files([&good, &bad]).unwrap_err();
    match &err {
        KeyError::InFile { path, error } => {
            assert_eq!(*path, bad);
            assert!(
                matches!(
                    **error,
                    KeyError::BadKey {
                        list: "zts.keys",
                        ..
                    }
                ),
                "{error:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("bad.conf"), "{err}");

    let junk = dir.path().join("junk.conf");
    std::fs::write(&junk, b"{").unwrap();
    let err = KeyStore::load_files([&junk]).unwrap_err();
    assert!(matches!(&err, KeyError::InFile { .. }), "{err:?}");
}
