//! Service certificate requests: parse and verify a PKCS#10 CSR, then check it against Athenz's
//! rules (`X509ServiceCertRequest`, reference §1.4 step 5): CN `domain.service`, every SAN DNS
//! under a DNS suffix the provider is granted or the domain's `certDnsDomain`, at most one SPIFFE
//! URI of the Athenz forms, only Athenz URI schemes, and the instance id from
//! `athenz://instanceid/<provider>/<id>` (or the legacy `<id>.instanceid.athenz.<suffix>` name).

use crate::error::{ZtsError, ZtsResult};
use rcgen::{CertificateSigningRequestParams, DnType, DnValue, SanType};
use rustls_pki_types::CertificateSigningRequestDer;
use rustls_pki_types::pem::PemObject;
use std::net::IpAddr;

/// A parsed CSR whose signature verified.
#[derive(Debug)]
pub struct Csr {
    /// rcgen's view, used to sign.
    pub request: CertificateSigningRequestParams,
    /// Subject CN, lowercased (empty when absent).
    pub cn: String,
    /// SAN DNS names, lowercased.
    pub dns: Vec<String>,
    /// SAN IPs.
    pub ips: Vec<IpAddr>,
    /// SAN URIs.
    pub uris: Vec<String>,
}

/// What a CSR is checked against.
#[derive(Debug)]
pub struct Rules<'a> {
    /// Requested domain.
    pub domain: &'a str,
    /// Requested service.
    pub service: &'a str,
    /// Provider name.
    pub provider: &'a str,
    /// DNS suffixes sys.auth grants the provider (without leading dot).
    pub provider_suffixes: &'a [String],
    /// The domain's `certDnsDomain`.
    pub cert_dns_domain: Option<&'a str>,
    /// Request `hostname`.
    pub hostname: Option<&'a str>,
    /// Request `hostCnames`.
    pub host_cnames: &'a [String],
}

const MAX_CSR_BYTES: usize = 16 * 1024;

fn bad(msg: impl Into<String>) -> ZtsError {
    ZtsError::BadRequest(msg.into())
}

fn dn_text(v: &DnValue) -> String {
    match v {
        DnValue::Utf8String(s) => s.clone(),
        DnValue::PrintableString(s) => s.as_str().to_string(),
        DnValue::Ia5String(s) => s.as_str().to_string(),
        DnValue::TeletexString(s) => s.as_str().to_string(),
        _ => String::new(),
    }
}

impl Csr {
    /// Parses PEM and verifies the request's signature.
    pub fn parse(pem: &str) -> ZtsResult<Self> {
        if pem.len() > MAX_CSR_BYTES {
            return Err(bad("csr: larger than 16 KiB"));
        }
        let der = CertificateSigningRequestDer::from_pem_slice(pem.as_bytes())
            .map_err(|_| bad("csr: not a PEM certificate request"))?;
        let request = CertificateSigningRequestParams::from_der(&der)
            .map_err(|e| bad(format!("csr: unable to parse or verify the request: {e}")))?;
        let cn = request
            .params
            .distinguished_name
            .get(&DnType::CommonName)
            .map(dn_text)
            .unwrap_or_default();
        let (mut dns, mut ips, mut uris) = (Vec::new(), Vec::new(), Vec::new());
        for san in &request.params.subject_alt_names {
            match san {
                SanType::DnsName(d) => dns.push(d.as_str().to_ascii_lowercase()),
                SanType::IpAddress(ip) => ips.push(*ip),
                SanType::URI(u) => uris.push(u.as_str().to_string()),
                _ => {
                    return Err(bad(
                        "csr: only DNS, IP and URI subject alternative names are allowed",
                    ));
                }
            }
        }
        Ok(Self {
            request,
            cn: cn.to_ascii_lowercase(),
            dns,
            ips,
            uris,
        })
    }

    /// The instance id: `athenz://instanceid/<provider>/<id>`, else a legacy
    /// `<id>.instanceid.athenz.<suffix>` DNS name, else `fallback` (`x509CertInstanceId`).
    pub fn instance_id(&self, provider: &str, fallback: Option<&str>) -> ZtsResult<String> {
        for u in &self.uris {
            if let Some(rest) = u.strip_prefix("athenz://instanceid/") {
                let (p, id) = rest
                    .split_once('/')
                    .ok_or_else(|| bad(format!("csr: malformed instance id URI {u}")))?;
                if !p.eq_ignore_ascii_case(provider) {
                    return Err(bad(format!(
                        "csr: instance id URI names provider {p}, not {provider}"
                    )));
                }
                return checked_id(id);
            }
        }
        for d in &self.dns {
            if let Some((id, _)) = d.split_once(".instanceid.athenz.") {
                return checked_id(id);
            }
        }
        match fallback {
            Some(id) => checked_id(id),
            None => Err(bad(
                "csr: no instance id (athenz://instanceid/<provider>/<id> URI)",
            )),
        }
    }

    /// Applies the Athenz rules; returns the SAN DNS names under the provider's suffixes (the
    /// `sanDNS` attribute the provider sees).
    pub fn check(&self, r: &Rules<'_>) -> ZtsResult<Vec<String>> {
        let expected = format!("{}.{}", r.domain, r.service);
        if self.cn.is_empty() {
            if !self.uris.iter().any(|u| u.starts_with("spiffe://")) {
                return Err(bad("csr: empty CN without a SPIFFE URI"));
            }
        } else if self.cn != expected {
            return Err(bad(format!(
                "csr: CN {} does not match {expected}",
                self.cn
            )));
        }
        let mut provider_dns = Vec::new();
        for d in &self.dns {
            let under = |s: &str| {
                d.len() > s.len() + 1
                    && d.ends_with(s)
                    && d.as_bytes()[d.len() - s.len() - 1] == b'.'
            };
            if r.provider_suffixes.iter().any(|s| under(s)) {
                provider_dns.push(d.clone());
            } else if r.cert_dns_domain.is_some_and(under)
                || r.hostname.is_some_and(|h| h.eq_ignore_ascii_case(d))
                || r.host_cnames.iter().any(|c| c.eq_ignore_ascii_case(d))
            {
            } else {
                return Err(bad(format!(
                    "csr: DNS name {d} is not under a suffix granted to provider {} or the domain's certDnsDomain",
                    r.provider
                )));
            }
        }
        let mut spiffe = 0;
        for u in &self.uris {
            if u.starts_with("spiffe://") {
                spiffe += 1;
                check_spiffe(u, r.domain, r.service)?;
            } else if let Some(h) = u.strip_prefix("athenz://hostname/") {
                if r.hostname.is_some_and(|x| !x.eq_ignore_ascii_case(h)) {
                    return Err(bad(format!(
                        "csr: hostname URI {h} does not match the request hostname"
                    )));
                }
            } else if !(u.starts_with("athenz://instanceid/")
                || u.starts_with("athenz://instancename/"))
            {
                return Err(bad(format!("csr: URI {u} is not an allowed scheme")));
            }
        }
        if spiffe > 1 {
            return Err(bad("csr: at most one SPIFFE URI is allowed"));
        }
        Ok(provider_dns)
    }
}

fn checked_id(id: &str) -> ZtsResult<String> {
    let ok = !id.is_empty()
        && id.len() <= 256
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~=+@$,:".contains(c));
    if ok {
        Ok(id.to_string())
    } else {
        Err(bad(format!("csr: invalid instance id {id:?}")))
    }
}

/// `spiffe://<domain>/sa/<service>` or `spiffe://<trust-domain>/ns/<namespace>/sa/<domain>.<service>`
/// (`SpiffeUriBasic`, `SpiffeUriTrustDomain`).
fn check_spiffe(uri: &str, domain: &str, service: &str) -> ZtsResult<()> {
    let rest = uri.trim_start_matches("spiffe://");
    let parts: Vec<&str> = rest.split('/').collect();
    let ok = match parts.as_slice() {
        [d, "sa", s] => d.eq_ignore_ascii_case(domain) && s.eq_ignore_ascii_case(service),
        [_, "ns", ns, "sa", ds] => {
            !ns.is_empty() && ds.eq_ignore_ascii_case(&format!("{domain}.{service}"))
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(bad(format!(
            "csr: SPIFFE URI {uri} does not name {domain}.{service}"
        )))
    }
}
