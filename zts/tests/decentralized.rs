//! The serving-time model end to end, with real processes: a service identity registered
//! through the test provider (and service identities from the CA) get access tokens, role
//! tokens and a role certificate from `zts-server`; `zpu` pulls the signed policies; ZPE
//! decides, and its decisions equal ZMS's central `GET /access` for the same principal, action
//! and resource over a generated corpus (a differential test).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use common::{World, client, zms_call};
use rcgen::{CertificateParams, DnType, KeyPair, SanType};
use reqwest::Method;
use rustls_pki_types::pem::PemObject;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use zpe::{AccessResult, KeyStore, PolicyStore, Reason, ZpeConfig};

/// A small deterministic generator (xorshift), so a failure reproduces.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

const ROLES: usize = 16;
const PRINCIPALS: usize = 24;
const ACTIONS: &[&str] = &["read", "write", "delete", "update", "list"];

fn principal(i: usize) -> String {
    format!("corp.svc{i}")
}

fn resources() -> Vec<String> {
    let mut v: Vec<String> = (0..12).map(|i| format!("corp:doc.{i}")).collect();
    v.extend((0..4).map(|i| format!("corp:img.{i}.raw")));
    v.extend(["corp:other", "corp:doc.secret", "corp:img.9.thumb"].map(String::from));
    v
}

/// Builds the `corp` domain: each principal in 1–3 of r0..r15 (weather.api only in r3), and
/// 60 assertions mixing exact, prefix, `?` and match-all globs, a wildcard role and DENYs.
async fn build_corp(w: &World) {
    let admin = common::admin(w.dir.path());
    let zms = &w.zms.base;
    zms_call(
        &admin,
        zms,
        Method::POST,
        "/domain",
        json!({"name": "corp", "adminUsers": ["user.admin"]}),
    )
    .await;
    let mut rng = Rng(0x5eed_1234_abcd);
    let mut members: Vec<Vec<String>> = vec![Vec::new(); ROLES];
    for p in 0..PRINCIPALS {
        for _ in 0..=rng.below(3) {
            let r = rng.below(ROLES);
            if r != 3 && !members[r].contains(&principal(p)) {
                members[r].push(principal(p));
            }
        }
    }
    members[3].push("weather.api".into());
    for (r, m) in members.iter().enumerate() {
        let rm: Vec<Value> = m.iter().map(|p| json!({"memberName": p})).collect();
        zms_call(
            &admin,
            zms,
            Method::PUT,
            &format!("/domain/corp/role/r{r}"),
            json!({"name": format!("corp:role.r{r}"), "roleMembers": rm}),
        )
        .await;
    }
    let action_globs = ["read", "write", "delete", "*", "re*", "upd?te"];
    let res_globs = [
        "corp:doc.1",
        "corp:doc.*",
        "corp:doc.?",
        "corp:*",
        "corp:img.*.raw",
        "corp:img.1*",
        "corp:doc.secret",
        "corp:other",
    ];
    for p in 0..6 {
        let mut assertions = Vec::new();
        for _ in 0..10 {
            let role = if rng.below(12) == 0 {
                "corp:role.r1*".to_string()
            } else {
                format!("corp:role.r{}", rng.below(ROLES))
            };
            let effect = if rng.below(7) == 0 { "DENY" } else { "ALLOW" };
            assertions.push(json!({"role": role, "action": rng.pick(&action_globs), "resource": rng.pick(&res_globs), "effect": effect}));
        }
        zms_call(
            &admin,
            zms,
            Method::PUT,
            &format!("/domain/corp/policy/p{p}"),
            json!({"name": format!("corp:policy.p{p}"), "assertions": assertions}),
        )
        .await;
    }
}

/// A client identity for `principal` from the dev CA (ZTS trusts it for mTLS).
fn identity(dir: &Path, principal: &str) -> (String, String) {
    let ca = server_common::devca::load_ca(dir).unwrap();
    let (cert, key) = (
        dir.join(format!("{principal}.cert.pem")),
        dir.join(format!("{principal}.key.pem")),
    );
    server_common::devca::issue_client_cert(&ca, principal, &cert, &key).unwrap();
    (
        std::fs::read_to_string(cert).unwrap(),
        std::fs::read_to_string(key).unwrap(),
    )
}

fn der(pem: &str) -> Vec<u8> {
    rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
        .unwrap()
        .to_vec()
}

async fn access_token(w: &World, c: &reqwest::Client, scope: &str) -> (u16, Value) {
    let r = c
        .post(format!("{}/zts/v1/oauth2/token", w.zts.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=client_credentials&scope={}",
            scope.replace(' ', "+")
        ))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// `zpu -check-status` over `policy_dir` (no network): (success, stdout).
fn zpu_status(w: &World, policy_dir: &Path) -> (bool, String) {
    let conf = w.dir.path().join("zpu-status.conf");
    std::fs::write(
        &conf,
        json!({"domains": "corp", "policyDir": policy_dir}).to_string(),
    )
    .unwrap();
    let out = std::process::Command::new(testkit::workspace_bin("zpu"))
        .arg("-athenzConf")
        .arg(w.dir.path().join("athenz.conf"))
        .arg("-zpuConf")
        .arg(&conf)
        .arg("-check-status")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
    )
}

fn run_zpu(w: &World, policy_dir: &Path, jws: bool, cert: &Path, key: &Path) -> String {
    let conf = w.dir.path().join(format!("zpu-{jws}.conf"));
    std::fs::write(&conf, json!({"domains": "corp,weather", "policyDir": policy_dir, "jwsPolicySupport": jws, "user": "athenz"}).to_string()).unwrap();
    let out = std::process::Command::new(testkit::workspace_bin("zpu"))
        .arg("-athenzConf")
        .arg(w.dir.path().join("athenz.conf"))
        .arg("-zpuConf")
        .arg(&conf)
        .arg("-cacert")
        .arg(w.dir.path().join("ca.cert.pem"))
        .arg("-cert-file")
        .arg(cert)
        .arg("-private-key")
        .arg(key)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "zpu failed: {text}");
    text
}

/// Waits until ZTS's copy of corp has every role (the last one written).
async fn wait_corp(w: &World, c: &reqwest::Client) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let url = format!("{}/zts/v1/domain/corp/signed_policy_data", w.zts.base);
    loop {
        let r = c.get(&url).send().await.unwrap();
        if r.status() == 200 {
            let v: Value = r.json().await.unwrap();
            if v["signedPolicyData"]["policyData"]["policies"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "corp:policy.p5")
            {
                return;
            }
        }
        assert!(Instant::now() < deadline, "ZTS never saw corp");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zpe_decides_as_zms_does() {
    let w = World::start().await;
    build_corp(&w).await;
    let (s, v, key) = w.register("api", "i-1", "ok").await;
    assert_eq!(s, 201, "{v}");
    let api_cert = v["x509Certificate"].as_str().unwrap().to_string();
    let api_key = key.unwrap();
    let (api_cert_file, api_key_file) = (
        w.dir.path().join("api.cert.pem"),
        w.dir.path().join("api.key.pem"),
    );
    std::fs::write(&api_cert_file, &api_cert).unwrap();
    std::fs::write(&api_key_file, api_key.serialize_pem()).unwrap();
    let api = client(w.dir.path(), Some((&api_cert, &api_key.serialize_pem())));
    wait_corp(&w, &api).await;

    // zpu pulls both forms; a second run is a 304 and leaves the files alone.
    let legacy_dir = w.dir.path().join("zpe-legacy");
    let jws_dir = w.dir.path().join("zpe-jws");
    let out = run_zpu(&w, &legacy_dir, false, &api_cert_file, &api_key_file);
    assert!(out.contains("corp: policy file updated"), "{out}");
    run_zpu(&w, &jws_dir, true, &api_cert_file, &api_key_file);
    let mtime = std::fs::metadata(legacy_dir.join("corp.pol"))
        .unwrap()
        .modified()
        .unwrap();
    let out = run_zpu(&w, &legacy_dir, false, &api_cert_file, &api_key_file);
    assert!(out.contains("corp: policy file is current"), "{out}");
    assert_eq!(
        std::fs::metadata(legacy_dir.join("corp.pol"))
            .unwrap()
            .modified()
            .unwrap(),
        mtime
    );

    let keys =
        KeyStore::from_athenz_conf(&std::fs::read(w.dir.path().join("athenz.conf")).unwrap())
            .unwrap();
    let (legacy, report) = PolicyStore::open(&legacy_dir, keys.clone(), ZpeConfig::default());
    assert!(
        report.failed.is_empty() && report.loaded.len() == 2,
        "{report:?}"
    );
    let (jws, report) = PolicyStore::open(&jws_dir, keys.clone(), ZpeConfig::default());
    assert!(
        report.failed.is_empty() && report.loaded.len() == 2,
        "{report:?}"
    );

    // Every principal's tokens: an access token for the whole domain, and a role token.
    let mut principals = Vec::new();
    for p in 0..PRINCIPALS {
        let (cert, key) = identity(w.dir.path(), &principal(p));
        let c = client(w.dir.path(), Some((&cert, &key)));
        let (s, v) = access_token(&w, &c, "corp:domain").await;
        assert_eq!(s, 200, "{}: {v}", principal(p));
        let at = v["access_token"].as_str().unwrap().to_string();
        let r = c
            .get(format!("{}/zts/v1/domain/corp/token", w.zts.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let rt = r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string();
        principals.push((principal(p), der(&cert), at, rt));
    }

    // weather.api's role certificate for r3 (its only corp role), with its service key.
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "corp:role.r3");
    for u in ["spiffe://corp/ra/r3", "athenz://principal/weather.api"] {
        params
            .subject_alt_names
            .push(SanType::URI(u.try_into().unwrap()));
    }
    let csr = params.serialize_request(&api_key).unwrap().pem().unwrap();
    let r = api
        .post(format!("{}/zts/v1/rolecert", w.zts.base))
        .json(&json!({"csr": csr, "expiryTime": 60}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let role_cert = der(r.json::<Value>().await.unwrap()["x509Certificate"]
        .as_str()
        .unwrap());

    // The differential corpus: ZMS's answer against ZPE's, for both file forms and all tokens.
    let admin = common::admin(w.dir.path());
    let res = resources();
    let mut rng = Rng(0xdec1_5100);
    let (mut allows, mut cases) = (0, 0);
    for i in 0..1200 {
        let action = *rng.pick(ACTIONS);
        let resource = rng.pick(&res).clone();
        let (who, cert, at, rt) = if i % 8 == 7 {
            ("weather.api".to_string(), None, None, None)
        } else {
            let (p, c, a, r) = rng.pick(&principals);
            (p.clone(), Some(c), Some(a), Some(r))
        };
        let r = admin
            .get(format!(
                "{}/zms/v1/access/{action}/{resource}?principal={who}",
                w.zms.base
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let central = r.json::<Value>().await.unwrap()["granted"]
            .as_bool()
            .unwrap();
        let want = if central {
            AccessResult::Allow
        } else {
            AccessResult::Deny
        };
        let mut got = Vec::new();
        for store in [&legacy, &jws] {
            match (cert, at, rt) {
                (Some(cert), Some(at), Some(rt)) => {
                    got.push(store.allow_with_cert(at, Some(cert), action, &resource));
                    got.push(store.allow(rt, action, &resource));
                }
                _ => got.push(store.allow_role_cert(&role_cert, action, &resource)),
            }
        }
        for (result, reason) in &got {
            assert_eq!(
                *result, want,
                "case {i}: {who} {action} {resource}: ZMS {central}, ZPE {reason}"
            );
            assert!(
                matches!(reason, Reason::Allow | Reason::Deny | Reason::DenyNoMatch),
                "{reason}"
            );
        }
        cases += 1;
        allows += usize::from(central);
    }
    assert!(
        allows > 100 && cases - allows > 100,
        "a corpus of both answers: {allows} allows of {cases}"
    );

    // A token bound to another certificate, a tampered file, a file checked with the wrong key.
    let (_, cert0, at0, _) = &principals[0];
    let (_, cert1, _, _) = &principals[1];
    assert_eq!(
        legacy
            .allow_with_cert(at0, Some(cert1), "read", "corp:doc.1")
            .1,
        Reason::DenyCertHashMismatch
    );
    assert_ne!(
        legacy
            .allow_with_cert(at0, Some(cert0), "read", "corp:doc.1")
            .1,
        Reason::DenyCertHashMismatch
    );
    let bad_dir: PathBuf = w.dir.path().join("zpe-bad");
    std::fs::create_dir_all(&bad_dir).unwrap();
    let text = std::fs::read_to_string(legacy_dir.join("corp.pol")).unwrap();
    std::fs::write(
        bad_dir.join("corp.pol"),
        text.replacen("\"DENY\"", "\"ALLOW\"", 1),
    )
    .unwrap();
    let (_, report) = PolicyStore::open(&bad_dir, keys, ZpeConfig::default());
    assert_eq!(
        report.failed.len(),
        1,
        "a tampered file is refused: {report:?}"
    );
    let (ok, out) = zpu_status(&w, &legacy_dir);
    assert!(ok && out.contains("corp: OK, expires in 167h"), "{out}");
    let (ok, out) = zpu_status(&w, &bad_dir);
    assert!(
        !ok && out.contains("corp: FAILED"),
        "zpu -check-status flags the tampered file: {out}"
    );
    let other =
        model::crypto::SigningKey::from_pem(&KeyPair::generate().unwrap().serialize_pem()).unwrap();
    let mut wrong = KeyStore::new();
    wrong.add_zts_key("0", other.verifying_key().clone());
    let (store, report) = PolicyStore::open(&legacy_dir, wrong, ZpeConfig::default());
    assert_eq!(
        report.failed.len(),
        2,
        "the wrong key verifies nothing: {report:?}"
    );
    assert_eq!(
        store.allow(&principals[0].3, "read", "corp:doc.1").1,
        Reason::DenyRoleTokenInvalid
    );
}
