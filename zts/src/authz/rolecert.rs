//! `POST /rolecert`: role certificates (reference §1.6; `ZTSImpl.postRoleCertificateRequestExt`,
//! `cert/X509RoleCertRequest.java`). The CSR's CN names the role (`<domain>:role.<role>`), its
//! `athenz://principal/<domain.service>` URI names the caller, every other SAN must already be
//! in the caller's certificate (or be the connection's IP), the caller must be a member of the
//! role, and the certificate is for TLS clients only.

use super::{Principal, domain};
use crate::csr::Csr;
use crate::error::{ZtsError, ZtsResult};
use crate::signer::{Usage, new_serial};
use crate::state::AppState;
use model::Timestamp;
use model::zts_token::{RoleCertificate, RoleCertificateRequest};
use std::net::IpAddr;

fn bad(m: impl Into<String>) -> ZtsError {
    ZtsError::BadRequest(m.into())
}

/// What the caller's own certificate holds.
#[derive(Debug, Default)]
struct CallerSans {
    dns: Vec<String>,
    ips: Vec<IpAddr>,
    uris: Vec<String>,
}

fn caller_sans(der: &[u8]) -> ZtsResult<CallerSans> {
    use x509_parser::extensions::GeneralName;
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|_| ZtsError::Unauthenticated("unreadable client certificate".into()))?;
    let mut out = CallerSans::default();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            match n {
                GeneralName::DNSName(d) => out.dns.push(d.to_ascii_lowercase()),
                GeneralName::URI(u) => out.uris.push((*u).to_string()),
                GeneralName::IPAddress(b) => match b.len() {
                    4 => out
                        .ips
                        .push(IpAddr::from(<[u8; 4]>::try_from(*b).unwrap_or_default())),
                    16 => out
                        .ips
                        .push(IpAddr::from(<[u8; 16]>::try_from(*b).unwrap_or_default())),
                    _ => {}
                },
                _ => {}
            }
        }
    }
    Ok(out)
}

/// Splits the CN `<domain>:role.<role>`.
fn role_of(cn: &str) -> ZtsResult<(String, String)> {
    let (d, r) = cn
        .split_once(":role.")
        .ok_or_else(|| bad(format!("csr: CN {cn:?} is not <domain>:role.<role>")))?;
    model::names::DomainName::parse(d).map_err(|e| bad(format!("csr: CN domain: {e}")))?;
    model::names::EntityName::parse(r).map_err(|e| bad(format!("csr: CN role: {e}")))?;
    Ok((d.to_string(), r.to_string()))
}

/// Checks the SANs against the caller (`X509RoleCertRequest.validate`).
fn check_sans(
    csr: &Csr,
    caller: &Principal,
    sans: &CallerSans,
    ip: Option<IpAddr>,
    domain: &str,
    role: &str,
) -> ZtsResult<()> {
    let mut principal_uri = false;
    for u in &csr.uris {
        if let Some(p) = u.strip_prefix("athenz://principal/") {
            if !p.eq_ignore_ascii_case(&caller.name) {
                return Err(ZtsError::Forbidden(format!(
                    "csr: principal URI names {p}, but the caller is {}",
                    caller.name
                )));
            }
            principal_uri = true;
        } else if let Some(rest) = u.strip_prefix("spiffe://") {
            let parts: Vec<&str> = rest.split('/').collect();
            let ok = match parts.as_slice() {
                [d, "ra", r] => d.eq_ignore_ascii_case(domain) && r.eq_ignore_ascii_case(role),
                [_, "ns", d, "ra", r] => {
                    d.eq_ignore_ascii_case(domain) && r.eq_ignore_ascii_case(role)
                }
                _ => false,
            };
            if !ok {
                return Err(bad(format!(
                    "csr: SPIFFE URI {u} does not name {domain}:role.{role}"
                )));
            }
        } else if u.starts_with("athenz://instanceid/") || u.starts_with("athenz://hostname/") {
            if !sans.uris.iter().any(|c| c == u) {
                return Err(ZtsError::Forbidden(format!(
                    "csr: URI {u} is not in the caller's certificate"
                )));
            }
        } else {
            return Err(bad(format!("csr: URI {u} is not an allowed scheme")));
        }
    }
    if !principal_uri {
        return Err(bad("csr: no athenz://principal/<domain.service> URI"));
    }
    if let Some(d) = csr.dns.iter().find(|d| !sans.dns.contains(d)) {
        return Err(ZtsError::Forbidden(format!(
            "csr: DNS name {d} is not in the caller's certificate"
        )));
    }
    if let Some(i) = csr
        .ips
        .iter()
        .find(|i| !sans.ips.contains(i) && Some(**i) != ip)
    {
        return Err(ZtsError::Forbidden(format!(
            "csr: IP {i} is neither in the caller's certificate nor the connection's address"
        )));
    }
    Ok(())
}

/// Issues the certificate.
pub fn issue(
    st: &AppState,
    caller: &Principal,
    caller_ip: Option<IpAddr>,
    req: &RoleCertificateRequest,
) -> ZtsResult<RoleCertificate> {
    if req
        .proxy_for_principal
        .as_deref()
        .is_some_and(|p| !p.is_empty())
    {
        return Err(ZtsError::Forbidden(format!(
            "principal {} not authorized for proxy role certificate request",
            caller.name
        )));
    }
    if req.expiry_time < 0 {
        return Err(bad("expiryTime: must not be negative"));
    }
    let csr = Csr::parse(&req.csr)?;
    let (domain_name, role) = role_of(&csr.cn)?;
    let sans = caller_sans(caller.cert.as_ref())?;
    check_sans(&csr, caller, &sans, caller_ip, &domain_name, &role)?;
    let d = domain(st, &domain_name)?;
    let full = format!("{domain_name}:role.{role}");
    let member = st.zms.read(|all| {
        d.compiled
            .has_role_member(all, &full, &caller.name, Timestamp::now())
    });
    if !member {
        return Err(ZtsError::Forbidden(format!(
            "{} is not a member of {full}",
            caller.name
        )));
    }
    let cfg = &st.config;
    let mut minutes = if req.expiry_time > 0 {
        u32::try_from(req.expiry_time).unwrap_or(u32::MAX)
    } else {
        cfg.cert_default_expiry_mins
    };
    minutes = minutes.min(cfg.cert_max_expiry_mins);
    let caps = d
        .data
        .roles
        .iter()
        .find(|r| r.name == full)
        .and_then(|r| r.cert_expiry_mins)
        .into_iter()
        .chain(d.data.meta.role_cert_expiry_mins);
    for cap in caps.filter(|c| *c > 0) {
        minutes = minutes.min(u32::try_from(cap).unwrap_or(u32::MAX));
    }
    let serial = new_serial().map_err(|e| ZtsError::Internal(e.to_string()))?;
    let pem = st
        .signer
        .sign(&csr, Usage::Client, minutes, &serial)
        .map_err(|e| ZtsError::Internal(format!("signing role certificate: {e}")))?;
    tracing::info!(principal = %caller.name, role = %full, minutes, "role certificate issued");
    Ok(RoleCertificate {
        x509_certificate: pem,
    })
}
