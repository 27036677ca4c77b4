//! ZPU's inputs: Athenz's `zpu.conf` JSON (`utils/zpe-updater/zpu_config.go`, reference
//! `athenz.md` §6.3), the `athenz.conf` with ZTS's URL and public keys, and the command line,
//! which wins over both (`-zts`, `-cacert`, `-private-key`, `-cert-file`).

use anyhow::{Context, bail};
use model::crypto::VerifyingKey;
use model::zts_token::AthenzConf;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Athenz's `$ROOT` default.
pub const ROOT: &str = "/home/athenz";

/// `zpu.conf` as Athenz writes it. Fields ZPU does not use here (`user`, `metricsDir`, the
/// `log*` rotation settings, `proxy`) are accepted and ignored, as Go's JSON decoder does.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ZpuConf {
    /// Comma-separated domain names.
    #[serde(default)]
    pub domains: String,
    /// Where `<domain>.pol` files go (default `$ROOT/var/zpe`).
    pub policy_dir: Option<PathBuf>,
    /// Where files are staged before the rename (default: the policy directory, so the rename
    /// never crosses file systems).
    pub temp_policy_dir: Option<PathBuf>,
    /// Service key for the TLS client identity.
    pub private_key_file: Option<PathBuf>,
    /// Service certificate for the TLS client identity.
    pub cert_file: Option<PathBuf>,
    /// CA bundle for ZTS's server certificate.
    pub ca_cert_file: Option<PathBuf>,
    /// Minutes before `expires` at which a file is fetched even if unchanged (default 2880).
    pub expiry_check: Option<i64>,
    /// Also verify ZMS's signature in legacy files.
    #[serde(default, rename = "checkZMSSignature")]
    pub check_zms_signature: bool,
    /// Fetch the JWS form (`POST /policy/signed`) instead of `signed_policy_data`.
    #[serde(default)]
    pub jws_policy_support: bool,
    /// Policy name → version to fetch instead of the active one (JWS form only).
    #[serde(default)]
    pub policy_versions: BTreeMap<String, String>,
}

/// Everything one run needs, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    /// ZTS base URL ending in `/zts/v1`.
    pub zts_url: String,
    /// Domains.
    pub domains: Vec<String>,
    /// Policy directory.
    pub policy_dir: PathBuf,
    /// Staging directory.
    pub temp_policy_dir: PathBuf,
    /// Client key.
    pub key_file: Option<PathBuf>,
    /// Client certificate.
    pub cert_file: Option<PathBuf>,
    /// CA bundle.
    pub ca_file: Option<PathBuf>,
    /// Seconds before expiry to refetch.
    pub expiry_check_secs: i64,
    /// Verify ZMS's signature too.
    pub check_zms_signature: bool,
    /// JWS form.
    pub jws: bool,
    /// Requested versions.
    pub policy_versions: BTreeMap<String, String>,
    /// Refetch even when unchanged.
    pub force_refresh: bool,
    /// ZTS keys by id from athenz.conf.
    pub zts_keys: Vec<(String, VerifyingKey)>,
    /// ZMS keys by id from athenz.conf.
    pub zms_keys: Vec<(String, VerifyingKey)>,
}

/// Command-line values that override the files.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `-zts`.
    pub zts: Option<String>,
    /// `-cacert`.
    pub ca_cert: Option<PathBuf>,
    /// `-private-key`.
    pub private_key: Option<PathBuf>,
    /// `-cert-file`.
    pub cert_file: Option<PathBuf>,
    /// `-force-refresh`.
    pub force_refresh: bool,
}

fn keys(
    entries: &[model::zts_token::PublicKeyEntry],
    which: &str,
) -> anyhow::Result<Vec<(String, VerifyingKey)>> {
    entries
        .iter()
        .map(|e| {
            VerifyingKey::from_ybase64_pem(&e.key)
                .map(|k| (e.id.clone(), k))
                .with_context(|| format!("athenz.conf: {which} key {:?}", e.id))
        })
        .collect()
}

/// Reads both files and applies the overrides; every problem is reported at once.
pub fn load(athenz_conf: &Path, zpu_conf: &Path, o: &Overrides) -> anyhow::Result<Settings> {
    let athenz: AthenzConf = serde_json::from_slice(
        &std::fs::read(athenz_conf)
            .with_context(|| format!("reading {}", athenz_conf.display()))?,
    )
    .with_context(|| format!("{}: not an athenz.conf", athenz_conf.display()))?;
    let zpu: ZpuConf = serde_json::from_slice(
        &std::fs::read(zpu_conf).with_context(|| format!("reading {}", zpu_conf.display()))?,
    )
    .with_context(|| format!("{}: not a zpu.conf", zpu_conf.display()))?;
    let mut errors = Vec::new();
    let zts_url = match o.zts.clone().or(athenz.zts_url.clone()) {
        Some(u) => {
            let u = u.trim_end_matches('/').to_string();
            if u.ends_with("/zts/v1") {
                u
            } else {
                format!("{u}/zts/v1")
            }
        }
        None => {
            errors.push("no ZTS URL: set ztsUrl in athenz.conf or pass -zts".to_string());
            String::new()
        }
    };
    if !zts_url.is_empty() && !zts_url.starts_with("https://") {
        errors.push(format!("ZTS URL must be https (got {zts_url})"));
    }
    let mut domains = Vec::new();
    for d in zpu
        .domains
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        match model::names::DomainName::parse(d) {
            Ok(_) => domains.push(d.to_ascii_lowercase()),
            Err(e) => errors.push(format!("zpu.conf domains: {e}")),
        }
    }
    if domains.is_empty() && errors.is_empty() {
        errors.push("zpu.conf: no domains configured".into());
    }
    let zts_keys = keys(&athenz.zts_public_keys, "ZTS").unwrap_or_else(|e| {
        errors.push(format!("{e:#}"));
        Vec::new()
    });
    let zms_keys = keys(&athenz.zms_public_keys, "ZMS").unwrap_or_else(|e| {
        errors.push(format!("{e:#}"));
        Vec::new()
    });
    let expiry_check = zpu.expiry_check.unwrap_or(2880);
    if expiry_check < 0 {
        errors.push("zpu.conf expiryCheck: must not be negative".into());
    }
    if !errors.is_empty() {
        bail!("invalid configuration:\n  {}", errors.join("\n  "));
    }
    let policy_dir = zpu
        .policy_dir
        .unwrap_or_else(|| Path::new(ROOT).join("var/zpe"));
    Ok(Settings {
        zts_url,
        domains,
        temp_policy_dir: zpu.temp_policy_dir.unwrap_or_else(|| policy_dir.clone()),
        policy_dir,
        key_file: o.private_key.clone().or(zpu.private_key_file),
        cert_file: o.cert_file.clone().or(zpu.cert_file),
        ca_file: o.ca_cert.clone().or(zpu.ca_cert_file),
        expiry_check_secs: expiry_check * 60,
        check_zms_signature: zpu.check_zms_signature,
        jws: zpu.jws_policy_support,
        policy_versions: zpu.policy_versions,
        force_refresh: o.force_refresh,
        zts_keys,
        zms_keys,
    })
}
