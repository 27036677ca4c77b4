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

/// The `athenz.conf` clients of this dev deployment read (`zpu -athenzConf`, ZPE): the URLs and
/// the ZTS and ZMS public keys, ybase64 PEM, under key id "0" (Athenz `AthenzConfig`).
pub const ATHENZ_CONF: &str = "athenz.conf";

/// Writes [`ATHENZ_CONF`] into `dir` for the running servers.
pub fn write_athenz_conf(
    dir: &Path,
    zts_url: &str,
    config: &crate::config::Config,
) -> anyhow::Result<()> {
    use model::zts_token::{AthenzConf, PublicKeyEntry};
    let pem = std::fs::read_to_string(&config.tokens.signing_key_file)?;
    let zts_key = model::crypto::SigningKey::from_pem(&pem)?;
    let zms_key = crate::zmsdata::load_zms_key(&config.zms_public_key_file)?;
    let conf = AthenzConf {
        zms_url: Some(format!("{}/zms/v1", config.zms_url)),
        zts_url: Some(zts_url.to_string()),
        zts_public_keys: vec![PublicKeyEntry {
            id: config.tokens.signing_key_id.clone(),
            key: zts_key.verifying_key().to_ybase64_pem(),
        }],
        zms_public_keys: vec![PublicKeyEntry {
            id: config.tokens.zms_public_key_id.clone(),
            key: zms_key.to_ybase64_pem(),
        }],
    };
    let tmp = dir.join(format!("{ATHENZ_CONF}.tmp"));
    std::fs::write(&tmp, serde_json::to_vec_pretty(&conf)?)?;
    std::fs::rename(&tmp, dir.join(ATHENZ_CONF))?;
    Ok(())
}
