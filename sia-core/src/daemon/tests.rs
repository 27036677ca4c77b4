use super::*;
use crate::testutil::{FakeZts, attestor, config};

/// Resolves once `done` holds (checked every 5 ms), so a slow machine cannot stop the daemon
/// before it did what the test waits for.
async fn until(done: impl Fn() -> bool) {
    while !done() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn daemon_fetches_roles_and_tokens_with_the_identity() {
    let d = tempfile::tempdir().unwrap();
    let cfg = config(
        d.path(),
        r#","roles":{"media:role.a":{}},"access_tokens":{"media/t":{"roles":["a"]}}"#,
    );
    let zts = FakeZts::new();
    let mut ready = 0;
    let token = d.path().join("tokens/media/t");
    run(&cfg, &zts, &attestor(), until(|| token.exists()), || {
        ready += 1
    })
    .await
    .unwrap();
    assert_eq!(ready, 1);
    assert!(d.path().join("certs/media:role.a.cert.pem").exists());
    assert!(d.path().join("tokens/media/t").exists());
    // Everything lives an hour or more: one fetch of each.
    assert_eq!(zts.registers.lock().unwrap().len(), 1);
    assert_eq!(zts.role_requests.lock().unwrap().len(), 1);
    assert_eq!(zts.token_forms.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn failing_roles_and_tokens_are_retried_without_stopping_the_daemon() {
    let d = tempfile::tempdir().unwrap();
    let cfg = config(
        d.path(),
        r#","fail_count_for_exit":1,"roles":{"media:role.a":{}},"access_tokens":{"media/t":{}}"#,
    );
    let zts = FakeZts::new();
    *zts.role_fail.lock().unwrap() = Some((403, "no".into()));
    *zts.token_fail.lock().unwrap() = Some((403, "no".into()));
    let mut ready = 0;
    let retried = || {
        zts.role_requests.lock().unwrap().len() >= 3 && zts.token_forms.lock().unwrap().len() >= 3
    };
    run(&cfg, &zts, &attestor(), until(retried), || ready += 1)
        .await
        .unwrap();
    assert_eq!(ready, 1, "role certificates are not required");
    assert!(zts.role_requests.lock().unwrap().len() >= 3, "retried");
    assert!(zts.token_forms.lock().unwrap().len() >= 3, "retried");
    assert_eq!(zts.registers.lock().unwrap().len(), 1);
    assert!(!d.path().join("tokens/media/t").exists());
}

#[tokio::test]
async fn required_roles_hold_back_readiness_then_stop_the_daemon() {
    let d = tempfile::tempdir().unwrap();
    let mut cfg = config(
        d.path(),
        r#","role_certs_required":true,"roles":{"media:role.a":{}}"#,
    );
    cfg.timing.required_role_certs_timeout = Duration::from_millis(50);
    let zts = FakeZts::new();
    *zts.role_fail.lock().unwrap() = Some((403, "not a member".into()));
    let mut ready = 0;
    let e = run(&cfg, &zts, &attestor(), std::future::pending(), || {
        ready += 1
    })
    .await
    .unwrap_err();
    assert!(matches!(e, Error::Credentials { .. }), "{e}");
    assert_eq!(ready, 0);
    // Once ZTS agrees, the daemon gets ready.
    *zts.role_fail.lock().unwrap() = None;
    let cert = d.path().join("certs/media:role.a.cert.pem");
    run(&cfg, &zts, &attestor(), until(|| cert.exists()), || {
        ready += 1
    })
    .await
    .unwrap();
    assert_eq!(ready, 1);
}
