//! Role certificates, access tokens, role tokens, JWKS, signed policy data and access checks
//! through the real `zms-server` and `zts-server`, with a service identity registered through
//! the test provider as the caller.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cloned_ref_to_slice_refs,
    reason = "tests"
)]

mod common;

use base64::Engine as _;
use common::{PROVIDER, World, client, zms_call};
use model::crypto::VerifyingKey;
use model::jwt::{JwkList, UnverifiedJwt};
use model::zts_token::{AccessTokenClaims, AthenzConf};
use rcgen::{CertificateParams, DnType, KeyPair, SanType};
use reqwest::Method;
use rustls_pki_types::pem::PemObject;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The world plus `weather.api`'s identity and the roles: `readers` (weather.api a member,
/// token lifetime capped at 30 min), `writers` (not), a policy for readers.
struct Authz {
    w: World,
    cert: String,
    key: KeyPair,
}

impl Authz {
    async fn start() -> Self {
        let w = World::start().await;
        let admin = common::admin(w.dir.path());
        zms_call(&admin, &w.zms.base, Method::PUT, "/domain/weather/role/readers",
            json!({"name": "weather:role.readers", "tokenExpiryMins": 30, "roleMembers": [{"memberName": "weather.api"}]})).await;
        zms_call(
            &admin,
            &w.zms.base,
            Method::PUT,
            "/domain/weather/role/writers",
            json!({"name": "weather:role.writers", "roleMembers": [{"memberName": "user.jane"}]}),
        )
        .await;
        zms_call(&admin, &w.zms.base, Method::PUT, "/domain/weather/policy/readers",
            json!({"name": "weather:policy.readers", "assertions": [
                {"role": "weather:role.readers", "action": "read", "resource": "weather:forecast.*"},
                {"role": "weather:role.readers", "action": "read", "resource": "weather:forecast.secret", "effect": "DENY"}]})).await;
        let (s, v, key) = w.register("api", "i-1", "ok").await;
        assert_eq!(s, 201, "{v}");
        let cert = v["x509Certificate"].as_str().unwrap().to_string();
        let a = Self {
            w,
            cert,
            key: key.unwrap(),
        };
        a.wait_roles().await;
        a
    }

    fn me(&self) -> reqwest::Client {
        client(
            self.w.dir.path(),
            Some((&self.cert, &self.key.serialize_pem())),
        )
    }

    fn url(&self, path: &str) -> String {
        format!("{}/zts/v1{path}", self.w.zts.base)
    }

    /// Waits until ZTS's copy shows weather.api in readers.
    async fn wait_roles(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let r = self
                .me()
                .get(self.url("/access/domain/weather/principal/weather.api"))
                .send()
                .await
                .unwrap();
            if r.status() == 200 && r.json::<Value>().await.unwrap()["roles"] == json!(["readers"])
            {
                return;
            }
            assert!(Instant::now() < deadline, "ZTS never saw the roles");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn token(
        &self,
        c: &reqwest::Client,
        form: &[(&str, &str)],
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let r = c
            .post(self.url("/oauth2/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(form).unwrap())
            .send()
            .await
            .unwrap();
        let (s, h) = (r.status().as_u16(), r.headers().clone());
        (s, r.json().await.unwrap_or(Value::Null), h)
    }

    fn cert_der(&self) -> Vec<u8> {
        rustls_pki_types::CertificateDer::from_pem_slice(self.cert.as_bytes())
            .unwrap()
            .to_vec()
    }

    fn zts_key(&self) -> VerifyingKey {
        let conf: AthenzConf =
            serde_json::from_slice(&std::fs::read(self.w.dir.path().join("athenz.conf")).unwrap())
                .unwrap();
        assert_eq!(conf.zts_public_keys[0].id, "0");
        VerifyingKey::from_ybase64_pem(&conf.zts_public_keys[0].key).unwrap()
    }
}

fn role_csr(key: &KeyPair, cn: &str, uris: &[String], dns: &[&str]) -> String {
    let mut p =
        CertificateParams::new(dns.iter().map(|d| d.to_string()).collect::<Vec<_>>()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    for u in uris {
        p.subject_alt_names
            .push(SanType::URI(u.clone().try_into().unwrap()));
    }
    p.serialize_request(key).unwrap().pem().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_tokens_jwks_and_discovery() {
    let a = Authz::start().await;
    let me = a.me();

    // JWKS (both curve-name forms) and discovery need no credentials.
    let jwks: JwkList =
        a.w.anon()
            .get(a.url("/oauth2/keys?rfc=true"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(jwks.keys.len(), 1);
    assert_eq!(jwks.keys[0].crv.as_deref(), Some("P-256"));
    let legacy: JwkList =
        a.w.anon()
            .get(a.url("/oauth2/keys"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(legacy.keys[0].crv.as_deref(), Some("prime256v1"));
    assert_eq!(
        jwks.keys[0].to_key().unwrap(),
        a.zts_key(),
        "JWKS and athenz.conf agree"
    );
    let zms_jwks: JwkList =
        a.w.anon()
            .get(a.url("/oauth2/keys?service=zms&rfc=true"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_ne!(zms_jwks.keys[0].to_key().unwrap(), a.zts_key());
    let oidc: Value =
        a.w.anon()
            .get(a.url("/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(oidc["issuer"], a.url(""));
    assert_eq!(oidc["jwks_uri"], a.url("/oauth2/keys"));

    // The whole domain: the roles weather.api has, the scope returned, the lifetime capped
    // by the role's tokenExpiryMins, bound to the caller's certificate.
    let (s, v, h) = a
        .token(
            &me,
            &[
                ("grant_type", "client_credentials"),
                ("scope", "weather:domain"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["scope"], "weather:role.readers");
    assert_eq!(v["expires_in"], 1800, "capped by readers' tokenExpiryMins");
    let token = v["access_token"].as_str().unwrap();
    let jwt = UnverifiedJwt::parse(token).unwrap();
    assert_eq!(jwt.header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(jwt.header.alg, "ES256");
    let kid = jwt.header.kid.clone().unwrap();
    let key = jwks
        .keys
        .iter()
        .find(|k| k.kid == kid)
        .unwrap()
        .to_key()
        .unwrap();
    let claims: AccessTokenClaims = serde_json::from_slice(&jwt.verify(&key).unwrap()).unwrap();
    assert_eq!(claims.ver, 1);
    assert_eq!(claims.aud, "weather");
    assert_eq!(
        (
            claims.sub.as_str(),
            claims.client_id.as_str(),
            claims.uid.as_str()
        ),
        ("weather.api", "weather.api", "weather.api")
    );
    assert_eq!(claims.scp, vec!["readers"]);
    assert_eq!(claims.iss, a.url(""));
    assert_eq!(claims.exp - claims.iat, 1800);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &a.cert_der());
    assert_eq!(
        claims.cnf.unwrap().x5t_s256.unwrap(),
        B64.encode(digest.as_ref())
    );

    // One role by name, a shorter lifetime, the aud naming the role; the scope is as asked, so not returned.
    let (s, v, _) = a
        .token(
            &me,
            &[
                ("grant_type", "client_credentials"),
                ("scope", "weather:role.readers"),
                ("expires_in", "60"),
                ("role_in_aud_claim", "true"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["expires_in"], 60);
    assert!(v.get("scope").is_none(), "{v}");
    let claims: AccessTokenClaims = serde_json::from_slice(
        &UnverifiedJwt::parse(v["access_token"].as_str().unwrap())
            .unwrap()
            .verify(&key)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims.aud, "weather:readers");

    // Refusals, each with its status and a message naming the problem.
    type Case<'a> = (&'a [(&'a str, &'a str)], u16, &'a str);
    let cases: &[Case<'_>] = &[
        (
            &[
                ("grant_type", "client_credentials"),
                ("scope", "weather:role.writers"),
            ],
            403,
            "not included in the requested role",
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("scope", "nosuch:domain"),
            ],
            404,
            "no such domain",
        ),
        (
            &[("grant_type", "password"), ("scope", "weather:domain")],
            400,
            "grant_type",
        ),
        (&[("scope", "weather:domain")], 400, "grant_type"),
        (
            &[
                ("grant_type", "client_credentials"),
                ("scope", "weather:domain other:domain"),
            ],
            400,
            "multiple domains",
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("scope", "weather:domain"),
                ("expires_in", "soon"),
            ],
            400,
            "expires_in",
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("scope", "weather:domain"),
                ("proxy_for_principal", "weather.other"),
            ],
            403,
            "proxy",
        ),
    ];
    for (form, status, needle) in cases {
        let (s, v, _) = a.token(&me, form).await;
        assert_eq!(s, *status, "{form:?}: {v}");
        assert_eq!(v["code"], *status);
        assert!(
            v["message"].as_str().unwrap().contains(needle),
            "{form:?}: {v}"
        );
    }
    let (s, v, _) = a
        .token(
            &a.w.anon(),
            &[
                ("grant_type", "client_credentials"),
                ("scope", "weather:domain"),
            ],
        )
        .await;
    assert_eq!(s, 401, "no client certificate: {v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_certificates() {
    let a = Authz::start().await;
    let me = a.me();
    let principal = "athenz://principal/weather.api".to_string();
    let spiffe = "spiffe://weather/ra/readers".to_string();
    let instance = format!("athenz://instanceid/{PROVIDER}/i-1");
    let post = |csr: String, expiry: i64| {
        let me = me.clone();
        let url = a.url("/rolecert");
        async move {
            let r = me
                .post(url)
                .json(&json!({"csr": csr, "expiryTime": expiry}))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    // The service key is reused, as SIA does by default.
    let csr = role_csr(
        &a.key,
        "weather:role.readers",
        &[spiffe.clone(), principal.clone(), instance.clone()],
        &[],
    );
    let (s, v) = post(csr, 60).await;
    assert_eq!(s, 200, "{v}");
    let pem = v["x509Certificate"].as_str().unwrap();
    let der = rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
    let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).unwrap();
    assert_eq!(
        cert.subject()
            .iter_common_name()
            .next()
            .unwrap()
            .as_str()
            .unwrap(),
        "weather:role.readers"
    );
    let eku = cert.extended_key_usage().unwrap().unwrap().value;
    assert!(eku.client_auth && !eku.server_auth, "client usage only");
    let life = cert.validity().not_after.timestamp() - cert.validity().not_before.timestamp();
    assert!(
        (3600..=3600 + 600).contains(&life),
        "60 minutes (+ backdating): {life}"
    );
    let ca = std::fs::read(a.w.dir.path().join("ca.cert.pem")).unwrap();
    let ca_der = rustls_pki_types::CertificateDer::from_pem_slice(&ca).unwrap();
    let (_, ca_cert) = x509_parser::parse_x509_certificate(ca_der.as_ref()).unwrap();
    assert!(
        cert.verify_signature(Some(ca_cert.public_key())).is_ok(),
        "signed by the ZTS CA"
    );

    // Refusals.
    let other_key = KeyPair::generate().unwrap();
    let cases = [
        (
            role_csr(
                &other_key,
                "weather:role.writers",
                &[principal.clone()],
                &[],
            ),
            403,
            "not a member",
        ),
        (
            role_csr(
                &other_key,
                "weather:role.readers",
                &["athenz://principal/weather.noauth".into()],
                &[],
            ),
            403,
            "caller is weather.api",
        ),
        (
            role_csr(&other_key, "weather:role.readers", &[spiffe.clone()], &[]),
            400,
            "athenz://principal",
        ),
        (
            role_csr(&other_key, "weather.readers", &[principal.clone()], &[]),
            400,
            "<domain>:role.<role>",
        ),
        (
            role_csr(
                &other_key,
                "weather:role.readers",
                &[principal.clone()],
                &["evil.example.com"],
            ),
            403,
            "evil.example.com",
        ),
        (
            role_csr(
                &other_key,
                "weather:role.readers",
                &[principal.clone(), "spiffe://weather/ra/writers".into()],
                &[],
            ),
            400,
            "SPIFFE",
        ),
        (
            role_csr(
                &other_key,
                "weather:role.readers",
                &[
                    principal.clone(),
                    format!("athenz://instanceid/{PROVIDER}/i-2"),
                ],
                &[],
            ),
            403,
            "i-2",
        ),
        (
            role_csr(
                &other_key,
                "nosuch:role.readers",
                &["athenz://principal/weather.api".into()],
                &[],
            ),
            404,
            "no such domain",
        ),
        ("not a csr".into(), 400, "csr"),
    ];
    for (csr, status, needle) in cases {
        let (s, v) = post(csr, 0).await;
        assert_eq!(s, status, "{needle}: {v}");
        assert!(
            v["message"].as_str().unwrap().contains(needle),
            "{needle}: {v}"
        );
    }
    let r =
        a.w.anon()
            .post(a.url("/rolecert"))
            .json(&json!({"csr": "x", "expiryTime": 0}))
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_tokens() {
    let a = Authz::start().await;
    let r = a
        .me()
        .get(a.url("/domain/weather/token"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let token = v["token"].as_str().unwrap();
    let (unsigned, sig) = token.split_once(";s=").unwrap();
    a.zts_key()
        .verify_ybase64(unsigned.as_bytes(), sig)
        .unwrap();
    let fields: Vec<&str> = unsigned.split(';').collect();
    assert_eq!(
        &fields[..5],
        &["v=Z1", "d=weather", "r=readers", "c=1", "p=weather.api"]
    );
    let e: i64 = fields
        .iter()
        .find_map(|f| f.strip_prefix("e="))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(v["expiryTime"], e);
    assert!(fields.contains(&"k=0"));
    let r = a
        .me()
        .get(a.url("/domain/weather/token?role=readers&maxExpiryTime=120"))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert!(
        !v["token"].as_str().unwrap().contains(";c=1"),
        "a named role is not the complete set"
    );
    let r = a
        .me()
        .get(a.url("/domain/weather/token?role=writers"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = a
        .me()
        .get(a.url("/domain/weather/token?minExpiryTime=99999999"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_policies_and_access_checks() {
    let a = Authz::start().await;
    let me = a.me();
    let url = a.url("/domain/weather/signed_policy_data");
    let r = me.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let v: model::zts_policy::DomainSignedPolicyData = r.json().await.unwrap();
    assert_eq!(etag, format!("\"{}\"", v.signed_policy_data.modified));
    a.zts_key()
        .verify_ybase64(
            v.signed_policy_data
                .canonical_signable()
                .unwrap()
                .as_bytes(),
            &v.signature,
        )
        .unwrap();
    let names: Vec<&str> = v
        .signed_policy_data
        .policy_data
        .policies
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert!(names.contains(&"weather:policy.readers"), "{names:?}");
    let week = 7 * 24 * 3600 * 1000;
    let left = v.signed_policy_data.expires.millis() - model::Timestamp::now().millis();
    assert!(
        (week - 60_000..=week).contains(&left),
        "expires in 7 days: {left}"
    );

    let r = me
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert_eq!(r.headers()["etag"].to_str().unwrap(), etag);

    // The JWS form, P1363 as zpu asks for it.
    let r = me
        .post(a.url("/domain/weather/policy/signed"))
        .json(&json!({"policyVersions": {}, "signatureP1363Format": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let jws: model::crypto::FlattenedJws = r.json().await.unwrap();
    let payload = model::crypto::verify_flattened_jws(&jws, &a.zts_key()).unwrap();
    assert_eq!(B64.decode(&jws.signature).unwrap().len(), 64, "P1363");
    let data: model::zts_policy::SignedPolicyData = serde_json::from_slice(&payload).unwrap();
    assert_eq!(data.policy_data.domain, "weather");
    let r = me
        .post(a.url("/domain/weather/policy/signed"))
        .header("If-None-Match", &etag)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);

    // A change in ZMS gives a new tag.
    let admin = common::admin(a.w.dir.path());
    zms_call(&admin, &a.w.zms.base, Method::PUT, "/domain/weather/policy/writers",
        json!({"name": "weather:policy.writers", "assertions": [{"role": "weather:role.writers", "action": "write", "resource": "weather:forecast.*"}]})).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = me
            .get(&url)
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            assert_ne!(r.headers()["etag"].to_str().unwrap(), etag);
            break;
        }
        assert!(Instant::now() < deadline, "ZTS never saw the policy change");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(a.w.anon().get(&url).send().await.unwrap().status(), 401);
    assert_eq!(
        me.get(a.url("/domain/nosuch/signed_policy_data"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // Access checks from ZTS's copy, by the evaluator ZMS uses.
    let granted = |path: String| {
        let me = me.clone();
        async move {
            let r = me.get(path).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    for (path, want) in [
        ("/access/read/weather:forecast.today", true),
        ("/access/read/weather:forecast.secret", false),
        (
            "/access/read/weather:forecast.today?principal=weather.noauth",
            false,
        ),
        ("/access/read?resource=weather:forecast.today", true),
        (
            "/access/domain/weather/role/readers/principal/weather.api",
            true,
        ),
        (
            "/access/domain/weather/role/writers/principal/weather.api",
            false,
        ),
    ] {
        assert_eq!(
            granted(a.url(path)).await,
            (200, json!({"granted": want})),
            "{path}"
        );
    }
    assert_eq!(granted(a.url("/access/read/nosuch:thing")).await.0, 404);
}
