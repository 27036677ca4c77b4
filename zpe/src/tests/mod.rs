//! Tests: policy files signed here with generated keys in both forms, every reason code,
//! refusals, role tokens, access tokens and their certificate binding, role certificates, key
//! files, the directory store, and a differential test against ZMS's evaluator.

mod access_tokens;
mod decisions;
mod differential;
mod files;
mod key_files;
mod role_certs;
mod store_dir;
mod tokens;

use crate::{KeyStore, PolicyStore, ZpeConfig};
use model::Timestamp;
use model::crypto::{JwsSignatureFormat, SigningKey, sign_flattened_jws};
use model::zms::{Assertion, AssertionEffect, Policy};
use model::zts_policy::{DomainSignedPolicyData, PolicyData, SignedPolicyData};
use model::zts_token::{AccessTokenClaims, Confirmation};

pub(crate) const HOUR_MS: i64 = 3_600_000;

pub(crate) fn key() -> SigningKey {
    SigningKey::from_pem(&rcgen::KeyPair::generate().unwrap().serialize_pem()).unwrap()
}

/// An RSA 2048 signing key (ZTS may sign with RSA: RS256 tokens, RSA policy signatures).
pub(crate) fn rsa_key() -> SigningKey {
    let rsa = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let der =
        aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der<'_>>::as_der(&rsa).unwrap();
    let pem = rcgen::KeyPair::try_from(der.as_ref())
        .unwrap()
        .serialize_pem();
    SigningKey::from_pem(&pem).unwrap()
}

pub(crate) fn keys_with(id: &str, key: &SigningKey) -> KeyStore {
    let mut keys = KeyStore::new();
    keys.add_zts_key(id, key.verifying_key().clone());
    keys
}

pub(crate) fn assertion(
    effect: AssertionEffect,
    role: &str,
    action: &str,
    resource: &str,
) -> Assertion {
    Assertion {
        role: role.into(),
        resource: resource.into(),
        action: action.into(),
        effect: Some(effect),
        id: None,
        case_sensitive: None,
    }
}

pub(crate) fn allow(role: &str, action: &str, resource: &str) -> Assertion {
    assertion(AssertionEffect::Allow, role, action, resource)
}

pub(crate) fn deny(role: &str, action: &str, resource: &str) -> Assertion {
    assertion(AssertionEffect::Deny, role, action, resource)
}

pub(crate) fn signed_data(
    domain: &str,
    assertions: Vec<Assertion>,
    expires_ms: i64,
) -> SignedPolicyData {
    SignedPolicyData {
        policy_data: PolicyData {
            domain: domain.into(),
            policies: vec![Policy {
                name: format!("{domain}:policy.p"),
                modified: Some(Timestamp::from_millis(1_600_000_000_000)),
                assertions,
                ..Policy::default()
            }],
        },
        zms_signature: Some(String::new()),
        zms_key_id: Some(String::new()),
        modified: Timestamp::from_millis(1_600_000_000_000),
        expires: Timestamp::from_millis(expires_ms),
    }
}

/// The legacy file as ZPU writes it.
pub(crate) fn legacy_file(data: &SignedPolicyData, key: &SigningKey, key_id: &str) -> Vec<u8> {
    let signature = key
        .sign_ybase64(data.canonical_signable().unwrap().as_bytes())
        .unwrap();
    serde_json::to_vec(&DomainSignedPolicyData {
        signed_policy_data: data.clone(),
        signature,
        key_id: key_id.into(),
    })
    .unwrap()
}

/// The JWS file as `POST /domain/{d}/policy/signed` returns it.
pub(crate) fn jws_file(
    data: &SignedPolicyData,
    key: &SigningKey,
    key_id: &str,
    format: JwsSignatureFormat,
) -> Vec<u8> {
    let payload = serde_json::to_vec(data).unwrap();
    serde_json::to_vec(&sign_flattened_jws(key, key_id, &payload, format).unwrap()).unwrap()
}

/// A role token signed like ZTS does.
pub(crate) fn role_token(
    key: &SigningKey,
    key_id: &str,
    domain: &str,
    roles: &str,
    issued: i64,
    expiry: i64,
) -> String {
    let unsigned = format!(
        "v=Z1;d={domain};r={roles};p=user.jane;h=zts.example;a=1a2b3c4d;t={issued};e={expiry};k={key_id};i=10.0.0.1"
    );
    let sig = key.sign_ybase64(unsigned.as_bytes()).unwrap();
    format!("{unsigned};s={sig}")
}

pub(crate) fn now_ms() -> i64 {
    Timestamp::now().millis()
}

/// A store with `data` loaded from a legacy file signed by a fresh key `"0"`.
pub(crate) fn store_with(data: &SignedPolicyData) -> (PolicyStore, SigningKey) {
    let k = key();
    let store = PolicyStore::new(keys_with("0", &k), ZpeConfig::default());
    store
        .load_policy_bytes(&legacy_file(data, &k, "0"))
        .unwrap();
    (store, k)
}

/// Access-token claims as ZTS writes them for `aud` and `roles`, valid from `iat` to `exp`.
pub(crate) fn access_claims(aud: &str, roles: &[&str], iat: i64, exp: i64) -> AccessTokenClaims {
    AccessTokenClaims {
        ver: 1,
        jti: "5b6f3b8e-2c1d-4a8e-9d1f-0e7c2a4b6d8f".into(),
        aud: aud.into(),
        client_id: "sports.api".into(),
        uid: "sports.api".into(),
        sub: "sports.api".into(),
        iss: "https://zts.example:4443/zts/v1".into(),
        iat,
        auth_time: iat,
        exp,
        scp: roles.iter().map(|r| r.to_string()).collect(),
        proxy: None,
        cnf: None,
    }
}

/// `claims` bound to the certificate `cert_der` (`cnf` `x5t#S256`).
pub(crate) fn bound(mut claims: AccessTokenClaims, cert_der: &[u8]) -> AccessTokenClaims {
    claims.cnf = Some(Confirmation {
        x5t_s256: Some(cert_hash(cert_der)),
    });
    claims
}

/// An access token signed like ZTS does (`typ: at+jwt`).
pub(crate) fn access_token(key: &SigningKey, kid: &str, claims: &AccessTokenClaims) -> String {
    model::jwt::sign(key, kid, "at+jwt", claims).unwrap()
}

/// RFC 8705 thumbprint: base64url (no padding) of the SHA-256 of the certificate DER.
pub(crate) fn cert_hash(cert_der: &[u8]) -> String {
    use base64::Engine as _;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, cert_der);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}
