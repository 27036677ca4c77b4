//! OpenStack identity end to end (issue 5, "Show"): real `zms-server`, `zts-server`,
//! `openstack-provider` and `sia-openstack` processes, the Keystone, Nova and metadata
//! emulators. A VM boots and gets its identity, refreshes, and the same from a config drive; each
//! refusal is checked for its message and for leaving nothing behind (or the old files untouched).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use openstack_tests::metadata::write_config_drive;
use openstack_tests::vm::{Agent, Source, Vm};
use openstack_tests::world::{DNS_SUFFIX, Options, PROVIDER, UNBOUND_PROJECT, World};
use serde_json::json;
use std::process::Output;
use testkit::agent::{assert_refused, stderr};

fn assert_ok(o: &Output, what: &str) {
    assert!(o.status.success(), "{what} failed:\n{}", stderr(o));
}

/// The agent holds a complete identity for `vm`: key and certificate belong together, the
/// certificate chains to the dev CA and carries the Athenz names of the VM.
fn assert_identity(w: &World, a: &Agent, vm: &Vm) {
    let text = a.assert_chains_to(&w.ca());
    assert_eq!(
        std::fs::read(a.ca()).unwrap(),
        std::fs::read(w.ca()).unwrap()
    );
    a.assert_pair();
    let mut needles = vec![
        "CN=weather.api".to_string(),
        format!("DNS:api.weather.{DNS_SUFFIX}"),
        format!("URI:athenz://instanceid/{PROVIDER}/{}", vm.uuid),
        "URI:spiffe://weather/sa/api".to_string(),
    ];
    needles.extend(vm.ips.iter().map(|ip| format!("IP Address:{ip}")));
    for needle in needles {
        assert!(
            text.contains(&needle),
            "certificate lacks {needle}:\n{text}"
        );
    }
}

/// Replaces the token the metadata service serves.
fn serve_token(w: &World, vm: &Vm, token: &str) {
    w.meta.set(vm.files(Vm::vendor_data(token)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vm_boots_refreshes_and_is_cut_off_by_nova() {
    let w = World::start(Options::default()).await.unwrap();
    let vm = Vm::new("vm1");
    w.boot(&vm).await;
    let a = w.agent("vm1");
    assert_ok(&w.sia(&a, "init", Source::Service).await, "init");
    assert_identity(&w, &a, &vm);

    // Refresh: the same token again, the same key, a new certificate.
    let (key, before) = (a.snapshot().0, a.serial());
    assert_ok(&w.sia(&a, "refresh", Source::Service).await, "refresh");
    assert_ne!(a.serial(), before, "refresh kept the certificate");
    assert_eq!(a.snapshot().0, key, "refresh replaced the key");
    assert_identity(&w, &a, &vm);

    // The token's lifetime bounds registration only: an expired token still refreshes.
    let mut claims = vm.claims();
    claims.iat -= 7200;
    claims.exp = claims.iat + 3600;
    serve_token(&w, &vm, &w.sign(&claims));
    let before = a.serial();
    assert_ok(
        &w.sia(&a, "refresh", Source::Service).await,
        "refresh with an expired token",
    );
    assert_ne!(a.serial(), before);
    assert_identity(&w, &a, &vm);

    // Nova says SHUTOFF: refresh refused, the files untouched; ACTIVE again: it refreshes.
    w.nova.set_status(&vm.uuid, "SHUTOFF");
    let held = a.snapshot();
    let out = w.sia(&a, "refresh", Source::Service).await;
    assert_refused(&out, &["SHUTOFF"]);
    assert_eq!(a.snapshot(), held, "a refused refresh touched the files");
    w.nova.set_status(&vm.uuid, "ACTIVE");
    assert_ok(&w.sia(&a, "refresh", Source::Service).await, "refresh");

    // Nova says deleted: a deleted VM cannot refresh.
    w.nova.delete(&vm.uuid);
    let held = a.snapshot();
    let out = w.sia(&a, "refresh", Source::Service).await;
    assert_refused(&out, &["deleted"]);
    assert_eq!(a.snapshot(), held, "a refused refresh touched the files");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_drive_boot_and_refresh() {
    // This provider finds Nova through the Keystone catalog.
    let opts = Options {
        nova_url_in_config: false,
        ..Options::default()
    };
    let w = World::start(opts).await.unwrap();
    let vm = Vm::new("vm-drive");
    w.boot(&vm).await;
    // The drive holds what Nova served; the metadata service then has nothing useful.
    let drive = w.path().join("config-drive");
    write_config_drive(&drive, &w.meta.files()).unwrap();
    w.meta.set(Default::default());
    let a = w.agent("vm-drive");
    assert_ok(
        &w.sia(&a, "init", Source::ConfigDrive(&drive)).await,
        "init",
    );
    assert_identity(&w, &a, &vm);
    let (key, before) = (a.snapshot().0, a.serial());
    assert_ok(
        &w.sia(&a, "refresh", Source::ConfigDrive(&drive)).await,
        "refresh",
    );
    assert_ne!(a.serial(), before, "refresh kept the certificate");
    assert_eq!(a.snapshot().0, key, "refresh replaced the key");
    assert_identity(&w, &a, &vm);

    // An empty drive: refused naming the file, nothing written.
    let empty = w.path().join("empty-drive");
    std::fs::create_dir_all(&empty).unwrap();
    let b = w.agent("vm-empty-drive");
    let out = w.sia(&b, "init", Source::ConfigDrive(&empty)).await;
    assert_refused(&out, &["meta_data.json"]);
    assert!(b.nothing_written());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_the_provider_refuses() {
    let w = World::start(Options::default()).await.unwrap();

    // A token signed by another key.
    let vm = Vm::new("forged");
    w.boot(&vm).await;
    let other = w.path().join("other-signing.key.pem");
    openstack_tests::token::new_signing_key(&other).unwrap();
    let forged = openstack_tests::token::sign_with_file(&other, "0", &vm.claims()).unwrap();
    serve_token(&w, &vm, &forged);
    let a = w.agent("forged");
    assert_refused(&w.sia(&a, "init", Source::Service).await, &["signature"]);
    assert!(a.nothing_written());

    // A genuine token, but for another instance.
    let other_vm = Vm::new("other");
    let other_token = w.boot(&other_vm).await;
    let vm = Vm::new("borrower");
    w.boot(&vm).await;
    serve_token(&w, &vm, &other_token);
    let a = w.agent("borrower");
    let out = w.sia(&a, "init", Source::Service).await;
    assert_refused(&out, &["instance id", &other_vm.uuid]);
    assert!(a.nothing_written());

    // A project not bound to the domain: the provider's key, an unbound project.
    let mut vm = Vm::new("unbound");
    vm.project_id = UNBOUND_PROJECT.into();
    w.nova.put(vm.server());
    let token = w.sign(&vm.claims());
    serve_token(&w, &vm, &token);
    let a = w.agent("unbound");
    assert_refused(
        &w.sia(&a, "init", Source::Service).await,
        &["not bound", UNBOUND_PROJECT],
    );
    assert!(a.nothing_written());
    let (s, v) = w.register_raw(&vm.uuid, &token).await;
    assert_eq!(s, 403, "{v}");
    assert!(v.to_string().contains("not bound"), "{v}");

    // Nova says deleted.
    let vm = Vm::new("deleted");
    w.boot(&vm).await;
    w.nova.delete(&vm.uuid);
    let a = w.agent("deleted");
    assert_refused(&w.sia(&a, "init", Source::Service).await, &["deleted"]);
    assert!(a.nothing_written());

    // Nova says SHUTOFF.
    let vm = Vm::new("stopped");
    w.boot(&vm).await;
    w.nova.set_status(&vm.uuid, "SHUTOFF");
    let a = w.agent("stopped");
    assert_refused(&w.sia(&a, "init", Source::Service).await, &["SHUTOFF"]);
    assert!(a.nothing_written());

    // The connecting IP (127.0.0.1) is not the server's.
    let mut vm = Vm::new("elsewhere");
    vm.ips = vec!["10.11.12.13".into()];
    w.boot(&vm).await;
    let a = w.agent("elsewhere");
    assert_refused(
        &w.sia(&a, "init", Source::Service).await,
        &["client IP", "127.0.0.1"],
    );
    assert!(a.nothing_written());

    // An expired token.
    let vm = Vm::new("late");
    w.boot(&vm).await;
    let mut claims = vm.claims();
    claims.iat -= 7200;
    claims.exp = claims.iat + 3600;
    serve_token(&w, &vm, &w.sign(&claims));
    let a = w.agent("late");
    assert_refused(&w.sia(&a, "init", Source::Service).await, &["expired"]);
    assert!(a.nothing_written());

    // Nova out of service: the provider answers 503, which ZTS passes on as an unavailable
    // provider (504: try again), not as a refusal.
    let vm = Vm::new("nova-down");
    w.boot(&vm).await;
    w.nova.set_available(false);
    let a = w.agent("nova-down");
    let out = w.sia(&a, "init", Source::Service).await;
    w.nova.set_available(true);
    assert_refused(&out, &["504", "provider unreachable: 503", "nova"]);
    assert!(a.nothing_written());

    // The control: an honest VM in the same world gets its identity.
    let vm = Vm::new("honest");
    w.boot(&vm).await;
    let a = w.agent("honest");
    assert_ok(&w.sia(&a, "init", Source::Service).await, "init");
    assert_identity(&w, &a, &vm);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_tls_name_must_be_the_provider_service() {
    let opts = Options {
        provider_cn: "sys.openstack.impostor".into(),
        ..Options::default()
    };
    let w = World::start(opts).await.unwrap();
    let vm = Vm::new("vm-tls");
    let token = w.boot(&vm).await;
    let a = w.agent("vm-tls");
    let out = w.sia(&a, "init", Source::Service).await;
    assert_refused(
        &out,
        &[
            "504",
            "provider unreachable",
            "provider certificate does not name sys.openstack.cluster1",
        ],
    );
    assert!(a.nothing_written());
    let (s, v) = w.register_raw(&vm.uuid, &token).await;
    assert_eq!(s, 504, "{v}");
    let msg = v["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("does not name sys.openstack.cluster1"),
        "{msg}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vendordata_refusals() {
    let w = World::start(Options::default()).await.unwrap();
    let vm = Vm::new("vd");
    let body = vm.vendordata_body();
    let (_, nova) = w.keystone_token(openstack_tests::world::NOVA_USER).await;
    let nova = nova.unwrap();

    // The callback is for ZTS only: without a client certificate, 401.
    for path in ["instance", "refresh"] {
        let r = w
            .client()
            .post(format!("{}/{path}", w.provider.base))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "/{path} without a client certificate");
    }

    // Keystone itself refuses a wrong password.
    let (s, t) = w.keystone_token(("nova-vendordata", "wrong")).await;
    assert_eq!((s, t), (401, None));

    // No token, an unknown token: 401.
    let (s, v) = w.vendordata(None, &body).await;
    assert_eq!(s, 401, "{v}");
    let (s, v) = w.vendordata(Some("gAAAAABnot-a-token"), &body).await;
    assert_eq!(s, 401, "{v}");

    // A user without the vendordata role: 403.
    let (_, plain) = w.keystone_token(openstack_tests::world::PLAIN_USER).await;
    let (s, v) = w.vendordata(plain.as_deref(), &body).await;
    assert_eq!(s, 403, "{v}");

    // No athenz_domain: 400; not an Athenz name: 400.
    let mut b = body.clone();
    b["metadata"] = json!({"athenz_service": "api"});
    let (s, v) = w.vendordata(Some(&nova), &b).await;
    assert_eq!(s, 400, "{v}");
    assert!(v.to_string().contains("athenz_domain"), "{v}");
    b["metadata"] = json!({"athenz_domain": "not a domain!", "athenz_service": "api"});
    let (s, v) = w.vendordata(Some(&nova), &b).await;
    assert_eq!(s, 400, "{v}");

    // A project not bound to the domain: 403, no token.
    let mut b = body.clone();
    b["project-id"] = json!(UNBOUND_PROJECT);
    let (s, v) = w.vendordata(Some(&nova), &b).await;
    assert_eq!(s, 403, "{v}");
    assert!(v.get("attestation").is_none(), "{v}");

    // The same request with everything right: a token with the documented header and claims.
    let (s, v) = w.vendordata(Some(&nova), &body).await;
    assert_eq!(s, 200, "{v}");
    let token = v["attestation"].as_str().unwrap();
    let (header, claims) = openstack_tests::token::decode(token).unwrap();
    assert_eq!(header, json!({"alg": "ES256", "typ": "JWT", "kid": "0"}));
    let c = openstack_tests::token::Claims::from_json(&claims).unwrap();
    let want = vm.claims();
    assert_eq!(
        (&c.iss, &c.sub, &c.project_id, &c.hostname, &c.image_id),
        (
            &want.iss,
            &want.sub,
            &want.project_id,
            &want.hostname,
            &want.image_id
        )
    );
    assert_eq!((c.domain.as_str(), c.service.as_str()), ("weather", "api"));
    assert_eq!(c.exp - c.iat, 3600);
    assert!((c.iat - openstack_tests::token::now()).abs() < 300);
}
