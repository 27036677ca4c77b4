use super::*;

#[test]
fn parses_supported_fields() {
    let l = SiaConfig::parse(
        r#"{
          "version": "1.0.0",
          "service": "api",
          "services": {"api": {}, "ui": {"user": "nobody", "key_filename": "ui.key"}},
          "accounts": [
            {"domain": "sports", "account": "111111111111", "user": "sia"},
            {"domain": "media", "account": "222222222222", "service": "web"}
          ],
          "sandns_wildcard": true, "sandns_hostname": true, "sandns_x509_cnames": "a.b.c,d.e.f",
          "expiry_time": 600, "refresh_interval": 60, "fail_count_for_exit": 3,
          "sia_key_dir": "/tmp/keys", "sia_cert_dir": "/tmp/certs",
          "spiffe_trust_domain": "athenz.io", "rotate_key": true,
          "key_type": "rsa", "refresh_fraction": 0.25, "retry_initial_ms": 200,
          "dns_domains": ["aws.example.com"]
        }"#,
    )
    .unwrap();
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    let c = l.config;
    assert_eq!(c.service.as_deref(), Some("api"));
    assert_eq!(c.services["ui"].user.as_deref(), Some("nobody"));
    assert_eq!(c.services["ui"].key_filename.as_deref(), Some("ui.key"));
    assert_eq!(c.accounts.len(), 2);
    assert!(c.sandns_wildcard && c.sandns_hostname && c.rotate_key);
    assert_eq!(c.expiry_time, Some(600));
    assert_eq!(c.refresh_interval, Some(60));
    assert_eq!(c.fail_count_for_exit, Some(3));
    assert_eq!(c.sia_key_dir.as_deref(), Some(Path::new("/tmp/keys")));
    assert_eq!(c.refresh_fraction, Some(0.25));
    assert_eq!(c.retry_initial_ms, Some(200));
    assert_eq!(c.dns_domains, ["aws.example.com"]);
    let a = c.select_account(Some("222222222222")).unwrap();
    assert_eq!(a.domain.as_deref(), Some("media"));
    assert_eq!(c.select_account(Some("333333333333")), None);
    assert_eq!(c.select_account(None), None);
}

#[test]
fn single_account_is_selected_whatever_the_id() {
    let c = SiaConfig::parse(r#"{"accounts":[{"domain":"d","account":"1"}]}"#)
        .unwrap()
        .config;
    assert_eq!(
        c.select_account(Some("2")).unwrap().domain.as_deref(),
        Some("d")
    );
}

#[test]
fn unsupported_and_unknown_fields_are_reported_by_name() {
    let l = SiaConfig::parse(
        r#"{
          "service": "api",
          "ssh": false,
          "file_direct_update": true,
          "refresh_intervl": 5,
          "accounts": [{"domain": "d", "account": "1", "omit_domain": true, "acount": "x"}],
          "services": {"api": {"sds_node_id": "n", "colour": "red"}}
        }"#,
    )
    .unwrap();
    let w = l.warnings.join("\n");
    for expected in [
        "`ssh` is an Athenz field this agent does not support",
        "`file_direct_update` is an Athenz field",
        "unknown field `refresh_intervl`",
        "`accounts[0].omit_domain` is an Athenz field",
        "unknown field `accounts[0].acount`",
        "`services.api.sds_node_id` is an Athenz field",
        "unknown field `services.api.colour`",
    ] {
        assert!(w.contains(expected), "missing {expected:?} in\n{w}");
    }
    assert_eq!(l.warnings.len(), 7);
    assert_eq!(l.config.service.as_deref(), Some("api"));
    assert_eq!(l.config.accounts[0].domain.as_deref(), Some("d"));
}

#[test]
fn bad_values_are_all_reported() {
    let e = SiaConfig::parse(
        r#"{"refresh_fraction": 1.5, "retry_initial_ms": 0, "key_type": "dsa", "expiry_time": -1}"#,
    )
    .unwrap_err();
    let Error::Config(msgs) = e else {
        panic!("{e}")
    };
    assert_eq!(msgs.len(), 4, "{msgs:?}");
    let e = SiaConfig::parse(r#"{"refresh_interval": "soon"}"#).unwrap_err();
    assert!(e.to_string().contains("invalid type"), "{e}");
    assert!(SiaConfig::parse("[]").is_err());
    assert!(SiaConfig::parse("{").is_err());
}

#[test]
fn load_names_the_file() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("sia_config");
    std::fs::write(&p, r#"{"fail_count_for_exit": 0}"#).unwrap();
    let e = SiaConfig::load(&p).unwrap_err().to_string();
    assert!(e.contains("sia_config: fail_count_for_exit"), "{e}");
    assert!(SiaConfig::load(&d.path().join("missing")).is_err());
}
