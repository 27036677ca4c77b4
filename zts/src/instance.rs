//! The instance identity pipeline: register, refresh and delete (`ZTSImpl`
//! `postInstanceRegisterInformation`, `postInstanceRefreshInformation`; reference §1.4, §1.5).
//! Each step is one call so the order is readable: validate, find, authorize, check the CSR, ask the
//! provider, apply what it returned, record, sign.

use crate::csr::{Csr, Rules};
use crate::error::{ZtsError, ZtsResult};
use crate::signer::{Usage, new_serial};
use crate::state::AppState;
use model::names::is_compound_name;
use model::zts::{
    InstanceConfirmation, InstanceIdentity, InstanceRefreshInformation, InstanceRegisterInformation,
};
use model::{DomainName, SimpleName};
use std::collections::BTreeMap;
use zts_store::{CertKey, Issued, RefreshOutcome};

/// Attributes only ZTS acts on; removed before the rest are echoed back (`ZTSImpl` step 7).
const CONTROL_KEYS: &[&str] = &[
    "certUsage",
    "certSubjectOU",
    "instancePrivateIp",
    "certExpiryTime",
    "certRefresh",
    "certSSH",
    "attestedSshCertPrincipals",
];

/// Who is asking and from where.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Remote address.
    pub ip: String,
    /// Principal of the client certificate, if any.
    pub principal: Option<String>,
}

/// The names of a request, parsed and lowercased.
#[derive(Debug, Clone)]
pub struct Names {
    /// Provider service name.
    pub provider: String,
    /// Domain.
    pub domain: DomainName,
    /// Service.
    pub service: SimpleName,
}

impl Names {
    /// Parses the three names.
    pub fn parse(provider: &str, domain: &str, service: &str) -> ZtsResult<Self> {
        let provider = provider.to_ascii_lowercase();
        if !is_compound_name(&provider) || !provider.contains('.') {
            return Err(ZtsError::BadRequest(format!(
                "invalid provider name {provider:?}"
            )));
        }
        Ok(Self {
            provider,
            domain: DomainName::parse(domain)?,
            service: SimpleName::parse(service)?,
        })
    }

    fn full(&self) -> String {
        format!("{}.{}", self.domain, self.service)
    }
}

/// What the provider decided about the certificate.
struct Decision {
    usage: Usage,
    minutes: u32,
    refresh: bool,
    attributes: BTreeMap<String, String>,
}

/// `POST /instance`: returns the identity and its `Location`.
pub async fn register(
    st: &AppState,
    info: InstanceRegisterInformation,
    caller: &Caller,
) -> ZtsResult<(InstanceIdentity, String)> {
    let names = Names::parse(&info.provider, &info.domain, &info.service)?;
    if info.csr.is_empty() || info.attestation_data.is_empty() {
        return Err(ZtsError::BadRequest(
            "csr and attestationData are required".into(),
        ));
    }
    let suffixes = find_and_authorize(st, &names)?;
    let csr = Csr::parse(&info.csr)?;
    let instance_id = csr.instance_id(&names.provider, info.x509_cert_instance_id.as_deref())?;
    let hostname = info.hostname.as_deref();
    let cnames = info.host_cnames.clone().unwrap_or_default();
    let san_dns = check_csr(st, &names, &csr, &suffixes, hostname, &cnames)?;
    let confirmation = confirmation(
        st,
        &names,
        &info.attestation_data,
        &csr,
        &instance_id,
        &san_dns,
        caller,
        hostname,
        info.cloud.as_deref(),
    );
    let provider = st.providers.resolve(&st.zms, &names.provider)?;
    let answer = provider.confirm(&confirmation).await?;
    let decision = decide(st, &names, answer, info.expiry_time)?;
    let serial = new_serial().map_err(|e| ZtsError::Internal(e.to_string()))?;
    let pem = st
        .signer
        .sign(&csr, decision.usage, decision.minutes, &serial)
        .map_err(|e| ZtsError::Internal(format!("signing: {e:#}")))?;
    if decision.refresh {
        let key = CertKey {
            provider: names.provider.clone(),
            instance_id: instance_id.clone(),
            service: names.full(),
        };
        let issued = issued(&serial, caller, decision.minutes, hostname);
        st.store
            .insert(&key, &issued, decision.usage == Usage::Client, None)
            .await?;
    }
    let location = format!(
        "/zts/v1/instance/{}/{}/{}/{}",
        names.provider, names.domain, names.service, instance_id
    );
    Ok((
        identity(st, &names, instance_id, pem, decision.attributes),
        location,
    ))
}

/// `POST /instance/{provider}/{domain}/{service}/{instanceId}` over mTLS with the current
/// certificate (`presented` is its DER).
pub async fn refresh(
    st: &AppState,
    names: Names,
    url_instance_id: &str,
    info: InstanceRefreshInformation,
    caller: &Caller,
    presented: &[u8],
) -> ZtsResult<InstanceIdentity> {
    let full = names.full();
    if caller.principal.as_deref() != Some(full.as_str()) {
        return Err(ZtsError::Forbidden(format!(
            "refresh of {full} needs that service's certificate"
        )));
    }
    let csr_pem = info
        .csr
        .as_deref()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ZtsError::BadRequest("no csr provided".into()))?;
    let suffixes = find_and_authorize(st, &names)?;
    let csr = Csr::parse(csr_pem)?;
    let instance_id = csr.instance_id(&names.provider, None)?;
    let (cert_serial, cert_instance) = presented_cert(presented, &names.provider)?;
    if instance_id != url_instance_id || cert_instance.as_deref() != Some(url_instance_id) {
        return Err(ZtsError::BadRequest(
            "instance id mismatch between URL, CSR and certificate".into(),
        ));
    }
    let hostname = info.hostname.as_deref();
    let cnames = info.host_cnames.clone().unwrap_or_default();
    let san_dns = check_csr(st, &names, &csr, &suffixes, hostname, &cnames)?;
    let attestation = info.attestation_data.clone().unwrap_or_default();
    let confirmation = confirmation(
        st,
        &names,
        &attestation,
        &csr,
        &instance_id,
        &san_dns,
        caller,
        hostname,
        info.cloud.as_deref(),
    );
    let provider = st.providers.resolve(&st.zms, &names.provider)?;
    let answer = provider.refresh(&confirmation).await?;
    let decision = decide(st, &names, answer, info.expiry_time)?;
    let serial = new_serial().map_err(|e| ZtsError::Internal(e.to_string()))?;
    if decision.refresh {
        let key = CertKey {
            provider: names.provider.clone(),
            instance_id: instance_id.clone(),
            service: full.clone(),
        };
        let issued = issued(&serial, caller, decision.minutes, hostname);
        match st.store.refresh(&key, &cert_serial, &issued).await? {
            RefreshOutcome::Current | RefreshOutcome::Previous => {}
            RefreshOutcome::Revoked => {
                return Err(ZtsError::Forbidden("Certificate revoked".into()));
            }
            RefreshOutcome::NotFound => {
                return Err(ZtsError::Forbidden(
                    "Unable to find certificate record".into(),
                ));
            }
        }
    }
    let pem = st
        .signer
        .sign(&csr, decision.usage, decision.minutes, &serial)
        .map_err(|e| ZtsError::Internal(format!("signing: {e:#}")))?;
    Ok(identity(st, &names, instance_id, pem, decision.attributes))
}

/// `DELETE /instance/...`: the provider itself, or a principal with `delete` on
/// `<domain>:instance.<instanceId>`, removes the record, which blocks further refreshes.
pub async fn delete(
    st: &AppState,
    names: Names,
    instance_id: &str,
    caller: &Caller,
) -> ZtsResult<()> {
    let principal = caller
        .principal
        .as_deref()
        .ok_or_else(|| ZtsError::Unauthenticated("a client certificate is required".into()))?;
    let resource = format!("{}:instance.{instance_id}", names.domain);
    if principal != names.provider && !st.allowed(principal, "delete", &resource) {
        return Err(ZtsError::Forbidden(format!(
            "principal {principal} may not delete {resource}"
        )));
    }
    let key = CertKey {
        provider: names.provider.clone(),
        instance_id: instance_id.to_string(),
        service: names.full(),
    };
    st.store.delete(&key).await?;
    Ok(())
}

/// The domain and service exist in the ZMS copy (404 / 400), the provider may launch them (403);
/// returns the provider's DNS suffixes.
fn find_and_authorize(st: &AppState, names: &Names) -> ZtsResult<Vec<String>> {
    let domain = st
        .zms
        .domain(names.domain.as_str())
        .ok_or_else(|| ZtsError::NotFound(format!("domain not found: {}", names.domain)))?;
    let full = names.full();
    if !domain.data.services.iter().any(|s| s.name == full) {
        return Err(ZtsError::BadRequest(format!(
            "service not registered in domain: {full}"
        )));
    }
    st.authorize_launch(
        &names.provider,
        names.domain.as_str(),
        names.service.as_str(),
    )?;
    Ok(st.provider_dns_suffixes(&names.provider))
}

fn check_csr(
    st: &AppState,
    names: &Names,
    csr: &Csr,
    suffixes: &[String],
    hostname: Option<&str>,
    cnames: &[String],
) -> ZtsResult<Vec<String>> {
    let cert_dns_domain = st
        .zms
        .domain(names.domain.as_str())
        .and_then(|d| d.data.meta.cert_dns_domain.clone());
    csr.check(&Rules {
        domain: names.domain.as_str(),
        service: names.service.as_str(),
        provider: &names.provider,
        provider_suffixes: suffixes,
        cert_dns_domain: cert_dns_domain.as_deref(),
        hostname,
        host_cnames: cnames,
    })
}

/// The InstanceConfirmation with the documented attribute keys (reference §2.2).
#[expect(
    clippy::too_many_arguments,
    reason = "one call site per flow; a struct would only rename them"
)]
fn confirmation(
    st: &AppState,
    names: &Names,
    attestation: &str,
    csr: &Csr,
    instance_id: &str,
    san_dns: &[String],
    caller: &Caller,
    hostname: Option<&str>,
    cloud: Option<&str>,
) -> InstanceConfirmation {
    let mut a = BTreeMap::new();
    a.insert("instanceId".to_string(), instance_id.to_string());
    a.insert("clientIP".to_string(), caller.ip.clone());
    if !san_dns.is_empty() {
        a.insert("sanDNS".to_string(), san_dns.join(","));
    }
    if !csr.ips.is_empty() {
        a.insert(
            "sanIP".to_string(),
            csr.ips
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(","),
        );
    }
    if !csr.uris.is_empty() {
        a.insert("sanURI".to_string(), csr.uris.join(","));
    }
    if let Some(h) = hostname {
        a.insert("hostname".to_string(), h.to_string());
    }
    if let Some(p) = &caller.principal {
        a.insert("principal".to_string(), p.clone());
    }
    if let Some(c) = cloud {
        a.insert("instanceCloud".to_string(), c.to_string());
    }
    if let Some(d) = st.zms.domain(names.domain.as_str()) {
        if let Some(acct) = &d.data.meta.account {
            a.insert("awsAccount".to_string(), acct.clone());
        }
        if let Some(f) = d.data.meta.feature_flags {
            a.insert("domainFeatureFlags".to_string(), f.to_string());
        }
    }
    InstanceConfirmation {
        provider: names.provider.clone(),
        domain: names.domain.to_string(),
        service: names.service.to_string(),
        attestation_data: attestation.to_string(),
        attributes: Some(a),
    }
}

/// Applies what the provider returned: the caller checks it, not the provider. The lifetime is the
/// smallest of request, provider and domain, capped by the server maximum.
fn decide(
    st: &AppState,
    names: &Names,
    answer: InstanceConfirmation,
    requested: Option<i32>,
) -> ZtsResult<Decision> {
    if !answer.provider.eq_ignore_ascii_case(&names.provider)
        || !answer.domain.eq_ignore_ascii_case(names.domain.as_str())
        || !answer.service.eq_ignore_ascii_case(names.service.as_str())
    {
        return Err(ZtsError::Forbidden(
            "provider confirmed a different provider, domain or service".into(),
        ));
    }
    let mut attributes = answer.attributes.unwrap_or_default();
    let usage = match attributes.get("certUsage") {
        None => Usage::Both,
        Some(u) => Usage::parse(u).ok_or_else(|| {
            ZtsError::Forbidden(format!("provider returned an unknown certUsage {u:?}"))
        })?,
    };
    let provider_mins = match attributes.get("certExpiryTime") {
        None => None,
        Some(v) => Some(v.parse::<u32>().map_err(|_| {
            ZtsError::Forbidden(format!("provider returned a bad certExpiryTime {v:?}"))
        })?),
    };
    let refresh = attributes
        .get("certRefresh")
        .is_none_or(|v| !v.eq_ignore_ascii_case("false"));
    let domain_mins = st
        .zms
        .domain(names.domain.as_str())
        .and_then(|d| d.data.meta.service_cert_expiry_mins)
        .and_then(|m| u32::try_from(m).ok());
    let requested = requested.and_then(|m| u32::try_from(m).ok());
    let minutes = [requested, provider_mins, domain_mins]
        .into_iter()
        .flatten()
        .filter(|m| *m > 0)
        .min()
        .unwrap_or(st.config.cert_default_expiry_mins)
        .min(st.config.cert_max_expiry_mins);
    for k in CONTROL_KEYS {
        attributes.remove(*k);
    }
    Ok(Decision {
        usage,
        minutes,
        refresh,
        attributes,
    })
}

fn issued(serial: &[u8], caller: &Caller, minutes: u32, hostname: Option<&str>) -> Issued {
    let now = model::Timestamp::now().millis();
    Issued {
        serial: hex::encode(serial),
        time_ms: now,
        ip: caller.ip.clone(),
        expiry_time_ms: now + i64::from(minutes) * 60_000,
        hostname: hostname.map(str::to_string),
    }
}

fn identity(
    st: &AppState,
    names: &Names,
    instance_id: String,
    pem: String,
    attributes: BTreeMap<String, String>,
) -> InstanceIdentity {
    InstanceIdentity {
        provider: names.provider.clone(),
        name: names.full(),
        instance_id,
        x509_certificate: Some(pem),
        x509_certificate_signer: Some(st.signer.chain_pem().to_string()),
        attributes: (!attributes.is_empty()).then_some(attributes),
        ..InstanceIdentity::default()
    }
}

/// The presented certificate's serial (hex) and its `athenz://instanceid/<provider>/<id>` id.
fn presented_cert(der: &[u8], provider: &str) -> ZtsResult<(String, Option<String>)> {
    use x509_parser::extensions::GeneralName;
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|_| ZtsError::BadRequest("unreadable client certificate".into()))?;
    let serial = hex::encode(cert.raw_serial());
    let id = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .and_then(|san| {
            san.value.general_names.iter().find_map(|n| match n {
                GeneralName::URI(u) => u
                    .strip_prefix("athenz://instanceid/")
                    .and_then(|rest| rest.split_once('/'))
                    .filter(|(p, _)| p.eq_ignore_ascii_case(provider))
                    .map(|(_, i)| i.to_string()),
                _ => None,
            })
        });
    Ok((serial, id))
}
