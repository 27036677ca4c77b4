use super::*;
use crate::config::SiaConfig;
use crate::testutil::{FakeZts, attestor, config, mode};

#[tokio::test]
async fn register_writes_key_cert_and_ca_with_athenz_names_and_modes() {
    let d = tempfile::tempdir().unwrap();
    let cfg = config(d.path(), "");
    let zts = FakeZts::new();
    let certs = register(&cfg, &zts, &attestor()).await.unwrap();
    assert_eq!(certs.len(), 1);
    let key = d.path().join("keys/sports.api.key.pem");
    let cert = d.path().join("certs/sports.api.cert.pem");
    let ca = d.path().join("certs/ca.cert.pem");
    assert_eq!(mode(&key), 0o400);
    assert_eq!(mode(&cert), 0o444);
    assert_eq!(mode(&ca), 0o444);
    assert_eq!(mode(&d.path().join("keys")), 0o700);
    assert_eq!(mode(&d.path().join("certs")), 0o755);
    assert_eq!(std::fs::read_to_string(&ca).unwrap(), zts.ca_pem);
    assert!(has_identity(&cfg.services[0]));
    let r = zts.registers.lock().unwrap()[0].clone();
    assert_eq!(
        (r.provider.as_str(), r.domain.as_str(), r.service.as_str()),
        ("athenz.test.r1", "sports", "api")
    );
    assert_eq!(r.attestation_data, "{\"secret\":\"s3cr3t\"}");
    assert_eq!(r.namespace, None);
    assert_eq!(r.hostname, None);
    assert!(r.csr.contains("BEGIN CERTIFICATE REQUEST"));
}

#[tokio::test]
async fn refresh_reuses_the_key_and_sends_the_current_cert() {
    let d = tempfile::tempdir().unwrap();
    let cfg = config(
        d.path(),
        r#","expiry_time":90,"spiffe_trust_domain":"athenz.io""#,
    );
    let zts = FakeZts::new();
    let a = attestor();
    register(&cfg, &zts, &a).await.unwrap();
    let key_before = std::fs::read(&cfg.services[0].key_file).unwrap();
    let cert_before = std::fs::read_to_string(&cfg.services[0].cert_file).unwrap();
    refresh(&cfg, &zts, &a).await.unwrap();
    assert_eq!(
        std::fs::read(&cfg.services[0].key_file).unwrap(),
        key_before
    );
    let cert_after = std::fs::read_to_string(&cfg.services[0].cert_file).unwrap();
    assert_ne!(cert_after, cert_before);
    let (p, dom, svc, id, info, sent_cert) = zts.refreshes.lock().unwrap()[0].clone();
    assert_eq!(
        (p.as_str(), dom.as_str(), svc.as_str(), id.as_str()),
        ("athenz.test.r1", "sports", "api", "i-1")
    );
    assert_eq!(sent_cert, cert_before);
    assert_eq!(info.expiry_time, Some(90));
    assert_eq!(info.namespace.as_deref(), Some("default"));
    assert!(info.attestation_data.is_some() && info.csr.is_some());
    assert_eq!(
        *a.calls.lock().unwrap(),
        [
            ("sports".into(), "api".into(), false),
            ("sports".into(), "api".into(), true)
        ]
    );
}

#[tokio::test]
async fn a_failed_or_bad_refresh_leaves_the_old_files() {
    let d = tempfile::tempdir().unwrap();
    let cfg = config(d.path(), "");
    let zts = FakeZts::new();
    register(&cfg, &zts, &attestor()).await.unwrap();
    let snapshot = || {
        [
            "keys/sports.api.key.pem",
            "certs/sports.api.cert.pem",
            "certs/ca.cert.pem",
        ]
        .map(|f| std::fs::read(d.path().join(f)).unwrap())
    };
    let before = snapshot();
    *zts.fail.lock().unwrap() = Some((403, "Certificate revoked".into()));
    let e = refresh(&cfg, &zts, &attestor()).await.unwrap_err();
    assert_eq!(e.to_string(), "ZTS returned 403: Certificate revoked");
    assert_eq!(snapshot(), before);
    *zts.fail.lock().unwrap() = None;
    *zts.wrong_key.lock().unwrap() = true;
    let e = refresh(&cfg, &zts, &attestor()).await.unwrap_err();
    assert!(e.to_string().contains("public key"), "{e}");
    assert_eq!(snapshot(), before);
    let names: Vec<_> = std::fs::read_dir(d.path().join("certs"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "no temp files left: {names:?}");
}

#[tokio::test]
async fn rotate_key_writes_a_new_matching_key() {
    let d = tempfile::tempdir().unwrap();
    let cfg = config(d.path(), r#","rotate_key":true,"key_type":"rsa""#);
    let zts = FakeZts::new();
    register(&cfg, &zts, &attestor()).await.unwrap();
    let before = std::fs::read(&cfg.services[0].key_file).unwrap();
    refresh(&cfg, &zts, &attestor()).await.unwrap();
    assert_ne!(std::fs::read(&cfg.services[0].key_file).unwrap(), before);
    assert!(has_identity(&cfg.services[0]));
    let key =
        PrivateKey::from_pem(&std::fs::read_to_string(&cfg.services[0].key_file).unwrap()).unwrap();
    assert_eq!(key.algorithm_name(), "RSA");
}

#[tokio::test]
async fn refresh_or_register_picks_by_what_is_on_disk() {
    let d = tempfile::tempdir().unwrap();
    let cfg = config(d.path(), r#","services":{"ui":{}}"#);
    assert_eq!(cfg.services.len(), 2);
    let zts = FakeZts::new();
    refresh_or_register(&cfg, &zts, &attestor()).await.unwrap();
    assert_eq!(zts.registers.lock().unwrap().len(), 2);
    assert!(d.path().join("certs/sports.ui.cert.pem").exists());
    std::fs::remove_file(d.path().join("certs/sports.ui.cert.pem")).unwrap();
    refresh_or_register(&cfg, &zts, &attestor()).await.unwrap();
    assert_eq!(zts.registers.lock().unwrap().len(), 3);
    assert_eq!(zts.refreshes.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn daemon_gives_up_after_fail_count_for_exit() {
    let d = tempfile::tempdir().unwrap();
    let cfg = config(d.path(), r#","fail_count_for_exit":3"#);
    let zts = FakeZts::new();
    *zts.fail.lock().unwrap() = Some((403, "no".into()));
    let mut ready = 0;
    let e = crate::daemon::run(&cfg, &zts, &attestor(), std::future::pending(), || {
        ready += 1
    })
    .await
    .unwrap_err();
    assert!(matches!(e, Error::TooManyFailures { count: 3, .. }), "{e}");
    assert!(e.to_string().contains("ZTS returned 403: no"), "{e}");
    assert_eq!(ready, 0);
    assert_eq!(zts.registers.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn daemon_reports_ready_then_stops_on_shutdown() {
    let d = tempfile::tempdir().unwrap();
    let cfg = config(d.path(), "");
    let zts = FakeZts::new();
    let stop = tokio::sync::Notify::new();
    let mut ready = 0;
    crate::daemon::run(&cfg, &zts, &attestor(), stop.notified(), || {
        ready += 1;
        stop.notify_one();
    })
    .await
    .unwrap();
    assert_eq!(ready, 1);
    assert!(has_identity(&cfg.services[0]));
}

#[test]
fn resolution_reports_every_problem_and_applies_groups() {
    let c = SiaConfig::parse(r#"{"accounts":[{"account":"1"},{"account":"2"}]}"#)
        .unwrap()
        .config;
    let e = AgentConfig::from_sia_config(&c, Some("3"), &[], None).unwrap_err();
    let Error::Config(m) = e else { panic!() };
    assert_eq!(m.len(), 4, "{m:?}");
    let c = SiaConfig::parse(
        r#"{"service":"api","group":"g","sandns_hostname":true,"hostname_suffix":"hosts.example.com",
            "accounts":[{"domain":"a.b","account":"1"}],"services":{"api":{"cert_filename":"/x/api.pem"}}}"#,
    )
    .unwrap()
    .config;
    let owner = |_: Option<&str>, g: Option<&str>| {
        Ok(Owner {
            uid: None,
            gid: g.map(|_| 42),
        })
    };
    let cfg = AgentConfig::resolve(
        &c,
        Some("1"),
        None,
        &["d.example.com".into()],
        Some("host1"),
        &owner,
        None,
    )
    .unwrap();
    let s = &cfg.services[0];
    assert_eq!(s.key_file, Path::new("/var/lib/sia/keys/a.b.api.key.pem"));
    assert_eq!(s.cert_file, Path::new("/x/api.pem"));
    assert_eq!((s.key_mode(), s.key_dir_mode()), (0o440, 0o750));
    assert_eq!(cfg.token_dir, Path::new("/var/lib/sia/tokens"));
    assert_eq!(
        cfg.san_hostname("api").as_deref(),
        Some("host1.api.a-b.hosts.example.com")
    );
    assert_eq!(cfg.timing.refresh_interval, Duration::from_secs(86_400));
    assert_eq!(cfg.timing.fail_count_for_exit, 2);
}

#[test]
fn a_platform_identity_replaces_what_the_config_names() {
    let c = SiaConfig::parse(
        r#"{"accounts":[{"account":"p1","domain":"cfg.dom","user":"0"}],"service":"cfgsvc",
            "services":{"extra":{}},"dns_domains":["d.example.com"]}"#,
    )
    .unwrap()
    .config;
    let named = c.identity(Some("p1"));
    assert_eq!(named.domain.as_deref(), Some("cfg.dom"));
    assert_eq!(named.service.as_deref(), Some("cfgsvc"));
    assert_eq!(SiaConfig::default().identity(None), Default::default());
    let cfg = AgentConfig::for_identity(&c, Some("p1"), ("weather", "api"), &[], None).unwrap();
    assert_eq!(cfg.domain, "weather");
    let names: Vec<_> = cfg.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["api", "extra"]);
    assert_eq!(
        cfg.services[0].owner.uid,
        Some(0),
        "the account entry still gives the owner"
    );
    assert!(cfg.services[0].key_file.ends_with("weather.api.key.pem"));
    let e = AgentConfig::for_identity(&SiaConfig::default(), None, ("", "api"), &[], None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no domain") && e.contains("no DNS domains"),
        "{e}"
    );
}
