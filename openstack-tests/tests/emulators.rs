//! The emulators answer in the documented shapes (Keystone v3 tokens, Nova "Show Server
//! Details", the metadata service and config drive), so the end-to-end tests exercise the
//! provider and agent against what OpenStack really sends.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use openstack_tests::keystone::{Keystone, User};
use openstack_tests::metadata::{MetadataService, write_config_drive};
use openstack_tests::nova::Nova;
use openstack_tests::vm::Vm;
use serde_json::{Value, json};

fn password_body(user: &str, password: &str, project: &str) -> Value {
    json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"name": "Default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"name": "Default"}}}}})
}

#[tokio::test]
async fn keystone_issues_and_validates_tokens() {
    let ks = Keystone::start(vec![
        User::new("nova", "pw", &["athenz_vendordata"]),
        User::new("provider", "pw2", &["admin"]),
    ])
    .await
    .unwrap();
    ks.set_compute_url("http://nova.example/v2.1");
    let c = reqwest::Client::new();
    let url = format!("{}/auth/tokens", ks.url);
    let issue = |body: Value| c.post(&url).json(&body).send();

    let r = issue(password_body("nova", "pw", "service")).await.unwrap();
    assert_eq!(r.status(), 201);
    let nova = r.headers()["x-subject-token"].to_str().unwrap().to_string();
    let t: Value = r.json().await.unwrap();
    let token = &t["token"];
    for key in [
        "expires_at",
        "issued_at",
        "user",
        "project",
        "roles",
        "catalog",
    ] {
        assert!(token.get(key).is_some(), "token lacks {key}: {t}");
    }
    assert_eq!(token["user"]["name"], "nova");
    assert_eq!(token["user"]["domain"]["name"], "Default");
    assert_eq!(token["project"]["name"], "service");
    assert_eq!(token["roles"][0]["name"], "athenz_vendordata");
    assert_eq!(token["catalog"][0]["type"], "compute");
    let ep = &token["catalog"][0]["endpoints"][0];
    assert_eq!(
        (&ep["interface"], &ep["url"]),
        (&json!("public"), &json!("http://nova.example/v2.1"))
    );

    // Bad password, unknown user, another project: 401.
    for body in [
        password_body("nova", "nope", "service"),
        password_body("ghost", "pw", "service"),
        password_body("nova", "pw", "admin"),
    ] {
        assert_eq!(issue(body).await.unwrap().status(), 401);
    }

    // Validation: the caller's token must be valid; the subject token must exist.
    let own = ks.token_for("provider", "pw2").unwrap();
    let validate = |auth: &str, subject: &str| {
        c.get(&url)
            .header("X-Auth-Token", auth)
            .header("X-Subject-Token", subject)
            .send()
    };
    let r = validate(&own, &nova).await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["token"]["roles"][0]["name"], "athenz_vendordata");
    assert_eq!(validate("bogus", &nova).await.unwrap().status(), 401);
    assert_eq!(validate(&own, "bogus").await.unwrap().status(), 404);
}

#[tokio::test]
async fn nova_shows_servers_to_valid_tokens() {
    let ks = Keystone::start(vec![User::new("p", "pw", &["admin"])])
        .await
        .unwrap();
    let nova = Nova::start(ks.tokens()).await.unwrap();
    let vm = Vm::new("vm1");
    nova.put(vm.server());
    let token = ks.token_for("p", "pw").unwrap();
    let c = reqwest::Client::new();
    let show = |id: &str, t: &str| {
        c.get(format!("{}/servers/{id}", nova.url))
            .header("X-Auth-Token", t)
            .send()
    };
    let r = show(&vm.uuid, &token).await.unwrap();
    assert_eq!(r.status(), 200);
    let s: Value = r.json().await.unwrap();
    let server = &s["server"];
    assert_eq!(server["id"], json!(vm.uuid));
    assert_eq!(server["status"], "ACTIVE");
    assert_eq!(server["tenant_id"], json!(vm.project_id));
    assert_eq!(
        server["addresses"]["private"][0],
        json!({"addr": "127.0.0.1", "version": 4, "OS-EXT-IPS:type": "fixed",
            "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:01"})
    );
    assert_eq!(server["metadata"]["athenz_domain"], "weather");

    assert_eq!(show(&vm.uuid, "bogus").await.unwrap().status(), 401);
    nova.set_status(&vm.uuid, "SHUTOFF");
    let s: Value = show(&vm.uuid, &token).await.unwrap().json().await.unwrap();
    assert_eq!(s["server"]["status"], "SHUTOFF");
    nova.delete(&vm.uuid);
    let r = show(&vm.uuid, &token).await.unwrap();
    assert_eq!(r.status(), 404);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["itemNotFound"]["code"], 404);
    nova.set_available(false);
    assert_eq!(show(&vm.uuid, &token).await.unwrap().status(), 503);
}

#[tokio::test]
async fn metadata_service_and_config_drive_serve_the_same_files() {
    let meta = MetadataService::start().await.unwrap();
    let vm = Vm::new("vm1");
    let files = vm.files(Vm::vendor_data("t.o.k"));
    meta.set(files.clone());
    let c = reqwest::Client::new();
    let get = |f: &str| c.get(format!("{}/openstack/latest/{f}", meta.url)).send();
    let m: Value = get("meta_data.json").await.unwrap().json().await.unwrap();
    assert_eq!(m["uuid"], json!(vm.uuid));
    assert_eq!(m["project_id"], json!(vm.project_id));
    assert_eq!(m["meta"]["athenz_service"], "api");
    let v: Value = get("vendor_data2.json")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v, json!({"athenz": {"attestation": "t.o.k"}}));
    let n: Value = get("network_data.json")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(n["networks"][0]["ip_address"], "127.0.0.1");
    assert_eq!(get("user_data").await.unwrap().status(), 404);
    assert_eq!(
        c.get(format!("{}/latest/meta-data/", meta.url))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    let dir = tempfile::tempdir().unwrap();
    write_config_drive(dir.path(), &files).unwrap();
    let read = |f: &str| -> Value {
        let p = dir.path().join("openstack/latest").join(f);
        serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
    };
    assert_eq!(read("meta_data.json"), m);
    assert_eq!(read("vendor_data2.json"), v);
    assert_eq!(read("network_data.json"), n);
}
