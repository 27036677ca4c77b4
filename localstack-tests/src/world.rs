//! One end-to-end world: `zms-server` and `zts-server` (dev mode, one state directory), moto, the
//! fake IMDS serving a signed identity document for a moto instance, and ZMS data for the AWS
//! providers: `athenz.aws.us-west-2` and `athenz.aws.us-east-1` (EC2, by Athenz's class name and
//! by ours) and `athenz.aws-lambda.us-west-2`, sys.auth launch and DNS grants, and the tenant
//! `weather` (account from moto) with service `api` the providers may launch.

use crate::awskeys::{AwsSigner, document};
use crate::imds::{Creds, Imds, Instance};
use crate::moto::{AwsSetup, Moto};
use anyhow::{Context, Result};
use reqwest::Method;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use testkit::{Proc, admin, client, wait_ok, zms_call};

/// Region of the instance and the main providers.
pub const REGION: &str = "us-west-2";
/// The EC2 provider of [`REGION`].
pub const EC2_PROVIDER: &str = "athenz.aws.us-west-2";
/// An EC2 provider of another region.
pub const EC2_OTHER_REGION: &str = "athenz.aws.us-east-1";
/// The Lambda provider.
pub const LAMBDA_PROVIDER: &str = "athenz.aws-lambda.us-west-2";
/// The DNS suffix sys.auth grants the providers and ZTS's `aws.dns_suffix`.
pub const DNS_SUFFIX: &str = "aws.athenz.test";

/// How ZTS is configured.
#[derive(Debug, Clone)]
pub struct Options {
    /// `aws.liveness`.
    pub liveness: bool,
    /// `aws.boot_time_offset`.
    pub boot_time_offset: i64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            liveness: true,
            boot_time_offset: 300,
        }
    }
}

/// Everything running.
pub struct World {
    /// Shared state directory (dev CA, ZTS/ZMS state).
    pub dir: tempfile::TempDir,
    /// ZMS.
    pub zms: Proc,
    /// ZTS (None while stopped).
    pub zts: Option<Proc>,
    /// ZTS's fixed port, so it can restart on it.
    pub zts_port: u16,
    /// moto.
    pub moto: Moto,
    /// What moto holds.
    pub aws: AwsSetup,
    /// The trusted test "AWS" signer.
    pub signer: AwsSigner,
    /// The fake IMDS.
    pub imds: Imds,
    /// ZTS's config file.
    pub zts_config: PathBuf,
}

/// The environment that points AWS SDK users at moto and nowhere else.
pub fn aws_env(moto: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", moto.to_string()),
        ("AWS_REGION", REGION.to_string()),
        ("AWS_CONFIG_FILE", "/dev/null".into()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]
}

impl World {
    /// Starts the world with `opts`.
    pub async fn start(opts: Options) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let moto = Moto::start().await?;
        let aws = moto.setup(REGION).await?;
        let signer = AwsSigner::create(&dir.path().join("test-aws"))?;
        let zms = testkit::start_zms(dir.path());
        wait_ok(
            &client(dir.path(), None),
            &format!("{}/zms/v1/status", zms.base),
        )
        .await;
        setup_zms(&zms.base, dir.path(), &aws.account).await;
        let zts_config = dir.path().join("zts-aws.toml");
        let bundle = signer.bundle.display().to_string();
        std::fs::write(
            &zts_config,
            format!(
                "zms_poll_secs = 1\n\n[aws]\npublic_cert_per_region = {{ \"{REGION}\" = \"{bundle}\", \"us-east-1\" = \"{bundle}\" }}\ndns_suffix = [\"{DNS_SUFFIX}\"]\nboot_time_offset = {}\nregion_name = \"{REGION}\"\nliveness = {}\nliveness_role = \"athenz-zts-liveness\"\n",
                opts.boot_time_offset, opts.liveness
            ),
        )?;
        let imds = Imds::start(instance(&aws, &signer, time::OffsetDateTime::now_utc())?).await?;
        let mut world = Self {
            dir,
            zms,
            zts: None,
            zts_port: testkit::free_port(),
            moto,
            aws,
            signer,
            imds,
            zts_config,
        };
        world.start_zts().await;
        Ok(world)
    }

    /// The state directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Starts (or restarts) ZTS on its port and waits until it serves the weather domain.
    pub async fn start_zts(&mut self) {
        let mut cmd = Command::new(testkit::workspace_bin("zts-server"));
        cmd.args(["--dev", "--listen", &format!("127.0.0.1:{}", self.zts_port)])
            .args(["--zms-url", &self.zms.base, "--state-dir"])
            .arg(self.dir.path())
            .arg("--config")
            .arg(&self.zts_config)
            .env("AWS_ACCESS_KEY_ID", &self.aws.admin.access)
            .env("AWS_SECRET_ACCESS_KEY", &self.aws.admin.secret);
        for (k, v) in aws_env(&self.moto.url) {
            cmd.env(k, v);
        }
        let zts = Proc::spawn(cmd, "zts-server listening on ");
        wait_ok(
            &client(self.path(), None),
            &format!("{}/zts/v1/status", zts.base),
        )
        .await;
        self.zts = Some(zts);
        self.wait_zts_sees_weather().await;
    }

    /// Stops ZTS.
    pub fn stop_zts(&mut self) {
        self.zts = None;
    }

    /// ZTS's base URL.
    pub fn zts_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.zts_port)
    }

    async fn wait_zts_sees_weather(&self) {
        // A register with a bad CSR is 404 while the domain is unknown, 400 once it is known.
        let c = client(self.path(), None);
        for _ in 0..300 {
            let r = c
                .post(format!("{}/zts/v1/instance", self.zts_url()))
                .json(&json!({"provider": EC2_PROVIDER, "domain": "weather", "service": "api", "attestationData": "{}", "csr": "x"}))
                .send()
                .await;
            if r.is_ok_and(|r| r.status() == 400) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("ZTS never saw the weather domain");
    }
}

/// The IMDS view of moto's instance, its document signed by `signer`, launched at `pending`.
pub fn instance(
    aws: &AwsSetup,
    signer: &AwsSigner,
    pending: time::OffsetDateTime,
) -> Result<Instance> {
    let i = &aws.instance;
    let doc = document(&aws.account, REGION, &i.az, &i.id, &i.ip, pending);
    Ok(Instance {
        pkcs7: signer.pkcs7(&doc)?,
        rsa2048: signer.rsa2048(&doc)?,
        document: doc,
        instance_id: i.id.clone(),
        ip: i.ip.clone(),
        region: REGION.into(),
        az: i.az.clone(),
        role: aws.profile_role.clone(),
        creds: Creds {
            access: aws.profile.access.clone(),
            secret: aws.profile.secret.clone(),
            token: aws.profile.token.clone().context("profile token")?,
        },
        tokens_required: false,
    })
}

async fn setup_zms(zms: &str, dir: &Path, account: &str) {
    let c = admin(dir);
    let call = |m: Method, path: String, body: serde_json::Value| {
        let c = c.clone();
        async move { zms_call(&c, zms, m, &path, body).await }
    };
    let admins = json!(["user.admin"]);
    call(
        Method::POST,
        "/domain".into(),
        json!({"name": "athenz", "adminUsers": admins}),
    )
    .await;
    for sub in ["aws", "aws-lambda"] {
        call(
            Method::POST,
            "/subdomain/athenz".into(),
            json!({"name": sub, "parent": "athenz", "adminUsers": admins}),
        )
        .await;
    }
    let providers = [
        (
            EC2_PROVIDER,
            "class://com.yahoo.athenz.instance.provider.impl.InstanceAWSProvider",
        ),
        (EC2_OTHER_REGION, "class://aws-ec2"),
        (
            LAMBDA_PROVIDER,
            "class://com.yahoo.athenz.instance.provider.impl.InstanceAWSLambdaProvider",
        ),
    ];
    for (name, endpoint) in providers {
        let Some((domain, service)) = name.rsplit_once('.') else {
            continue;
        };
        call(
            Method::PUT,
            format!("/domain/{domain}/service/{service}"),
            json!({"name": name}),
        )
        .await;
        call(
            Method::PUT,
            format!("/domain/{domain}/service/{service}/meta/system/providerendpoint"),
            json!({"providerEndpoint": endpoint}),
        )
        .await;
    }
    let members: Vec<_> = providers
        .iter()
        .map(|(p, _)| json!({"memberName": p}))
        .collect();
    call(
        Method::PUT,
        "/domain/sys.auth/role/providers".into(),
        json!({"name": "sys.auth:role.providers", "roleMembers": members}),
    )
    .await;
    call(
        Method::PUT,
        "/domain/sys.auth/policy/providers".into(),
        json!({"name": "sys.auth:policy.providers", "assertions": [
            {"role": "sys.auth:role.providers", "action": "launch", "resource": "sys.auth:instance"},
            {"role": "sys.auth:role.providers", "action": "launch", "resource": format!("sys.auth:dns.{DNS_SUFFIX}")}]}),
    )
    .await;
    call(
        Method::POST,
        "/domain".into(),
        json!({"name": "weather", "adminUsers": admins}),
    )
    .await;
    call(
        Method::PUT,
        "/domain/weather/meta/system/account".into(),
        json!({"account": account}),
    )
    .await;
    call(
        Method::PUT,
        "/domain/weather/service/api".into(),
        json!({"name": "weather.api"}),
    )
    .await;
    call(
        Method::PUT,
        "/domain/weather/role/launchers".into(),
        json!({"name": "weather:role.launchers", "roleMembers": members}),
    )
    .await;
    call(
        Method::PUT,
        "/domain/weather/policy/launch".into(),
        json!({"name": "weather:policy.launch", "assertions": [{"role": "weather:role.launchers", "action": "launch", "resource": "weather:service.api"}]}),
    )
    .await;
}
