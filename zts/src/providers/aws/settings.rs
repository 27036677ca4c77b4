//! The `[aws]` table of the ZTS config, named after Athenz's `athenz.zts.aws_*` properties without
//! the prefix (`InstanceAWSProvider`, `InstanceAWSUtils`; reference §3.2), plus our liveness keys.

use openssl::x509::X509;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Athenz's default boot window (`athenz.zts.aws_boot_time_offset`): 300 s.
pub const DEFAULT_BOOT_TIME_OFFSET: i64 = 300;
/// Athenz's default lifetime without a document (`athenz.zts.aws_cert_validity_sts_only`): 7 days.
pub const DEFAULT_CERT_VALIDITY_STS_ONLY_DAYS: u32 = 7;

/// The file form.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAws {
    /// AWS's public certificate(s) for every region without its own (PEM file).
    pub public_cert: Option<PathBuf>,
    /// Region → PEM file; a file may hold several certificates (the DSA one AWS signs `/pkcs7`
    /// with and the RSA one for `/rsa2048`): a signature that verifies against any passes.
    pub public_cert_per_region: Option<BTreeMap<String, PathBuf>>,
    /// DNS suffixes the EC2 provider accepts in SAN DNS names (required for EC2 registrations).
    pub dns_suffix: Option<Vec<String>>,
    /// Seconds after `pendingTime` within which registration is allowed; ≤ 0 disables the check.
    pub boot_time_offset: Option<i64>,
    /// Region of ZTS's STS calls.
    pub region_name: Option<String>,
    /// Certificate lifetime (days) when no instance identity document is sent.
    pub cert_validity_sts_only: Option<u32>,
    /// Every SAN IP must be the document's `privateIp`.
    pub validate_ip_address: Option<bool>,
    /// Ours: confirm with EC2 `DescribeInstances` at register and refresh that the instance exists,
    /// runs and has the document's private IP.
    pub liveness: Option<bool>,
    /// Ours: the IAM role (name, or an ARN with `{account}`) ZTS assumes in the instance's account
    /// for liveness, with its own credentials from the standard AWS chain.
    pub liveness_role: Option<String>,
    /// STS/EC2 call timeout in milliseconds (default 10,000).
    pub timeout_ms: Option<u64>,
}

/// Validated AWS settings with the certificates loaded.
#[derive(Clone)]
pub struct AwsSettings {
    /// Certificates for regions without their own.
    pub default_certs: Vec<X509>,
    /// Per-region certificates.
    pub region_certs: BTreeMap<String, Vec<X509>>,
    /// Accepted DNS suffixes (lowercase, no leading dot).
    pub dns_suffixes: Vec<String>,
    /// Boot window in seconds; ≤ 0 disables.
    pub boot_time_offset: i64,
    /// STS region.
    pub region_name: Option<String>,
    /// Lifetime without a document, minutes.
    pub sts_only_minutes: u32,
    /// SAN IP must equal the document's private IP.
    pub validate_ip_address: bool,
    /// Liveness role when liveness is on.
    pub liveness_role: Option<String>,
    /// Timeout of every AWS call.
    pub timeout: std::time::Duration,
}

impl std::fmt::Debug for AwsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsSettings")
            .field("default_certs", &self.default_certs.len())
            .field("regions", &self.region_certs.keys().collect::<Vec<_>>())
            .field("dns_suffixes", &self.dns_suffixes)
            .field("boot_time_offset", &self.boot_time_offset)
            .field("region_name", &self.region_name)
            .field("liveness_role", &self.liveness_role)
            .finish_non_exhaustive()
    }
}

impl Default for AwsSettings {
    fn default() -> Self {
        Self {
            default_certs: Vec::new(),
            region_certs: BTreeMap::new(),
            dns_suffixes: Vec::new(),
            boot_time_offset: DEFAULT_BOOT_TIME_OFFSET,
            region_name: None,
            sts_only_minutes: DEFAULT_CERT_VALIDITY_STS_ONLY_DAYS * 1440,
            validate_ip_address: false,
            liveness_role: None,
            timeout: std::time::Duration::from_secs(10),
        }
    }
}

fn load_certs(path: &Path, name: &str, errors: &mut Vec<String>) -> Vec<X509> {
    let pem = match std::fs::read(path) {
        Ok(p) => p,
        Err(e) => {
            errors.push(format!("aws.{name}: cannot read {}: {e}", path.display()));
            return Vec::new();
        }
    };
    match X509::stack_from_pem(&pem) {
        Ok(certs) if !certs.is_empty() => certs,
        Ok(_) => {
            errors.push(format!("aws.{name}: no certificate in {}", path.display()));
            Vec::new()
        }
        Err(e) => {
            errors.push(format!("aws.{name}: bad PEM in {}: {e}", path.display()));
            Vec::new()
        }
    }
}

/// Dot-separated labels of letters, digits and inner hyphens.
pub fn is_dns_name(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

impl RawAws {
    /// Checks meaning and loads the certificates; every problem goes to `errors`.
    pub fn validate(self, errors: &mut Vec<String>) -> AwsSettings {
        let default_certs = self
            .public_cert
            .as_deref()
            .map(|p| load_certs(p, "public_cert", errors))
            .unwrap_or_default();
        let mut region_certs = BTreeMap::new();
        for (region, path) in self.public_cert_per_region.unwrap_or_default() {
            let certs = load_certs(&path, &format!("public_cert_per_region.{region}"), errors);
            region_certs.insert(region.to_ascii_lowercase(), certs);
        }
        let mut dns_suffixes = Vec::new();
        for s in self.dns_suffix.unwrap_or_default() {
            let s = s.trim().trim_start_matches('.').to_ascii_lowercase();
            if !is_dns_name(&s) {
                errors.push(format!("aws.dns_suffix: not a DNS suffix: {s:?}"));
            } else {
                dns_suffixes.push(s);
            }
        }
        let liveness = self.liveness.unwrap_or(false);
        let liveness_role = match (liveness, self.liveness_role) {
            (true, Some(r)) if !r.trim().is_empty() => Some(r.trim().to_string()),
            (true, _) => {
                errors.push("aws.liveness_role is required when aws.liveness is true".into());
                None
            }
            (false, _) => None,
        };
        let timeout_ms = self.timeout_ms.unwrap_or(10_000);
        if timeout_ms == 0 {
            errors.push("aws.timeout_ms: must be positive".into());
        }
        AwsSettings {
            default_certs,
            region_certs,
            dns_suffixes,
            boot_time_offset: self.boot_time_offset.unwrap_or(DEFAULT_BOOT_TIME_OFFSET),
            region_name: self.region_name.filter(|r| !r.is_empty()),
            sts_only_minutes: self
                .cert_validity_sts_only
                .unwrap_or(DEFAULT_CERT_VALIDITY_STS_ONLY_DAYS)
                .saturating_mul(1440),
            validate_ip_address: self.validate_ip_address.unwrap_or(false),
            liveness_role,
            timeout: std::time::Duration::from_millis(timeout_ms.max(1)),
        }
    }
}

impl AwsSettings {
    /// The certificates a document from `region` must verify against.
    pub fn certs_for(&self, region: &str) -> &[X509] {
        self.region_certs
            .get(region)
            .map_or(&self.default_certs[..], |c| &c[..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_every_problem() {
        let raw = RawAws {
            public_cert: Some("/nonexistent/aws.pem".into()),
            dns_suffix: Some(vec!["bad suffix!".into(), "aws.example.com".into()]),
            liveness: Some(true),
            timeout_ms: Some(0),
            ..RawAws::default()
        };
        let mut errors = Vec::new();
        let s = raw.validate(&mut errors);
        let all = errors.join("\n");
        for needle in [
            "aws.public_cert",
            "aws.dns_suffix",
            "aws.liveness_role",
            "timeout_ms",
        ] {
            assert!(all.contains(needle), "missing {needle} in {all}");
        }
        assert_eq!(s.dns_suffixes, vec!["aws.example.com".to_string()]);
    }

    #[test]
    fn defaults_follow_athenz() {
        let mut errors = Vec::new();
        let s = RawAws::default().validate(&mut errors);
        assert!(errors.is_empty());
        assert_eq!(s.boot_time_offset, 300);
        assert_eq!(s.sts_only_minutes, 7 * 1440);
        assert!(!s.validate_ip_address);
        assert!(s.liveness_role.is_none());
    }
}
