//! The platform-neutral agent: attest, build the CSR, call ZTS, check and write the identity
//! (Athenz `libs/go/sia/agent/agent.go` `registerSvc`/`refreshSvc`). A platform crate supplies
//! only an [`Attestor`]; ZTS sits behind [`ZtsApi`] so the flow is testable without a server.

mod api;
pub(crate) mod build;

pub use api::{Attestation, Attestor, ZtsApi};

pub use build::{
    DEFAULT_CERT_DIR, DEFAULT_KEY_DIR, DEFAULT_RETRY_INITIAL_MS, DEFAULT_RETRY_MAX_MS,
    DEFAULT_TOKEN_DIR, system_hostname,
};

use crate::cert::{self, CertInfo};
use crate::csr::{self, CsrSpec, DEFAULT_SPIFFE_NAMESPACE};
use crate::error::{Error, Result};
use crate::files::{self, Owner, StagedFile};
use crate::keys::{KeyType, PrivateKey};
use crate::roles::RoleTarget;
use crate::schedule::Backoff;
use crate::tokens::{StoreTokenOption, TokenTarget};
use model::zts::{InstanceIdentity, InstanceRefreshInformation, InstanceRegisterInformation};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Certificates and the CA bundle are world-readable (Athenz §4.5).
pub const CERT_MODE: u32 = 0o444;
/// Certificate directory mode.
pub const CERT_DIR_MODE: u32 = 0o755;
/// The CA bundle file name in the certificate directory (`ca.cert.pem`).
pub const CA_FILE_NAME: &str = "ca.cert.pem";

/// One service identity to maintain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceTarget {
    /// Service name.
    pub name: String,
    /// `<key_dir>/<domain>.<service>.key.pem` unless configured.
    pub key_file: PathBuf,
    /// `<cert_dir>/<domain>.<service>.cert.pem` unless configured.
    pub cert_file: PathBuf,
    /// File owner and group.
    pub owner: Owner,
    /// Requested lifetime, minutes.
    pub expiry_time: Option<i32>,
}

impl ServiceTarget {
    /// Key file mode: 0440 when a group is set (so the group can read it), else 0400
    /// (Athenz §4.5 `SaveServiceCertKey`).
    pub fn key_mode(&self) -> u32 {
        if self.owner.gid.is_some() {
            0o440
        } else {
            0o400
        }
    }

    /// Key directory mode: 0750 with a group (to reach the 0440 key), else 0700.
    pub fn key_dir_mode(&self) -> u32 {
        if self.owner.gid.is_some() {
            0o750
        } else {
            0o700
        }
    }
}

/// Refresh timing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// Longest time between refreshes (`refresh_interval`).
    pub refresh_interval: Duration,
    /// Fraction of the certificate lifetime after which to refresh (`refresh_fraction`).
    pub refresh_fraction: f64,
    /// Retry backoff (`retry_initial_ms`, `retry_max_ms`).
    pub backoff: Backoff,
    /// Consecutive failures before the daemon exits (`fail_count_for_exit`).
    pub fail_count_for_exit: u32,
    /// Longest time between access token fetches (`TOKEN_REFRESH_PERIOD`, default 1.5 h; zero
    /// leaves only the lifetime rule, see [`crate::schedule::token_refresh_delay`]).
    pub token_refresh: Duration,
    /// How long to keep retrying role certificates when `role_certs_required` before failing
    /// (Athenz `GetRequiredRoleCertificates`: 3 minutes).
    pub required_role_certs_timeout: Duration,
}

/// Everything the agent needs, resolved from flags, `sia_config` and the platform.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentConfig {
    /// Athenz domain.
    pub domain: String,
    /// Services; the first is the primary one (it also gets `ca.cert.pem`).
    pub services: Vec<ServiceTarget>,
    /// Provider DNS suffixes.
    pub dns_domains: Vec<String>,
    /// Algorithm of new keys.
    pub key_type: KeyType,
    /// Key directory.
    pub key_dir: PathBuf,
    /// Certificate directory.
    pub cert_dir: PathBuf,
    /// Token directory.
    pub token_dir: PathBuf,
    /// `sandns_wildcard`.
    pub wildcard: bool,
    /// Host name for SAN DNS and the `hostname` field (`sandns_hostname`).
    pub hostname: Option<String>,
    /// `hostname_suffix` for short host names.
    pub hostname_suffix: Option<String>,
    /// Extra SAN DNS names.
    pub cnames: Vec<String>,
    /// SPIFFE trust domain.
    pub spiffe_trust_domain: Option<String>,
    /// New key on every refresh.
    pub rotate_key: bool,
    /// Timing.
    pub timing: Timing,
    /// Role certificates to maintain (`roles`), see [`crate::roles`].
    pub roles: Vec<RoleTarget>,
    /// Every role certificate must be obtained (`role_certs_required`).
    pub role_certs_required: bool,
    /// Access tokens to maintain (`access_tokens`), see [`crate::tokens`].
    pub access_tokens: Vec<TokenTarget>,
    /// What token files hold (`store_token_option`).
    pub store_token_option: StoreTokenOption,
}

impl AgentConfig {
    /// `<cert_dir>/ca.cert.pem`.
    pub fn ca_file(&self) -> PathBuf {
        self.cert_dir.join(CA_FILE_NAME)
    }

    fn csr_spec(&self, svc: &ServiceTarget, att: &Attestation) -> CsrSpec {
        CsrSpec {
            domain: self.domain.clone(),
            service: svc.name.clone(),
            provider: att.provider.clone(),
            instance_id: att.instance_id.clone(),
            dns_domains: self.dns_domains.clone(),
            wildcard: self.wildcard,
            hostname: self.san_hostname(&svc.name),
            cnames: self.cnames.clone(),
            spiffe_trust_domain: self.spiffe_trust_domain.clone(),
            spiffe_namespace: DEFAULT_SPIFFE_NAMESPACE.into(),
            ips: att.ips.clone(),
        }
    }

    /// The SAN host name: a short name gets `.<service>.<domain-dashes>.<hostname_suffix>`.
    fn san_hostname(&self, service: &str) -> Option<String> {
        let host = self.hostname.as_deref().filter(|h| !h.is_empty())?;
        match &self.hostname_suffix {
            Some(sfx) if !host.contains('.') && !sfx.is_empty() => Some(format!(
                "{host}.{service}.{}.{sfx}",
                self.domain.replace('.', "-")
            )),
            _ => Some(host.to_string()),
        }
    }

    fn namespace(&self) -> Option<String> {
        self.spiffe_trust_domain
            .as_ref()
            .filter(|t| !t.is_empty())
            .map(|_| DEFAULT_SPIFFE_NAMESPACE.to_string())
    }
}

/// Whether a service's key and certificate are on disk and belong together.
pub fn has_identity(svc: &ServiceTarget) -> bool {
    let (Ok(key), Ok(cert)) = (
        std::fs::read_to_string(&svc.key_file),
        std::fs::read_to_string(&svc.cert_file),
    ) else {
        return false;
    };
    PrivateKey::from_pem(&key)
        .and_then(|k| cert::inspect(&cert, Some(k.public_key_raw())))
        .is_ok()
}

/// Registers every service (new keys). Stops at the first failure; services done before it
/// keep their new files.
pub async fn register(
    cfg: &AgentConfig,
    zts: &dyn ZtsApi,
    attestor: &dyn Attestor,
) -> Result<Vec<CertInfo>> {
    let mut out = Vec::new();
    for (i, svc) in cfg.services.iter().enumerate() {
        out.push(register_service(cfg, zts, attestor, svc, i == 0).await?);
    }
    Ok(out)
}

/// Refreshes every service with its current key and certificate.
pub async fn refresh(
    cfg: &AgentConfig,
    zts: &dyn ZtsApi,
    attestor: &dyn Attestor,
) -> Result<Vec<CertInfo>> {
    let mut out = Vec::new();
    for (i, svc) in cfg.services.iter().enumerate() {
        out.push(refresh_service(cfg, zts, attestor, svc, i == 0).await?);
    }
    Ok(out)
}

/// Refreshes each service whose identity is on disk and registers the others (the daemon's
/// start, Athenz `agent.go` `RunAgent`).
pub async fn refresh_or_register(
    cfg: &AgentConfig,
    zts: &dyn ZtsApi,
    attestor: &dyn Attestor,
) -> Result<Vec<CertInfo>> {
    let mut out = Vec::new();
    for (i, svc) in cfg.services.iter().enumerate() {
        let info = if has_identity(svc) {
            refresh_service(cfg, zts, attestor, svc, i == 0).await?
        } else {
            log::info!(
                "{}.{}: no identity on disk, registering",
                cfg.domain,
                svc.name
            );
            register_service(cfg, zts, attestor, svc, i == 0).await?
        };
        out.push(info);
    }
    Ok(out)
}

async fn register_service(
    cfg: &AgentConfig,
    zts: &dyn ZtsApi,
    attestor: &dyn Attestor,
    svc: &ServiceTarget,
    primary: bool,
) -> Result<CertInfo> {
    let att = attestor.attest(&cfg.domain, &svc.name, false).await?;
    let key = PrivateKey::generate(cfg.key_type)?;
    let spec = cfg.csr_spec(svc, &att);
    let info = InstanceRegisterInformation {
        provider: att.provider.clone(),
        domain: cfg.domain.clone(),
        service: svc.name.clone(),
        attestation_data: att.attestation_data.clone(),
        csr: csr::build_csr(&spec, &key)?,
        expiry_time: svc.expiry_time,
        hostname: spec.hostname.clone(),
        namespace: cfg.namespace(),
        cloud: att.cloud.clone(),
        ..Default::default()
    };
    let identity = zts.register(&info).await?;
    let cert = publish(cfg, svc, primary, &identity, &key, true)?;
    log::info!(
        "{}.{}: registered instance {} with {}",
        cfg.domain,
        svc.name,
        att.instance_id,
        att.provider
    );
    Ok(cert)
}

async fn refresh_service(
    cfg: &AgentConfig,
    zts: &dyn ZtsApi,
    attestor: &dyn Attestor,
    svc: &ServiceTarget,
    primary: bool,
) -> Result<CertInfo> {
    let key_pem = read(&svc.key_file)?;
    let cert_pem = read(&svc.cert_file)?;
    let current = PrivateKey::from_pem(&key_pem)?;
    let att = attestor.attest(&cfg.domain, &svc.name, true).await?;
    let (key, new_key) = if cfg.rotate_key {
        (PrivateKey::generate(cfg.key_type)?, true)
    } else {
        (current, false)
    };
    let spec = cfg.csr_spec(svc, &att);
    let info = InstanceRefreshInformation {
        attestation_data: Some(att.attestation_data.clone()),
        csr: Some(csr::build_csr(&spec, &key)?),
        expiry_time: svc.expiry_time,
        hostname: spec.hostname.clone(),
        namespace: cfg.namespace(),
        cloud: att.cloud.clone(),
        ..Default::default()
    };
    let identity = zts
        .refresh(
            &att.provider,
            &cfg.domain,
            &svc.name,
            &att.instance_id,
            &info,
            &cert_pem,
            &key_pem,
        )
        .await?;
    let cert = publish(cfg, svc, primary, &identity, &key, new_key)?;
    log::info!(
        "{}.{}: refreshed instance {}",
        cfg.domain,
        svc.name,
        att.instance_id
    );
    Ok(cert)
}

/// Checks the issued certificate and writes key (when new), certificate and CA bundle: all
/// staged first, then renamed, so any failure before the renames leaves the old files.
fn publish(
    cfg: &AgentConfig,
    svc: &ServiceTarget,
    primary: bool,
    identity: &InstanceIdentity,
    key: &PrivateKey,
    write_key: bool,
) -> Result<CertInfo> {
    let cert_pem = identity
        .x509_certificate
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| Error::Certificate("ZTS returned no x509Certificate".into()))?;
    let info = cert::inspect(cert_pem, Some(key.public_key_raw()))?;
    info.check_current(SystemTime::now())?;
    for (dir, mode) in [
        (parent(&svc.cert_file), CERT_DIR_MODE),
        (parent(&svc.key_file), svc.key_dir_mode()),
    ] {
        files::ensure_dir(dir, mode)?;
    }
    let mut staged = Vec::new();
    if write_key {
        staged.push(StagedFile::write(
            &svc.key_file,
            key.pem().as_bytes(),
            svc.key_mode(),
            svc.owner,
        )?);
    }
    staged.push(StagedFile::write(
        &svc.cert_file,
        cert_pem.as_bytes(),
        CERT_MODE,
        svc.owner,
    )?);
    if primary
        && let Some(ca) = identity
            .x509_certificate_signer
            .as_deref()
            .filter(|c| !c.trim().is_empty())
    {
        files::ensure_dir(&cfg.cert_dir, CERT_DIR_MODE)?;
        staged.push(StagedFile::write(
            &cfg.ca_file(),
            ca.as_bytes(),
            CERT_MODE,
            svc.owner,
        )?);
    }
    files::commit_all(staged)?;
    Ok(info)
}

fn parent(p: &Path) -> &Path {
    p.parent().unwrap_or(Path::new("."))
}

fn read(p: &Path) -> Result<String> {
    std::fs::read_to_string(p).map_err(|e| Error::io("read", p, e))
}

#[cfg(test)]
mod tests;
