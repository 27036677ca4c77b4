//! Development mode: ZTS reuses the development CA of the state directory that `zms-server --dev`
//! created (or creates it), issues itself a server certificate that also serves as its client
//! certificate (`sys.auth.zts`), and trusts ZMS's dev signing key from `zms.cert.pem`.

use server_common::devca;
use std::path::Path;

/// ZTS server (and client) certificate.
pub const ZTS_CERT: &str = "zts.cert.pem";
/// Its key.
pub const ZTS_KEY: &str = "zts.key.pem";
/// ZMS's dev certificate; in dev mode its key signs domain data, so its public key verifies it.
pub const ZMS_CERT: &str = "zms.cert.pem";
/// ZTS's principal.
pub const ZTS_PRINCIPAL: &str = "sys.auth.zts";

/// Creates what ZTS needs in `dir` unless present.
pub fn ensure_dev_files(dir: &Path) -> anyhow::Result<()> {
    let ca = devca::ensure_ca(dir)?;
    devca::ensure_server_cert(&ca, ZTS_PRINCIPAL, &dir.join(ZTS_CERT), &dir.join(ZTS_KEY))
}
