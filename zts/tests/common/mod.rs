//! Test world for ZTS: the real `zms-server` and `zts-server` binaries in dev mode sharing one state
//! directory, a callback provider over real TLS in this process, and clients that make CSRs.
#![allow(
    dead_code,
    reason = "each test file uses a different part of the harness"
)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test harness: a failure is a test failure"
)]

pub mod provider;

use rcgen::{CertificateParams, DnType, KeyPair, SanType};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

pub const PROVIDER: &str = "sys.provider.test";
pub const DNS_SUFFIX: &str = "test.athenz.cloud";

pub use testkit::{Proc, admin, client, start_zms, wait_ok, zms_call};

pub fn start_zts(dir: &Path, zms_url: &str, env: &[(&str, &str)]) -> Proc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zts-server"));
    cmd.args([
        "--dev",
        "--listen",
        "127.0.0.1:0",
        "--zms-url",
        zms_url,
        "--state-dir",
    ])
    .arg(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    Proc::spawn(cmd, "zts-server listening on ")
}

/// The ZMS side of the world: a provider service with an endpoint, sys.auth launch and DNS
/// grants, and a tenant `weather.api` the provider may launch. `weather.noauth` exists but the
/// provider may not launch it.
pub async fn setup_zms(zms: &str, dir: &Path, provider_url: &str) {
    use reqwest::Method;
    let c = admin(dir);
    let put = Method::PUT;
    zms_call(
        &c,
        zms,
        Method::POST,
        "/subdomain/sys",
        json!({"name": "provider", "parent": "sys", "adminUsers": ["user.admin"]}),
    )
    .await;
    zms_call(
        &c,
        zms,
        put.clone(),
        "/domain/sys.provider/service/test",
        json!({"name": PROVIDER}),
    )
    .await;
    zms_call(
        &c,
        zms,
        put.clone(),
        "/domain/sys.provider/service/test/meta/system/providerendpoint",
        json!({"providerEndpoint": provider_url}),
    )
    .await;
    zms_call(
        &c,
        zms,
        put.clone(),
        "/domain/sys.auth/role/providers",
        json!({"name": "sys.auth:role.providers", "roleMembers": [{"memberName": PROVIDER}]}),
    )
    .await;
    zms_call(
        &c,
        zms,
        put.clone(),
        "/domain/sys.auth/policy/providers",
        json!({"name": "sys.auth:policy.providers", "assertions": [
            {"role": "sys.auth:role.providers", "action": "launch", "resource": "sys.auth:instance"},
            {"role": "sys.auth:role.providers", "action": "launch", "resource": format!("sys.auth:dns.{DNS_SUFFIX}")}]}),
    )
    .await;
    zms_call(
        &c,
        zms,
        Method::POST,
        "/domain",
        json!({"name": "weather", "adminUsers": ["user.admin"]}),
    )
    .await;
    for s in ["api", "noauth"] {
        zms_call(
            &c,
            zms,
            put.clone(),
            &format!("/domain/weather/service/{s}"),
            json!({"name": format!("weather.{s}")}),
        )
        .await;
    }
    zms_call(
        &c,
        zms,
        put.clone(),
        "/domain/weather/role/launchers",
        json!({"name": "weather:role.launchers", "roleMembers": [{"memberName": PROVIDER}]}),
    )
    .await;
    zms_call(
        &c,
        zms,
        put,
        "/domain/weather/policy/launch",
        json!({"name": "weather:policy.launch", "assertions": [{"role": "weather:role.launchers", "action": "launch", "resource": "weather:service.api"}]}),
    )
    .await;
}

/// A key and a CSR for `domain.service` with the conventional SANs.
pub fn csr(domain: &str, service: &str, instance: &str, dns: &[String]) -> (KeyPair, String) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(dns.to_vec()).unwrap();
    p.distinguished_name
        .push(DnType::CommonName, format!("{domain}.{service}"));
    p.subject_alt_names.push(SanType::URI(
        format!("spiffe://{domain}/sa/{service}")
            .try_into()
            .unwrap(),
    ));
    p.subject_alt_names.push(SanType::URI(
        format!("athenz://instanceid/{PROVIDER}/{instance}")
            .try_into()
            .unwrap(),
    ));
    let req = p.serialize_request(&key).unwrap();
    (key, req.pem().unwrap())
}

pub fn default_dns(service: &str, domain: &str) -> Vec<String> {
    vec![format!(
        "{service}.{}.{DNS_SUFFIX}",
        domain.replace('.', "-")
    )]
}

/// The whole world, started.
pub struct World {
    pub dir: tempfile::TempDir,
    pub zms: Proc,
    pub zts: Proc,
    pub provider: provider::TestProvider,
}

impl World {
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    pub async fn start_with(zts_env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let zms = start_zms(dir.path());
        wait_ok(
            &client(dir.path(), None),
            &format!("{}/zms/v1/status", zms.base),
        )
        .await;
        let provider = provider::TestProvider::start(dir.path()).await;
        setup_zms(&zms.base, dir.path(), &provider.url).await;
        let zts = start_zts(dir.path(), &zms.base, zts_env);
        wait_ok(
            &client(dir.path(), None),
            &format!("{}/zts/v1/status", zts.base),
        )
        .await;
        let world = Self {
            dir,
            zms,
            zts,
            provider,
        };
        world.wait_zts_sees("weather").await;
        world
    }

    /// Waits until ZTS's copy has the domain's latest data, by registering nothing: polls the
    /// status (ready) and gives the poller a moment measured by a domain-specific probe.
    pub async fn wait_zts_sees(&self, _domain: &str) {
        // The probe: a register with a bad CSR answers 404 while the domain is unknown and 400 after.
        let c = client(self.dir.path(), None);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let body = json!({"provider": PROVIDER, "domain": "weather", "service": "api", "attestationData": "ok", "csr": "x"});
            let r = c
                .post(format!("{}/zts/v1/instance", self.zts.base))
                .json(&body)
                .send()
                .await
                .unwrap();
            if r.status() == 400 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "ZTS never saw the weather domain"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn anon(&self) -> reqwest::Client {
        client(self.dir.path(), None)
    }

    pub async fn register(
        &self,
        service: &str,
        instance: &str,
        attestation: &str,
    ) -> (u16, Value, Option<KeyPair>) {
        let (key, csr) = csr(
            "weather",
            service,
            instance,
            &default_dns(service, "weather"),
        );
        let body = json!({"provider": PROVIDER, "domain": "weather", "service": service, "attestationData": attestation, "csr": csr});
        let (s, v) = self.post(&self.anon(), "/instance", body).await;
        (s, v, Some(key))
    }

    pub async fn post(&self, c: &reqwest::Client, path: &str, body: Value) -> (u16, Value) {
        let r = c
            .post(format!("{}/zts/v1{path}", self.zts.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        let t = r.text().await.unwrap();
        (s, serde_json::from_str(&t).unwrap_or(Value::String(t)))
    }

    /// Refreshes with `cert`/`key` as the TLS client identity and a fresh CSR.
    pub async fn refresh(
        &self,
        instance: &str,
        cert: &str,
        key: &KeyPair,
    ) -> (u16, Value, KeyPair) {
        let c = client(self.dir.path(), Some((cert, &key.serialize_pem())));
        let (new_key, csr) = csr("weather", "api", instance, &default_dns("api", "weather"));
        let (s, v) = self
            .post(
                &c,
                &format!("/instance/{PROVIDER}/weather/api/{instance}"),
                json!({"csr": csr, "attestationData": "ok"}),
            )
            .await;
        (s, v, new_key)
    }
}
