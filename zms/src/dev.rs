//! Development mode: a private CA and the certificates a local deployment needs, generated once in
//! the state directory and reused on every later start. Production mode never calls this.

use server_common::devca;
use std::path::{Path, PathBuf};

/// Development CA certificate (trusted for client certificates).
pub const CA_CERT: &str = devca::CA_CERT;
/// Development CA key.
pub const CA_KEY: &str = devca::CA_KEY;
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
    let ca = devca::ensure_ca(dir)?;
    let files = DevFiles {
        ca_cert: dir.join(CA_CERT),
        ca_key: dir.join(CA_KEY),
        zms_cert: dir.join(ZMS_CERT),
        zms_key: dir.join(ZMS_KEY),
        admin_cert: dir.join(ADMIN_CERT),
        admin_key: dir.join(ADMIN_KEY),
    };
    devca::ensure_server_cert(&ca, "sys.auth.zms", &files.zms_cert, &files.zms_key)?;
    devca::ensure_client_cert(&ca, ADMIN_PRINCIPAL, &files.admin_cert, &files.admin_key)?;
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
    devca::issue_client_cert(&devca::load_ca(dir)?, principal, cert, key)
}
