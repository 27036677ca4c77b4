//! Lambda identity end to end: the real example function (`sia-aws/examples/lambda_identity.rs`,
//! built on `lambda_runtime`) runs as a process against the fake Runtime API with its execution
//! role's credentials from moto, gets its identity from the real `zts-server` at cold start, and
//! answers an invocation with it. The refusals are checked at ZTS with raw registers.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use localstack_tests::lambda::{Outcome, RuntimeApi};
use localstack_tests::moto::Keys;
use localstack_tests::world::{DNS_SUFFIX, LAMBDA_PROVIDER, Options, World, aws_env};
use serde_json::json;
use std::process::Stdio;
use std::time::Duration;
use testkit::agent::openssl_stdin;

/// The example function started as Lambda starts a custom runtime, with `creds` as its execution
/// role's credentials.
fn function(w: &World, api: &RuntimeApi, creds: &Keys) -> tokio::process::Command {
    let bin = testkit::workspace_bin("examples/lambda_identity");
    let mut cmd = tokio::process::Command::new(bin);
    for (k, v) in aws_env(&w.moto.url) {
        cmd.env(k, v);
    }
    cmd.env("AWS_ACCESS_KEY_ID", &creds.access)
        .env("AWS_SECRET_ACCESS_KEY", &creds.secret)
        .env("AWS_SESSION_TOKEN", creds.token.clone().unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", &api.host_port)
        .env("AWS_LAMBDA_FUNCTION_NAME", "weather-api")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("ATHENZ_DOMAIN", "weather")
        .env("ATHENZ_SERVICE", "api")
        .env("ATHENZ_ACCOUNT", &w.aws.account)
        .env("ZTS_URL", format!("{}/zts/v1", w.zts_url()))
        .env("ZTS_CA_FILE", w.path().join("ca.cert.pem"))
        .env("ATHENZ_DNS_DOMAINS", DNS_SUFFIX)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cold_start_gets_a_client_identity() {
    let w = World::start(Options::default()).await.unwrap();
    let api = RuntimeApi::start().await.unwrap();
    // The execution role: the instance-profile role of this world, trusted by weather.api.
    let mut child = function(&w, &api, &w.aws.profile).spawn().unwrap();
    api.invoke("req-1", json!({"hello": "world"}));
    let outcome = tokio::select! {
        o = api.outcome("req-1", Duration::from_secs(120)) => o,
        status = child.wait() => {
            let out = child.wait_with_output().await.ok();
            panic!("function exited ({status:?}) before answering: {:?}",
                out.map(|o| String::from_utf8_lossy(&o.stderr).to_string()));
        }
    };
    let Some(Outcome::Response(body)) = outcome else {
        panic!("no response: {outcome:?}");
    };
    let account = &w.aws.account;
    assert_eq!(body["name"], "weather.api", "{body}");
    assert_eq!(
        body["instanceId"],
        format!("lambda-{account}-api"),
        "{body}"
    );
    let cert = body["certificate"].as_str().unwrap();
    assert!(
        !body.to_string().contains("PRIVATE KEY"),
        "the key left the function"
    );

    // It chains to the ZTS CA, names the function, and is for clients only.
    let ca = w.path().join("ca.cert.pem");
    let verified = openssl_stdin(&["verify", "-CAfile", &ca.to_string_lossy()], cert);
    assert!(verified.contains(": OK"), "{verified}");
    // OpenSSL 3 prints `CN = x`, older releases `CN=x`: compare in one form.
    let text = openssl_stdin(&["x509", "-noout", "-text"], cert).replace(" = ", "=");
    for needle in [
        "CN=weather.api".to_string(),
        format!("DNS:api.weather.{DNS_SUFFIX}"),
        format!("URI:athenz://instanceid/{LAMBDA_PROVIDER}/lambda-{account}-api"),
        "TLS Web Client Authentication".to_string(),
    ] {
        assert!(
            text.contains(&needle),
            "certificate lacks {needle}:\n{text}"
        );
    }
    assert!(
        !text.contains("TLS Web Server Authentication"),
        "a Lambda certificate must be client-only:\n{text}"
    );
    // One registration per execution environment: the function asked for its next event again.
    for _ in 0..100 {
        if api.next_calls() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        api.next_calls() >= 2,
        "the function stopped after one event"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cold_start_with_rejected_credentials_fails_init() {
    let w = World::start(Options::default()).await.unwrap();
    let api = RuntimeApi::start().await.unwrap();
    let bogus = Keys {
        access: "ASIAUNKNOWNKEY000000".into(),
        secret: "x".into(),
        token: Some("y".into()),
    };
    let out = tokio::time::timeout(
        Duration::from_secs(120),
        function(&w, &api, &bogus).output(),
    )
    .await
    .expect("the function hung")
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "init succeeded with rejected credentials"
    );
    assert!(
        err.contains("weather.api"),
        "error does not name the role: {err}"
    );
    assert_eq!(
        api.next_calls(),
        0,
        "the function served events without an identity"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zts_refuses_lambda_registrations_it_cannot_prove() {
    let w = World::start(Options::default()).await.unwrap();
    let account = &w.aws.account;
    let id = format!("lambda-{account}-api");

    // The control: the right role's credentials and instance id pass.
    let (s, v) = w
        .register_raw(LAMBDA_PROVIDER, None, None, &w.aws.api_role, &id)
        .await;
    assert_eq!(s, 201, "{v}");
    let r = testkit::admin(w.path())
        .delete(format!(
            "{}/zts/v1/instance/{LAMBDA_PROVIDER}/weather/api/{id}",
            w.zts_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);

    let cases = [
        ("other role", &w.aws.other_role, id.clone(), "weather.other"),
        (
            "other account's instance id",
            &w.aws.api_role,
            "lambda-999999999999-api".to_string(),
            "instance id",
        ),
        (
            "bogus credentials",
            &Keys {
                access: "ASIAUNKNOWNKEY000000".into(),
                secret: "x".into(),
                token: Some("y".into()),
            },
            id.clone(),
            "STS rejected",
        ),
    ];
    for (name, creds, instance, needle) in cases {
        let (status, v) = w
            .register_raw(LAMBDA_PROVIDER, None, None, creds, &instance)
            .await;
        assert_eq!(status, 403, "{name}: {v}");
        let msg = v["message"].as_str().unwrap_or_default();
        assert!(msg.contains(needle), "{name}: {msg:?} lacks {needle:?}");
    }
}
