//! Test doubles shared by the agent, role, token and daemon tests: a ZTS that signs with an
//! in-memory CA and records what it was sent, and an attestor.

use crate::agent::{AgentConfig, Attestation, Attestor, ZtsApi};
use crate::config::SiaConfig;
use crate::error::{Error, Result};
use async_trait::async_trait;
use model::zts::{InstanceIdentity, InstanceRefreshInformation, InstanceRegisterInformation};
use model::zts_token::{AccessTokenResponse, RoleCertificate, RoleCertificateRequest};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Mutex;

/// provider, domain, service, instance id, body, client certificate.
pub type RefreshCall = (
    String,
    String,
    String,
    String,
    InstanceRefreshInformation,
    String,
);

/// A ZTS that signs CSRs with an in-memory CA and records what it was sent.
pub struct FakeZts {
    pub issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    pub ca_pem: String,
    pub fail: Mutex<Option<(u16, String)>>,
    /// Sign this foreign key's certificate instead of the CSR's (a misbehaving server).
    pub wrong_key: Mutex<bool>,
    pub registers: Mutex<Vec<InstanceRegisterInformation>>,
    pub refreshes: Mutex<Vec<RefreshCall>>,
    /// Role requests with the client certificate they came with.
    pub role_requests: Mutex<Vec<(RoleCertificateRequest, String)>>,
    pub role_fail: Mutex<Option<(u16, String)>>,
    /// Token forms with the client certificate they came with.
    pub token_forms: Mutex<Vec<(String, String)>>,
    pub token_fail: Mutex<Option<(u16, String)>>,
    /// `expires_in` of issued tokens.
    pub token_expires_in: Mutex<Option<i64>>,
}

impl FakeZts {
    pub fn new() -> Self {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca_pem = params.self_signed(&key).unwrap().pem();
        Self {
            issuer: rcgen::Issuer::new(params, key),
            ca_pem,
            fail: Mutex::new(None),
            wrong_key: Mutex::new(false),
            registers: Mutex::default(),
            refreshes: Mutex::default(),
            role_requests: Mutex::default(),
            role_fail: Mutex::new(None),
            token_forms: Mutex::default(),
            token_fail: Mutex::new(None),
            token_expires_in: Mutex::new(Some(3600)),
        }
    }

    /// Signs `csr` for an hour, copying its SANs (as ZTS does).
    pub fn sign_pem(&self, csr: &str) -> String {
        let mut params = rcgen::CertificateSigningRequestParams::from_pem(csr).unwrap();
        let now = time::OffsetDateTime::now_utc();
        params.params.not_before = now - time::Duration::minutes(1);
        params.params.not_after = now + time::Duration::hours(1);
        if *self.wrong_key.lock().unwrap() {
            let other = rcgen::KeyPair::generate().unwrap();
            params.params.signed_by(&other, &self.issuer).unwrap().pem()
        } else {
            params.signed_by(&self.issuer).unwrap().pem()
        }
    }

    fn sign(&self, csr: &str) -> Result<InstanceIdentity> {
        if let Some((status, message)) = self.fail.lock().unwrap().clone() {
            return Err(Error::Zts { status, message });
        }
        Ok(InstanceIdentity {
            provider: "p".into(),
            name: "n".into(),
            instance_id: "i".into(),
            x509_certificate: Some(self.sign_pem(csr)),
            x509_certificate_signer: Some(self.ca_pem.clone()),
            ..Default::default()
        })
    }
}

#[async_trait]
impl ZtsApi for FakeZts {
    async fn register(&self, info: &InstanceRegisterInformation) -> Result<InstanceIdentity> {
        self.registers.lock().unwrap().push(info.clone());
        self.sign(&info.csr)
    }
    async fn refresh(
        &self,
        provider: &str,
        domain: &str,
        service: &str,
        instance_id: &str,
        info: &InstanceRefreshInformation,
        cert_pem: &str,
        _key_pem: &str,
    ) -> Result<InstanceIdentity> {
        self.refreshes.lock().unwrap().push((
            provider.into(),
            domain.into(),
            service.into(),
            instance_id.into(),
            info.clone(),
            cert_pem.into(),
        ));
        self.sign(info.csr.as_deref().unwrap_or_default())
    }
    async fn role_certificate(
        &self,
        req: &RoleCertificateRequest,
        cert_pem: &str,
        _key_pem: &str,
    ) -> Result<RoleCertificate> {
        self.role_requests
            .lock()
            .unwrap()
            .push((req.clone(), cert_pem.into()));
        if let Some((status, message)) = self.role_fail.lock().unwrap().clone() {
            return Err(Error::Zts { status, message });
        }
        Ok(RoleCertificate {
            x509_certificate: self.sign_pem(&req.csr),
        })
    }
    async fn access_token(
        &self,
        form: &str,
        cert_pem: &str,
        _key_pem: &str,
    ) -> Result<AccessTokenResponse> {
        let n = {
            let mut forms = self.token_forms.lock().unwrap();
            forms.push((form.into(), cert_pem.into()));
            forms.len()
        };
        if let Some((status, message)) = self.token_fail.lock().unwrap().clone() {
            return Err(Error::Zts { status, message });
        }
        Ok(AccessTokenResponse {
            access_token: format!("eyJhbGciOiJFUzI1NiJ9.eyJuIjo{n}fQ.c2ln"),
            token_type: "Bearer".into(),
            expires_in: *self.token_expires_in.lock().unwrap(),
            scope: None,
            refresh_token: None,
            id_token: None,
        })
    }
}

pub struct FakeAttestor {
    pub calls: Mutex<Vec<(String, String, bool)>>,
}

#[async_trait]
impl Attestor for FakeAttestor {
    async fn attest(&self, domain: &str, service: &str, refresh: bool) -> Result<Attestation> {
        self.calls
            .lock()
            .unwrap()
            .push((domain.into(), service.into(), refresh));
        Ok(Attestation {
            provider: "athenz.test.r1".into(),
            instance_id: "i-1".into(),
            attestation_data: "{\"secret\":\"s3cr3t\"}".into(),
            ips: vec!["10.0.0.9".parse().unwrap()],
            cloud: None,
        })
    }
}

pub fn attestor() -> FakeAttestor {
    FakeAttestor {
        calls: Mutex::default(),
    }
}

/// An agent for `sports.api` (account 1) with its directories under `dir`; `extra` is spliced
/// into the `sia_config` JSON object (start it with a comma).
pub fn config(dir: &Path, extra: &str) -> AgentConfig {
    let text = format!(
        r#"{{"service":"api","accounts":[{{"domain":"sports","account":"1"}}],
            "sia_key_dir":"{0}/keys","sia_cert_dir":"{0}/certs","sia_token_dir":"{0}/tokens",
            "retry_initial_ms":1{extra}}}"#,
        dir.display()
    );
    let c = SiaConfig::parse(&text).unwrap().config;
    AgentConfig::from_sia_config(&c, Some("1"), &["dns.example.com".into()], None).unwrap()
}

pub fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}
