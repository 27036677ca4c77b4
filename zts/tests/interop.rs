//! Interoperability with clients no one here wrote: PyJWT verifies our access tokens against
//! our JWKS, and Python's `cryptography` parses the role certificate and checks it against the
//! CA. Needs the Python of the test virtualenv (`MOTO_PYTHON`, which `scripts/test` sets up
//! with PyJWT and cryptography).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use common::{World, client, zms_call};
use rcgen::{CertificateParams, DnType, SanType};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn python() -> String {
    std::env::var("MOTO_PYTHON").expect(
        "MOTO_PYTHON must name a Python with PyJWT and cryptography (scripts/test sets it up)",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyjwt_and_cryptography_accept_our_tokens_and_certificates() {
    let py = python();
    let w = World::start().await;
    let admin = common::admin(w.dir.path());
    zms_call(
        &admin,
        &w.zms.base,
        Method::PUT,
        "/domain/weather/role/readers",
        json!({"name": "weather:role.readers", "roleMembers": [{"memberName": "weather.api"}]}),
    )
    .await;
    let (s, v, key) = w.register("api", "i-1", "ok").await;
    assert_eq!(s, 201, "{v}");
    let key = key.unwrap();
    let cert = v["x509Certificate"].as_str().unwrap().to_string();
    let me = client(w.dir.path(), Some((&cert, &key.serialize_pem())));
    let zts = format!("{}/zts/v1", w.zts.base);

    // The token, once ZTS's copy has the role.
    let deadline = Instant::now() + Duration::from_secs(30);
    let token = loop {
        let r = me
            .post(format!("{zts}/oauth2/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials&scope=weather%3Adomain")
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            break r.json::<Value>().await.unwrap()["access_token"]
                .as_str()
                .unwrap()
                .to_string();
        }
        assert!(
            Instant::now() < deadline,
            "no token: {}",
            r.text().await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let jwks = w
        .anon()
        .get(format!("{zts}/oauth2/keys?rfc=true"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name
        .push(DnType::CommonName, "weather:role.readers");
    for u in [
        "spiffe://weather/ra/readers",
        "athenz://principal/weather.api",
    ] {
        p.subject_alt_names
            .push(SanType::URI(u.try_into().unwrap()));
    }
    let csr = p.serialize_request(&key).unwrap().pem().unwrap();
    let r = me
        .post(format!("{zts}/rolecert"))
        .json(&json!({"csr": csr, "expiryTime": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let role = r.json::<Value>().await.unwrap()["x509Certificate"]
        .as_str()
        .unwrap()
        .to_string();

    let d = w.dir.path();
    for (name, text) in [
        ("jwks.json", &jwks),
        ("token.jwt", &token),
        ("svc.pem", &cert),
        ("role.pem", &role),
    ] {
        std::fs::write(d.join(name), text).unwrap();
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop.py");
    let out = std::process::Command::new(py)
        .arg(script)
        .args([
            "jwks.json",
            "token.jwt",
            "svc.pem",
            "role.pem",
            "ca.cert.pem",
            "weather",
            &zts,
        ])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "interop.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let found: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(found["typ"], "at+jwt");
    assert_eq!(found["alg"], "ES256");
    assert_eq!(found["sub"], "weather.api");
    assert_eq!(found["scp"], json!(["readers"]));
    assert_eq!(
        found["cnf_matches_cert"], true,
        "cnf x5t#S256 as cryptography computes it"
    );
    assert_eq!(found["forged"], "InvalidSignatureError");
    assert_eq!(found["jwk_types"], json!(["EC"]));
    assert_eq!(found["role_cn"], "weather:role.readers");
    assert_eq!(found["role_client_only"], true);
    assert_eq!(
        found["role_uris"],
        json!([
            "athenz://principal/weather.api",
            "spiffe://weather/ra/readers"
        ])
    );
}
