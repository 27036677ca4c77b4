//! A test "AWS": signing keys and certificates that ZTS is configured to trust in place of AWS's
//! published ones, and identity documents signed the way AWS signs them: `/pkcs7` is an attached
//! PKCS7 SignedData by a DSA key with SHA-1 and no certificates, `/rsa2048` the same with RSA and
//! SHA-256 (env.md §3). Made with the `openssl` command line, which can sign DSA-SHA1 PKCS7
//! without the FFI that the Rust crate would need.

use anyhow::{Context, Result, ensure};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Keys and certificates of one signer.
#[derive(Debug, Clone)]
pub struct AwsSigner {
    dir: PathBuf,
    /// Both certificates, PEM: what ZTS's `aws.public_cert_per_region` points at.
    pub bundle: PathBuf,
}

fn openssl(args: &[&str], dir: &Path) -> Result<Vec<u8>> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .context("running openssl")?;
    ensure!(
        out.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(out.stdout)
}

impl AwsSigner {
    /// Makes a DSA-1024 (as AWS's) and an RSA-2048 signer under `dir`.
    pub fn create(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let subj = |kind: &str| format!("/C=US/O=Test Amazon Web Services/CN=test-aws-{kind}");
        openssl(&["dsaparam", "-out", "dsaparam.pem", "1024"], dir)?;
        openssl(
            &[
                "req",
                "-x509",
                "-newkey",
                "dsa:dsaparam.pem",
                "-nodes",
                "-keyout",
                "dsa.key",
                "-out",
                "dsa.crt",
                "-days",
                "30",
                "-sha1",
                "-subj",
                &subj("dsa"),
            ],
            dir,
        )?;
        openssl(
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "rsa.key",
                "-out",
                "rsa.crt",
                "-days",
                "30",
                "-sha256",
                "-subj",
                &subj("rsa"),
            ],
            dir,
        )?;
        let mut bundle = std::fs::read(dir.join("dsa.crt"))?;
        bundle.extend(std::fs::read(dir.join("rsa.crt"))?);
        let path = dir.join("aws-public.pem");
        std::fs::write(&path, bundle)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            bundle: path,
        })
    }

    fn sign(&self, doc: &str, kind: &str, md: &str) -> Result<String> {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let input = self.dir.join(format!("doc-{n}.json"));
        std::fs::write(&input, doc)?;
        let input = input.to_string_lossy().to_string();
        let pem = openssl(
            &[
                "smime",
                "-sign",
                "-binary",
                "-nodetach",
                "-nocerts",
                "-nosmimecap",
                "-md",
                md,
                "-signer",
                &format!("{kind}.crt"),
                "-inkey",
                &format!("{kind}.key"),
                "-in",
                &input,
                "-outform",
                "PEM",
            ],
            &self.dir,
        )?;
        let text = String::from_utf8(pem)?;
        Ok(text
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>()
            .join("\n"))
    }

    /// The `/pkcs7` body for `doc`: DSA with SHA-1.
    pub fn pkcs7(&self, doc: &str) -> Result<String> {
        self.sign(doc, "dsa", "sha1")
    }

    /// The `/rsa2048` body for `doc`: RSA with SHA-256.
    pub fn rsa2048(&self, doc: &str) -> Result<String> {
        self.sign(doc, "rsa", "sha256")
    }
}

/// An identity document in AWS's layout.
pub fn document(
    account: &str,
    region: &str,
    az: &str,
    instance_id: &str,
    ip: &str,
    pending: time::OffsetDateTime,
) -> String {
    let pending = pending
        .replace_nanosecond(0)
        .unwrap_or(pending)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    format!(
        "{{\n  \"accountId\" : \"{account}\",\n  \"architecture\" : \"x86_64\",\n  \"availabilityZone\" : \"{az}\",\n  \"billingProducts\" : null,\n  \"devpayProductCodes\" : null,\n  \"marketplaceProductCodes\" : null,\n  \"imageId\" : \"ami-0abcdef1234567890\",\n  \"instanceId\" : \"{instance_id}\",\n  \"instanceType\" : \"t3.micro\",\n  \"kernelId\" : null,\n  \"pendingTime\" : \"{pending}\",\n  \"privateIp\" : \"{ip}\",\n  \"ramdiskId\" : null,\n  \"region\" : \"{region}\",\n  \"version\" : \"2017-09-30\"\n}}"
    )
}
