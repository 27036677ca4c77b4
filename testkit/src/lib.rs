//! Test support shared by integration tests that start the workspace's real binaries: finding a
//! binary of another package, running a server process until drop, clients that trust the dev CA,
//! polling until ready, and calls to ZMS that must succeed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support: a failure is a test failure"
)]

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub mod agent;

/// A binary of another package of the workspace, in the profile directory of the running
/// executable: a test runs from `<profile>/deps/`, a bench binary from `<profile>/` itself.
pub fn workspace_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let mut dir = exe.parent().unwrap();
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir = dir.parent().unwrap();
    }
    let bin = dir.join(name);
    assert!(
        bin.exists(),
        "{} not built: run `cargo build --workspace --bins` first (scripts/test does)",
        bin.display()
    );
    bin
}

/// A free TCP port on 127.0.0.1 (the kernel picks it; the caller binds it next).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running server process, killed on drop.
pub struct Proc {
    child: Child,
    /// `https://host:port` as the server printed it (the part before `/z…`).
    pub base: String,
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Proc {
    /// Spawns `cmd` and waits for the stdout line starting with `marker`; the rest of that line,
    /// cut at `/z`, is the base URL.
    pub fn spawn(mut cmd: Command, marker: &'static str) -> Self {
        cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
        if std::env::var_os("RUST_LOG").is_none() {
            cmd.env("RUST_LOG", "warn");
        }
        let mut child = cmd.spawn().expect("spawn server");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix(marker) {
                    let _ = tx.send(rest.split("/z").next().unwrap_or(rest).to_string());
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("server did not report its address");
        Self { child, base }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills and reaps the process.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `zms-server --dev` on a free port with its state in `dir`.
pub fn start_zms(dir: &Path) -> Proc {
    let mut cmd = Command::new(workspace_bin("zms-server"));
    cmd.args(["--dev", "--listen", "127.0.0.1:0", "--state-dir"])
        .arg(dir);
    Proc::spawn(cmd, "zms-server listening on ")
}

/// HTTPS client trusting the dev CA in `dir`, optionally with a client identity (PEM cert, key).
pub fn client(dir: &Path, identity: Option<(&str, &str)>) -> reqwest::Client {
    let ca = std::fs::read(dir.join("ca.cert.pem")).unwrap();
    let mut b = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap());
    if let Some((cert, key)) = identity {
        b = b.identity(reqwest::Identity::from_pem(format!("{cert}{key}").as_bytes()).unwrap());
    }
    b.build().unwrap()
}

/// The dev admin (`user.admin`) client.
pub fn admin(dir: &Path) -> reqwest::Client {
    let cert = std::fs::read_to_string(dir.join("admin.cert.pem")).unwrap();
    let key = std::fs::read_to_string(dir.join("admin.key.pem")).unwrap();
    client(dir, Some((&cert, &key)))
}

/// Polls `url` until it answers 200 (60 s at most).
pub async fn wait_ok(c: &reqwest::Client, url: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if c.get(url).send().await.is_ok_and(|r| r.status() == 200) {
            return;
        }
        assert!(Instant::now() < deadline, "{url} not ready in 60 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A ZMS call under `/zms/v1` that must succeed.
pub async fn zms_call(
    c: &reqwest::Client,
    base: &str,
    method: reqwest::Method,
    path: &str,
    body: Value,
) {
    let r = c
        .request(method.clone(), format!("{base}/zms/v1{path}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    assert!(
        status.is_success(),
        "{method} {path}: {status} {}",
        r.text().await.unwrap_or_default()
    );
}

/// What `systemd-analyze verify` says of a unit: whether it passed, and the lines of its output
/// that name the unit (warnings about other units on the machine are not ours).
#[derive(Debug)]
pub struct UnitVerdict {
    /// The tool's exit status was success.
    pub ok: bool,
    /// Output lines naming the unit.
    pub about_unit: Vec<String>,
}

/// Runs `/usr/bin/systemd-analyze verify` on `text` saved as `dir/name` (e.g. `siad.service`).
/// A missing tool fails the test (the test script installs it): a lint that cannot run must not
/// pass.
pub fn systemd_verify(dir: &Path, name: &str, text: &str) -> UnitVerdict {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let out = Command::new("/usr/bin/systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("systemd-analyze is installed at /usr/bin/systemd-analyze");
    let stem = name.trim_end_matches(".service");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    UnitVerdict {
        ok: out.status.success(),
        about_unit: text
            .lines()
            .filter(|l| l.contains(stem))
            .map(str::to_string)
            .collect(),
    }
}

/// `unit` with its installed binary path replaced by the built one (verify checks that the
/// binary exists); the unit must name `installed`.
pub fn unit_with_binary(unit: &str, installed: &str, built: &str) -> String {
    let replaced = unit.replace(installed, built);
    assert_ne!(replaced, unit, "the unit does not name {installed}");
    replaced
}
