use super::*;
use crate::agent::register;
use crate::testutil::{FakeZts, attestor, config, mode};
use x509_parser::prelude::FromDer;

fn resolve_with(json: &str) -> Result<AgentConfig> {
    let c = SiaConfig::parse(json).unwrap().config;
    let owner = |u: Option<&str>, g: Option<&str>| {
        Ok(Owner {
            uid: u.map(|u| if u == "sia" { 1000 } else { 2000 }),
            gid: g.map(|_| 42),
        })
    };
    AgentConfig::resolve(
        &c,
        Some("1"),
        None,
        &["d.example.com".into()],
        None,
        &owner,
        None,
    )
}

const BASE: &str = r#""service":"api","accounts":[{"domain":"sports","account":"1","user":"sia"}],
    "services":{"api":{},"ui":{"group":"g"}},"sia_key_dir":"/k","sia_cert_dir":"/c""#;

#[test]
fn role_files_follow_athenz_names() {
    let cfg = resolve_with(&format!(
        r#"{{{BASE},"roles":{{
            "Media:role.Readers":{{}},
            "media:role.rel":{{"filename":"sub/rel.cert.pem","expiry_time":30,"service":"ui"}},
            "media:role.own":{{"user":"other","group":"x"}}}}}}"#
    ))
    .unwrap();
    let r: Vec<_> = cfg.roles.iter().map(|r| (r.name.as_str(), r)).collect();
    let (_, readers) = r.iter().find(|(n, _)| *n == "Media:role.Readers").unwrap();
    assert_eq!(
        readers.cert_file,
        Path::new("/c/Media:role.Readers.cert.pem")
    );
    assert_eq!(
        (readers.domain.as_str(), readers.role.as_str()),
        ("media", "readers")
    );
    assert_eq!(readers.full_name(), "media:role.readers");
    assert_eq!(readers.service, "api");
    assert_eq!(readers.key_file, None);
    assert_eq!(readers.expiry_time, 0);
    assert_eq!(
        readers.owner,
        Owner {
            uid: Some(1000),
            gid: None
        }
    );
    let (_, rel) = r.iter().find(|(n, _)| *n == "media:role.rel").unwrap();
    assert_eq!(rel.cert_file, Path::new("/c/sub/rel.cert.pem"));
    assert_eq!((rel.service.as_str(), rel.expiry_time), ("ui", 30));
    assert_eq!(rel.owner.gid, Some(42), "the service's group");
    let (_, own) = r.iter().find(|(n, _)| *n == "media:role.own").unwrap();
    assert_eq!(
        own.owner,
        Owner {
            uid: Some(2000),
            gid: Some(42)
        }
    );
    assert_eq!(own.key_mode(), 0o440);
}

#[test]
fn generate_role_key_names_role_keys_and_rotate_key_needs_it() {
    let cfg = resolve_with(&format!(
        r#"{{{BASE},"generate_role_key":true,"rotate_key":true,"roles":{{
            "media:role.a":{{}},"media:role.b":{{"filename":"b-file.cert.pem"}}}}}}"#
    ))
    .unwrap();
    assert!(cfg.rotate_key);
    let keys: Vec<_> = cfg.roles.iter().map(|r| r.key_file.clone()).collect();
    assert_eq!(
        keys,
        [
            Some(PathBuf::from("/k/media:role.a.key.pem")),
            Some(PathBuf::from("/k/b-file.key.pem"))
        ]
    );
    // Roles sharing the service key rule out rotate_key (Athenz options.go).
    let cfg = resolve_with(&format!(
        r#"{{{BASE},"rotate_key":true,"roles":{{"media:role.a":{{}}}}}}"#
    ))
    .unwrap();
    assert!(!cfg.rotate_key);
    // An absolute file name rules out both.
    let cfg = resolve_with(&format!(
        r#"{{{BASE},"generate_role_key":true,"roles":{{"media:role.a":{{"filename":"/x/a.pem"}}}}}}"#
    ))
    .unwrap();
    assert_eq!(cfg.roles[0].cert_file, Path::new("/x/a.pem"));
    assert_eq!(cfg.roles[0].key_file, None);
}

#[test]
fn a_role_for_an_unknown_service_is_refused() {
    let e = resolve_with(&format!(
        r#"{{{BASE},"roles":{{"media:role.a":{{"service":"nope"}}}}}}"#
    ))
    .unwrap_err()
    .to_string();
    assert!(
        e.contains(
            "roles.\"media:role.a\": service `nope` is not one of this agent's services (api, ui)"
        ),
        "{e}"
    );
}

/// SAN URIs and CN of a PEM CSR.
fn csr_names(pem: &str) -> (String, Vec<String>) {
    use x509_parser::extensions::{GeneralName, ParsedExtension};
    let (_, p) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).unwrap();
    let (_, req) =
        x509_parser::certification_request::X509CertificationRequest::from_der(&p.contents)
            .unwrap();
    let cn = req
        .certification_request_info
        .subject
        .iter_common_name()
        .next()
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    let mut uris = Vec::new();
    for ext in req.requested_extensions().into_iter().flatten() {
        if let ParsedExtension::SubjectAlternativeName(san) = ext {
            for n in &san.general_names {
                if let GeneralName::URI(u) = n {
                    uris.push(u.to_string());
                }
            }
        }
    }
    (cn, uris)
}

#[tokio::test]
async fn fetch_all_writes_role_certs_for_the_service_key() {
    let d = tempfile::tempdir().unwrap();
    let cfg = config(
        d.path(),
        r#","roles":{"media:role.readers":{"expiry_time":60}}"#,
    );
    let zts = FakeZts::new();
    register(&cfg, &zts, &attestor()).await.unwrap();
    let report = fetch_all(&cfg, &zts).await;
    assert!(report.is_ok(), "{:?}", report.failed);
    assert_eq!(report.fetched.len(), 1);
    let file = d.path().join("certs/media:role.readers.cert.pem");
    assert_eq!(mode(&file), 0o444);
    assert!(
        on_disk(&cfg, &cfg.roles[0]).is_some(),
        "carries the service key"
    );
    let svc_cert = std::fs::read_to_string(&cfg.services[0].cert_file).unwrap();
    let (req, client_cert) = zts.role_requests.lock().unwrap()[0].clone();
    assert_eq!(client_cert, svc_cert, "mTLS with the service identity");
    assert_eq!(req.expiry_time, 60);
    assert!(req.prev_cert_not_before.is_none());
    let (cn, uris) = csr_names(&req.csr);
    assert_eq!(cn, "media:role.readers");
    assert_eq!(
        uris,
        [
            "spiffe://media/ra/readers",
            "athenz://instanceid/athenz.test.r1/i-1",
            "athenz://principal/sports.api"
        ]
    );
    // A second fetch tells ZTS about the previous certificate.
    fetch_all(&cfg, &zts).await.into_result().unwrap();
    let (req, _) = zts.role_requests.lock().unwrap()[1].clone();
    assert!(req.prev_cert_not_before.is_some() && req.prev_cert_not_after.is_some());
    assert!(!d.path().join("keys/media:role.readers.key.pem").exists());
}

#[tokio::test]
async fn generated_role_keys_are_written_once_and_reused() {
    let d = tempfile::tempdir().unwrap();
    let cfg = config(
        d.path(),
        r#","generate_role_key":true,"roles":{"media:role.w":{}}"#,
    );
    let zts = FakeZts::new();
    register(&cfg, &zts, &attestor()).await.unwrap();
    fetch_all(&cfg, &zts).await.into_result().unwrap();
    let key_file = d.path().join("keys/media:role.w.key.pem");
    assert_eq!(mode(&key_file), 0o400);
    let key = std::fs::read(&key_file).unwrap();
    assert_ne!(key, std::fs::read(&cfg.services[0].key_file).unwrap());
    fetch_all(&cfg, &zts).await.into_result().unwrap();
    assert_eq!(std::fs::read(&key_file).unwrap(), key);
    assert!(on_disk(&cfg, &cfg.roles[0]).is_some());
}

#[tokio::test]
async fn a_failed_role_keeps_its_old_file_and_is_reported() {
    let d = tempfile::tempdir().unwrap();
    let cfg = config(
        d.path(),
        r#","roles":{"media:role.a":{},"media:role.b":{}}"#,
    );
    let zts = FakeZts::new();
    register(&cfg, &zts, &attestor()).await.unwrap();
    fetch_all(&cfg, &zts).await.into_result().unwrap();
    let before = std::fs::read(&cfg.roles[0].cert_file).unwrap();
    *zts.role_fail.lock().unwrap() = Some((403, "not a member".into()));
    let report = fetch_all(&cfg, &zts).await;
    assert_eq!(report.failed.len(), 2);
    assert_eq!(std::fs::read(&cfg.roles[0].cert_file).unwrap(), before);
    let e = report.into_result().unwrap_err().to_string();
    assert_eq!(
        e,
        "role certificates not obtained for media:role.a, media:role.b: \
         ZTS returned 403: not a member"
    );
    // A certificate for another key is never written.
    *zts.role_fail.lock().unwrap() = None;
    *zts.wrong_key.lock().unwrap() = true;
    let report = fetch_all(&cfg, &zts).await;
    assert!(report.failed[0].1.to_string().contains("public key"));
    assert_eq!(std::fs::read(&cfg.roles[0].cert_file).unwrap(), before);
}

#[tokio::test]
async fn fetch_due_skips_current_certs_and_fetches_missing_ones() {
    let d = tempfile::tempdir().unwrap();
    let cfg = config(
        d.path(),
        r#","roles":{"media:role.a":{},"media:role.b":{}}"#,
    );
    let zts = FakeZts::new();
    register(&cfg, &zts, &attestor()).await.unwrap();
    fetch_all(&cfg, &zts).await.into_result().unwrap();
    std::fs::remove_file(&cfg.roles[1].cert_file).unwrap();
    let report = fetch_due(&cfg, &zts, SystemTime::now()).await;
    assert_eq!(report.current.len(), 1);
    assert_eq!(report.fetched[0].0, "media:role.b");
    assert_eq!(zts.role_requests.lock().unwrap().len(), 3);
    let next = report.next_refresh(&cfg.timing, SystemTime::now()).unwrap();
    assert!(next <= Duration::from_secs(1800) && next > Duration::from_secs(1700));
    // Past the refresh point, everything is due.
    let later = SystemTime::now() + Duration::from_secs(1900);
    assert_eq!(fetch_due(&cfg, &zts, later).await.fetched.len(), 2);
}

#[tokio::test]
async fn required_roles_are_retried_then_fail() {
    let d = tempfile::tempdir().unwrap();
    let mut cfg = config(
        d.path(),
        r#","role_certs_required":true,"roles":{"media:role.a":{}}"#,
    );
    // Long enough for a retry even on a loaded machine.
    cfg.timing.required_role_certs_timeout = Duration::from_millis(400);
    let zts = FakeZts::new();
    register(&cfg, &zts, &attestor()).await.unwrap();
    *zts.role_fail.lock().unwrap() = Some((403, "no".into()));
    let e = fetch_required(&cfg, &zts).await.unwrap_err();
    assert!(matches!(e, Error::Credentials { .. }), "{e}");
    assert!(zts.role_requests.lock().unwrap().len() >= 2, "retried");
    *zts.role_fail.lock().unwrap() = None;
    assert!(fetch_required(&cfg, &zts).await.unwrap().is_ok());
}

#[tokio::test]
async fn without_a_service_identity_nothing_is_asked() {
    let d = tempfile::tempdir().unwrap();
    let cfg = config(d.path(), r#","roles":{"media:role.a":{}}"#);
    let zts = FakeZts::new();
    let report = fetch_all(&cfg, &zts).await;
    assert!(matches!(report.failed[0].1, Error::Io { .. }));
    assert!(zts.role_requests.lock().unwrap().is_empty());
}
