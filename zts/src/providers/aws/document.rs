//! The EC2 instance identity document and its PKCS7 signature (`InstanceAWSUtils.validateAWSSignature`,
//! `Crypto.validatePKCS7Signature`; reference §3.2). AWS signs `/pkcs7` with DSA-SHA1 and
//! `/rsa2048` with RSA-SHA256; both arrive as the base64 of a SignedData with the document attached.
//! The signature is checked over the document text that was *sent*, not the attached copy, so what
//! ZTS then reads is exactly what AWS signed.

use openssl::pkcs7::{Pkcs7, Pkcs7Flags};
use openssl::stack::Stack;
use openssl::x509::X509;
use openssl::x509::store::X509StoreBuilder;
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The fields of the identity document ZTS uses (AWS documents carry more; they are ignored).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityDocument {
    /// The instance's account.
    pub account_id: String,
    /// Its region.
    pub region: String,
    /// Its id (`i-…`).
    pub instance_id: String,
    /// Its primary private IPv4 address.
    #[serde(default)]
    pub private_ip: Option<String>,
    /// When it was launched (`2016-11-19T16:32:11Z`).
    #[serde(default)]
    pub pending_time: Option<String>,
}

impl IdentityDocument {
    /// Parses the document text.
    pub fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("unable to parse identity document: {e}"))
    }

    /// `pendingTime` as a time.
    pub fn pending(&self) -> Result<OffsetDateTime, String> {
        let t = self
            .pending_time
            .as_deref()
            .ok_or("identity document has no pendingTime")?;
        OffsetDateTime::parse(t, &Rfc3339)
            .map_err(|e| format!("identity document pendingTime {t:?}: {e}"))
    }
}

/// Verifies that `signature` (base64 PKCS7, with or without PEM armour) signs exactly `document`,
/// by any of `certs`.
pub fn verify_signature(document: &str, signature: &str, certs: &[X509]) -> Result<(), String> {
    use base64::Engine as _;
    if certs.is_empty() {
        return Err("no AWS public certificate configured for the document's region".into());
    }
    let body: String = signature
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .flat_map(str::chars)
        .filter(|c| !c.is_whitespace())
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body.as_bytes())
        .map_err(|_| "identity document signature is not base64".to_string())?;
    let p7 = Pkcs7::from_der(&der)
        .map_err(|_| "identity document signature is not a PKCS7 structure".to_string())?;
    let fail = |e: openssl::error::ErrorStack| format!("internal openssl error: {e}");
    let mut stack = Stack::new().map_err(fail)?;
    for c in certs {
        stack.push(c.clone()).map_err(fail)?;
    }
    // The signer is found by issuer and serial among `certs` (NOINTERN: never among certificates
    // the message itself carries); NOVERIFY: AWS's certificates are pinned, not chained.
    let store = X509StoreBuilder::new().map_err(fail)?.build();
    let flags = Pkcs7Flags::NOVERIFY | Pkcs7Flags::NOINTERN | Pkcs7Flags::BINARY;
    p7.verify(&stack, &store, Some(document.as_bytes()), None, flags)
        .map_err(|_| "identity document signature does not verify with the AWS certificate".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::asn1::Asn1Time;
    use openssl::hash::MessageDigest;
    use openssl::pkey::PKey;
    use openssl::rsa::Rsa;
    use openssl::x509::X509NameBuilder;

    /// A self-signed signer; `n` makes its issuer and serial unique, since the signer of a PKCS7
    /// is found by issuer and serial.
    fn signer(n: u32) -> (X509, PKey<openssl::pkey::Private>) {
        let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", &format!("test aws {n}"))
            .unwrap();
        let name = name.build();
        let mut b = X509::builder().unwrap();
        b.set_version(2).unwrap();
        let serial = openssl::bn::BigNum::from_u32(n)
            .unwrap()
            .to_asn1_integer()
            .unwrap();
        b.set_serial_number(&serial).unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(&key).unwrap();
        b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::days_from_now(30).unwrap())
            .unwrap();
        b.sign(&key, MessageDigest::sha256()).unwrap();
        (b.build(), key)
    }

    fn sign(doc: &str, cert: &X509, key: &PKey<openssl::pkey::Private>) -> String {
        let certs = Stack::new().unwrap();
        let flags = Pkcs7Flags::NOCERTS | Pkcs7Flags::BINARY;
        let p7 = Pkcs7::sign(cert, key, &certs, doc.as_bytes(), flags).unwrap();
        let pem = String::from_utf8(p7.to_pem().unwrap()).unwrap();
        pem.lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    const DOC: &str = r#"{"accountId":"123456789012","region":"us-west-2","instanceId":"i-0abc","privateIp":"10.0.0.5","pendingTime":"2026-12-04T00:00:00Z"}"#;

    #[test]
    fn verifies_the_sent_document_only() {
        let (cert, key) = signer(1);
        let sig = sign(DOC, &cert, &key);
        verify_signature(DOC, &sig, std::slice::from_ref(&cert)).unwrap();
        let tampered = DOC.replace("123456789012", "999999999999");
        assert!(verify_signature(&tampered, &sig, std::slice::from_ref(&cert)).is_err());
        let (other, _) = signer(2);
        assert!(verify_signature(DOC, &sig, std::slice::from_ref(&other)).is_err());
        // Any of several certificates may be the signer.
        verify_signature(DOC, &sig, &[other, cert.clone()]).unwrap();
        assert!(verify_signature(DOC, "not base64!", std::slice::from_ref(&cert)).is_err());
        assert!(verify_signature(DOC, &sig, &[]).is_err());
    }

    /// A genuine EC2 `/pkcs7` (DSA-SHA1, BER, attached) against AWS's published us-east-1 DSA
    /// certificate: the format real instances send.
    #[test]
    fn verifies_a_real_aws_document() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/aws/");
        let read = |f: &str| std::fs::read_to_string(format!("{dir}{f}")).unwrap();
        let certs = X509::stack_from_pem(read("us-east-1-dsa.cert.pem").as_bytes()).unwrap();
        let doc = read("us-east-1-identity.document");
        let sig = read("us-east-1-identity.pkcs7");
        verify_signature(&doc, &sig, &certs).unwrap();
        let d = IdentityDocument::parse(&doc).unwrap();
        assert_eq!(
            (d.account_id.as_str(), d.instance_id.as_str()),
            ("121659014334", "i-f79fe56c")
        );
        assert!(verify_signature(&doc.replace("t2.micro", "t2.large"), &sig, &certs).is_err());
    }

    #[test]
    fn parses_the_document() {
        let d = IdentityDocument::parse(DOC).unwrap();
        assert_eq!(d.account_id, "123456789012");
        assert_eq!(d.private_ip.as_deref(), Some("10.0.0.5"));
        assert_eq!(d.pending().unwrap().unix_timestamp(), 1_796_342_400);
        assert!(IdentityDocument::parse("{}").is_err());
    }
}
