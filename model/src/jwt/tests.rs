#![allow(clippy::unwrap_used, reason = "tests")]

use super::*;
use crate::crypto::SigningKey;

fn keys() -> Vec<SigningKey> {
    let ec = aws_lc_rs::signature::EcdsaKeyPair::generate_pkcs8(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        &aws_lc_rs::rand::SystemRandom::new(),
    )
    .unwrap();
    let rsa = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let rsa_der =
        aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der<'_>>::as_der(&rsa).unwrap();
    [ec.as_ref().to_vec(), rsa_der.as_ref().to_vec()]
        .into_iter()
        .map(|der| {
            SigningKey::from_der(&rustls_pki_types::PrivateKeyDer::Pkcs8(der.into())).unwrap()
        })
        .collect()
}

#[test]
fn jwt_round_trip_and_tamper() {
    for key in keys() {
        let claims = serde_json::json!({"sub": "weather.api", "scp": ["readers"], "exp": 5});
        let token = sign(&key, "0", "at+jwt", &claims).unwrap();
        let jwt = UnverifiedJwt::parse(&token).unwrap();
        assert_eq!(jwt.header.kid.as_deref(), Some("0"));
        assert_eq!(jwt.header.typ.as_deref(), Some("at+jwt"));
        let payload = jwt.verify(key.verifying_key()).unwrap();
        let back: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(back, claims);

        // Another payload under the same signature fails.
        let parts: Vec<&str> = token.split('.').collect();
        let forged_payload = B64URL.encode(br#"{"sub":"evil.api","scp":["admin"],"exp":5}"#);
        let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert_eq!(
            UnverifiedJwt::parse(&forged)
                .unwrap()
                .verify(key.verifying_key()),
            Err(CryptoError::BadSignature)
        );
        // alg none is refused.
        let none = format!("{}.{}.", B64URL.encode(br#"{"alg":"none"}"#), parts[1]);
        assert!(matches!(
            UnverifiedJwt::parse(&none)
                .unwrap()
                .verify(key.verifying_key()),
            Err(CryptoError::UnsupportedAlgorithm(_))
        ));
        assert!(UnverifiedJwt::parse("a.b").is_err());
        assert!(UnverifiedJwt::parse("a.b.c.d").is_err());
    }
}

#[test]
fn jwk_round_trip_both_curve_names() {
    for key in keys() {
        for rfc in [true, false] {
            let jwk = Jwk::from_key("k1", key.verifying_key(), rfc).unwrap();
            assert_eq!(jwk.kid, "k1");
            assert_eq!(jwk.use_.as_deref(), Some("sig"));
            if jwk.kty == "EC" {
                assert_eq!(
                    jwk.crv.as_deref(),
                    Some(if rfc { "P-256" } else { "prime256v1" })
                );
            } else {
                assert_eq!(
                    jwk.e.as_deref(),
                    Some("AQAB"),
                    "65537 unsigned, no leading zero"
                );
                let n = B64URL.decode(jwk.n.as_deref().unwrap()).unwrap();
                assert_eq!(n.len(), 256, "2048-bit modulus without a sign byte");
            }
            assert_eq!(&jwk.to_key().unwrap(), key.verifying_key());
            let json = serde_json::to_value(&jwk).unwrap();
            assert_eq!(json["use"], "sig");
        }
    }
}

#[test]
fn bad_jwks_are_refused() {
    let mut jwk = Jwk::from_key("k", keys()[0].verifying_key(), true).unwrap();
    jwk.crv = Some("P-384".into());
    assert!(jwk.to_key().is_err());
    jwk.crv = Some("P-256".into());
    jwk.x = Some("AAAA".into());
    assert!(jwk.to_key().is_err());
    jwk.kty = "oct".into();
    assert!(jwk.to_key().is_err());
}
