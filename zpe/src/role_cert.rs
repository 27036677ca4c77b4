//! Role certificates (reference `athenz.md` §1.6, §6.2): what Athenz
//! `AuthZpeClient.allowAccess(X509Certificate, resource, action)` reads from one.
//!
//! ZTS issues a role certificate with subject CN `<domain>:role.<role>` (and SAN URIs
//! `spiffe://<domain>/ra/<role>`, `athenz://principal/<service>`); Java takes the domain and
//! the single role from the CN alone, after checking the issuer against
//! `athenz.zpe.x509.ca.issuers` when that list is configured. The certificate's signature and
//! chain are not verified here, nor in Java: the certificate is the client certificate of a TLS
//! connection the server already authenticated against its trust store.
//!
//! On top of Java, a certificate outside its notBefore/notAfter (with the token clock offset
//! allowed on notBefore) is refused, as DENY_CERT_EXPIRED: a TLS layer checks that too, but a
//! certificate cached by the caller or passed along by a proxy may not have been checked now.

use crate::Reason;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::x509::X509Name;

/// Java's `ROLE_SEARCH` / `AuthorityConsts.ROLE_SEP`.
const ROLE_SEP: &str = ":role.";

/// The domain and role a role certificate grants, borrowed from its DER.
pub(crate) fn roles_of<'a>(
    cert_der: &'a [u8],
    issuers: Option<&[NormalizedDn]>,
    allowed_offset_secs: i64,
    now_secs: i64,
) -> Result<(&'a str, &'a str), Reason> {
    // An unparsable certificate has no subject to read.
    let cert = match X509Certificate::from_der(cert_der) {
        Ok(([], cert)) => cert,
        _ => return Err(Reason::DenyCertMissingSubject),
    };
    // `None`: no issuers configured, no check (`certIssuerMatch`).
    if let Some(issuers) = issuers {
        let issuer = NormalizedDn::from_x509(cert.issuer());
        if !issuer.is_some_and(|i| issuers.contains(&i)) {
            return Err(Reason::DenyCertMismatchIssuer);
        }
    }
    let validity = cert.validity();
    if now_secs + allowed_offset_secs < validity.not_before.timestamp()
        || now_secs > validity.not_after.timestamp()
    {
        return Err(Reason::DenyCertExpired);
    }
    // `Crypto.extractX509CertCommonName`: the first CN.
    // Through the field: `subject()` would tie the name to `cert`, not to `cert_der`.
    let subject = cert
        .tbs_certificate
        .subject
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .filter(|cn| !cn.is_empty())
        .ok_or(Reason::DenyCertMissingSubject)?;
    let (domain, role) = subject
        .split_once(ROLE_SEP)
        .ok_or(Reason::DenyCertMissingRoleName)?;
    if domain.is_empty() {
        return Err(Reason::DenyCertMissingDomain);
    }
    if role.is_empty() {
        return Err(Reason::DenyCertMissingRoleName);
    }
    Ok((domain, role))
}

/// A distinguished name reduced to what Athenz compares: its attributes as (type OID, value)
/// pairs in any order, values with whitespace removed and case folded.
///
/// Java `AuthZpeClient.issuerMatch` accepts an issuer when its RFC 2253 string with all
/// whitespace removed equals a configured name with whitespace removed, or when both have the
/// same set of RDNs (`LdapName.getRdns`, case-insensitive values). Comparing attribute sets
/// accepts both, whatever the order the name is written in: Java's RFC 2253 order
/// (`CN=Athenz CA,O=Athenz,C=US`) and the encoding order x509-parser prints
/// (`C=US, O=Athenz, CN=Athenz CA`). Only string-valued attributes are compared; an issuer with
/// another kind of value never matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NormalizedDn(Vec<(String, String)>);

impl NormalizedDn {
    /// Parses a configured name (RFC 4514/2253, with `\` escapes, `"` quoting, `,` or `;`
    /// between RDNs and `+` inside one). `None` when it is not a name.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let mut attrs = Vec::new();
        let mut rest = text;
        loop {
            let (ty, after) = rest.split_once('=')?;
            let (value, next) = read_value(after)?;
            attrs.push((attribute_oid(ty), normalize(&value)));
            match next {
                Some(n) => rest = n,
                None => break,
            }
        }
        attrs.sort();
        Some(Self(attrs))
    }

    /// The certificate's name.
    pub(crate) fn from_x509(name: &X509Name<'_>) -> Option<Self> {
        let mut attrs = Vec::new();
        for attr in name.iter_attributes() {
            let value = attr.as_str().ok()?;
            attrs.push((attr.attr_type().to_id_string(), normalize(value)));
        }
        if attrs.is_empty() {
            return None;
        }
        attrs.sort();
        Some(Self(attrs))
    }
}

fn normalize(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The dotted OID of an attribute type keyword (RFC 4514 §3, plus the names Java and
/// x509-parser print); an unknown keyword is kept as is and so never matches a certificate.
fn attribute_oid(keyword: &str) -> String {
    let keyword = keyword.trim();
    let dotted = keyword
        .strip_prefix("OID.")
        .or_else(|| keyword.strip_prefix("oid."))
        .unwrap_or(keyword);
    if dotted.starts_with(|c: char| c.is_ascii_digit()) {
        return dotted.to_string();
    }
    let oid = match keyword.to_ascii_uppercase().as_str() {
        "CN" => "2.5.4.3",
        "SERIALNUMBER" => "2.5.4.5",
        "C" => "2.5.4.6",
        "L" => "2.5.4.7",
        "ST" | "S" => "2.5.4.8",
        "STREET" => "2.5.4.9",
        "O" => "2.5.4.10",
        "OU" => "2.5.4.11",
        "T" | "TITLE" => "2.5.4.12",
        "DC" => "0.9.2342.19200300.100.1.25",
        "UID" => "0.9.2342.19200300.100.1.1",
        "E" | "EMAIL" | "EMAILADDRESS" => "1.2.840.113549.1.9.1",
        _ => keyword,
    };
    oid.to_string()
}

/// Reads one attribute value up to an unescaped, unquoted `,` `;` or `+`; returns it unescaped
/// and what follows the separator (`None` at the end).
fn read_value(text: &str) -> Option<(String, Option<&str>)> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut quoted = false;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                    }
                    None => {
                        out.push(*bytes.get(i + 1)?);
                        i += 2;
                    }
                }
                continue;
            }
            b'"' => quoted = !quoted,
            b',' | b';' | b'+' if !quoted => {
                let value = String::from_utf8(out).ok()?;
                return Some((value, text.get(i + 1..)));
            }
            _ => out.push(b),
        }
        i += 1;
    }
    if quoted {
        return None;
    }
    Some((String::from_utf8(out).ok()?, None))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::NormalizedDn;

    #[test]
    fn names_compare_as_attribute_sets() {
        let java = NormalizedDn::parse("CN=Athenz CA,O=Athenz,C=US").unwrap();
        for same in [
            "C=US, O=Athenz, CN=Athenz CA",
            "cn = athenz ca ; o=ATHENZ ; c=us",
            "OID.2.5.4.3=AthenzCA,2.5.4.10=Athenz,C=US",
            r#"CN="Athenz CA",O=Athenz,C=US"#,
            r"CN=Athenz\20CA,O=Athenz,C=US",
        ] {
            assert_eq!(NormalizedDn::parse(same).unwrap(), java, "{same}");
        }
        for other in [
            "CN=Athenz CA,O=Athenz",
            "CN=Athenz CA,O=Athenz,C=US,OU=x",
            "CN=Other CA,O=Athenz,C=US",
        ] {
            assert_ne!(NormalizedDn::parse(other).unwrap(), java, "{other}");
        }
        let escaped = NormalizedDn::parse(r"CN=a\,b+O=x").unwrap();
        assert_eq!(escaped, NormalizedDn::parse("O=x,CN=a\\2cb").unwrap());
        assert!(NormalizedDn::parse("no equals sign").is_none());
        assert!(NormalizedDn::parse(r#"CN="unterminated"#).is_none());
        assert!(NormalizedDn::parse(r"CN=trailing\").is_none());
    }
}
