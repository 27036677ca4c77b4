//! `sia-openstack` fetches a role certificate and an access token (`roles`, `access_tokens` in
//! sia_config) from the real `zts-server` with the identity the OpenStack provider vouched for:
//! the same `sia-core` code as siad, on the other platform.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use openstack_tests::vm::{Source, Vm};
use openstack_tests::world::{Options, PROVIDER, World};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use testkit::agent::stderr;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vm_gets_a_role_certificate_and_an_access_token() {
    let w = World::start(Options::default()).await.unwrap();
    let admin = testkit::admin(w.path());
    testkit::zms_call(
        &admin,
        &w.zms.base,
        Method::PUT,
        "/domain/weather/role/readers",
        json!({"name": "weather:role.readers", "roleMembers": [{"memberName": "weather.api"}]}),
    )
    .await;
    let url = format!(
        "{}/zts/v1/access/domain/weather/role/readers/principal/weather.api",
        w.zts_url()
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while admin
        .get(&url)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["granted"]
        != true
    {
        assert!(Instant::now() < deadline, "ZTS never saw the role");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let vm = Vm::new("vm-roles");
    w.boot(&vm).await;
    let a = w.agent("vm-roles");
    let mut config: Value = serde_json::from_slice(&std::fs::read(&a.config).unwrap()).unwrap();
    config["roles"] = json!({"weather:role.readers": {}});
    config["access_tokens"] = json!({"weather/readers": {"roles": ["readers"]}});
    std::fs::write(&a.config, serde_json::to_vec(&config).unwrap()).unwrap();

    let out = w.sia(&a, "init", Source::Service).await;
    assert!(out.status.success(), "init failed:\n{}", stderr(&out));
    let role = a.cert_dir.join("weather:role.readers.cert.pem");
    let pem = std::fs::read(&role).unwrap();
    let (_, p) = x509_parser::pem::parse_x509_pem(&pem).unwrap();
    let cert = p.parse_x509().unwrap();
    assert_eq!(
        cert.subject()
            .iter_common_name()
            .next()
            .unwrap()
            .as_str()
            .unwrap(),
        "weather:role.readers"
    );
    let uris: Vec<String> = cert
        .subject_alternative_name()
        .unwrap()
        .unwrap()
        .value
        .general_names
        .iter()
        .filter_map(|n| match n {
            x509_parser::extensions::GeneralName::URI(u) => Some(u.to_string()),
            _ => None,
        })
        .collect();
    assert!(
        uris.contains(&format!("athenz://instanceid/{PROVIDER}/{}", vm.uuid)),
        "{uris:?}"
    );
    assert!(
        uris.contains(&"athenz://principal/weather.api".to_string()),
        "{uris:?}"
    );

    let token: String = serde_json::from_slice(
        &std::fs::read(w.path().join("vm-roles/tokens/weather/readers")).unwrap(),
    )
    .unwrap();
    assert_eq!(token.split('.').count(), 3, "a JWT");

    // `-cmd rolecert` alone fetches it again with the identity on disk.
    std::fs::remove_file(&role).unwrap();
    let out = w.sia(&a, "rolecert", Source::Service).await;
    assert!(out.status.success(), "rolecert failed:\n{}", stderr(&out));
    assert!(role.exists());
}
