//! Access tokens (ES256 and RS256): the same decisions as role tokens for the same roles, the
//! cache, `Bearer `, expiry, every kind of invalid token, and the mTLS certificate binding.

use super::*;
use crate::{AccessResult, Reason};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A store over `sports` with the EC key `"0"` and the RSA key `"rsa.1"`.
fn setup() -> (PolicyStore, SigningKey, SigningKey, i64) {
    let data = signed_data(
        "sports",
        vec![
            allow("sports:role.readers", "read", "sports:*"),
            deny("sports:role.readers", "read", "sports:secret"),
        ],
        now_ms() + 48 * HOUR_MS,
    );
    let (ec, rsa) = (key(), rsa_key());
    let mut keys = keys_with("0", &ec);
    keys.add_zts_key("rsa.1", rsa.verifying_key().clone());
    let store = PolicyStore::new(keys, ZpeConfig::default());
    store
        .load_policy_bytes(&legacy_file(&data, &ec, "0"))
        .unwrap();
    (store, ec, rsa, now_ms() / 1000)
}

fn cert(cn: &str) -> Vec<u8> {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    let key = rcgen::KeyPair::generate().unwrap();
    params.self_signed(&key).unwrap().der().to_vec()
}

const CHECKS: [(&str, &str); 6] = [
    ("read", "sports:news"),
    ("READ", "Sports:News"),
    ("read", "sports:secret"),
    ("write", "sports:news"),
    ("read", ""),
    ("read", "weather:news"),
];

#[test]
fn decides_like_a_role_token_with_the_same_roles() {
    let (s, ec, rsa, now) = setup();
    let role = role_token(&ec, "0", "sports", "writers,readers", now, now + 3600);
    let claims = access_claims("sports", &["writers", "readers"], now, now + 3600);
    let tokens = [
        access_token(&ec, "0", &claims),
        access_token(&rsa, "rsa.1", &claims),
    ];
    for at in &tokens {
        for (action, resource) in CHECKS {
            assert_eq!(
                s.allow(at, action, resource),
                s.allow(&role, action, resource),
                "{at} {action} {resource}"
            );
        }
        assert_eq!(
            s.allow(at, "read", "sports:news"),
            (AccessResult::Allow, Reason::Allow)
        );
        assert_eq!(
            s.allow(at, "read", "sports:secret"),
            (AccessResult::Deny, Reason::Deny)
        );
    }
    // one role token and two access tokens, each validated once
    assert_eq!(s.cached_tokens(), 3);
}

#[test]
fn repeat_hits_the_cache() {
    let (s, ec, _, now) = setup();
    let at = access_token(
        &ec,
        "0",
        &access_claims("sports", &["readers"], now, now + 60),
    );
    assert_eq!(s.allow(&at, "read", "sports:news").1, Reason::Allow);
    assert_eq!(s.cached_tokens(), 1);
    // with no keys left only the cache can answer
    s.set_keys(KeyStore::new());
    assert_eq!(s.allow(&at, "read", "sports:news").1, Reason::Allow);
    assert_eq!(s.cached_tokens(), 1);
    let other = access_token(
        &ec,
        "0",
        &access_claims("sports", &["readers"], now, now + 61),
    );
    assert_eq!(
        s.allow(&other, "read", "sports:news").1,
        Reason::DenyRoleTokenInvalid
    );
}

#[test]
fn bearer_prefix_in_any_case() {
    let (s, ec, _, now) = setup();
    let at = access_token(
        &ec,
        "0",
        &access_claims("sports", &["readers"], now, now + 60),
    );
    for prefix in ["Bearer ", "bearer ", "BEARER ", ""] {
        assert_eq!(
            s.allow(&format!("{prefix}{at}"), "read", "sports:news").1,
            Reason::Allow,
            "{prefix:?}"
        );
    }
    assert_eq!(s.cached_tokens(), 1);
    assert_eq!(
        s.allow(&format!("Bearer  {at}"), "read", "sports:news").1,
        Reason::DenyRoleTokenInvalid
    );
}

#[test]
fn role_in_audience_names_the_domain() {
    let (s, ec, _, now) = setup();
    let at = access_token(
        &ec,
        "0",
        &access_claims("sports:readers", &["readers"], now, now + 60),
    );
    assert_eq!(s.allow(&at, "read", "sports:news").1, Reason::Allow);
    let at = access_token(
        &ec,
        "0",
        &access_claims("weather", &["readers"], now, now + 60),
    );
    assert_eq!(
        s.allow(&at, "read", "weather:news").1,
        Reason::DenyDomainNotFound
    );
}

#[test]
fn expired_token() {
    let (s, ec, rsa, now) = setup();
    for (key, kid) in [(&ec, "0"), (&rsa, "rsa.1")] {
        let claims = access_claims("sports", &["readers"], now - 7200, now - 10);
        assert_eq!(
            s.allow(&access_token(key, kid, &claims), "read", "sports:news"),
            (AccessResult::Deny, Reason::DenyRoleTokenExpired)
        );
    }
    assert_eq!(s.cached_tokens(), 0);
    // a cached token that expires later is refused as expired, then dropped by reload
    let at = access_token(
        &ec,
        "0",
        &access_claims("sports", &["readers"], now, now + 60),
    );
    assert_eq!(s.allow(&at, "read", "sports:news").1, Reason::Allow);
    let later = (now + 120) * 1000;
    assert_eq!(
        s.allow_at(&at, "read", "sports:news", later).1,
        Reason::DenyRoleTokenExpired
    );
    s.reload_at(later);
    assert_eq!(s.cached_tokens(), 0);
}

#[test]
fn issue_time_and_expiry_limits() {
    let (s, ec, _, now) = setup();
    let decide = |iat, exp| {
        let at = access_token(&ec, "0", &access_claims("sports", &["readers"], iat, exp));
        s.allow(&at, "read", "sports:news").1
    };
    assert_eq!(decide(now + 3600, now + 7200), Reason::DenyRoleTokenInvalid);
    assert_eq!(decide(now + 100, now + 7200), Reason::Allow);
    assert_eq!(decide(now, 0), Reason::DenyRoleTokenInvalid);
}

/// `header.payload.signature` of a token, each part re-encodable.
fn parts(token: &str) -> Vec<String> {
    token.split('.').map(str::to_string).collect()
}

fn b64(json: &serde_json::Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(json).unwrap())
}

#[test]
fn invalid_tokens() {
    let (s, ec, rsa, now) = setup();
    let claims = access_claims("sports", &["readers"], now, now + 3600);
    let good = parts(&access_token(&ec, "0", &claims));
    let admin = access_claims("sports", &["admin", "readers"], now, now + 3600);
    let header = |alg: &str, kid: Option<&str>, typ: Option<&str>| {
        let mut h = serde_json::json!({ "alg": alg });
        if let Some(kid) = kid {
            h["kid"] = kid.into();
        }
        if let Some(typ) = typ {
            h["typ"] = typ.into();
        }
        b64(&h)
    };
    let signed = |key: &SigningKey, h: String, payload: String| {
        let input = format!("{h}.{payload}");
        let sig = key.sign_jws(input.as_bytes()).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    };
    let payload = b64(&serde_json::to_value(&claims).unwrap());
    let mut no_scope = serde_json::to_value(&claims).unwrap();
    no_scope.as_object_mut().unwrap().remove("scp");
    let cases = [
        // another payload under a valid signature
        format!(
            "{}.{}.{}",
            good[0],
            b64(&serde_json::to_value(&admin).unwrap()),
            good[2]
        ),
        // signed by another key under a known kid, or under an unknown kid
        access_token(&key(), "0", &claims),
        access_token(&ec, "9", &claims),
        // RSA signature claiming the EC key
        access_token(&rsa, "0", &claims),
        // alg none, with and without a signature part
        format!("{}.{payload}.", header("none", Some("0"), Some("at+jwt"))),
        format!("{}.{payload}.{}", header("none", Some("0"), None), good[2]),
        // no kid; a JWT that says it is something else
        signed(&ec, header("ES256", None, Some("at+jwt")), payload.clone()),
        signed(
            &ec,
            header("ES256", Some("0"), Some("dpop+jwt")),
            payload.clone(),
        ),
        // claims that are not an access token's
        signed(
            &ec,
            header("ES256", Some("0"), Some("at+jwt")),
            b64(&no_scope),
        ),
        signed(
            &ec,
            header("ES256", Some("0"), None),
            URL_SAFE_NO_PAD.encode(b"[1]"),
        ),
        access_token(&ec, "0", &access_claims("sports", &[], now, now + 60)),
        access_token(&ec, "0", &access_claims("", &["readers"], now, now + 60)),
        access_token(
            &ec,
            "0",
            &access_claims(":readers", &["readers"], now, now + 60),
        ),
        // garbage
        String::new(),
        "Bearer ".into(),
        "abc".into(),
        "a.b.c".into(),
        format!("{}.{}", good[0], good[1]),
        format!("{}.{}.{}.x", good[0], good[1], good[2]),
    ];
    for t in &cases {
        assert_eq!(
            s.allow(t, "read", "sports:news"),
            (AccessResult::Deny, Reason::DenyRoleTokenInvalid),
            "{t}"
        );
    }
    assert_eq!(s.cached_tokens(), 0);
    // `typ` is optional, and `JWT` is accepted
    for typ in [
        None,
        Some("JWT"),
        Some("AT+JWT"),
        Some("application/at+jwt"),
    ] {
        let t = signed(&ec, header("ES256", Some("0"), typ), payload.clone());
        assert_eq!(
            s.allow(&t, "read", "sports:news").1,
            Reason::Allow,
            "{typ:?}"
        );
    }
}

#[test]
fn certificate_binding() {
    let (s, ec, _, now) = setup();
    let (mine, other) = (cert("sports.api"), cert("sports.api"));
    let claims = access_claims("sports", &["readers"], now, now + 3600);
    let at = access_token(&ec, "0", &bound(claims.clone(), &mine));
    let decide = |t: &str, cert: Option<&[u8]>| s.allow_with_cert(t, cert, "read", "sports:news");
    assert_eq!(
        decide(&at, Some(&mine)),
        (AccessResult::Allow, Reason::Allow)
    );
    // checked on every call, the token being cached
    assert_eq!(
        decide(&at, Some(&other)),
        (AccessResult::Deny, Reason::DenyCertHashMismatch)
    );
    assert_eq!(decide(&at, Some(&mine)).1, Reason::Allow);
    // the binding is only checked when a certificate is given
    assert_eq!(decide(&at, None).1, Reason::Allow);
    assert_eq!(s.allow(&at, "read", "sports:news").1, Reason::Allow);
    assert_eq!(s.cached_tokens(), 1);

    // a token bound to nothing fails with any certificate
    let unbound = access_token(&ec, "0", &claims);
    assert_eq!(
        decide(&unbound, Some(&mine)).1,
        Reason::DenyCertHashMismatch
    );
    assert_eq!(decide(&unbound, None).1, Reason::Allow);

    // a binding that is not this certificate's hash in the exact form
    let mut padded = claims.clone();
    padded.cnf = Some(model::zts_token::Confirmation {
        x5t_s256: Some(format!("{}=", cert_hash(&mine))),
    });
    let padded = access_token(&ec, "0", &padded);
    assert_eq!(decide(&padded, Some(&mine)).1, Reason::DenyCertHashMismatch);

    // a role token carries no binding: a certificate changes nothing
    let role = role_token(&ec, "0", "sports", "readers", now, now + 3600);
    assert_eq!(decide(&role, Some(&other)).1, Reason::Allow);

    // a token seen first with the wrong certificate
    let first_seen = access_token(&ec, "0", &bound(claims, &mine));
    assert_eq!(
        s.allow_with_cert(
            &format!("Bearer {first_seen}"),
            Some(&other),
            "read",
            "sports:x"
        )
        .1,
        Reason::DenyCertHashMismatch
    );
}

#[test]
fn expired_bound_token_reports_expiry_first() {
    let (s, ec, _, now) = setup();
    let mine = cert("sports.api");
    let claims = bound(
        access_claims("sports", &["readers"], now - 100, now - 10),
        &mine,
    );
    let at = access_token(&ec, "0", &claims);
    assert_eq!(
        s.allow_with_cert(&at, Some(&cert("x")), "read", "sports:news")
            .1,
        Reason::DenyRoleTokenExpired
    );
}
