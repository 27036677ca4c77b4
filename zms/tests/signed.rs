//! The feed ZTS reads: signed domains with ETag/304, signatures that verify with the key ZMS
//! publishes as `sys.auth.zms`, flattened JWS, and state that survives a restart.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use common::{Backend, Server};
use model::crypto::{FlattenedJws, VerifyingKey, verify_flattened_jws};
use serde_json::{Value, json};

async fn zms_key(c: &common::Client) -> VerifyingKey {
    let svc = c.get("/domain/sys.auth/service/zms").await.1;
    let key = svc["publicKeys"][0]["key"]
        .as_str()
        .expect("sys.auth.zms has a key");
    VerifyingKey::from_ybase64_pem(key).expect("key parses")
}

fn verify_signed_domain(key: &VerifyingKey, sd: &Value) {
    let data = model::canonical::to_canonical_string(&sd["domain"]).unwrap();
    key.verify_ybase64(data.as_bytes(), sd["signature"].as_str().unwrap())
        .expect("domain signature");
    let policies = &sd["domain"]["policies"];
    let contents = model::canonical::to_canonical_string(&policies["contents"]).unwrap();
    key.verify_ybase64(contents.as_bytes(), policies["signature"].as_str().unwrap())
        .expect("policy signature");
    // Tampering breaks it.
    let mut bad = sd["domain"].clone();
    bad["name"] = json!("evil");
    let bad = model::canonical::to_canonical_string(&bad).unwrap();
    assert!(
        key.verify_ybase64(bad.as_bytes(), sd["signature"].as_str().unwrap())
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modified_domains_feed_with_etag() {
    let server = Server::start(Backend::Sqlite).await;
    let c = &server.admin;
    let key = zms_key(c).await;
    c.ok_post(
        "/domain",
        json!({"name": "feed", "adminUsers": ["user.admin"]}),
    )
    .await;

    let r = c
        .http
        .get(format!("{}/zms/v1/sys/modified_domains", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let all: Value = r.json().await.unwrap();
    let names: Vec<&str> = all["domains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["domain"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["feed", "sys", "sys.auth", "user"]);
    for sd in all["domains"].as_array().unwrap() {
        verify_signed_domain(&key, sd);
        assert_eq!(sd["keyId"], "0");
    }
    let feed = all["domains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["domain"]["name"] == "feed")
        .unwrap();
    assert_eq!(feed["domain"]["roles"][0]["name"], "feed:role.admin");
    assert_eq!(
        feed["domain"]["policies"]["contents"]["policies"][0]["name"],
        "feed:policy.admin"
    );

    // Nothing changed: 304 with the same ETag.
    let r = c
        .http
        .get(format!("{}/zms/v1/sys/modified_domains", c.base))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert_eq!(r.headers()["etag"].to_str().unwrap(), etag);

    // One change: only that domain, and a newer ETag.
    c.ok_put(
        "/domain/feed/role/r",
        json!({"name": "feed:role.r", "roleMembers": [{"memberName": "user.x"}]}),
    )
    .await;
    let r = c
        .http
        .get(format!("{}/zms/v1/sys/modified_domains", c.base))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let etag2 = r.headers()["etag"].to_str().unwrap().to_string();
    assert!(etag2 > etag, "{etag2} > {etag}");
    let changed: Value = r.json().await.unwrap();
    assert_eq!(changed["domains"].as_array().unwrap().len(), 1);
    verify_signed_domain(&key, &changed["domains"][0]);
    assert!(
        changed["domains"][0]["domain"]["roles"]
            .to_string()
            .contains("user.x")
    );

    // Full data is for system principals; others must ask for meta only or one domain.
    let other = server.client_for("user.other");
    assert_eq!(other.get("/sys/modified_domains").await.0, 400);
    let (s, meta) = other.get("/sys/modified_domains?metaonly=true").await;
    assert_eq!(s, 200);
    assert!(
        meta["domains"][0]["domain"]["roles"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let (s, one) = other.get("/sys/modified_domains?domain=feed").await;
    assert_eq!(s, 200);
    assert_eq!(one["domains"].as_array().unwrap().len(), 1);
    let zts = server.client_for("sys.auth.zts");
    assert_eq!(zts.get("/sys/modified_domains").await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jws_domain_verifies_and_supports_304() {
    let server = Server::start(Backend::Sqlite).await;
    let c = &server.admin;
    let key = zms_key(c).await;
    c.ok_post(
        "/domain",
        json!({"name": "jws", "adminUsers": ["user.admin"]}),
    )
    .await;
    for q in ["", "?signaturep1363format=true"] {
        let r = c
            .http
            .get(format!("{}/zms/v1/domain/jws/signed{q}", c.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let etag = r.headers()["etag"].to_str().unwrap().to_string();
        let jws: FlattenedJws = r.json().await.unwrap();
        assert_eq!(jws.header.get("kid").map(String::as_str), Some("0"));
        let payload =
            verify_flattened_jws(&jws, &key).expect("JWS verifies with the published key");
        let data: Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(data["name"], "jws");
        assert_eq!(
            data["roles"][0]["roleMembers"][0]["memberName"],
            "user.admin"
        );
        let mut tampered = jws.clone();
        tampered.payload = tampered.payload.replace('a', "b");
        assert!(verify_flattened_jws(&tampered, &key).is_err());
        let r = c
            .http
            .get(format!("{}/zms/v1/domain/jws/signed", c.base))
            .header("If-None-Match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 304);
    }
    assert_eq!(c.get("/domain/missing/signed").await.0, 404);
}

async fn restart_keeps_state(backend: Backend) {
    let server = Server::start(backend).await;
    let c = server.admin.clone();
    c.ok_post(
        "/domain",
        json!({"name": "keep", "adminUsers": ["user.admin"]}),
    )
    .await;
    c.ok_put(
        "/domain/keep/role/r",
        json!({"name": "keep:role.r", "roleMembers": [{"memberName": "user.k"}]}),
    )
    .await;
    let key_before = c.get("/domain/sys.auth/service/zms").await.1["publicKeys"][0]["key"].clone();
    let ca_before = std::fs::read(server.dir.path().join("ca.cert.pem")).unwrap();
    let (dir, store) = server.stop();

    let server = Server::start_in(dir, store, &[]).await;
    let c = &server.admin;
    assert_eq!(
        std::fs::read(server.dir.path().join("ca.cert.pem")).unwrap(),
        ca_before,
        "dev CA reused"
    );
    assert_eq!(
        c.get("/domain/sys.auth/service/zms").await.1["publicKeys"][0]["key"],
        key_before
    );
    assert_eq!(
        c.access("user.k", "anything", "keep:x", None).await,
        (200, Some(false))
    );
    assert_eq!(
        c.get("/domain/keep/role/r/member/user.k").await.1["isMember"],
        true
    );
    let log = c.get("/domain/sys.auth/auditlog").await.1;
    let boots = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "bootstrap")
        .count();
    assert_eq!(boots, 1, "bootstrap ran once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_state_sqlite() {
    restart_keeps_state(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_state_postgres() {
    restart_keeps_state(Backend::Postgres).await;
}

#[test]
fn invalid_configuration_reports_every_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("zms.toml");
    std::fs::write(
        &cfg,
        "listen = \"nowhere\"\nstore_url = \"mysql://x\"\nadmin_users = [\"bob\"]\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_zms-server"))
        .arg("--config")
        .arg(&cfg)
        .arg("--check-config")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for needle in [
        "listen",
        "store_url",
        "admin_users",
        "tls_cert_file",
        "signing_key_file",
        "client_ca_files",
    ] {
        assert!(err.contains(needle), "{needle} missing from: {err}");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_zms-server"))
        .arg("--config")
        .arg(dir.path().join("missing.toml"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.toml"));
}

/// Two ZMS instances on one PostgreSQL database: a change made through one becomes visible
/// through the other within its refresh interval.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_sharing_postgres_see_each_others_changes() {
    let a = Server::start(Backend::Postgres).await;
    let dir_b = tempfile::tempdir().unwrap();
    let b = Server::start_in(
        dir_b,
        a.store_url.clone(),
        &[("ZMS_CACHE_REFRESH_SECS", "1")],
    )
    .await;
    a.admin
        .ok_post(
            "/domain",
            json!({"name": "shared", "adminUsers": ["user.admin"]}),
        )
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if b.admin.get("/domain/shared").await.0 == 200 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "instance B never saw the domain"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // B writes on top of A's version (its cache is current), and A sees B's change in turn.
    b.admin
        .ok_put("/domain/shared/role/r", json!({"name": "shared:role.r"}))
        .await;
    assert_eq!(b.admin.get("/domain/shared/role/r").await.0, 200);
}
