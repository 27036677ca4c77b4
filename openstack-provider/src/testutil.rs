//! Keys and files for the unit tests.

use std::process::Command;

/// A fresh EC P-256 PKCS#8 PEM key.
pub(crate) fn ec_key_pem() -> String {
    rcgen::KeyPair::generate().unwrap().serialize_pem()
}

/// A fresh RSA 2048 PKCS#8 PEM key (by the `openssl` command).
pub(crate) fn rsa_key_pem() -> String {
    let out = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "openssl genpkey failed");
    String::from_utf8(out.stdout).unwrap()
}

/// A self-signed certificate and its key, PEM.
pub(crate) fn self_signed(cn: &str) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem())
}
