use super::*;
use crate::keys::KeyType;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;

struct Parsed {
    cn: Vec<String>,
    ou: Vec<String>,
    dns: Vec<String>,
    uris: Vec<String>,
    ips: Vec<Vec<u8>>,
    public_key: Vec<u8>,
}

fn parse(pem: &str) -> Parsed {
    let (_, p) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).unwrap();
    assert_eq!(p.label, "CERTIFICATE REQUEST");
    let (rest, req) =
        x509_parser::certification_request::X509CertificationRequest::from_der(&p.contents)
            .unwrap();
    assert!(rest.is_empty());
    req.verify_signature().unwrap();
    let info = &req.certification_request_info;
    let attr = |oid| {
        info.subject
            .iter_by_oid(oid)
            .map(|a| a.as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let mut out = Parsed {
        cn: attr(&x509_parser::oid_registry::OID_X509_COMMON_NAME),
        ou: attr(&x509_parser::oid_registry::OID_X509_ORGANIZATIONAL_UNIT),
        dns: vec![],
        uris: vec![],
        ips: vec![],
        public_key: info.subject_pki.subject_public_key.data.to_vec(),
    };
    for ext in req.requested_extensions().into_iter().flatten() {
        if let ParsedExtension::SubjectAlternativeName(san) = ext {
            for n in &san.general_names {
                match n {
                    GeneralName::DNSName(d) => out.dns.push(d.to_string()),
                    GeneralName::URI(u) => out.uris.push(u.to_string()),
                    GeneralName::IPAddress(ip) => out.ips.push(ip.to_vec()),
                    other => panic!("unexpected SAN {other:?}"),
                }
            }
        }
    }
    out
}

fn spec() -> CsrSpec {
    CsrSpec {
        domain: "sports.api".into(),
        service: "web".into(),
        provider: "athenz.aws.us-west-2".into(),
        instance_id: "i-0abc".into(),
        dns_domains: vec!["aws.example.com".into(), "cloud.example.net".into()],
        ips: vec!["10.1.2.3".parse().unwrap()],
        ..Default::default()
    }
}

#[test]
fn csr_carries_every_athenz_field_in_order() {
    for kind in [KeyType::Ecdsa, KeyType::Rsa] {
        let key = PrivateKey::generate(kind).unwrap();
        let p = parse(&build_csr(&spec(), &key).unwrap());
        assert_eq!(p.cn, ["sports.api.web"]);
        assert_eq!(p.ou, ["athenz.aws.us-west-2"]);
        assert_eq!(
            p.dns,
            [
                "web.sports-api.aws.example.com",
                "web.sports-api.cloud.example.net"
            ]
        );
        assert_eq!(
            p.uris,
            [
                "spiffe://sports.api/sa/web",
                "athenz://instanceid/athenz.aws.us-west-2/i-0abc"
            ]
        );
        assert_eq!(p.ips, [vec![10u8, 1, 2, 3]]);
        assert_eq!(p.public_key, key.public_key_raw());
    }
}

#[test]
fn wildcard_hostname_cnames_and_trust_domain() {
    let mut s = spec();
    s.dns_domains.truncate(1);
    s.wildcard = true;
    s.hostname = Some("host1.example.com".into());
    s.cnames = vec!["alias.example.com".into(), "host1.example.com".into()];
    s.spiffe_trust_domain = Some("athenz.io".into());
    s.spiffe_namespace = DEFAULT_SPIFFE_NAMESPACE.into();
    s.ips.push("fd00::1".parse().unwrap());
    let key = PrivateKey::generate(KeyType::Ecdsa).unwrap();
    let p = parse(&build_csr(&s, &key).unwrap());
    assert_eq!(
        p.dns,
        [
            "web.sports-api.aws.example.com",
            "*.web.sports-api.aws.example.com",
            "host1.example.com",
            "alias.example.com"
        ]
    );
    assert_eq!(
        p.uris,
        [
            "spiffe://athenz.io/ns/default/sa/sports.api.web",
            "athenz://instanceid/athenz.aws.us-west-2/i-0abc"
        ]
    );
    assert_eq!(p.ips.len(), 2);
    assert_eq!(p.ips[1].len(), 16);
}

#[test]
fn missing_names_are_refused() {
    let key = PrivateKey::generate(KeyType::Ecdsa).unwrap();
    let mut s = spec();
    s.instance_id.clear();
    assert!(matches!(build_csr(&s, &key), Err(Error::Csr(_))));
    let mut s = spec();
    s.domain.clear();
    assert!(matches!(build_csr(&s, &key), Err(Error::Csr(_))));
}

fn role_spec() -> RoleCsrSpec {
    RoleCsrSpec {
        role_domain: "media.news".into(),
        role: "readers".into(),
        domain: "sports.api".into(),
        service: "web".into(),
        provider: Some("athenz.aws.us-west-2".into()),
        instance_id_uri: Some("athenz://instanceid/athenz.aws.us-west-2/i-0abc".into()),
        spiffe_trust_domain: None,
    }
}

#[test]
fn role_csr_carries_the_role_and_the_principal() {
    for kind in [KeyType::Ecdsa, KeyType::Rsa] {
        let key = PrivateKey::generate(kind).unwrap();
        let p = parse(&build_role_csr(&role_spec(), &key).unwrap());
        assert_eq!(p.cn, ["media.news:role.readers"]);
        assert_eq!(p.ou, ["athenz.aws.us-west-2"]);
        assert!(p.dns.is_empty() && p.ips.is_empty());
        assert_eq!(
            p.uris,
            [
                "spiffe://media.news/ra/readers",
                "athenz://instanceid/athenz.aws.us-west-2/i-0abc",
                "athenz://principal/sports.api.web"
            ]
        );
        assert_eq!(p.public_key, key.public_key_raw());
    }
}

#[test]
fn role_csr_without_instance_uses_the_trust_domain_form() {
    let mut s = role_spec();
    s.provider = None;
    s.instance_id_uri = None;
    s.spiffe_trust_domain = Some("athenz.io".into());
    let key = PrivateKey::generate(KeyType::Ecdsa).unwrap();
    let p = parse(&build_role_csr(&s, &key).unwrap());
    assert!(p.ou.is_empty());
    assert_eq!(
        p.uris,
        [
            "spiffe://athenz.io/ns/media.news/ra/readers",
            "athenz://principal/sports.api.web"
        ]
    );
    s.role.clear();
    assert!(matches!(build_role_csr(&s, &key), Err(Error::Csr(_))));
}
