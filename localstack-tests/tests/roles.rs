//! `siad` fetches role certificates and access tokens (`roles` and `access_tokens` in
//! sia_config) from the real `zts-server` with the EC2 identity it just obtained, and writes
//! them to the Athenz paths; a role it is not a member of is refused without failing the run.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use localstack_tests::world::{Options, World};
use reqwest::Method;
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};
use testkit::agent::stderr;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn siad_fetches_role_certificates_and_access_tokens() {
    use base64::Engine as _;
    let w = World::start(Options::default()).await.unwrap();
    let admin = testkit::admin(w.path());
    testkit::zms_call(
        &admin,
        &w.zms.base,
        Method::PUT,
        "/domain/weather/role/readers",
        json!({"name": "weather:role.readers", "roleMembers": [{"memberName": "weather.api"}]}),
    )
    .await;
    testkit::zms_call(
        &admin,
        &w.zms.base,
        Method::PUT,
        "/domain/weather/role/writers",
        json!({"name": "weather:role.writers", "roleMembers": [{"memberName": "user.jane"}]}),
    )
    .await;
    // ZTS polls ZMS: wait until its copy has the membership.
    let deadline = Instant::now() + Duration::from_secs(30);
    let url = format!(
        "{}/zts/v1/access/domain/weather/role/readers/principal/weather.api",
        w.zts_url()
    );
    while admin
        .get(&url)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["granted"]
        != true
    {
        assert!(Instant::now() < deadline, "ZTS never saw the role");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let a = w.agent(
        "roles",
        json!({
            "roles": {"weather:role.readers": {}, "weather:role.writers": {}},
            "access_tokens": {"weather/readers": {"roles": ["readers"], "expires_in": 600}},
        }),
    );
    let out = w.siad(&a, "init").await;
    assert!(
        out.status.success(),
        "siad -cmd init failed:\n{}",
        stderr(&out)
    );
    let log = stderr(&out);
    assert!(
        log.contains("weather:role.writers"),
        "the refused role is reported:\n{log}"
    );

    // The role certificate: its own file, the role as CN, the service key, client use only.
    let role_file = a.cert_dir.join("weather:role.readers.cert.pem");
    assert_eq!(
        std::fs::metadata(&role_file).unwrap().permissions().mode() & 0o777,
        0o444
    );
    let pem = std::fs::read(&role_file).unwrap();
    let (_, p) = x509_parser::pem::parse_x509_pem(&pem).unwrap();
    let cert = p.parse_x509().unwrap();
    assert_eq!(
        cert.subject()
            .iter_common_name()
            .next()
            .unwrap()
            .as_str()
            .unwrap(),
        "weather:role.readers"
    );
    assert!(
        !cert
            .extended_key_usage()
            .unwrap()
            .unwrap()
            .value
            .server_auth
    );
    let svc = std::fs::read(a.cert()).unwrap();
    let (_, sp) = x509_parser::pem::parse_x509_pem(&svc).unwrap();
    let svc_cert = sp.parse_x509().unwrap();
    assert_eq!(
        cert.public_key().raw,
        svc_cert.public_key().raw,
        "the service key is reused"
    );
    a.assert_chains_to(&w.path().join("ca.cert.pem"));
    assert!(
        !a.cert_dir.join("weather:role.writers.cert.pem").exists(),
        "not a member: nothing written"
    );

    // The access token: a JSON string (store_token_option 1), bound to the service certificate.
    let token_file = w.path().join("roles/tokens/weather/readers");
    assert_eq!(
        std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777,
        0o440
    );
    let token: String = serde_json::from_slice(&std::fs::read(&token_file).unwrap()).unwrap();
    let claims: Value =
        serde_json::from_slice(&B64.decode(token.split('.').nth(1).unwrap()).unwrap()).unwrap();
    assert_eq!(claims["scp"], json!(["readers"]));
    assert_eq!(claims["sub"], "weather.api");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        600
    );
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &p_der(&svc));
    assert_eq!(claims["cnf"]["x5t#S256"], B64.encode(digest.as_ref()));
}

fn p_der(pem: &[u8]) -> Vec<u8> {
    x509_parser::pem::parse_x509_pem(pem).unwrap().1.contents
}
