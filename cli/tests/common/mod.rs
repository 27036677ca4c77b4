//! Test harness: a real `zms-server --dev` in a temporary directory, and a runner for the
//! `zms-cli` binary pointed at it.
// Test support: a failed setup step should panic with its error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long the server may take to print its address and to answer `/status`.
const STARTUP: Duration = Duration::from_secs(60);

/// Environment variables of zms-cli that must not leak from the test's environment.
const CLI_ENV: [&str; 4] = ["ZMS_URL", "ZMS_CERT", "ZMS_KEY", "ZMS_CA"];

/// `target/<profile>/zms-server`, next to this test's `deps/` directory; built once if absent.
fn server_binary() -> &'static Result<PathBuf, String> {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .ok_or_else(|| format!("cannot find the target directory from {}", exe.display()))?;
        let bin = profile_dir.join(format!("zms-server{}", std::env::consts::EXE_SUFFIX));
        if bin.is_file() {
            return Ok(bin);
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(&cargo);
        cmd.args(["build", "-p", "zms", "--bin", "zms-server"]);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().map_err(|e| format!("running {cargo} build -p zms: {e}"))?;
        if status.success() && bin.is_file() {
            Ok(bin)
        } else {
            Err(format!(
                "zms-server not found at {} and `cargo build -p zms --bin zms-server` did not produce it ({status})",
                bin.display()
            ))
        }
    })
}

/// A running dev server; killed on drop.
pub struct Server {
    child: Child,
    /// The `--state-dir` (CA, server and admin certificates live here).
    pub dir: tempfile::TempDir,
    /// `https://127.0.0.1:PORT` (without `/zms/v1`).
    pub url: String,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Keeps the last part of what the server logs, for failure messages.
fn drain_into(mut r: impl Read + Send + 'static, sink: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = r.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Ok(mut s) = sink.lock() {
                s.push_str(&String::from_utf8_lossy(&buf[..n]));
                if s.len() > 64 * 1024 {
                    let cut = s.len() - 32 * 1024;
                    let cut = (cut..s.len()).find(|i| s.is_char_boundary(*i)).unwrap_or(0);
                    s.replace_range(..cut, "");
                }
            }
        }
    });
}

impl Server {
    /// Starts `zms-server --dev` on a free port and waits until `/status` answers 200.
    pub fn start() -> Server {
        let bin = server_binary().as_ref().unwrap_or_else(|e| panic!("{e}"));
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(bin)
            .args(["--dev", "--listen", "127.0.0.1:0", "--state-dir"])
            .arg(dir.path())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
        let stderr = Arc::new(Mutex::new(String::new()));
        drain_into(child.stderr.take().unwrap(), stderr.clone());
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("zms-server listening on ")
                    && let Some(t) = tx.take()
                {
                    let _ = t.send(rest.trim().to_string());
                }
            }
        });
        let deadline = Instant::now() + STARTUP;
        let mut server = Server {
            child,
            dir,
            url: String::new(),
            stderr,
        };
        let listening = rx.recv_timeout(STARTUP).unwrap_or_else(|e| {
            panic!(
                "zms-server printed no address within {STARTUP:?} ({e}); stderr:\n{}",
                server.log()
            )
        });
        server.url = listening
            .trim_end_matches('/')
            .trim_end_matches("/zms/v1")
            .to_string();
        server.wait_ready(deadline);
        server
    }

    /// What the server wrote to stderr so far (tail).
    pub fn log(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn wait_ready(&mut self, deadline: Instant) {
        let ca = std::fs::read(self.path("ca.cert.pem")).unwrap();
        let client = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let url = format!("{}/zms/v1/status", self.url);
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("zms-server exited ({status}); stderr:\n{}", self.log());
            }
            match rt.block_on(async { client.get(&url).send().await }) {
                Ok(r) if r.status() == 200 => return,
                Ok(r) => last = format!("status {}", r.status()),
                Err(e) => last = e.to_string(),
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "{url} not ready within {STARTUP:?} (last: {last}); stderr:\n{}",
            self.log()
        );
    }

    /// A file in the state directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A zms-cli runner authenticated as `user.admin`.
    pub fn admin(&self) -> Cli {
        Cli {
            url: self.url.clone(),
            ca: Some(self.path("ca.cert.pem")),
            identity: Some((self.path("admin.cert.pem"), self.path("admin.key.pem"))),
        }
    }

    /// A zms-cli runner authenticated as `principal`, with a client certificate from the dev CA.
    pub fn user(&self, principal: &str) -> Cli {
        use rcgen::{
            CertificateParams, DnType, ExtendedKeyUsagePurpose, Issuer, KeyPair, KeyUsagePurpose,
        };
        let ca_pem = std::fs::read_to_string(self.path("ca.cert.pem")).unwrap();
        let ca_key =
            KeyPair::from_pem(&std::fs::read_to_string(self.path("ca.key.pem")).unwrap()).unwrap();
        let issuer = Issuer::from_ca_cert_pem(&ca_pem, ca_key).unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, principal);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &issuer).unwrap();
        let (cert_path, key_path) = (
            self.path(&format!("{principal}.cert.pem")),
            self.path(&format!("{principal}.key.pem")),
        );
        std::fs::write(&cert_path, cert.pem()).unwrap();
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        Cli {
            url: self.url.clone(),
            ca: Some(self.path("ca.cert.pem")),
            identity: Some((cert_path, key_path)),
        }
    }
}

/// Runs the `zms-cli` binary with fixed connection flags.
#[derive(Debug, Clone)]
pub struct Cli {
    /// `--zms`.
    pub url: String,
    /// `--ca`.
    pub ca: Option<PathBuf>,
    /// `--cert` and `--key`.
    pub identity: Option<(PathBuf, PathBuf)>,
}

impl Cli {
    /// Runs `zms-cli <flags> <args>`.
    pub fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_zms-cli"));
        for k in CLI_ENV {
            cmd.env_remove(k);
        }
        cmd.args(["--zms", &self.url]);
        if let Some(ca) = &self.ca {
            cmd.arg("--ca").arg(ca);
        }
        if let Some((c, k)) = &self.identity {
            cmd.arg("--cert").arg(c).arg("--key").arg(k);
        }
        cmd.args(args).stdin(Stdio::null()).output().unwrap()
    }

    /// Runs and requires exit 0 with nothing on stderr; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(
            out.status.success(),
            "zms-cli {args:?} failed ({}):\n{stderr}{stdout}",
            out.status
        );
        assert!(
            stderr.is_empty(),
            "zms-cli {args:?} wrote to stderr: {stderr}"
        );
        stdout.into_owned()
    }

    /// Runs with `--json` and parses stdout.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.ok(&all);
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("zms-cli {args:?}: not JSON ({e}): {out}"))
    }

    /// Runs and requires failure; returns the exit code and stderr.
    pub fn fail(&self, args: &[&str]) -> (i32, String) {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !out.status.success(),
            "zms-cli {args:?} should fail; stdout:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        (out.status.code().unwrap_or(-1), stderr)
    }

    /// `check-access` for a principal: `true` when it printed `granted`.
    pub fn granted(&self, action: &str, resource: &str, principal: &str) -> bool {
        let out = self.ok(&["check-access", action, resource, "--principal", principal]);
        match out.trim() {
            "granted" => true,
            "denied" => false,
            other => panic!("check-access printed {other:?}"),
        }
    }
}
