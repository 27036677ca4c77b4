//! The AWS emulator: `moto_server` from the virtualenv scripts/test installs (`MOTO_SERVER`,
//! `MOTO_PYTHON`), on a free 127.0.0.1 port, with SigV4 and IAM policy enforced after the three
//! bootstrap calls of `aws_setup.py` (`INITIAL_NO_AUTH_ACTION_COUNT`).

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Temporary or long-term credentials.
#[derive(Debug, Clone, Deserialize)]
pub struct Keys {
    /// Access key id.
    pub access: String,
    /// Secret.
    pub secret: String,
    /// Session token (temporary credentials).
    #[serde(default)]
    pub token: Option<String>,
}

/// The emulated instance.
#[derive(Debug, Clone, Deserialize)]
pub struct Ec2Instance {
    /// `i-…`.
    pub id: String,
    /// Private IP.
    pub ip: String,
    /// Availability zone.
    pub az: String,
}

/// What `aws_setup.py setup` made.
#[derive(Debug, Clone, Deserialize)]
pub struct AwsSetup {
    /// The account.
    pub account: String,
    /// An allow-all IAM user's key (ZTS's own credentials).
    pub admin: Keys,
    /// The instance profile role name.
    pub profile_role: String,
    /// Its session credentials (what IMDS serves).
    pub profile: Keys,
    /// Credentials of role `weather.api`.
    pub api_role: Keys,
    /// Credentials of role `weather.other`.
    pub other_role: Keys,
    /// A running instance.
    pub instance: Ec2Instance,
}

fn venv_tool(var: &str, name: &str) -> Result<PathBuf> {
    if let Some(p) = std::env::var_os(var) {
        return Ok(PathBuf::from(p));
    }
    let default = PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/root".into()))
        .join(".cache/athenz-rs/moto-venv/bin")
        .join(name);
    if default.exists() {
        return Ok(default);
    }
    bail!(
        "{var} is not set and {} does not exist: run ./scripts/test, which installs moto",
        default.display()
    )
}

/// A running moto server; killed on drop.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    /// Starts moto and waits until it answers.
    pub async fn start() -> Result<Self> {
        let port = testkit::free_port();
        let child = Command::new(venv_tool("MOTO_SERVER", "moto_server")?)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("INITIAL_NO_AUTH_ACTION_COUNT", "3")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting moto_server")?;
        let moto = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while !http
            .get(format!("{}/moto-api/", moto.url))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            if Instant::now() > deadline {
                bail!("moto_server not ready after 60 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(moto)
    }

    async fn script(&self, args: &[&str]) -> Result<String> {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/aws_setup.py");
        let out = tokio::process::Command::new(venv_tool("MOTO_PYTHON", "python")?)
            .arg(script)
            .args(args)
            .output()
            .await
            .context("running aws_setup.py")?;
        if !out.status.success() {
            bail!(
                "aws_setup.py {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8(out.stdout)?)
    }

    /// Makes the users, roles and instance (`aws_setup.py setup`).
    pub async fn setup(&self, region: &str) -> Result<AwsSetup> {
        let out = self.script(&["setup", &self.url, region]).await?;
        serde_json::from_str(&out).context("aws_setup.py output")
    }

    /// Terminates an instance.
    pub async fn terminate(&self, region: &str, admin: &Keys, id: &str) -> Result<()> {
        self.script(&[
            "terminate",
            &self.url,
            region,
            &admin.access,
            &admin.secret,
            id,
        ])
        .await
        .map(drop)
    }
}
