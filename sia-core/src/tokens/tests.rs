use super::*;
use crate::agent::register;
use crate::testutil::{FakeZts, attestor, config, mode};

fn response() -> AccessTokenResponse {
    AccessTokenResponse {
        access_token: "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln".into(),
        token_type: "Bearer".into(),
        expires_in: Some(7200),
        scope: Some("sports:role.readers".into()),
        refresh_token: None,
        id_token: None,
    }
}

#[test]
fn file_contents_for_each_store_token_option() {
    let r = response();
    // 0: the whole response, as JSON.
    let whole = StoreTokenOption::from_config(Some(0)).contents(&r).unwrap();
    let back: AccessTokenResponse = serde_json::from_slice(&whole).unwrap();
    assert_eq!(back, r);
    assert!(!String::from_utf8(whole).unwrap().contains("id_token"));
    // 1 and unset: the token as a JSON string (Athenz json.Marshal of the token).
    for v in [None, Some(1)] {
        let one = StoreTokenOption::from_config(v).contents(&r).unwrap();
        assert_eq!(one, format!("\"{}\"", r.access_token).into_bytes());
    }
    // 2: the bare token.
    let two = StoreTokenOption::from_config(Some(2)).contents(&r).unwrap();
    assert_eq!(two, r.access_token.as_bytes());
}

#[test]
fn scopes_and_forms_are_athenz_shaped() {
    let mut t = TokenTarget {
        name: "sports/readers".into(),
        domain: "sports".into(),
        file: "/t/sports/readers".into(),
        service: "api".into(),
        roles: vec!["readers".into(), "writers".into()],
        expires_in: 600,
        owner: Owner::default(),
    };
    assert_eq!(t.scope(), "sports:role.readers sports:role.writers");
    assert_eq!(
        t.form(),
        "grant_type=client_credentials&expires_in=600&scope=sports%3Arole.readers+sports%3Arole.writers"
    );
    t.roles = vec!["*".into()];
    assert_eq!(t.scope(), "sports:domain");
    assert!(t.form().ends_with("&scope=sports%3Adomain"));
}

#[test]
fn tokens_resolve_with_athenz_defaults() {
    let d = tempfile::tempdir().unwrap();
    let cfg = config(
        d.path(),
        r#","services":{"api":{},"ui":{}},"store_token_option":2,"access_tokens":{
            "Sports/readers":{},
            "media/all.jwt":{"roles":["*"],"expires_in":600,"service":"ui"}}"#,
    );
    assert_eq!(
        cfg.store_token_option,
        StoreTokenOption::AccessTokenWithoutQuotes
    );
    let all = &cfg.access_tokens[0];
    assert_eq!(all.name, "Sports/readers");
    assert_eq!(all.domain, "sports");
    assert_eq!(all.file, d.path().join("tokens/Sports/readers"));
    assert_eq!(
        all.roles,
        ["readers"],
        "no roles: the file name is the role"
    );
    assert_eq!(all.expires_in, DEFAULT_TOKEN_EXPIRY_SECS);
    assert_eq!(all.service, "api");
    let m = &cfg.access_tokens[1];
    assert_eq!(m.file, d.path().join("tokens/media/all.jwt"));
    assert_eq!(
        (m.roles.as_slice(), m.expires_in),
        (&["*".to_string()][..], 600)
    );
    assert_eq!(m.service, "ui");
    assert_eq!(
        cfg.timing.token_refresh,
        crate::schedule::DEFAULT_TOKEN_REFRESH_PERIOD
    );
}

#[test]
fn bad_token_service_and_refresh_period_are_reported() {
    let c = SiaConfig::parse(
        r#"{"service":"api","accounts":[{"domain":"d","account":"1"}],
            "access_tokens":{"d/t":{"roles":["r"],"service":"nope"},"d/u":{"roles":["r"]}}}"#,
    )
    .unwrap()
    .config;
    let owner = |_: Option<&str>, _: Option<&str>| Ok(Owner::default());
    let e = AgentConfig::resolve(&c, None, None, &["x".into()], None, &owner, Some("5 min"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(
            "access_tokens.\"d/t\": service `nope` is not one of this agent's services (api)"
        ),
        "{e}"
    );
    assert!(
        e.contains("TOKEN_REFRESH_PERIOD: invalid duration \"5 min\""),
        "{e}"
    );
    let c = SiaConfig::parse(r#"{"service":"api","accounts":[{"domain":"d","account":"1"}]}"#)
        .unwrap()
        .config;
    let cfg =
        AgentConfig::resolve(&c, None, None, &["x".into()], None, &owner, Some("45m")).unwrap();
    assert_eq!(cfg.timing.token_refresh, Duration::from_secs(2700));
    // Without tokens a bad period does not matter.
    AgentConfig::resolve(&c, None, None, &["x".into()], None, &owner, Some("soon")).unwrap();
}

#[tokio::test]
async fn fetch_all_writes_tokens_and_keeps_them_on_failure() {
    let d = tempfile::tempdir().unwrap();
    let cfg = config(
        d.path(),
        r#","access_tokens":{"sports/readers":{"expires_in":900},"media/all":{"roles":["*"]}}"#,
    );
    let zts = FakeZts::new();
    register(&cfg, &zts, &attestor()).await.unwrap();
    let report = fetch_all(&cfg, &zts).await;
    assert!(report.is_ok(), "{:?}", report.failed);
    assert_eq!(report.fetched.len(), 2);
    assert_eq!(report.fetched[0].lifetime, Duration::from_secs(3600));
    let readers = d.path().join("tokens/sports/readers");
    assert_eq!(mode(&readers), TOKEN_MODE);
    assert_eq!(mode(&d.path().join("tokens/sports")), TOKEN_DIR_MODE);
    let text = std::fs::read_to_string(&readers).unwrap();
    assert!(text.starts_with("\"eyJ") && text.ends_with('"'), "{text}");
    let forms = zts.token_forms.lock().unwrap().clone();
    let svc_cert = std::fs::read_to_string(&cfg.services[0].cert_file).unwrap();
    assert_eq!(forms[0].1, svc_cert, "mTLS with the service identity");
    assert!(
        forms
            .iter()
            .any(|(f, _)| f.ends_with("scope=media%3Adomain"))
    );
    assert!(
        forms
            .iter()
            .any(|(f, _)| f.contains("expires_in=900&scope=sports%3Arole.readers"))
    );
    // ZTS without expires_in: the requested lifetime counts.
    *zts.token_expires_in.lock().unwrap() = None;
    let report = fetch_all(&cfg, &zts).await;
    assert_eq!(
        report.fetched[0].lifetime,
        Duration::from_secs(DEFAULT_TOKEN_EXPIRY_SECS)
    );
    assert_eq!(report.fetched[1].lifetime, Duration::from_secs(900));
    // A failure leaves the old file and names the token.
    let before = std::fs::read(&readers).unwrap();
    *zts.token_fail.lock().unwrap() = Some((403, "no roles".into()));
    let report = fetch_all(&cfg, &zts).await;
    assert_eq!(report.failed.len(), 2);
    assert_eq!(std::fs::read(&readers).unwrap(), before);
    let e = report.into_result().unwrap_err().to_string();
    assert_eq!(
        e,
        "access tokens not obtained for media/all, sports/readers: ZTS returned 403: no roles"
    );
}

#[tokio::test]
async fn whole_response_files_hold_the_json() {
    let d = tempfile::tempdir().unwrap();
    let cfg = config(
        d.path(),
        r#","store_token_option":0,"access_tokens":{"sports/r":{}}"#,
    );
    let zts = FakeZts::new();
    register(&cfg, &zts, &attestor()).await.unwrap();
    fetch_all(&cfg, &zts).await.into_result().unwrap();
    let text = std::fs::read(d.path().join("tokens/sports/r")).unwrap();
    let back: AccessTokenResponse = serde_json::from_slice(&text).unwrap();
    assert_eq!(
        (back.token_type.as_str(), back.expires_in),
        ("Bearer", Some(3600))
    );
}
