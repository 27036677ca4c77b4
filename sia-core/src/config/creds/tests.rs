use crate::config::SiaConfig;
use crate::error::Error;

fn problems(text: &str) -> Vec<String> {
    match SiaConfig::parse(text).unwrap_err() {
        Error::Config(m) => m,
        e => panic!("{e}"),
    }
}

#[test]
fn roles_and_access_tokens_parse() {
    let l = SiaConfig::parse(
        r#"{
          "service": "api",
          "generate_role_key": true, "role_certs_required": true, "store_token_option": 0,
          "roles": {
            "sports:role.readers": {},
            "media.news:role.writers": {"filename": "w.pem", "expiry_time": 60,
                                        "service": "ui", "user": "sia", "group": "athenz"}
          },
          "access_tokens": {
            "sports/readers": {},
            "media/all": {"roles": ["*"], "expires_in": 600, "service": "ui"},
            "media/two": {"roles": ["a", "b.c"]}
          }
        }"#,
    )
    .unwrap();
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    let c = l.config;
    assert!(c.generate_role_key && c.role_certs_required);
    assert_eq!(c.store_token_option, Some(0));
    assert_eq!(c.roles.len(), 2);
    let w = &c.roles["media.news:role.writers"];
    assert_eq!(w.filename.as_deref(), Some("w.pem"));
    assert_eq!(w.expiry_time, Some(60));
    assert_eq!(w.service.as_deref(), Some("ui"));
    assert_eq!(
        (w.user.as_deref(), w.group.as_deref()),
        (Some("sia"), Some("athenz"))
    );
    assert_eq!(c.roles["sports:role.readers"], Default::default());
    assert_eq!(c.access_tokens["media/all"].roles, ["*"]);
    assert_eq!(c.access_tokens["media/all"].expires_in, Some(600));
    assert!(c.access_tokens["sports/readers"].roles.is_empty());
    // Without accounts roles, the top-level ones apply.
    assert_eq!(c.roles_for(None).len(), 2);
}

#[test]
fn an_account_roles_block_replaces_the_top_level_one() {
    let c = SiaConfig::parse(
        r#"{"roles": {"top:role.r": {}},
            "accounts": [{"domain": "d", "account": "1", "roles": {"acct:role.r": {}}},
                         {"domain": "e", "account": "2"}]}"#,
    )
    .unwrap()
    .config;
    let keys = |m: &std::collections::BTreeMap<String, _>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(c.roles_for(Some("1"))), ["acct:role.r"]);
    assert_eq!(keys(c.roles_for(Some("2"))), ["top:role.r"]);
}

#[test]
fn unsupported_entry_fields_are_reported_by_name() {
    let l = SiaConfig::parse(
        r#"{"roles": {"d:role.r": {"cert_threshold_to_check": 5, "file": "x"}},
            "accounts": [{"domain": "d", "account": "1",
                          "roles": {"d:role.s": {"colour": 1}}}],
            "access_tokens": {"d/t": {"role_in_aud_claim": true, "rolez": []}}}"#,
    )
    .unwrap();
    let w = l.warnings.join("\n");
    for expected in [
        "`roles.\"d:role.r\".cert_threshold_to_check` is an Athenz field",
        "unknown field `roles.\"d:role.r\".file`",
        "unknown field `accounts[0].roles.\"d:role.s\".colour`",
        "`access_tokens.\"d/t\".role_in_aud_claim` is an Athenz field",
        "unknown field `access_tokens.\"d/t\".rolez`",
    ] {
        assert!(w.contains(expected), "missing {expected:?} in\n{w}");
    }
    assert_eq!(l.warnings.len(), 5, "{w}");
}

#[test]
fn bad_role_entries_name_the_key() {
    let m = problems(
        r#"{"roles": {
             "sports.readers": {},
             "bad domain:role.r": {},
             "sports:role.": {},
             "sports:role.-x": {},
             "ok:role.neg": {"expiry_time": -5},
             "ok:role.svc": {"service": "a b"},
             "ok:role.dir": {"filename": "certs/"}
           },
           "accounts": [{"domain": "d", "account": "1", "roles": {"nope": {}}}]}"#,
    );
    let all = m.join("\n");
    for expected in [
        "roles.\"sports.readers\": expected <domain>:role.<role>",
        "roles.\"bad domain:role.r\": invalid domain name",
        "roles.\"sports:role.\": invalid entity name",
        "roles.\"sports:role.-x\": invalid entity name",
        "roles.\"ok:role.neg\": expiry_time must be >= 0",
        "roles.\"ok:role.svc\": `a b` is not a service name",
        "roles.\"ok:role.dir\": filename `certs/` names a directory",
        "accounts[0].roles.\"nope\": expected <domain>:role.<role>",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in\n{all}");
    }
    assert_eq!(m.len(), 8, "{all}");
}

#[test]
fn bad_token_entries_name_the_key() {
    let m = problems(
        r#"{"store_token_option": 3,
            "access_tokens": {
              "sports": {},
              "/file": {},
              "sports/": {},
              "sports/a/b": {},
              "sports/..": {},
              "sports/my token": {},
              "sports/mix": {"roles": ["*", "r"]},
              "sports/badrole": {"roles": ["ok", "no:pe"]},
              "sports/neg": {"roles": ["r"], "expires_in": -1}
            }}"#,
    );
    let all = m.join("\n");
    for expected in [
        "store_token_option must be 0, 1 or 2, got 3",
        "access_tokens.\"sports\": expected <domain>/<fileName>",
        "access_tokens.\"/file\": invalid domain name",
        "access_tokens.\"sports/\": the file name after `/` must be one non-empty path component",
        "access_tokens.\"sports/a/b\": the file name after `/`",
        "access_tokens.\"sports/..\": the file name after `/`",
        "access_tokens.\"sports/my token\": no roles listed and the file name `my token` is not a \
         role name",
        "access_tokens.\"sports/mix\": `*` (every role) cannot be combined",
        "access_tokens.\"sports/badrole\": invalid entity name \"no:pe\"",
        "access_tokens.\"sports/neg\": expires_in must be >= 0 seconds",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in\n{all}");
    }
    assert_eq!(m.len(), 10, "{all}");
}

#[test]
fn key_helpers_lowercase_names_but_keep_file_names() {
    let (d, r) = super::parse_role_key("Sports.API:role.Readers").unwrap();
    assert_eq!((d.as_str(), r.as_str()), ("sports.api", "readers"));
    let (d, f) = super::parse_token_key("Sports/Readers.JWT").unwrap();
    assert_eq!((d.as_str(), f.as_str()), ("sports", "Readers.JWT"));
    assert_eq!(
        super::token_roles("k", "Readers", &[]).unwrap(),
        ["readers"]
    );
    assert_eq!(
        super::token_roles("k", "f", &["A".into(), "b".into()]).unwrap(),
        ["a", "b"]
    );
    assert_eq!(super::token_roles("k", "f", &["*".into()]).unwrap(), ["*"]);
}
