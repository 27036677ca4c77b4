//! Role certificates issued by a test CA: decisions, issuer checks, validity, and the CN forms
//! that name no domain or role.

use super::*;
use crate::{AccessResult, Reason};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair, SanType,
    date_time_ymd,
};

/// A CA named `C=US, O=Athenz, CN=<cn>` (encoded in that order, which Java prints reversed).
fn ca(cn: &str) -> Issuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CountryName, "US");
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Athenz");
    params.distinguished_name.push(DnType::CommonName, cn);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    Issuer::new(params, KeyPair::generate().unwrap())
}

/// A role certificate with subject `cn` (none when `None`), signed by `issuer`.
fn role_cert(
    issuer: &Issuer<'static, KeyPair>,
    cn: Option<&str>,
    validity: Option<(i32, i32)>,
) -> Vec<u8> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    // not rcgen's default CN
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Athenz");
    if let Some(cn) = cn {
        params.distinguished_name.push(DnType::CommonName, cn);
    }
    params.subject_alt_names.push(SanType::URI(
        "spiffe://weather/ra/readers".try_into().unwrap(),
    ));
    params.subject_alt_names.push(SanType::URI(
        "athenz://principal/sports.api".try_into().unwrap(),
    ));
    if let Some((from, to)) = validity {
        params.not_before = date_time_ymd(from, 1, 1);
        params.not_after = date_time_ymd(to, 1, 1);
    }
    let key = KeyPair::generate().unwrap();
    params.signed_by(&key, issuer).unwrap().der().to_vec()
}

fn store(issuers: &[&str]) -> PolicyStore {
    let k = key();
    let config = ZpeConfig {
        x509_ca_issuers: issuers.iter().map(|i| i.to_string()).collect(),
        ..ZpeConfig::default()
    };
    let s = PolicyStore::new(keys_with("0", &k), config);
    let data = signed_data(
        "weather",
        vec![
            allow("weather:role.readers", "read", "weather:*"),
            deny("weather:role.readers", "read", "weather:secret"),
        ],
        now_ms() + HOUR_MS,
    );
    s.load_policy_bytes(&legacy_file(&data, &k, "0")).unwrap();
    s
}

#[test]
fn role_certificate_decides() {
    let s = store(&[]);
    let cert = role_cert(&ca("Athenz CA"), Some("weather:role.readers"), None);
    assert_eq!(
        s.allow_role_cert(&cert, "read", "weather:forecast"),
        (AccessResult::Allow, Reason::Allow)
    );
    assert_eq!(
        s.allow_role_cert(&cert, "READ", "Weather:Forecast").1,
        Reason::Allow
    );
    assert_eq!(
        s.allow_role_cert(&cert, "read", "weather:secret"),
        (AccessResult::Deny, Reason::Deny)
    );
    assert_eq!(
        s.allow_role_cert(&cert, "write", "weather:forecast").1,
        Reason::DenyNoMatch
    );
    assert_eq!(
        s.allow_role_cert(&cert, "", "weather:forecast").1,
        Reason::DenyInvalidParameters
    );
    // the same answers as the role itself
    assert_eq!(
        s.allow_role_cert(&cert, "read", "weather:forecast"),
        s.allow_roles("weather", &["readers"], "read", "weather:forecast")
    );
    let writer = role_cert(&ca("Athenz CA"), Some("weather:role.writers"), None);
    assert_eq!(
        s.allow_role_cert(&writer, "read", "weather:forecast").1,
        Reason::DenyNoMatch
    );
    let elsewhere = role_cert(&ca("Athenz CA"), Some("sports:role.readers"), None);
    assert_eq!(
        s.allow_role_cert(&elsewhere, "read", "sports:x").1,
        Reason::DenyDomainNotFound
    );
    // role certificates are not cached tokens
    assert_eq!(s.cached_tokens(), 0);
}

#[test]
fn configured_issuers() {
    let athenz = ca("Athenz CA");
    let cert = role_cert(&athenz, Some("weather:role.readers"), None);
    for issuers in [
        &["CN=Athenz CA,O=Athenz,C=US"][..],
        &["C=US, O=Athenz, CN=Athenz CA"],
        &[
            "CN=Other CA,O=Athenz,C=US",
            " cn=athenz ca, o=athenz, c=us ",
        ],
    ] {
        assert_eq!(
            store(issuers)
                .allow_role_cert(&cert, "read", "weather:forecast")
                .1,
            Reason::Allow,
            "{issuers:?}"
        );
    }
    for issuers in [
        &["CN=Other CA,O=Athenz,C=US"][..],
        &["CN=Athenz CA,O=Athenz"],
        &["CN=Athenz CA,O=Athenz,C=US,OU=x"],
        // a name that does not parse still turns the check on
        &["not a distinguished name"],
    ] {
        assert_eq!(
            store(issuers).allow_role_cert(&cert, "read", "weather:forecast"),
            (AccessResult::Deny, Reason::DenyCertMismatchIssuer),
            "{issuers:?}"
        );
    }
    let other = role_cert(&ca("Other CA"), Some("weather:role.readers"), None);
    assert_eq!(
        store(&["CN=Athenz CA,O=Athenz,C=US"])
            .allow_role_cert(&other, "read", "weather:forecast")
            .1,
        Reason::DenyCertMismatchIssuer
    );
    // blank entries configure nothing
    assert_eq!(
        store(&["", "  "])
            .allow_role_cert(&other, "read", "weather:forecast")
            .1,
        Reason::Allow
    );
}

#[test]
fn validity_is_checked() {
    let s = store(&[]);
    let athenz = ca("Athenz CA");
    let expired = role_cert(&athenz, Some("weather:role.readers"), Some((1999, 2000)));
    assert_eq!(
        s.allow_role_cert(&expired, "read", "weather:forecast"),
        (AccessResult::Deny, Reason::DenyCertExpired)
    );
    let future = role_cert(&athenz, Some("weather:role.readers"), Some((3000, 3001)));
    assert_eq!(
        s.allow_role_cert(&future, "read", "weather:forecast").1,
        Reason::DenyCertExpired
    );
    // the token clock offset applies to notBefore, not to notAfter
    let cert = role_cert(&athenz, Some("weather:role.readers"), Some((2000, 2100)));
    let not_before = 946_684_800_000; // 2000-01-01
    for (now, reason) in [
        (not_before - 200_000, Reason::Allow),
        (not_before - 400_000, Reason::DenyCertExpired),
        (4_102_444_800_000, Reason::Allow), // 2100-01-01, the last valid second
        (4_102_444_801_000, Reason::DenyCertExpired),
    ] {
        assert_eq!(
            s.allow_role_cert_at(&cert, "read", "weather:forecast", now)
                .1,
            reason,
            "{now}"
        );
    }
}

#[test]
fn subjects_without_domain_or_role() {
    let s = store(&[]);
    let athenz = ca("Athenz CA");
    for (cn, reason) in [
        (Some("weather.api"), Reason::DenyCertMissingRoleName),
        (Some("weather:role."), Reason::DenyCertMissingRoleName),
        (Some("weather:readers"), Reason::DenyCertMissingRoleName),
        (Some(":role.readers"), Reason::DenyCertMissingDomain),
        (Some(""), Reason::DenyCertMissingSubject),
        (None, Reason::DenyCertMissingSubject),
    ] {
        let cert = role_cert(&athenz, cn, None);
        assert_eq!(
            s.allow_role_cert(&cert, "read", "weather:forecast"),
            (AccessResult::Deny, reason),
            "{cn:?}"
        );
    }
    // not a certificate at all, or one with bytes after it
    let mut trailing = role_cert(&athenz, Some("weather:role.readers"), None);
    trailing.push(0);
    for der in [&b""[..], b"garbage", &trailing] {
        assert_eq!(
            s.allow_role_cert(der, "read", "weather:forecast").1,
            Reason::DenyCertMissingSubject
        );
    }
}
