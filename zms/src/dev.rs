//! Development mode: a private CA and the certificates a local deployment needs, generated once in
//! the state directory and reused on every later start. Production mode never calls this.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use time::{Duration, OffsetDateTime};

/// Development CA certificate (trusted for client certificates).
pub const CA_CERT: &str = "ca.cert.pem";
/// Development CA key.
pub const CA_KEY: &str = "ca.key.pem";
/// ZMS server certificate (127.0.0.1 and localhost).
pub const ZMS_CERT: &str = "zms.cert.pem";
/// ZMS server key; in dev mode it also signs domain data.
pub const ZMS_KEY: &str = "zms.key.pem";
/// Client certificate of the bootstrap admin.
pub const ADMIN_CERT: &str = "admin.cert.pem";
/// Its key.
pub const ADMIN_KEY: &str = "admin.key.pem";
/// The admin principal named in `admin.cert.pem`.
pub const ADMIN_PRINCIPAL: &str = "user.admin";

/// Paths of the generated files.
#[derive(Debug, Clone)]
pub struct DevFiles {
    /// CA certificate.
    pub ca_cert: PathBuf,
    /// CA key.
    pub ca_key: PathBuf,
    /// Server certificate.
    pub zms_cert: PathBuf,
    /// Server key.
    pub zms_key: PathBuf,
    /// Admin certificate.
    pub admin_cert: PathBuf,
    /// Admin key.
    pub admin_key: PathBuf,
}

/// Creates what is missing in `dir` and returns all paths. Existing files are never replaced.
pub fn ensure_dev_files(dir: &Path) -> anyhow::Result<DevFiles> {
    std::fs::create_dir_all(dir)?;
    let files = DevFiles {
        ca_cert: dir.join(CA_CERT),
        ca_key: dir.join(CA_KEY),
        zms_cert: dir.join(ZMS_CERT),
        zms_key: dir.join(ZMS_KEY),
        admin_cert: dir.join(ADMIN_CERT),
        admin_key: dir.join(ADMIN_KEY),
    };
    if !files.ca_cert.exists() || !files.ca_key.exists() {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params
            .distinguished_name
            .push(DnType::CommonName, "Athenz Development CA");
        params
            .distinguished_name
            .push(DnType::OrganizationName, "athenz-rs dev");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        validity(&mut params, 3650);
        let cert = params.self_signed(&key)?;
        write_private(&files.ca_key, &key.serialize_pem())?;
        std::fs::write(&files.ca_cert, cert.pem())?;
    }
    let ca_pem = std::fs::read_to_string(&files.ca_cert)?;
    let ca_key = KeyPair::from_pem(&std::fs::read_to_string(&files.ca_key)?)?;
    let issuer = Issuer::from_ca_cert_pem(&ca_pem, ca_key)?;
    if !files.zms_cert.exists() || !files.zms_key.exists() {
        let mut params = CertificateParams::new(vec!["localhost".to_string()])?;
        params
            .subject_alt_names
            .push(SanType::IpAddress([127, 0, 0, 1].into()));
        params
            .distinguished_name
            .push(DnType::CommonName, "sys.auth.zms");
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        issue(&issuer, params, &files.zms_cert, &files.zms_key)?;
    }
    if !files.admin_cert.exists() || !files.admin_key.exists() {
        issue_client_cert(
            &issuer,
            ADMIN_PRINCIPAL,
            &files.admin_cert,
            &files.admin_key,
        )?;
    }
    Ok(files)
}

/// Issues a client certificate for `principal` (CN) from the dev CA in `dir`; used by tests and
/// the quickstart to make more identities.
pub fn issue_client_cert_from_dir(
    dir: &Path,
    principal: &str,
    cert: &Path,
    key: &Path,
) -> anyhow::Result<()> {
    let ca_pem = std::fs::read_to_string(dir.join(CA_CERT))?;
    let ca_key = KeyPair::from_pem(&std::fs::read_to_string(dir.join(CA_KEY))?)?;
    let issuer = Issuer::from_ca_cert_pem(&ca_pem, ca_key)?;
    issue_client_cert(&issuer, principal, cert, key)
}

fn issue_client_cert(
    issuer: &Issuer<'_, KeyPair>,
    principal: &str,
    cert: &Path,
    key: &Path,
) -> anyhow::Result<()> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params
        .distinguished_name
        .push(DnType::CommonName, principal);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    issue(issuer, params, cert, key)
}

fn issue(
    issuer: &Issuer<'_, KeyPair>,
    mut params: CertificateParams,
    cert: &Path,
    key: &Path,
) -> anyhow::Result<()> {
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    validity(&mut params, 730);
    let leaf_key = KeyPair::generate()?;
    let c = params.signed_by(&leaf_key, issuer)?;
    write_private(key, &leaf_key.serialize_pem())?;
    std::fs::write(cert, c.pem())?;
    Ok(())
}

fn validity(params: &mut CertificateParams, days: i64) {
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(days);
}

fn write_private(path: &Path, pem: &str) -> anyhow::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(pem.as_bytes())?;
    Ok(())
}
