use super::*;
use crate::testutil::{ec_key_pem, rsa_key_pem};

const ISS: &str = "sys.openstack.cluster1";
const NOW: i64 = 1_800_000_000;

fn claims() -> Claims {
    Claims {
        iss: ISS.into(),
        sub: "6f1c7c0e-1111-2222-3333-444455556666".into(),
        project_id: "p1".into(),
        hostname: "vm1".into(),
        image_id: "img".into(),
        domain: "weather".into(),
        service: "api".into(),
        iat: NOW,
        exp: NOW + 3600,
    }
}

fn expect(now: i64, check_expiry: bool) -> Expect<'static> {
    Expect {
        issuer: ISS,
        now,
        check_expiry,
    }
}

fn b64json(seg: &str) -> serde_json::Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(seg).unwrap()).unwrap()
}

fn roundtrip(pem: &str, alg: &str) {
    let key = SigningKey::from_pem(pem).unwrap();
    let token = sign(&key, "7", &claims()).unwrap();
    assert!(!token.contains('='), "no padding");
    let segs: Vec<&str> = token.split('.').collect();
    assert_eq!(segs.len(), 3);
    assert_eq!(
        b64json(segs[0]),
        serde_json::json!({"alg": alg, "typ": "JWT", "kid": "7"})
    );
    assert_eq!(b64json(segs[1])["project_id"], "p1");
    let got = verify(key.verifying_key(), &token, expect(NOW + 10, true)).unwrap();
    assert_eq!(got, claims());
}

#[test]
fn roundtrip_ec() {
    roundtrip(&ec_key_pem(), "ES256");
}

#[test]
fn roundtrip_rsa() {
    roundtrip(&rsa_key_pem(), "RS256");
}

#[test]
fn tampered_claims_fail_the_signature() {
    let key = SigningKey::from_pem(&ec_key_pem()).unwrap();
    let token = sign(&key, "0", &claims()).unwrap();
    let segs: Vec<&str> = token.split('.').collect();
    let mut other = claims();
    other.sub = "another-instance".into();
    let forged = format!(
        "{}.{}.{}",
        segs[0],
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&other).unwrap()),
        segs[2]
    );
    assert_eq!(
        verify(key.verifying_key(), &forged, expect(NOW, true)),
        Err(TokenError::BadSignature)
    );
}

#[test]
fn another_key_fails_the_signature() {
    let ours = SigningKey::from_pem(&ec_key_pem()).unwrap();
    let theirs = SigningKey::from_pem(&ec_key_pem()).unwrap();
    let token = sign(&theirs, "0", &claims()).unwrap();
    assert_eq!(
        verify(ours.verifying_key(), &token, expect(NOW, true)),
        Err(TokenError::BadSignature)
    );
    // An RSA-signed token against an EC key is refused by its algorithm.
    let rsa = SigningKey::from_pem(&rsa_key_pem()).unwrap();
    let token = sign(&rsa, "0", &claims()).unwrap();
    assert_eq!(
        verify(ours.verifying_key(), &token, expect(NOW, true)),
        Err(TokenError::Algorithm("RS256".into()))
    );
}

#[test]
fn alg_none_is_refused() {
    let key = SigningKey::from_pem(&ec_key_pem()).unwrap();
    let token = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims()).unwrap())
    );
    assert_eq!(
        verify(key.verifying_key(), &token, expect(NOW, true)),
        Err(TokenError::Algorithm("none".into()))
    );
}

#[test]
fn wrong_issuer() {
    let key = SigningKey::from_pem(&ec_key_pem()).unwrap();
    let mut c = claims();
    c.iss = "sys.openstack.cluster2".into();
    let token = sign(&key, "0", &c).unwrap();
    let err = verify(key.verifying_key(), &token, expect(NOW, true)).unwrap_err();
    assert!(matches!(err, TokenError::WrongIssuer { .. }), "{err}");
    assert!(err.to_string().contains("sys.openstack.cluster2"));
}

#[test]
fn expiry_is_checked_only_when_asked() {
    let key = SigningKey::from_pem(&ec_key_pem()).unwrap();
    let token = sign(&key, "0", &claims()).unwrap();
    let later = NOW + 3600;
    assert_eq!(
        verify(key.verifying_key(), &token, expect(later, true)),
        Err(TokenError::Expired {
            exp: NOW + 3600,
            now: later
        })
    );
    // Refresh: the token's lifetime bounds registration only.
    assert_eq!(
        verify(key.verifying_key(), &token, expect(later + 86_400, false)).unwrap(),
        claims()
    );
}

#[test]
fn malformed_tokens() {
    let key = SigningKey::from_pem(&ec_key_pem()).unwrap();
    let good = sign(&key, "0", &claims()).unwrap();
    for bad in ["", "a.b", "a.b.c.d", "!!!.e30.AA", &format!("{good}.x")] {
        let err = verify(key.verifying_key(), bad, expect(NOW, true)).unwrap_err();
        assert!(matches!(err, TokenError::Malformed(_)), "{bad:?}: {err}");
    }
    // A well-signed token whose claims are not ours.
    let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"ES256"}"#);
    let p = URL_SAFE_NO_PAD.encode(br#"{"iss":"x"}"#);
    let input = format!("{h}.{p}");
    let sig = URL_SAFE_NO_PAD.encode(key.sign_jws(input.as_bytes()).unwrap());
    assert_eq!(
        verify(
            key.verifying_key(),
            &format!("{input}.{sig}"),
            expect(NOW, true)
        ),
        Err(TokenError::Malformed(
            "claims are not the attestation claims"
        ))
    );
}
