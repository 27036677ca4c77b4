//! Role certificates (Athenz `libs/go/sia/agent/agent.go` `GetRoleCertificates`; file names
//! from `libs/go/sia/util/util.go` `GetRoleCertFileName`/`GetRoleKeyFileName`). For each
//! `roles` entry the agent builds a role CSR, signs it with the service key (or the role's own key
//! with `generate_role_key`), and posts it to `POST /rolecert` over mTLS with the service
//! identity. Nothing platform-specific is needed: the provider and instance id come from the
//! service certificate already on disk (ZTS requires the role CSR's instance id URI to equal the
//! caller certificate's).
//!
//! A failure is reported per role and leaves that role's files as they were: the old
//! certificate stays usable until it expires (Athenz logs and carries on too).

use crate::agent::build::OwnerLookup;
use crate::agent::{AgentConfig, CERT_DIR_MODE, CERT_MODE, ServiceTarget, Timing, ZtsApi};
use crate::cert::{self, CertInfo};
use crate::config::{SiaConfig, parse_role_key};
use crate::csr::{self, RoleCsrSpec};
use crate::error::{Error, Result};
use crate::files::{self, Owner, StagedFile};
use crate::keys::PrivateKey;
use crate::schedule::{needs_refresh, refresh_delay};
use model::Timestamp;
use model::zts_token::RoleCertificateRequest;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Prefix of the instance id SAN URI copied from the service certificate.
const INSTANCE_ID_URI_PREFIX: &str = "athenz://instanceid/";

/// One role certificate to maintain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleTarget {
    /// The `roles` key, `<domain>:role.<role>`, as configured (it names the default files).
    pub name: String,
    /// The role's domain, lowercased.
    pub domain: String,
    /// The role's short name, lowercased.
    pub role: String,
    /// The service whose identity asks for the role.
    pub service: String,
    /// `<cert_dir>/<domain>:role.<role>.cert.pem` unless configured.
    pub cert_file: PathBuf,
    /// The role's own key (`generate_role_key`); `None` means the service key.
    pub key_file: Option<PathBuf>,
    /// Owner and group of the files.
    pub owner: Owner,
    /// Requested lifetime in minutes; 0 lets ZTS choose (Athenz's RDL requires the field).
    pub expiry_time: i64,
}

impl RoleTarget {
    /// Role key mode: 0440 with a group, else 0400 (as service keys).
    pub fn key_mode(&self) -> u32 {
        if self.owner.gid.is_some() {
            0o440
        } else {
            0o400
        }
    }

    /// `<roleDomain>:role.<role>`, lowercased (the CSR's CN).
    pub fn full_name(&self) -> String {
        model::names::role_full_name(&self.domain, &self.role)
    }
}

/// What one pass over the roles did.
#[derive(Debug, Default)]
pub struct RolesReport {
    /// Roles fetched now, with the new certificate's validity.
    pub fetched: Vec<(String, CertInfo)>,
    /// Roles skipped because the certificate on disk is not due yet.
    pub current: Vec<(String, CertInfo)>,
    /// Roles that failed, with why (their old files are untouched).
    pub failed: Vec<(String, Error)>,
}

impl RolesReport {
    /// Whether no role failed.
    pub fn is_ok(&self) -> bool {
        self.failed.is_empty()
    }

    /// When the earliest certificate in this report is next due (see
    /// [`crate::schedule::refresh_delay`]); `None` when it holds none.
    pub fn next_refresh(&self, timing: &Timing, now: SystemTime) -> Option<Duration> {
        self.fetched
            .iter()
            .chain(&self.current)
            .map(|(_, c)| {
                refresh_delay(
                    c.not_before,
                    c.not_after,
                    timing.refresh_fraction,
                    timing.refresh_interval,
                    now,
                )
            })
            .min()
    }

    /// The failure as one error: the failed names and the last failure.
    pub fn into_result(mut self) -> Result<Self> {
        match Error::credentials("role certificates", std::mem::take(&mut self.failed)) {
            None => Ok(self),
            Some(e) => Err(e),
        }
    }
}

/// Fetches every configured role certificate (after a service certificate was written, or for
/// `-cmd rolecert`).
pub async fn fetch_all(cfg: &AgentConfig, zts: &dyn ZtsApi) -> RolesReport {
    let mut report = RolesReport::default();
    for role in &cfg.roles {
        record(&mut report, role, fetch_one(cfg, zts, role).await);
    }
    report
}

/// Fetches the role certificates that are missing, unusable, or past `refresh_fraction` of their
/// lifetime at `now` ([`needs_refresh`]); the others are reported as current.
pub async fn fetch_due(cfg: &AgentConfig, zts: &dyn ZtsApi, now: SystemTime) -> RolesReport {
    let mut report = RolesReport::default();
    for role in &cfg.roles {
        match on_disk(cfg, role) {
            Some(c)
                if !needs_refresh(c.not_before, c.not_after, cfg.timing.refresh_fraction, now) =>
            {
                report.current.push((role.name.clone(), c));
            }
            _ => record(&mut report, role, fetch_one(cfg, zts, role).await),
        }
    }
    report
}

/// [`fetch_all`], then retries the failed roles with backoff for up to
/// `timing.required_role_certs_timeout` (Athenz `GetRequiredRoleCertificates` retries for three
/// minutes); fails with [`Error::Credentials`] if some are still missing.
pub async fn fetch_required(cfg: &AgentConfig, zts: &dyn ZtsApi) -> Result<RolesReport> {
    let start = tokio::time::Instant::now();
    let timeout = cfg.timing.required_role_certs_timeout;
    let mut report = fetch_all(cfg, zts).await;
    let mut attempt = 0;
    while !report.is_ok() {
        let elapsed = start.elapsed();
        if elapsed >= timeout {
            return report.into_result();
        }
        let wait = cfg.timing.backoff.delay(attempt).min(timeout - elapsed);
        attempt += 1;
        log::warn!(
            "{} required role certificates missing; retrying in {:.1}s",
            report.failed.len(),
            wait.as_secs_f64()
        );
        tokio::time::sleep(wait).await;
        report = fetch_due(cfg, zts, SystemTime::now()).await;
    }
    Ok(report)
}

fn record(report: &mut RolesReport, role: &RoleTarget, outcome: Result<CertInfo>) {
    match outcome {
        Ok(c) => {
            log::info!(
                "role certificate {} written to {}",
                role.name,
                role.cert_file.display()
            );
            report.fetched.push((role.name.clone(), c));
        }
        Err(e) => {
            log::warn!("role certificate {}: {e}", role.name);
            report.failed.push((role.name.clone(), e));
        }
    }
}

/// The validity of the role certificate on disk, if it parses and carries the role's key.
pub fn on_disk(cfg: &AgentConfig, role: &RoleTarget) -> Option<CertInfo> {
    let cert = std::fs::read_to_string(&role.cert_file).ok()?;
    let key_file = match &role.key_file {
        Some(k) => k.clone(),
        None => service(cfg, role).ok()?.key_file.clone(),
    };
    let key = PrivateKey::from_pem(&std::fs::read_to_string(key_file).ok()?).ok()?;
    cert::inspect(&cert, Some(key.public_key_raw())).ok()
}

/// Fetches one role certificate and writes it (and a new role key) atomically.
pub async fn fetch_one(cfg: &AgentConfig, zts: &dyn ZtsApi, role: &RoleTarget) -> Result<CertInfo> {
    let svc = service(cfg, role)?;
    let svc_key_pem = read(&svc.key_file)?;
    let svc_cert_pem = read(&svc.cert_file)?;
    let (key, new_key) = role_key(cfg, role, &svc_key_pem)?;
    let instance_id_uri = cert::san_uris(&svc_cert_pem)?
        .into_iter()
        .find(|u| u.starts_with(INSTANCE_ID_URI_PREFIX));
    let provider = instance_id_uri.as_deref().and_then(|u| {
        u[INSTANCE_ID_URI_PREFIX.len()..]
            .split_once('/')
            .map(|(p, _)| p.to_string())
    });
    let spec = RoleCsrSpec {
        role_domain: role.domain.clone(),
        role: role.role.clone(),
        domain: cfg.domain.clone(),
        service: svc.name.clone(),
        provider,
        instance_id_uri,
        spiffe_trust_domain: cfg.spiffe_trust_domain.clone(),
    };
    // The previous certificate's dates only set ZTS's signing priority.
    let prev = std::fs::read_to_string(&role.cert_file)
        .ok()
        .and_then(|p| cert::inspect(&p, None).ok());
    let req = RoleCertificateRequest {
        csr: csr::build_role_csr(&spec, &key)?,
        proxy_for_principal: None,
        expiry_time: role.expiry_time,
        prev_cert_not_before: prev.map(|c| timestamp(c.not_before)),
        prev_cert_not_after: prev.map(|c| timestamp(c.not_after)),
        x509_cert_signer_key_id: None,
    };
    let issued = zts
        .role_certificate(&req, &svc_cert_pem, &svc_key_pem)
        .await?;
    let info = cert::inspect(&issued.x509_certificate, Some(key.public_key_raw()))?;
    info.check_current(SystemTime::now())?;
    files::ensure_dir(parent(&role.cert_file), CERT_DIR_MODE)?;
    let mut staged = Vec::new();
    if let (true, Some(key_file)) = (new_key, &role.key_file) {
        let dir_mode = if role.owner.gid.is_some() {
            0o750
        } else {
            0o700
        };
        files::ensure_dir(parent(key_file), dir_mode)?;
        staged.push(StagedFile::write(
            key_file,
            key.pem().as_bytes(),
            role.key_mode(),
            role.owner,
        )?);
    }
    staged.push(StagedFile::write(
        &role.cert_file,
        issued.x509_certificate.as_bytes(),
        CERT_MODE,
        role.owner,
    )?);
    files::commit_all(staged)?;
    Ok(info)
}

/// The key to sign with and whether it is new: the service key; or with `generate_role_key`
/// the role key on disk, or a new one when there is none or `rotate_key` is set (Athenz
/// `RoleKey`, which starts from a copy of the service key where we generate a separate one).
fn role_key(cfg: &AgentConfig, role: &RoleTarget, svc_key_pem: &str) -> Result<(PrivateKey, bool)> {
    let Some(key_file) = &role.key_file else {
        return Ok((PrivateKey::from_pem(svc_key_pem)?, false));
    };
    if !cfg.rotate_key
        && let Ok(pem) = std::fs::read_to_string(key_file)
        && let Ok(k) = PrivateKey::from_pem(&pem)
    {
        return Ok((k, false));
    }
    Ok((PrivateKey::generate(cfg.key_type)?, true))
}

fn service<'a>(cfg: &'a AgentConfig, role: &RoleTarget) -> Result<&'a ServiceTarget> {
    cfg.services
        .iter()
        .find(|s| s.name == role.service)
        .ok_or_else(|| {
            Error::Config(vec![format!(
                "roles.\"{}\": service `{}` is not configured",
                role.name, role.service
            )])
        })
}

fn timestamp(t: SystemTime) -> Timestamp {
    let ms = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    Timestamp::from_millis(ms)
}

fn parent(p: &Path) -> &Path {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

fn read(p: &Path) -> Result<String> {
    std::fs::read_to_string(p).map_err(|e| Error::io("read", p, e))
}

/// Resolves the `roles` of `sia` (see [`SiaConfig::roles_for`]) against the services, reporting
/// every problem into `problems`. `generate_role_key` is the effective setting.
#[allow(clippy::too_many_arguments, reason = "one call site, in agent::build")]
pub(crate) fn resolve(
    sia: &SiaConfig,
    account_id: Option<&str>,
    services: &[ServiceTarget],
    key_dir: &Path,
    cert_dir: &Path,
    generate_role_key: bool,
    owner: &OwnerLookup<'_>,
    problems: &mut Vec<String>,
) -> Vec<RoleTarget> {
    let mut out = Vec::new();
    for (name, rc) in sia.roles_for(account_id) {
        let Ok((domain, role)) = parse_role_key(name) else {
            continue; // reported by SiaConfig::validate
        };
        let svc_name = rc.service.as_deref().filter(|s| !s.is_empty());
        let svc = match svc_name {
            None => services.first(),
            Some(s) => services.iter().find(|t| t.name == s),
        };
        let Some(svc) = svc else {
            problems.push(format!(
                "roles.\"{name}\": service `{}` is not one of this agent's services ({})",
                svc_name.unwrap_or(""),
                names(services)
            ));
            continue;
        };
        let role_owner = owner(rc.user.as_deref(), rc.group.as_deref()).unwrap_or_else(|e| {
            problems.push(format!("roles.\"{name}\": {e}"));
            Owner::default()
        });
        let filename = rc.filename.as_deref().filter(|f| !f.is_empty());
        let cert_file = match filename {
            Some(f) if Path::new(f).is_absolute() => PathBuf::from(f),
            Some(f) => cert_dir.join(f),
            None => cert_dir.join(format!("{name}.cert.pem")),
        };
        // Athenz: `<key_dir>/<filename without .cert.pem>.key.pem`, else `<role name>.key.pem`.
        let key_file = generate_role_key.then(|| {
            let prefix = filename.map_or(name.as_str(), |f| {
                f.strip_suffix(".cert.pem")
                    .unwrap_or(f)
                    .trim_start_matches('/')
            });
            key_dir.join(format!("{prefix}.key.pem"))
        });
        out.push(RoleTarget {
            name: name.clone(),
            domain: domain.as_str().to_string(),
            role: role.as_str().to_string(),
            service: svc.name.clone(),
            cert_file,
            key_file,
            owner: Owner {
                uid: role_owner.uid.or(svc.owner.uid),
                gid: role_owner.gid.or(svc.owner.gid),
            },
            expiry_time: rc.expiry_time.unwrap_or(0),
        });
    }
    out
}

pub(crate) fn names(services: &[ServiceTarget]) -> String {
    services
        .iter()
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests;
