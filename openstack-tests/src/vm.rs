//! A VM's life in a [`World`]: Nova creating the server and asking the provider for vendordata
//! (the test plays Nova: `POST /vendordata` with the vendordata user's Keystone token and Nova's
//! documented body, the answer put under `athenz` in `vendor_data2.json`), the real
//! `sia-openstack` on the VM, and raw register requests for what an honest agent cannot send.

use crate::metadata::{self, Files, VmInfo};
use crate::nova::Server;
use crate::token::Claims;
use crate::world::{DNS_SUFFIX, KID, NOVA_USER, PROJECT, PROVIDER, World};
use rcgen::{CertificateParams, DnType, KeyPair, SanType};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Output;

/// A VM as Nova knows it.
#[derive(Debug, Clone)]
pub struct Vm {
    /// Server uuid.
    pub uuid: String,
    /// Name and host name.
    pub hostname: String,
    /// Project id.
    pub project_id: String,
    /// Image id.
    pub image_id: String,
    /// Server metadata (`athenz_domain`, `athenz_service`, …).
    pub metadata: Value,
    /// Fixed IPs (Nova's addresses and the metadata's networks).
    pub ips: Vec<String>,
}

impl Vm {
    /// A VM of [`PROJECT`] asking for `weather.api`, its fixed IP 127.0.0.1 (where it connects
    /// from).
    pub fn new(hostname: &str) -> Self {
        Self {
            uuid: uuid::Uuid::new_v4().to_string(),
            hostname: hostname.into(),
            project_id: PROJECT.into(),
            image_id: "5e9b5f7e-3c77-4c0b-9a57-1e2f3a4b5c6d".into(),
            metadata: json!({"athenz_domain": "weather", "athenz_service": "api"}),
            ips: vec!["127.0.0.1".into()],
        }
    }

    /// Nova's vendordata request body for this VM.
    pub fn vendordata_body(&self) -> Value {
        json!({"project-id": self.project_id, "instance-id": self.uuid,
            "image-id": self.image_id, "user-data": null, "hostname": self.hostname,
            "metadata": self.metadata})
    }

    /// The server Nova holds for this VM (ACTIVE).
    pub fn server(&self) -> Server {
        Server {
            id: self.uuid.clone(),
            name: self.hostname.clone(),
            status: "ACTIVE".into(),
            tenant_id: self.project_id.clone(),
            addresses: self.ips.clone(),
            metadata: self.metadata.clone(),
        }
    }

    /// The metadata files Nova serves this VM, with `vendor_data2.json` = `vendor`.
    pub fn files(&self, vendor: Value) -> Files {
        Files {
            meta_data: metadata::meta_data(&VmInfo {
                uuid: &self.uuid,
                hostname: &self.hostname,
                project_id: &self.project_id,
                meta: &self.metadata,
                ips: &self.ips,
            }),
            vendor_data2: vendor,
            network_data: metadata::network_data(&self.ips),
        }
    }

    /// `vendor_data2.json` holding `token` under the target name `athenz`.
    pub fn vendor_data(token: &str) -> Value {
        json!({"athenz": {"attestation": token}})
    }

    /// The claims an honest provider puts in this VM's token, issued now.
    pub fn claims(&self) -> Claims {
        let now = crate::token::now();
        Claims {
            iss: PROVIDER.into(),
            sub: self.uuid.clone(),
            project_id: self.project_id.clone(),
            hostname: self.hostname.clone(),
            image_id: self.image_id.clone(),
            domain: self.metadata["athenz_domain"]
                .as_str()
                .unwrap_or_default()
                .into(),
            service: self.metadata["athenz_service"]
                .as_str()
                .unwrap_or_default()
                .into(),
            iat: now,
            exp: now + 3600,
        }
    }
}

pub use testkit::agent::Agent;

/// Where the agent reads its metadata.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// The world's metadata service (`-meta`).
    Service,
    /// A config drive (`-configdrive DIR`).
    ConfigDrive(&'a Path),
}

impl World {
    /// A Keystone token for `(user, password)` from `POST /v3/auth/tokens` (status, token).
    pub async fn keystone_token(&self, user: (&str, &str)) -> (u16, Option<String>) {
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user.0, "domain": {"name": "Default"}, "password": user.1}}},
            "scope": {"project": {"name": "service", "domain": {"name": "Default"}}}}});
        let r = reqwest::Client::new()
            .post(format!("{}/auth/tokens", self.keystone.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let token = r
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        (status, token)
    }

    /// `POST /vendordata` on the provider as Nova makes it, with `token` in `X-Auth-Token`.
    pub async fn vendordata(&self, token: Option<&str>, body: &Value) -> (u16, Value) {
        let mut req = self
            .client()
            .post(format!("{}/vendordata", self.provider.base))
            .json(body);
        if let Some(t) = token {
            req = req.header("X-Auth-Token", t);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Nova's part of a boot: the server is created ACTIVE, Nova asks the provider for
    /// vendordata with its vendordata user's token, and the metadata service serves the VM's
    /// files with the answer under `athenz`. Returns the attestation token.
    pub async fn boot(&self, vm: &Vm) -> String {
        self.nova.put(vm.server());
        let (s, token) = self.keystone_token(NOVA_USER).await;
        assert_eq!(s, 201, "Keystone refused Nova's vendordata user");
        let (s, answer) = self
            .vendordata(token.as_deref(), &vm.vendordata_body())
            .await;
        assert_eq!(s, 200, "vendordata for {}: {answer}", vm.uuid);
        let attestation = answer["attestation"]
            .as_str()
            .unwrap_or_else(|| panic!("no attestation in {answer}"))
            .to_string();
        self.meta.set(vm.files(json!({"athenz": answer})));
        attestation
    }

    /// A token with `claims` signed with the provider's own key (what it never issues itself).
    pub fn sign(&self, claims: &Claims) -> String {
        crate::token::sign_with_file(&self.signing_key, KID, claims).unwrap()
    }

    /// An agent with its own directories under the state dir.
    pub fn agent(&self, name: &str) -> Agent {
        let base = self.path().join(name);
        let key_dir = base.join("keys");
        let cert_dir = base.join("certs");
        let config = json!({
            "version": "1.0.0",
            "sia_key_dir": key_dir,
            "sia_cert_dir": cert_dir,
            "sia_token_dir": base.join("tokens"),
        });
        std::fs::create_dir_all(&base).unwrap();
        let path = base.join("sia_config");
        std::fs::write(&path, serde_json::to_vec_pretty(&config).unwrap()).unwrap();
        Agent {
            config: path,
            key_dir,
            cert_dir,
        }
    }

    /// Runs `sia-openstack -cmd <cmd>` for `agent` reading `source`, to completion.
    pub async fn sia(&self, agent: &Agent, cmd: &str, source: Source<'_>) -> Output {
        let mut c = tokio::process::Command::new(testkit::workspace_bin("sia-openstack"));
        c.args(["-zts", "127.0.0.1", "-ztsport", &self.zts_port.to_string()])
            .arg("-ztscacert")
            .arg(self.ca())
            .args(["-dnsdomains", DNS_SUFFIX, "-provider", PROVIDER])
            .arg("-config")
            .arg(&agent.config);
        match source {
            Source::Service => c.args(["-meta", &self.meta.url]),
            Source::ConfigDrive(dir) => c.arg("-configdrive").arg(dir),
        };
        c.args(["-cmd", cmd]).kill_on_drop(true);
        tokio::time::timeout(std::time::Duration::from_secs(120), c.output())
            .await
            .expect("sia-openstack did not finish in 120 s")
            .unwrap()
    }

    /// A raw `POST /zts/v1/instance` for `weather.api` of `instance_id` with `attestation`, the
    /// CSR made as the agent makes it. Returns the status and body.
    pub async fn register_raw(&self, instance_id: &str, attestation: &str) -> (u16, Value) {
        let (_, csr) = csr(instance_id, &[]);
        let body = json!({"provider": PROVIDER, "domain": "weather", "service": "api",
            "attestationData": attestation, "csr": csr});
        let r = self
            .client()
            .post(format!("{}/zts/v1/instance", self.zts_url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

/// A CSR for `weather.api` of `instance_id` with the SANs of `docs/openstack.md` §2.
pub fn csr(instance_id: &str, ips: &[std::net::IpAddr]) -> (KeyPair, String) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(vec![format!("api.weather.{DNS_SUFFIX}")]).unwrap();
    p.distinguished_name.push(DnType::CommonName, "weather.api");
    p.subject_alt_names
        .push(SanType::URI("spiffe://weather/sa/api".try_into().unwrap()));
    p.subject_alt_names.push(SanType::URI(
        format!("athenz://instanceid/{PROVIDER}/{instance_id}")
            .try_into()
            .unwrap(),
    ));
    for ip in ips {
        p.subject_alt_names.push(SanType::IpAddress(*ip));
    }
    let pem = p.serialize_request(&key).unwrap().pem().unwrap();
    (key, pem)
}
