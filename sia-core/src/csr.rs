//! The Athenz service and role CSRs (`libs/go/sia/util/util.go` `GenerateSvcCertCSR`,
//! `GenerateRoleCertCSR`, `libs/go/sia/spiffe/spiffe.go`). ZTS copies the SANs verbatim into the certificate and checks
//! each of them against what the provider confirmed, so the order and spelling here are a wire
//! contract.

use crate::error::{Error, Result};
use crate::keys::PrivateKey;
use rcgen::string::Ia5String;
use rcgen::{CertificateParams, DistinguishedName, DnType, SanType};
use std::net::IpAddr;

/// What goes into a service CSR.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CsrSpec {
    /// Athenz domain (`sports.api`).
    pub domain: String,
    /// Service name within the domain (`web`).
    pub service: String,
    /// Provider service name; becomes the subject OU (`athenz.aws.us-west-2`).
    pub provider: String,
    /// Instance id; becomes `athenz://instanceid/<provider>/<id>`.
    pub instance_id: String,
    /// Provider DNS suffixes; each gives `<service>.<domain-dashes>.<suffix>`.
    pub dns_domains: Vec<String>,
    /// Also add `*.<service>.<domain-dashes>.<suffix>` per suffix (`sandns_wildcard`).
    pub wildcard: bool,
    /// An extra SAN DNS host name (`sandns_hostname`).
    pub hostname: Option<String>,
    /// Extra SAN DNS names (`sandns_x509_cnames`).
    pub cnames: Vec<String>,
    /// SPIFFE trust domain; selects the `spiffe://<td>/ns/<ns>/sa/<domain>.<service>` form.
    pub spiffe_trust_domain: Option<String>,
    /// SPIFFE namespace used with a trust domain (Athenz's default is `default`).
    pub spiffe_namespace: String,
    /// SAN IP addresses (the instance's private IP).
    pub ips: Vec<IpAddr>,
}

/// The SPIFFE namespace Athenz SIA uses with a trust domain (`spiffe.go`).
pub const DEFAULT_SPIFFE_NAMESPACE: &str = "default";

impl CsrSpec {
    /// `<service>.<domain with dots as dashes>.<suffix>`: the name ZTS's providers accept
    /// (`InstanceUtils.validateCertRequestSanDnsNames`).
    pub fn service_dns_name(&self, suffix: &str) -> String {
        format!(
            "{}.{}.{}",
            self.service,
            self.domain.replace('.', "-"),
            suffix
        )
    }

    /// The SPIFFE URI: the trust-domain form when one is set, else `spiffe://<domain>/sa/<service>`.
    pub fn spiffe_uri(&self) -> String {
        match &self.spiffe_trust_domain {
            Some(td) if !td.is_empty() => {
                let ns = if self.spiffe_namespace.is_empty() {
                    DEFAULT_SPIFFE_NAMESPACE
                } else {
                    &self.spiffe_namespace
                };
                format!("spiffe://{td}/ns/{ns}/sa/{}.{}", self.domain, self.service)
            }
            _ => format!("spiffe://{}/sa/{}", self.domain, self.service),
        }
    }

    /// `athenz://instanceid/<provider>/<instanceId>`.
    pub fn instance_id_uri(&self) -> String {
        format!("athenz://instanceid/{}/{}", self.provider, self.instance_id)
    }

    /// SAN DNS names in CSR order: per suffix the service name (and its wildcard), then the
    /// hostname, then the cnames; duplicates dropped.
    pub fn dns_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for suffix in &self.dns_domains {
            names.push(self.service_dns_name(suffix));
            if self.wildcard {
                names.push(format!("*.{}", self.service_dns_name(suffix)));
            }
        }
        names.extend(self.hostname.iter().cloned());
        names.extend(self.cnames.iter().cloned());
        let mut seen = std::collections::BTreeSet::new();
        names.retain(|n| !n.is_empty() && seen.insert(n.clone()));
        names
    }
}

/// Builds the PEM CSR for `spec`, signed with `key` (SHA-256 with ECDSA or RSA).
pub fn build_csr(spec: &CsrSpec, key: &PrivateKey) -> Result<String> {
    if spec.domain.is_empty() || spec.service.is_empty() {
        return Err(Error::Csr("domain and service are required".into()));
    }
    if spec.provider.is_empty() || spec.instance_id.is_empty() {
        return Err(Error::Csr("provider and instance id are required".into()));
    }
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CommonName,
        format!("{}.{}", spec.domain, spec.service),
    );
    dn.push(DnType::OrganizationalUnitName, spec.provider.clone());
    params.distinguished_name = dn;
    let mut sans = Vec::new();
    for name in spec.dns_names() {
        sans.push(SanType::DnsName(ia5(name)?));
    }
    sans.push(SanType::URI(ia5(spec.spiffe_uri())?));
    sans.push(SanType::URI(ia5(spec.instance_id_uri())?));
    sans.extend(spec.ips.iter().copied().map(SanType::IpAddress));
    params.subject_alt_names = sans;
    let csr = params
        .serialize_request(key.key_pair())
        .map_err(|e| Error::Csr(format!("unable to sign CSR: {e}")))?;
    csr.pem()
        .map_err(|e| Error::Csr(format!("unable to encode CSR: {e}")))
}

/// What goes into a role certificate CSR (Athenz `util.go` `GenerateRoleCertCSR`). ZTS takes
/// the role from the CN, the requesting principal from the `athenz://principal/` URI, and checks
/// the instance id URI against the caller's own certificate, so it is copied from there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleCsrSpec {
    /// The role's domain.
    pub role_domain: String,
    /// The role's short name.
    pub role: String,
    /// The requesting service's domain.
    pub domain: String,
    /// The requesting service.
    pub service: String,
    /// Provider service name; becomes the subject OU when known.
    pub provider: Option<String>,
    /// `athenz://instanceid/<provider>/<id>`, as in the service certificate, when it has one.
    pub instance_id_uri: Option<String>,
    /// SPIFFE trust domain; selects `spiffe://<td>/ns/<domain>/ra/<role>`.
    pub spiffe_trust_domain: Option<String>,
}

impl RoleCsrSpec {
    /// `<roleDomain>:role.<role>`.
    pub fn common_name(&self) -> String {
        format!("{}:role.{}", self.role_domain, self.role)
    }

    /// `spiffe://<roleDomain>/ra/<role>`, or `spiffe://<td>/ns/<roleDomain>/ra/<role>` with a
    /// trust domain (Athenz `spiffe.go` `FormatRoleURI`).
    pub fn spiffe_uri(&self) -> String {
        match &self.spiffe_trust_domain {
            Some(td) if !td.is_empty() => {
                format!("spiffe://{td}/ns/{}/ra/{}", self.role_domain, self.role)
            }
            _ => format!("spiffe://{}/ra/{}", self.role_domain, self.role),
        }
    }

    /// `athenz://principal/<domain>.<service>`.
    pub fn principal_uri(&self) -> String {
        format!("athenz://principal/{}.{}", self.domain, self.service)
    }
}

/// Builds the PEM role certificate CSR: CN `<roleDomain>:role.<role>`, OU the provider, and the
/// SAN URIs in Athenz's order (spiffe first, then instance id, then principal). No SAN DNS:
/// Athenz's SIA sends none either, and ZTS would only check them against the service cert.
pub fn build_role_csr(spec: &RoleCsrSpec, key: &PrivateKey) -> Result<String> {
    if [&spec.role_domain, &spec.role, &spec.domain, &spec.service]
        .iter()
        .any(|s| s.is_empty())
    {
        return Err(Error::Csr(
            "role domain, role, domain and service are required".into(),
        ));
    }
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, spec.common_name());
    if let Some(p) = spec.provider.as_ref().filter(|p| !p.is_empty()) {
        dn.push(DnType::OrganizationalUnitName, p.clone());
    }
    params.distinguished_name = dn;
    let mut sans = vec![SanType::URI(ia5(spec.spiffe_uri())?)];
    if let Some(u) = spec.instance_id_uri.as_ref().filter(|u| !u.is_empty()) {
        sans.push(SanType::URI(ia5(u.clone())?));
    }
    sans.push(SanType::URI(ia5(spec.principal_uri())?));
    params.subject_alt_names = sans;
    let csr = params
        .serialize_request(key.key_pair())
        .map_err(|e| Error::Csr(format!("unable to sign role CSR: {e}")))?;
    csr.pem()
        .map_err(|e| Error::Csr(format!("unable to encode role CSR: {e}")))
}

fn ia5(s: String) -> Result<Ia5String> {
    Ia5String::try_from(s.clone()).map_err(|_| Error::Csr(format!("`{s}` is not an IA5 string")))
}

#[cfg(test)]
mod tests;
