//! The development CA: created once in a state directory (`ca.cert.pem`, `ca.key.pem`) and used by
//! `--dev` modes of ZMS and ZTS to issue their server and client certificates, and by ZTS in
//! development to sign the identities it hands out. Production never calls this.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use time::{Duration, OffsetDateTime};

/// Development CA certificate file name.
pub const CA_CERT: &str = "ca.cert.pem";
/// Development CA key file name.
pub const CA_KEY: &str = "ca.key.pem";

/// The CA as an issuer.
pub type CaIssuer = Issuer<'static, KeyPair>;

/// Creates `dir/ca.cert.pem` and `dir/ca.key.pem` unless both exist, then loads them.
pub fn ensure_ca(dir: &Path) -> anyhow::Result<CaIssuer> {
    std::fs::create_dir_all(dir)?;
    let (cert, key) = (dir.join(CA_CERT), dir.join(CA_KEY));
    if !cert.exists() || !key.exists() {
        let kp = KeyPair::generate()?;
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
        let c = params.self_signed(&kp)?;
        write_private(&key, &kp.serialize_pem())?;
        std::fs::write(&cert, c.pem())?;
    }
    load_ca(dir)
}

/// Loads the CA of `dir`.
pub fn load_ca(dir: &Path) -> anyhow::Result<CaIssuer> {
    let ca_pem = std::fs::read_to_string(dir.join(CA_CERT))?;
    let ca_key = KeyPair::from_pem(&std::fs::read_to_string(dir.join(CA_KEY))?)?;
    Ok(Issuer::from_ca_cert_pem(&ca_pem, ca_key)?)
}

/// A client certificate for `principal` (its CN), unless `cert` and `key` both exist.
pub fn ensure_client_cert(
    ca: &CaIssuer,
    principal: &str,
    cert: &Path,
    key: &Path,
) -> anyhow::Result<()> {
    if cert.exists() && key.exists() {
        return Ok(());
    }
    issue_client_cert(ca, principal, cert, key)
}

/// Issues a client certificate for `principal`, replacing any files there.
pub fn issue_client_cert(
    ca: &CaIssuer,
    principal: &str,
    cert: &Path,
    key: &Path,
) -> anyhow::Result<()> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params
        .distinguished_name
        .push(DnType::CommonName, principal);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    issue(ca, params, cert, key)
}

/// A server (and client) certificate with CN `cn` for 127.0.0.1 and localhost, unless `cert` and
/// `key` both exist.
pub fn ensure_server_cert(ca: &CaIssuer, cn: &str, cert: &Path, key: &Path) -> anyhow::Result<()> {
    if cert.exists() && key.exists() {
        return Ok(());
    }
    issue_server_cert(ca, cn, cert, key)
}

/// Issues a server (and client) certificate with CN `cn` for 127.0.0.1 and localhost.
pub fn issue_server_cert(ca: &CaIssuer, cn: &str, cert: &Path, key: &Path) -> anyhow::Result<()> {
    let mut params = CertificateParams::new(vec!["localhost".to_string()])?;
    params
        .subject_alt_names
        .push(SanType::IpAddress([127, 0, 0, 1].into()));
    params.distinguished_name.push(DnType::CommonName, cn);
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    issue(ca, params, cert, key)
}

fn issue(
    ca: &CaIssuer,
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
    let c = params.signed_by(&leaf_key, ca)?;
    write_private(key, &leaf_key.serialize_pem())?;
    std::fs::write(cert, c.pem())?;
    Ok(())
}

fn validity(params: &mut CertificateParams, days: i64) {
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(days);
}

/// Writes a private key readable by its owner only.
pub fn write_private(path: &Path, pem: &str) -> anyhow::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(pem.as_bytes())?;
    Ok(())
}
