//! In-process tests of the served provider: `serve` on a free port with certificates from the
//! development CA, and one small stub answering the few Keystone and Nova calls the provider
//! makes (the full emulators and the end-to-end tests live in `openstack-tests/`).

#![allow(clippy::unwrap_used, reason = "tests")]

use axum::Json;
use axum::extract::Path as UrlPath;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use model::crypto::SigningKey;
use model::zts::InstanceConfirmation;
use openstack_provider::config::{Config, RawConfig};
use openstack_provider::token::{self, Claims};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use tokio::net::TcpListener;

const PROVIDER: &str = "sys.openstack.cluster1";
const OWN: &str = "provider-own-token";

/// Keystone (`/v3`) and Nova (`/v2.1`) in one router, just enough for the provider.
fn stub(base: String) -> axum::Router {
    let auth_base = base.clone();
    axum::Router::new()
        .route(
            "/v3/auth/tokens",
            get(|h: HeaderMap| async move {
                if header(&h, "x-auth-token") != OWN {
                    return StatusCode::UNAUTHORIZED.into_response();
                }
                let roles = match header(&h, "x-subject-token").as_str() {
                    "nova-token" => json!([{"id": "r1", "name": "vendordata"}]),
                    "member-token" => json!([{"id": "r2", "name": "member"}]),
                    _ => return StatusCode::NOT_FOUND.into_response(),
                };
                Json(
                    json!({"token": {"expires_at": "2099-01-01T00:00:00.000000Z", "roles": roles}}),
                )
                .into_response()
            })
            .post(move |Json(body): Json<Value>| async move {
                let user = &body["auth"]["identity"]["password"]["user"];
                if user["password"] != "pw" || user["domain"]["name"] != "Default" {
                    return StatusCode::UNAUTHORIZED.into_response();
                }
                let catalog = json!([{"type": "compute", "endpoints": [
                    {"interface": "internal", "url": "http://192.0.2.1/v2.1"},
                    {"interface": "public", "url": format!("{auth_base}/v2.1/")}]}]);
                let token =
                    json!({"token": {"expires_at": "2099-01-01T00:00:00Z", "catalog": catalog}});
                (StatusCode::CREATED, [("X-Subject-Token", OWN)], Json(token)).into_response()
            }),
        )
        .route(
            "/v2.1/servers/{id}",
            get(|h: HeaderMap, UrlPath(id): UrlPath<String>| async move {
                if header(&h, "x-auth-token") != OWN {
                    return StatusCode::UNAUTHORIZED.into_response();
                }
                let status = match id.as_str() {
                    "vm-1" | "vm-other-ip" => "ACTIVE",
                    "vm-off" => "SHUTOFF",
                    _ => return StatusCode::NOT_FOUND.into_response(),
                };
                let ip = if id == "vm-other-ip" {
                    "10.9.9.9"
                } else {
                    "127.0.0.1"
                };
                Json(
                    json!({"server": {"id": id, "status": status, "tenant_id": "p1",
                    "addresses": {"private": [{"addr": ip, "version": 4}]}}}),
                )
                .into_response()
            }),
        )
}

fn header(h: &HeaderMap, name: &str) -> String {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

struct World {
    _dir: tempfile::TempDir,
    url: String,
    key: SigningKey,
    zts: reqwest::Client,
    anyone: reqwest::Client,
    workload: reqwest::Client,
}

/// Starts the provider; with `backend_up` false, Keystone and Nova point at a closed port.
async fn start(backend_up: bool) -> World {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ca = server_common::devca::ensure_ca(d).unwrap();
    let p = |name: &str| d.join(name);
    server_common::devca::issue_server_cert(&ca, PROVIDER, &p("tls.pem"), &p("tls.key")).unwrap();
    server_common::devca::issue_client_cert(&ca, "sys.auth.zts", &p("zts.pem"), &p("zts.key"))
        .unwrap();
    // A workload the same CA signed: trusted by TLS, but not ZTS.
    server_common::devca::issue_client_cert(&ca, "weather.api", &p("wl.pem"), &p("wl.key"))
        .unwrap();
    let signing = rcgen::KeyPair::generate().unwrap().serialize_pem();
    std::fs::write(p("signing.key"), &signing).unwrap();

    let backend = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", backend.local_addr().unwrap());
    if backend_up {
        let app = stub(base.clone());
        tokio::spawn(async move { axum::serve(backend, app).await });
    } else {
        drop(backend);
    }
    let config = config(d, &base);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    tokio::spawn(openstack_provider::serve(
        listener,
        config,
        std::future::pending(),
    ));
    World {
        url,
        key: SigningKey::from_pem(&signing).unwrap(),
        zts: client(d, Some("zts")),
        anyone: client(d, None),
        workload: client(d, Some("wl")),
        _dir: dir,
    }
}

fn config(d: &Path, base: &str) -> Config {
    let f = |name: &str| d.join(name).display().to_string();
    RawConfig::from_toml(&format!(
        r#"
listen = "127.0.0.1:0"
provider_name = "{PROVIDER}"
tls_cert_file = "{}"
tls_key_file = "{}"
client_ca_file = "{}"
signing_key_file = "{}"
keystone_url = "{base}/v3"
keystone_user = "athenz-provider"
keystone_password = "pw"
keystone_project = "service"
keystone_user_domain = "Default"
vendordata_role = "vendordata"

[bindings]
p1 = "weather"
p2 = "sports"
"#,
        f("tls.pem"),
        f("tls.key"),
        f(server_common::devca::CA_CERT),
        f("signing.key"),
    ))
    .unwrap()
    .validate()
    .unwrap()
}

/// A client trusting the dev CA, presenting `<identity>.pem`/`.key` when given.
fn client(d: &Path, identity: Option<&str>) -> reqwest::Client {
    let ca = std::fs::read(d.join(server_common::devca::CA_CERT)).unwrap();
    let mut b = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap());
    if let Some(name) = identity {
        let mut id = std::fs::read(d.join(format!("{name}.pem"))).unwrap();
        id.extend(std::fs::read(d.join(format!("{name}.key"))).unwrap());
        b = b.identity(reqwest::Identity::from_pem(&id).unwrap());
    }
    b.build().unwrap()
}

impl World {
    async fn vendordata(&self, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut req = self
            .anyone
            .post(format!("{}/vendordata", self.url))
            .json(&body);
        if let Some(t) = token {
            req = req.header("X-Auth-Token", t);
        }
        answer(req.send().await.unwrap()).await
    }

    async fn callback(
        &self,
        path: &str,
        client: &reqwest::Client,
        c: &InstanceConfirmation,
    ) -> (StatusCode, Value) {
        let resp = client
            .post(format!("{}/{path}", self.url))
            .json(c)
            .send()
            .await
            .unwrap();
        answer(resp).await
    }

    fn token(&self, sub: &str, exp: i64) -> String {
        token::sign(&self.key, "0", &claims(sub, exp)).unwrap()
    }
}

async fn answer(resp: reqwest::Response) -> (StatusCode, Value) {
    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn nova_body(project: &str, domain: Option<&str>) -> Value {
    let mut meta = json!({"athenz_service": "api", "other": "x"});
    if let Some(d) = domain {
        meta["athenz_domain"] = json!(d);
    }
    json!({"project-id": project, "instance-id": "vm-1", "image-id": "img", "user-data": null,
           "hostname": "vm1", "metadata": meta, "boot-roles": "member"})
}

fn confirmation(token: &str, instance: &str, client_ip: &str) -> InstanceConfirmation {
    InstanceConfirmation {
        provider: PROVIDER.into(),
        domain: "weather".into(),
        service: "api".into(),
        attestation_data: token.into(),
        attributes: Some(BTreeMap::from([
            ("instanceId".to_string(), instance.to_string()),
            ("clientIP".to_string(), client_ip.to_string()),
            ("sanIP".to_string(), "127.0.0.1".to_string()),
            ("sanDNS".to_string(), "api.weather.example.com".to_string()),
        ])),
    }
}

fn claims(sub: &str, exp: i64) -> Claims {
    Claims {
        iss: PROVIDER.into(),
        sub: sub.into(),
        project_id: "p1".into(),
        hostname: "vm1".into(),
        image_id: "img".into(),
        domain: "weather".into(),
        service: "api".into(),
        iat: exp - 3600,
        exp,
    }
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn message(v: &Value) -> &str {
    v["message"].as_str().unwrap_or("")
}

#[tokio::test]
async fn vendordata_then_register_and_refresh() {
    let w = start(true).await;
    let (status, v) = w
        .vendordata(Some("nova-token"), nova_body("p1", Some("Weather")))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let token = v["attestation"].as_str().unwrap().to_string();
    let got = token::verify(
        w.key.verifying_key(),
        &token,
        token::Expect {
            issuer: PROVIDER,
            now: now(),
            check_expiry: true,
        },
    )
    .unwrap();
    assert_eq!((got.sub.as_str(), got.domain.as_str()), ("vm-1", "weather"));
    assert_eq!(got.exp - got.iat, 3600);

    let c = confirmation(&token, "vm-1", "127.0.0.1");
    for path in ["instance", "refresh"] {
        let (status, v) = w.callback(path, &w.zts, &c).await;
        assert_eq!(status, StatusCode::OK, "{path}: {v}");
        assert_eq!(v["attributes"], json!({"certRefresh": "true"}));
        assert_eq!(v["attestationData"], json!(token));
        assert_eq!(v["domain"], "weather");
    }
}

#[tokio::test]
async fn vendordata_refusals() {
    let w = start(true).await;
    let body = nova_body("p1", Some("weather"));
    let cases = [
        (None, body.clone(), 401, "X-Auth-Token"),
        (
            Some("bogus"),
            body.clone(),
            401,
            "not a valid Keystone token",
        ),
        (Some("member-token"), body.clone(), 403, "vendordata"),
        (
            Some("nova-token"),
            nova_body("p1", None),
            400,
            "athenz_domain",
        ),
        (
            Some("nova-token"),
            nova_body("p1", Some("bad domain")),
            400,
            "athenz_domain",
        ),
        (
            Some("nova-token"),
            nova_body("p2", Some("weather")),
            403,
            "not bound",
        ),
        (
            Some("nova-token"),
            nova_body("p9", Some("weather")),
            403,
            "not bound",
        ),
    ];
    for (token, body, code, needle) in cases {
        let (status, v) = w.vendordata(token, body).await;
        assert_eq!(status.as_u16(), code, "{needle}: {v}");
        assert_eq!(v["code"], code);
        assert!(message(&v).contains(needle), "{needle}: {v}");
    }
}

#[tokio::test]
async fn callback_refusals() {
    let w = start(true).await;
    let live = w.token("vm-1", now() + 3600);
    let other_key =
        SigningKey::from_pem(&rcgen::KeyPair::generate().unwrap().serialize_pem()).unwrap();
    let forged = token::sign(&other_key, "0", &claims("vm-1", now() + 3600)).unwrap();
    let expired = w.token("vm-1", now() - 10);

    let (status, v) = w
        .callback(
            "instance",
            &w.anyone,
            &confirmation(&live, "vm-1", "127.0.0.1"),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{v}");
    // A certificate from the same CA that is not ZTS's.
    let (status, v) = w
        .callback(
            "instance",
            &w.workload,
            &confirmation(&live, "vm-1", "127.0.0.1"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("weather.api"),
        "{v}"
    );

    let mut other_domain = confirmation(&live, "vm-1", "127.0.0.1");
    other_domain.domain = "sports".into();
    let mut bad_san = confirmation(&live, "vm-1", "127.0.0.1");
    bad_san
        .attributes
        .as_mut()
        .unwrap()
        .insert("sanIP".into(), "127.0.0.1,10.1.1.1".into());
    let cases = [
        (
            "instance",
            confirmation(&forged, "vm-1", "127.0.0.1"),
            "signature",
        ),
        (
            "instance",
            confirmation(&expired, "vm-1", "127.0.0.1"),
            "expired",
        ),
        (
            "instance",
            confirmation(&live, "vm-2", "127.0.0.1"),
            "instance id",
        ),
        ("instance", other_domain, "identity"),
        (
            "instance",
            confirmation(&live, "vm-1", "10.0.0.1"),
            "client IP 10.0.0.1",
        ),
        ("instance", bad_san, "SAN IP 10.1.1.1"),
        (
            "refresh",
            confirmation(&w.token("vm-off", now() + 60), "vm-off", "127.0.0.1"),
            "SHUTOFF",
        ),
        (
            "refresh",
            confirmation(&w.token("vm-gone", now() + 60), "vm-gone", "127.0.0.1"),
            "deleted",
        ),
        (
            "refresh",
            confirmation(
                &w.token("vm-other-ip", now() + 60),
                "vm-other-ip",
                "127.0.0.1",
            ),
            "not an address",
        ),
    ];
    for (path, c, needle) in cases {
        let (status, v) = w.callback(path, &w.zts, &c).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{needle}: {v}");
        assert!(message(&v).contains(needle), "{needle}: {v}");
    }
    // An expired token still refreshes: its lifetime bounds registration only.
    let (status, v) = w
        .callback(
            "refresh",
            &w.zts,
            &confirmation(&expired, "vm-1", "127.0.0.1"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
}

#[tokio::test]
async fn backends_down_is_503() {
    let w = start(false).await;
    let (status, v) = w
        .vendordata(Some("nova-token"), nova_body("p1", Some("weather")))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(message(&v), "keystone is unavailable");
    let c = confirmation(&w.token("vm-1", now() + 60), "vm-1", "127.0.0.1");
    let (status, v) = w.callback("instance", &w.zts, &c).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{v}");
}
