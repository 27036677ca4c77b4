//! What the agent needs to know about a certificate: its validity window (to schedule the
//! refresh) and whether it carries our key (never publish a certificate for another key).

use crate::error::{Error, Result};
use std::time::{Duration, SystemTime};

/// The facts read from an issued certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertInfo {
    /// notBefore.
    pub not_before: SystemTime,
    /// notAfter.
    pub not_after: SystemTime,
}

/// Parses the first PEM certificate of `pem`. When `public_key_raw` is given, the certificate
/// must carry that key.
pub fn inspect(pem: &str, public_key_raw: Option<&[u8]>) -> Result<CertInfo> {
    let (_, p) = x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .map_err(|e| Error::Certificate(format!("not a PEM certificate: {e}")))?;
    let cert = p
        .parse_x509()
        .map_err(|e| Error::Certificate(format!("unparsable certificate: {e}")))?;
    if let Some(raw) = public_key_raw
        && cert.public_key().subject_public_key.data.as_ref() != raw
    {
        return Err(Error::Certificate(
            "the certificate does not carry our public key".into(),
        ));
    }
    let v = cert.validity();
    Ok(CertInfo {
        not_before: to_system_time(v.not_before.timestamp()),
        not_after: to_system_time(v.not_after.timestamp()),
    })
}

/// The SAN URIs of the first PEM certificate of `pem`, in order. A role CSR copies the service
/// certificate's `athenz://instanceid/` URI from here (ZTS requires the two to match).
pub fn san_uris(pem: &str) -> Result<Vec<String>> {
    let (_, p) = x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .map_err(|e| Error::Certificate(format!("not a PEM certificate: {e}")))?;
    let cert = p
        .parse_x509()
        .map_err(|e| Error::Certificate(format!("unparsable certificate: {e}")))?;
    let san = cert
        .subject_alternative_name()
        .map_err(|e| Error::Certificate(format!("unparsable subjectAltName: {e}")))?;
    Ok(san
        .map(|s| {
            s.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    x509_parser::extensions::GeneralName::URI(u) => Some(u.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default())
}

impl CertInfo {
    /// Rejects a certificate that has already expired at `now` (never publish one).
    pub fn check_current(&self, now: SystemTime) -> Result<()> {
        if self.not_after <= now {
            return Err(Error::Certificate("the certificate has expired".into()));
        }
        Ok(())
    }
}

fn to_system_time(secs: i64) -> SystemTime {
    if secs >= 0 {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs())
    } else {
        SystemTime::UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{KeyType, PrivateKey};

    #[test]
    fn reads_validity_and_checks_the_key() {
        let key = PrivateKey::generate(KeyType::Ecdsa).unwrap();
        let other = PrivateKey::generate(KeyType::Ecdsa).unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["x.example.com".into()]).unwrap();
        params.not_before = time::macros::datetime!(2030-01-01 00:00 UTC);
        params.not_after = time::macros::datetime!(2030-01-02 00:00 UTC);
        let pem = params.self_signed(key.key_pair()).unwrap().pem();
        let info = inspect(&pem, Some(key.public_key_raw())).unwrap();
        let nb = SystemTime::UNIX_EPOCH + Duration::from_secs(1_893_456_000);
        assert_eq!(info.not_before, nb);
        assert_eq!(info.not_after, nb + Duration::from_secs(86_400));
        assert!(info.check_current(nb).is_ok());
        assert!(
            info.check_current(nb + Duration::from_secs(86_400))
                .is_err()
        );
        let e = inspect(&pem, Some(other.public_key_raw())).unwrap_err();
        assert!(e.to_string().contains("public key"), "{e}");
        assert!(inspect("garbage", None).is_err());
    }
}
