//! EC2 identity end to end: real `zms-server`, `zts-server` and `siad` processes, moto for STS and
//! EC2, the fake IMDS for the instance. Every refusal is checked for its message and for leaving
//! nothing behind.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use localstack_tests::awskeys::{AwsSigner, document};
use localstack_tests::moto::Keys;
use localstack_tests::world::{
    DNS_SUFFIX, EC2_OTHER_REGION, EC2_PROVIDER, Options, REGION, World, instance,
};
use serde_json::json;
use std::time::Duration;
use testkit::agent::{assert_refused, stderr};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_boot_then_refresh() {
    let w = World::start(Options::default()).await.unwrap();
    let a = w.agent("boot", json!({}));
    let out = w.siad(&a, "init").await;
    assert!(
        out.status.success(),
        "siad -cmd init failed:\n{}",
        stderr(&out)
    );

    // The identity chains to the ZTS CA and carries the Athenz SANs of this instance.
    let ca = w.path().join("ca.cert.pem");
    let text = a.assert_chains_to(&ca);
    assert_eq!(std::fs::read(a.ca()).unwrap(), std::fs::read(&ca).unwrap());
    a.assert_pair();
    let id = &w.aws.instance.id;
    for needle in [
        "CN=weather.api".to_string(),
        format!("DNS:api.weather.{DNS_SUFFIX}"),
        format!("URI:athenz://instanceid/{EC2_PROVIDER}/{id}"),
        "URI:spiffe://weather/sa/api".to_string(),
        format!("IP Address:{}", w.aws.instance.ip),
    ] {
        assert!(
            text.contains(&needle),
            "certificate lacks {needle}:\n{text}"
        );
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: std::path::PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(a.key()) & 0o077 & !0o040, 0, "key readable by others");
    assert_eq!(mode(a.cert()), 0o444);

    // Refresh: re-attests, keeps the key, replaces the certificate.
    let before = a.serial();
    let key_before = std::fs::read(a.key()).unwrap();
    let out = w.siad(&a, "refresh").await;
    assert!(
        out.status.success(),
        "siad -cmd refresh failed:\n{}",
        stderr(&out)
    );
    assert_ne!(a.serial(), before);
    assert_eq!(std::fs::read(a.key()).unwrap(), key_before);
    a.assert_pair();

    // IMDSv2 only (http_tokens=required) works the same.
    w.imds.update(|i| i.tokens_required = true);
    let out = w.siad(&a, "refresh").await;
    assert!(
        out.status.success(),
        "refresh with IMDSv2 required failed:\n{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_that_are_not_aws_are_refused() {
    let w = World::start(Options::default()).await.unwrap();
    let good = instance(&w.aws, &w.signer, time::OffsetDateTime::now_utc()).unwrap();

    // Tampered: another account written into a genuinely signed document.
    let a = w.agent("tampered", json!({}));
    w.imds
        .update(|i| i.document = good.document.replace(&w.aws.account, "999999999999"));
    assert_refused(&w.siad(&a, "init").await, &["signature"]);
    assert!(a.nothing_written());

    // Forged: a well-formed document signed by a key ZTS does not trust.
    let forger = AwsSigner::create(&w.path().join("forger")).unwrap();
    let forged = instance(&w.aws, &forger, time::OffsetDateTime::now_utc()).unwrap();
    w.imds.update(|i| *i = forged);
    let a = w.agent("forged", json!({}));
    assert_refused(&w.siad(&a, "init").await, &["signature"]);
    assert!(a.nothing_written());

    // Stale: launched an hour ago, past the 300 s boot window.
    let stale = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    w.imds
        .update(|i| *i = instance(&w.aws, &w.signer, stale).unwrap());
    let a = w.agent("stale", json!({}));
    assert_refused(&w.siad(&a, "init").await, &["boot time"]);
    assert!(a.nothing_written());

    // Instance-profile credentials STS rejects: siad cannot even assume its role.
    let mut bogus = good.clone();
    bogus.creds.access = "ASIAUNKNOWNKEY000000".into();
    w.imds.update(|i| *i = bogus);
    let a = w.agent("bogus-creds", json!({}));
    let out = w.siad(&a, "init").await;
    assert!(
        !out.status.success(),
        "siad succeeded with rejected credentials"
    );
    assert!(a.nothing_written());

    // A SAN outside the provider's DNS suffix.
    w.imds.update(|i| *i = good.clone());
    let a = w.agent("evil-san", json!({}));
    let out = w
        .siad_command(&a, "evil.example.com", &["-cmd", "init"])
        .output()
        .await
        .unwrap();
    assert_refused(&out, &["evil.example.com"]);
    assert!(a.nothing_written());

    // The honest agent still works in the same world.
    let a = w.agent("honest", json!({}));
    let out = w.siad(&a, "init").await;
    assert!(out.status.success(), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zts_refuses_what_an_agent_could_forge() {
    let w = World::start(Options::default()).await.unwrap();
    let i = &w.aws.instance;
    let now = time::OffsetDateTime::now_utc();
    let doc = document(&w.aws.account, REGION, &i.az, &i.id, &i.ip, now);
    let sig = w.signer.pkcs7(&doc).unwrap();
    let api = &w.aws.api_role;

    // The control: the same request with everything right passes (and with /rsa2048 too).
    let (s, v) = w
        .register_raw(EC2_PROVIDER, Some(&doc), Some(&sig), api, &i.id)
        .await;
    assert_eq!(s, 201, "{v}");
    let rsa = w.signer.rsa2048(&doc).unwrap();
    w.delete_instance(&i.id).await;
    let (s, v) = w
        .register_raw(EC2_PROVIDER, Some(&doc), Some(&rsa), api, &i.id)
        .await;
    assert_eq!(s, 201, "{v}");

    let cases: Vec<(&str, &str, String, String, Keys, &str)> = vec![
        // Another account's document (signed by AWS, but not this domain's account).
        (
            "other account",
            EC2_PROVIDER,
            document("999999999999", REGION, &i.az, &i.id, &i.ip, now),
            String::new(),
            api.clone(),
            "account",
        ),
        // This region's document sent to another region's provider.
        (
            "other region",
            EC2_OTHER_REGION,
            doc.clone(),
            sig.clone(),
            api.clone(),
            "region",
        ),
        // Credentials for another role.
        (
            "other role",
            EC2_PROVIDER,
            doc.clone(),
            sig.clone(),
            w.aws.other_role.clone(),
            "weather.other",
        ),
        // Credentials STS rejects.
        (
            "bogus credentials",
            EC2_PROVIDER,
            doc.clone(),
            sig.clone(),
            Keys {
                access: "ASIAUNKNOWNKEY000000".into(),
                secret: "x".into(),
                token: Some("y".into()),
            },
            "STS rejected",
        ),
    ];
    for (name, provider, d, s, creds, needle) in cases {
        let s = if s.is_empty() {
            w.signer.pkcs7(&d).unwrap()
        } else {
            s
        };
        w.delete_instance(&i.id).await;
        let (status, v) = w
            .register_raw(provider, Some(&d), Some(&s), &creds, &i.id)
            .await;
        assert_eq!(status, 403, "{name}: {v}");
        let msg = v["message"].as_str().unwrap_or_default();
        assert!(
            msg.contains(needle),
            "{name}: message {msg:?} lacks {needle:?}"
        );
        assert_eq!(v["code"], 403, "{name}: {v}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminated_instance_cannot_refresh() {
    let w = World::start(Options::default()).await.unwrap();
    let a = w.agent("doomed", json!({}));
    let out = w.siad(&a, "init").await;
    assert!(out.status.success(), "{}", stderr(&out));
    let (key, cert) = (
        std::fs::read(a.key()).unwrap(),
        std::fs::read(a.cert()).unwrap(),
    );
    w.moto
        .terminate(REGION, &w.aws.admin, &w.aws.instance.id)
        .await
        .unwrap();
    assert_refused(&w.siad(&a, "refresh").await, &["not running"]);
    assert_eq!(
        std::fs::read(a.key()).unwrap(),
        key,
        "key changed on a failed refresh"
    );
    assert_eq!(
        std::fs::read(a.cert()).unwrap(),
        cert,
        "cert changed on a failed refresh"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zts_down_keeps_files_and_retries() {
    let mut w = World::start(Options::default()).await.unwrap();
    let a = w.agent(
        "patient",
        json!({"retry_initial_ms": 200, "fail_count_for_exit": 1000}),
    );
    let out = w.siad(&a, "init").await;
    assert!(out.status.success(), "{}", stderr(&out));
    let (key, cert) = (
        std::fs::read(a.key()).unwrap(),
        std::fs::read(a.cert()).unwrap(),
    );
    w.stop_zts();

    // A failed one-shot refresh leaves the files alone.
    let out = w.siad(&a, "refresh").await;
    assert!(!out.status.success());
    assert_eq!(std::fs::read(a.cert()).unwrap(), cert);

    // The daemon keeps retrying with backoff while ZTS is down, then succeeds once it is back.
    let mut daemon = w
        .siad_command(&a, DNS_SUFFIX, &[])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        daemon.try_wait().unwrap().is_none(),
        "the daemon exited while ZTS was down"
    );
    assert_eq!(std::fs::read(a.key()).unwrap(), key);
    assert_eq!(std::fs::read(a.cert()).unwrap(), cert);
    w.start_zts().await;
    let mut refreshed = false;
    for _ in 0..300 {
        if std::fs::read(a.cert()).unwrap() != cert {
            refreshed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = daemon.start_kill();
    let out = daemon.wait_with_output().await.unwrap();
    assert!(
        refreshed,
        "the daemon never refreshed after ZTS came back:\n{}",
        stderr(&out)
    );
    let log = stderr(&out);
    assert!(
        log.matches("retry").count() >= 2,
        "no retries logged:\n{log}"
    );
    a.assert_pair();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_write_leaves_no_torn_files() {
    let w = World::start(Options::default()).await.unwrap();
    let a = w.agent("killed", json!({}));
    let out = w.siad(&a, "init").await;
    assert!(out.status.success(), "{}", stderr(&out));
    let started = std::time::Instant::now();
    let out = w.siad(&a, "refresh").await;
    assert!(out.status.success(), "{}", stderr(&out));
    let full = started.elapsed();
    for n in 0..12u32 {
        // Kill points spread over a whole refresh, so some land while files are being written.
        let at = full * n / 12;
        let mut child = w
            .siad_command(&a, DNS_SUFFIX, &["-cmd", "refresh"])
            .spawn()
            .unwrap();
        tokio::time::sleep(at).await;
        let _ = child.start_kill();
        let _ = child.wait().await;
        a.assert_pair();
        // Re-synchronise with ZTS (a lost answer is forgiven once, not twice in a row).
        let out = w.siad(&a, "refresh").await;
        assert!(
            out.status.success(),
            "refresh after kill {n} failed:\n{}",
            stderr(&out)
        );
        a.assert_pair();
    }
    let leftovers: Vec<_> = std::fs::read_dir(&a.cert_dir)
        .unwrap()
        .chain(std::fs::read_dir(&a.key_dir).unwrap())
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| !n.ends_with(".pem"))
        .collect();
    assert!(
        leftovers.is_empty() || leftovers.iter().all(|n| n.starts_with('.')),
        "{leftovers:?}"
    );
}
