//! Register, refresh and delete through real processes: zms-server, zts-server and a callback
//! provider over TLS.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use common::{PROVIDER, World, client, csr, default_dns};
use rustls_pki_types::pem::PemObject;
use serde_json::{Value, json};

fn cert_of(v: &Value) -> String {
    v["x509Certificate"]
        .as_str()
        .expect("x509Certificate")
        .to_string()
}

fn openssl_verify(dir: &std::path::Path, cert_pem: &str) -> String {
    let f = dir.join(format!("leaf-{}.pem", uuid::Uuid::new_v4()));
    std::fs::write(&f, cert_pem).unwrap();
    let out = std::process::Command::new("openssl")
        .arg("verify")
        .arg("-CAfile")
        .arg(dir.join("ca.cert.pem"))
        .arg(&f)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(&f)
        .output()
        .unwrap();
    String::from_utf8_lossy(&text.stdout).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_refresh_replay_and_delete() {
    let w = World::start().await;
    let (s, v, key) = w.register("api", "i-1", "ok").await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["name"], "weather.api");
    assert_eq!(v["provider"], PROVIDER);
    assert_eq!(v["instanceId"], "i-1");
    assert_eq!(
        v["attributes"]["zoneInfo"], "echoed",
        "provider attributes are echoed"
    );
    assert!(
        v["attributes"].get("certExpiryTime").is_none(),
        "control keys are removed"
    );
    assert!(
        v["x509CertificateSigner"]
            .as_str()
            .unwrap()
            .contains("BEGIN CERTIFICATE")
    );
    let text = openssl_verify(w.dir.path(), &cert_of(&v));
    assert!(
        text.contains("Subject: CN = weather.api") || text.contains("Subject: CN=weather.api"),
        "{text}"
    );
    assert!(text.contains("DNS:api.weather.test.athenz.cloud"), "{text}");
    assert!(text.contains("URI:spiffe://weather/sa/api"), "{text}");
    assert!(
        text.contains("URI:athenz://instanceid/sys.provider.test/i-1"),
        "{text}"
    );
    assert!(
        text.contains("TLS Web Client Authentication")
            && text.contains("TLS Web Server Authentication"),
        "{text}"
    );

    // The provider's certExpiryTime (60 minutes) is applied.
    let der = rustls_pki_types::CertificateDer::from_pem_slice(cert_of(&v).as_bytes()).unwrap();
    let (_, parsed) = x509_parser::parse_x509_certificate(der.as_ref()).unwrap();
    let lifetime =
        parsed.validity().not_after.timestamp() - parsed.validity().not_before.timestamp();
    assert_eq!(
        lifetime,
        65 * 60,
        "60 minutes from the provider plus 5 minutes of clock-skew backdating"
    );
    // certUsage from the provider: a client-only certificate.
    let (s, vc, _) = w.register("api", "i-client", "client").await;
    assert_eq!(s, 201, "{vc}");
    let text_c = openssl_verify(w.dir.path(), &cert_of(&vc));
    assert!(
        text_c.contains("TLS Web Client Authentication")
            && !text_c.contains("TLS Web Server Authentication"),
        "{text_c}"
    );

    let c1 = cert_of(&v);
    let k1 = key.unwrap();
    // Refresh with the current certificate.
    let (s, v2, k2) = w.refresh("i-1", &c1, &k1).await;
    assert_eq!(s, 200, "{v2}");
    let c2 = cert_of(&v2);
    openssl_verify(w.dir.path(), &c2);
    // The previous certificate works once more (a lost answer), then is spent.
    let (s, v3, k3) = w.refresh("i-1", &c1, &k1).await;
    assert_eq!(s, 200, "{v3}");
    let c3 = cert_of(&v3);
    // c2 is now neither current nor previous: the record is revoked for good.
    let (s, v, _) = w.refresh("i-1", &c2, &k2).await;
    assert_eq!(s, 403, "{v}");
    assert!(v["message"].as_str().unwrap().contains("revoked"), "{v}");
    let (s, _, _) = w.refresh("i-1", &c3, &k3).await;
    assert_eq!(
        s, 403,
        "even the latest certificate is refused after a revocation"
    );

    // Register again (new record), then delete it as the provider would: refresh stops working.
    let (s, v, key) = w.register("api", "i-2", "ok").await;
    assert_eq!(s, 201, "{v}");
    let (c, k) = (cert_of(&v), key.unwrap());
    let admin = common::admin(w.dir.path());
    let r = admin
        .delete(format!(
            "{}/zts/v1/instance/{PROVIDER}/weather/api/i-2",
            w.zts.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        204,
        "the weather admin may delete weather:instance.i-2"
    );
    let (s, v, _) = w.refresh("i-2", &c, &k).await;
    assert_eq!(s, 403, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("Unable to find certificate record"),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_registrations_write_nothing() {
    let w = World::start().await;
    let anon = w.anon();
    let register = |service: &str,
                    instance: &str,
                    attestation: &str,
                    dns: Vec<String>,
                    cn_service: &str| {
        let (_, csr) = csr("weather", cn_service, instance, &dns);
        json!({"provider": PROVIDER, "domain": "weather", "service": service, "attestationData": attestation, "csr": csr})
    };
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "SAN outside the provider's suffixes",
            register(
                "api",
                "x1",
                "ok",
                vec!["api.weather.evil.com".into()],
                "api",
            ),
            400,
            "evil.com",
        ),
        (
            "CN for another service",
            register("api", "x2", "ok", default_dns("api", "weather"), "other"),
            400,
            "CN",
        ),
        (
            "unauthorized provider for the service",
            register(
                "noauth",
                "x3",
                "ok",
                default_dns("noauth", "weather"),
                "noauth",
            ),
            403,
            "not authorized",
        ),
        (
            "provider says no",
            register("api", "x4", "deny", default_dns("api", "weather"), "api"),
            403,
            "refused",
        ),
        (
            "unknown domain",
            json!({"provider": PROVIDER, "domain": "nowhere", "service": "api", "attestationData": "ok", "csr": "x"}),
            404,
            "nowhere",
        ),
        (
            "unknown service",
            json!({"provider": PROVIDER, "domain": "weather", "service": "ghost", "attestationData": "ok", "csr": "x"}),
            400,
            "service not registered",
        ),
        (
            "bad name",
            json!({"provider": PROVIDER, "domain": "bad..name", "service": "api", "attestationData": "ok", "csr": "x"}),
            400,
            "domain name",
        ),
        (
            "unknown field",
            json!({"provider": PROVIDER, "domain": "weather", "service": "api", "bogus": 1}),
            400,
            "bogus",
        ),
        (
            "garbage CSR",
            json!({"provider": PROVIDER, "domain": "weather", "service": "api", "attestationData": "ok", "csr": "not a csr"}),
            400,
            "csr",
        ),
    ];
    for (what, body, status, needle) in cases {
        let (s, v) = w.post(&anon, "/instance", body).await;
        assert_eq!(s, status, "{what}: {v}");
        assert!(
            v["message"].as_str().unwrap_or_default().contains(needle),
            "{what}: {v}"
        );
    }
    // Refused requests left no record: a refresh with a certificate for x4 is impossible, but the
    // store is checked directly through a registration-free refresh attempt of a real cert below.
    let (s, v, key) = w.register("api", "real", "ok").await;
    assert_eq!(s, 201, "{v}");
    // A refresh presenting a certificate for instance "real" but naming x4 in the URL is refused.
    let c = client(
        w.dir.path(),
        Some((&cert_of(&v), &key.unwrap().serialize_pem())),
    );
    let (_, csr) = csr("weather", "api", "x4", &default_dns("api", "weather"));
    let (s, v) = w
        .post(
            &c,
            &format!("/instance/{PROVIDER}/weather/api/x4"),
            json!({"csr": csr, "attestationData": "ok"}),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    assert!(v["message"].as_str().unwrap().contains("mismatch"), "{v}");
    // Refresh without a client certificate.
    let (s, _) = w
        .post(
            &anon,
            &format!("/instance/{PROVIDER}/weather/api/real"),
            json!({"csr": "x"}),
        )
        .await;
    assert_eq!(s, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_down_or_misnamed() {
    let mut w = World::start().await;
    // A provider whose TLS certificate names someone else.
    let impostor =
        common::provider::TestProvider::start_named(w.dir.path(), "sys.provider.other").await;
    let admin = common::admin(w.dir.path());
    let set = |url: String| {
        let admin = admin.clone();
        let zms = w.zms.base.clone();
        async move {
            common::zms_call(
                &admin,
                &zms,
                reqwest::Method::PUT,
                "/domain/sys.provider/service/test/meta/system/providerendpoint",
                json!({"providerEndpoint": url}),
            )
            .await;
        }
    };
    set(impostor.url.clone()).await;
    let before = impostor.calls();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (s, v, _) = w.register("api", "m1", "ok").await;
        if s == 504 {
            assert!(
                v["message"].as_str().unwrap().contains("unreachable"),
                "{v}"
            );
            break;
        }
        assert_eq!(
            s, 201,
            "until ZTS sees the new endpoint the real provider answers: {v}"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "ZTS never picked up the new provider endpoint"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(
        impostor.calls(),
        before,
        "the TLS handshake failed before any request reached the impostor"
    );
    // A provider that is down.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("https://127.0.0.1:{}/", dead.local_addr().unwrap().port());
    drop(dead);
    set(dead_url).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (s, _, _) = w.register("api", "m2", "ok").await;
        if s == 504 {
            // Both misnamed and down answer 504; wait until the down one is the one answering.
            let (s2, v2, _) = w.register("api", "m3", "ok").await;
            assert_eq!(s2, 504, "{v2}");
            break;
        }
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    w.zts.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survives_zms_outage_and_restart() {
    let mut w = World::start().await;
    w.zms.kill();
    let (s, v, _) = w.register("api", "o1", "ok").await;
    assert_eq!(s, 201, "register works with ZMS down: {v}");
    // Restart ZTS while ZMS is still down: it serves from its persisted copy.
    w.zts.kill();
    let zts = common::start_zts(w.dir.path(), "https://127.0.0.1:9", &[]);
    common::wait_ok(&w.anon(), &format!("{}/zts/v1/status", zts.base)).await;
    w.zts = zts;
    let (s, v, _) = w.register("api", "o2", "ok").await;
    assert_eq!(
        s, 201,
        "register works after a ZTS restart with ZMS down: {v}"
    );
    let r = w
        .anon()
        .get(format!("{}/zts/v1/cacerts/default", w.zts.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// Concurrent refreshes, half presenting the current certificate and half the previous one, end as
/// some serial order of them would: never do both kinds succeed, and at most two succeed (the
/// current once as current and once more as the new previous).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_refreshes_serialize() {
    let w = std::sync::Arc::new(World::start().await);
    for round in 0..5 {
        let instance = format!("c{round}");
        let (s, v, key) = w.register("api", &instance, "ok").await;
        assert_eq!(s, 201, "{v}");
        let (prev_cert, prev_key) = (cert_of(&v), key.unwrap());
        let (s, v, cur_key) = w.refresh(&instance, &prev_cert, &prev_key).await;
        assert_eq!(s, 200, "{v}");
        let cur_cert = cert_of(&v);
        let prev_key_pem = prev_key.serialize_pem();
        let cur_key_pem = cur_key.serialize_pem();
        let mut tasks = Vec::new();
        for i in 0..16 {
            let w = w.clone();
            let instance = instance.clone();
            let (cert, key) = if i % 2 == 0 {
                (cur_cert.clone(), cur_key_pem.clone())
            } else {
                (prev_cert.clone(), prev_key_pem.clone())
            };
            tasks.push(tokio::spawn(async move {
                let key = rcgen::KeyPair::from_pem(&key).unwrap();
                let (s, _, _) = w.refresh(&instance, &cert, &key).await;
                (i % 2 == 0, s)
            }));
        }
        let mut ok_current = 0;
        let mut ok_previous = 0;
        for t in tasks {
            let (presented_current, status) = t.await.unwrap();
            assert!(status == 200 || status == 403, "unexpected status {status}");
            if status == 200 {
                if presented_current {
                    ok_current += 1;
                } else {
                    ok_previous += 1;
                }
            }
        }
        assert!(
            ok_current + ok_previous >= 1,
            "round {round}: some refresh must win"
        );
        assert!(
            !(ok_current > 0 && ok_previous > 0),
            "round {round}: both kinds succeeded ({ok_current} current, {ok_previous} previous)"
        );
        assert!(
            ok_current <= 2 && ok_previous <= 1,
            "round {round}: {ok_current} current, {ok_previous} previous"
        );
    }
}
