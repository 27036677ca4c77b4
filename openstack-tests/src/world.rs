//! One end-to-end world: `zms-server` and `zts-server` (dev mode, one state directory), the
//! Keystone, Nova and metadata emulators, and the real `openstack-provider` with a TLS
//! certificate from the dev CA naming the provider service, its client CA the dev CA (which
//! issued ZTS's client certificate), a P-256 signing key and the binding of [`PROJECT`] to
//! `weather`. ZMS holds the provider service `sys.openstack.cluster1` (its `providerEndpoint` the
//! provider), the sys.auth launch and DNS grants, and the tenant `weather` with service `api` the
//! provider may launch.

use crate::keystone::{Keystone, User};
use crate::metadata::MetadataService;
use crate::nova::Nova;
use anyhow::Result;
use reqwest::Method;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use testkit::{Proc, admin, client, wait_ok, zms_call};

/// The provider service.
pub const PROVIDER: &str = "sys.openstack.cluster1";
/// The DNS suffix sys.auth grants the provider.
pub const DNS_SUFFIX: &str = "openstack.athenz.test";
/// The project bound to `weather`.
pub const PROJECT: &str = "0a1b2c3d4e5f40718293a4b5c6d7e8f9";
/// A project bound to no domain.
pub const UNBOUND_PROJECT: &str = "ffeeddccbbaa49988776655443322110";
/// The role Nova's vendordata user holds.
pub const VENDORDATA_ROLE: &str = "athenz_vendordata";
/// Nova's vendordata user (name, password).
pub const NOVA_USER: (&str, &str) = ("nova-vendordata", "nova-secret");
/// The provider's own Keystone user.
pub const PROVIDER_USER: (&str, &str) = ("athenz-provider", "provider-secret");
/// A user without the vendordata role.
pub const PLAIN_USER: (&str, &str) = ("demo", "demo-secret");
/// The signing key's `kid`.
pub const KID: &str = "0";

/// How the world is set up.
#[derive(Debug, Clone)]
pub struct Options {
    /// The CN of the provider's TLS certificate.
    pub provider_cn: String,
    /// Whether the provider's config names `nova_url` (else it takes the catalog's).
    pub nova_url_in_config: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            provider_cn: PROVIDER.into(),
            nova_url_in_config: true,
        }
    }
}

/// Everything running.
pub struct World {
    /// The provider (dropped first: it calls the emulators).
    pub provider: Proc,
    /// ZTS.
    pub zts: Proc,
    /// ZMS.
    pub zms: Proc,
    /// Keystone.
    pub keystone: Keystone,
    /// Nova.
    pub nova: Nova,
    /// The metadata service.
    pub meta: MetadataService,
    /// The provider's signing key (PKCS#8 PEM).
    pub signing_key: PathBuf,
    /// The provider's config file.
    pub provider_config: PathBuf,
    /// ZTS's port.
    pub zts_port: u16,
    /// Shared state directory (dev CA, ZTS/ZMS state, agents' files). Dropped last.
    pub dir: tempfile::TempDir,
}

impl World {
    /// Starts the world.
    pub async fn start(opts: Options) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let zms = testkit::start_zms(dir.path());
        wait_ok(
            &client(dir.path(), None),
            &format!("{}/zms/v1/status", zms.base),
        )
        .await;
        let keystone = Keystone::start(vec![
            User::new(NOVA_USER.0, NOVA_USER.1, &[VENDORDATA_ROLE, "service"]),
            User::new(PROVIDER_USER.0, PROVIDER_USER.1, &["admin"]),
            User::new(PLAIN_USER.0, PLAIN_USER.1, &["member"]),
        ])
        .await?;
        let nova = Nova::start(keystone.tokens()).await?;
        keystone.set_compute_url(&nova.url);
        let meta = MetadataService::start().await?;
        let signing_key = dir.path().join("provider-signing.key.pem");
        crate::token::new_signing_key(&signing_key)?;
        let provider_config =
            write_provider_config(dir.path(), &opts, &keystone, &nova, &signing_key)?;
        let provider = start_provider(&provider_config);
        setup_zms(&zms.base, dir.path(), &provider.base).await;
        let mut cmd = Command::new(testkit::workspace_bin("zts-server"));
        cmd.args(["--dev", "--listen", "127.0.0.1:0", "--zms-url", &zms.base])
            .arg("--state-dir")
            .arg(dir.path())
            // No AWS here: keep ZTS's AWS SDK off the network.
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        let zts = Proc::spawn(cmd, "zts-server listening on ");
        wait_ok(
            &client(dir.path(), None),
            &format!("{}/zts/v1/status", zts.base),
        )
        .await;
        let zts_port = zts
            .base
            .rsplit(':')
            .next()
            .and_then(|p| p.trim_end_matches('/').parse().ok())
            .ok_or_else(|| anyhow::anyhow!("no port in {}", zts.base))?;
        let world = Self {
            provider,
            zts,
            zms,
            keystone,
            nova,
            meta,
            signing_key,
            provider_config,
            zts_port,
            dir,
        };
        world.wait_zts_sees_weather().await;
        Ok(world)
    }

    /// The state directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The dev CA certificate.
    pub fn ca(&self) -> PathBuf {
        self.path().join("ca.cert.pem")
    }

    /// ZTS's base URL.
    pub fn zts_url(&self) -> String {
        self.zts.base.trim_end_matches('/').to_string()
    }

    /// A client trusting the dev CA (for ZTS and the provider).
    pub fn client(&self) -> reqwest::Client {
        client(self.path(), None)
    }

    async fn wait_zts_sees_weather(&self) {
        // A register with a bad CSR is 404 while the domain is unknown, 400 once it is known.
        let c = self.client();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let r = c
                .post(format!("{}/zts/v1/instance", self.zts_url()))
                .json(
                    &json!({"provider": PROVIDER, "domain": "weather", "service": "api",
                    "attestationData": "x", "csr": "x"}),
                )
                .send()
                .await;
            if r.is_ok_and(|r| r.status() == 400) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "ZTS never saw the weather domain"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn write_provider_config(
    dir: &Path,
    opts: &Options,
    keystone: &Keystone,
    nova: &Nova,
    signing_key: &Path,
) -> Result<PathBuf> {
    let ca = server_common::devca::ensure_ca(dir)?;
    let (cert, key) = (dir.join("provider.cert.pem"), dir.join("provider.key.pem"));
    server_common::devca::issue_server_cert(&ca, &opts.provider_cn, &cert, &key)?;
    let nova_url = if opts.nova_url_in_config {
        format!("nova_url = {:?}\n", nova.url)
    } else {
        String::new()
    };
    let config = format!(
        "listen = \"127.0.0.1:0\"\n\
         provider_name = {PROVIDER:?}\n\
         tls_cert_file = {cert:?}\n\
         tls_key_file = {key:?}\n\
         client_ca_file = {ca:?}\n\
         signing_key_file = {signing_key:?}\n\
         signing_key_id = {KID:?}\n\
         token_lifetime = 3600\n\
         keystone_url = {keystone:?}\n\
         keystone_user = {user:?}\n\
         keystone_password = {password:?}\n\
         keystone_project = \"service\"\n\
         keystone_user_domain = \"Default\"\n\
         vendordata_role = {VENDORDATA_ROLE:?}\n\
         {nova_url}\n\
         [bindings]\n\
         {PROJECT:?} = \"weather\"\n",
        cert = cert.display().to_string(),
        key = key.display().to_string(),
        ca = dir.join("ca.cert.pem").display().to_string(),
        signing_key = signing_key.display().to_string(),
        keystone = keystone.url,
        user = PROVIDER_USER.0,
        password = PROVIDER_USER.1,
    );
    let path = dir.join("openstack-provider.toml");
    std::fs::write(&path, config)?;
    Ok(path)
}

/// Starts `openstack-provider --config FILE` and waits for its marker line.
pub fn start_provider(config: &Path) -> Proc {
    let mut cmd = Command::new(testkit::workspace_bin("openstack-provider"));
    cmd.arg("--config").arg(config);
    Proc::spawn(cmd, "openstack-provider listening on ")
}

async fn setup_zms(zms: &str, dir: &Path, provider_url: &str) {
    let c = admin(dir);
    let call = |m: Method, path: &str, body: serde_json::Value| {
        let (c, path) = (c.clone(), path.to_string());
        async move { zms_call(&c, zms, m, &path, body).await }
    };
    let admins = json!(["user.admin"]);
    call(
        Method::POST,
        "/subdomain/sys",
        json!({"name": "openstack", "parent": "sys", "adminUsers": admins}),
    )
    .await;
    call(
        Method::PUT,
        "/domain/sys.openstack/service/cluster1",
        json!({"name": PROVIDER}),
    )
    .await;
    call(
        Method::PUT,
        "/domain/sys.openstack/service/cluster1/meta/system/providerendpoint",
        json!({"providerEndpoint": provider_url}),
    )
    .await;
    let members = json!([{"memberName": PROVIDER}]);
    call(
        Method::PUT,
        "/domain/sys.auth/role/providers",
        json!({"name": "sys.auth:role.providers", "roleMembers": members}),
    )
    .await;
    call(
        Method::PUT,
        "/domain/sys.auth/policy/providers",
        json!({"name": "sys.auth:policy.providers", "assertions": [
            {"role": "sys.auth:role.providers", "action": "launch", "resource": "sys.auth:instance"},
            {"role": "sys.auth:role.providers", "action": "launch", "resource": format!("sys.auth:dns.{DNS_SUFFIX}")}]}),
    )
    .await;
    call(
        Method::POST,
        "/domain",
        json!({"name": "weather", "adminUsers": admins}),
    )
    .await;
    call(
        Method::PUT,
        "/domain/weather/service/api",
        json!({"name": "weather.api"}),
    )
    .await;
    call(
        Method::PUT,
        "/domain/weather/role/launchers",
        json!({"name": "weather:role.launchers", "roleMembers": members}),
    )
    .await;
    call(
        Method::PUT,
        "/domain/weather/policy/launch",
        json!({"name": "weather:policy.launch", "assertions": [
            {"role": "weather:role.launchers", "action": "launch", "resource": "weather:service.api"}]}),
    )
    .await;
}
