//! What the end-to-end tests of every SIA agent (`siad`, `sia-openstack`) check the same way: the
//! files an agent writes for `weather.api`, what `openssl` says of them, and how a refused run
//! ends (exit 1, one message naming the reason, nothing written).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// One agent's files: its sia_config and the directories it writes, for `weather.api`.
#[derive(Debug, Clone)]
pub struct Agent {
    /// The sia_config file.
    pub config: PathBuf,
    /// `sia_key_dir`.
    pub key_dir: PathBuf,
    /// `sia_cert_dir`.
    pub cert_dir: PathBuf,
}

impl Agent {
    /// `<key_dir>/weather.api.key.pem`.
    pub fn key(&self) -> PathBuf {
        self.key_dir.join("weather.api.key.pem")
    }

    /// `<cert_dir>/weather.api.cert.pem`.
    pub fn cert(&self) -> PathBuf {
        self.cert_dir.join("weather.api.cert.pem")
    }

    /// `<cert_dir>/ca.cert.pem`.
    pub fn ca(&self) -> PathBuf {
        self.cert_dir.join("ca.cert.pem")
    }

    /// Whether neither key nor certificate exists.
    pub fn nothing_written(&self) -> bool {
        !self.key().exists() && !self.cert().exists()
    }

    /// The key and certificate bytes now (for "untouched" checks).
    pub fn snapshot(&self) -> (Vec<u8>, Vec<u8>) {
        (
            std::fs::read(self.key()).unwrap_or_default(),
            std::fs::read(self.cert()).unwrap_or_default(),
        )
    }

    /// The certificate's serial (`openssl x509 -serial`).
    pub fn serial(&self) -> String {
        openssl(&[
            "x509",
            "-noout",
            "-serial",
            "-in",
            &self.cert().to_string_lossy(),
        ])
    }

    /// Key and certificate are complete, parse, and belong together.
    pub fn assert_pair(&self) {
        let cert_pub = openssl(&[
            "x509",
            "-noout",
            "-pubkey",
            "-in",
            &self.cert().to_string_lossy(),
        ]);
        let key_pub = openssl(&["pkey", "-pubout", "-in", &self.key().to_string_lossy()]);
        assert_eq!(cert_pub, key_pub, "key and certificate do not match");
    }

    /// The certificate chains to `ca` (`openssl verify`); returns its text with the subject in
    /// one form (OpenSSL 3 prints `CN = x`, older releases `CN=x`).
    pub fn assert_chains_to(&self, ca: &Path) -> String {
        let cert = self.cert().to_string_lossy().to_string();
        let verified = openssl(&["verify", "-CAfile", &ca.to_string_lossy(), &cert]);
        assert!(verified.contains(": OK"), "{verified}");
        openssl(&["x509", "-noout", "-text", "-in", &cert]).replace(" = ", "=")
    }
}

/// `openssl ARGS`: its standard output; a failure fails the test.
pub fn openssl(args: &[&str]) -> String {
    openssl_stdin(args, "")
}

/// `openssl ARGS` with `input` on its standard input.
pub fn openssl_stdin(args: &[&str], input: &str) -> String {
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl is installed");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// The standard error of a finished agent.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// The agent failed with exit 1 and its error mentions every needle (case-insensitive).
pub fn assert_refused(o: &Output, needles: &[&str]) {
    let err = stderr(o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "the agent should have failed with exit 1:\n{err}"
    );
    for needle in needles {
        assert!(
            err.to_lowercase().contains(&needle.to_lowercase()),
            "the agent's error does not mention {needle:?}:\n{err}"
        );
    }
}
