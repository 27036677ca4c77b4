//! `packaging/systemd/zpu.service` and `zpu.timer` pass `systemd-analyze verify` with no
//! warning once ExecStart points at the built binary; a broken copy is flagged, so the check
//! cannot pass by ignoring the tool. The example `packaging/zpu/zpu.conf` is a valid config.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

const SERVICE: &str = include_str!("../../packaging/systemd/zpu.service");
const TIMER: &str = include_str!("../../packaging/systemd/zpu.timer");
const INSTALLED: &str = "ExecStart=/usr/bin/zpu";

fn built(unit: &str) -> String {
    testkit::unit_with_binary(
        unit,
        INSTALLED,
        &format!("ExecStart={}", env!("CARGO_BIN_EXE_zpu")),
    )
}

#[test]
fn service_and_timer_verify_cleanly() {
    let d = tempfile::tempdir().unwrap();
    let v = testkit::systemd_verify(d.path(), "zpu.service", &built(SERVICE));
    assert!(v.ok && v.about_unit.is_empty(), "{:#?}", v.about_unit);
    let v = testkit::systemd_verify(d.path(), "zpu.timer", TIMER);
    assert!(v.ok && v.about_unit.is_empty(), "{:#?}", v.about_unit);
    for needed in [
        "Type=oneshot",
        "ProtectSystem=strict",
        "ReadWritePaths=/home/athenz/var/zpe",
    ] {
        assert!(SERVICE.lines().any(|l| l == needed), "missing {needed}");
    }
    assert!(TIMER.lines().any(|l| l == "OnUnitActiveSec=1h"));
}

#[test]
fn a_broken_unit_is_flagged() {
    let d = tempfile::tempdir().unwrap();
    let bad = built(SERVICE).replace("PrivateTmp=true", "PrivateTemp=true");
    let v = testkit::systemd_verify(d.path(), "zpu.service", &bad);
    assert!(
        v.about_unit.iter().any(|w| w.contains("PrivateTemp")),
        "{:#?}",
        v.about_unit
    );
}

#[test]
fn example_config_checks() {
    let d = tempfile::tempdir().unwrap();
    let key =
        model::crypto::SigningKey::from_pem(&rcgen::KeyPair::generate().unwrap().serialize_pem())
            .unwrap();
    let athenz = serde_json::json!({"ztsUrl": "https://zts.example.com:4443",
        "ztsPublicKeys": [{"id": "0", "key": key.verifying_key().to_ybase64_pem()}]});
    std::fs::write(d.path().join("athenz.conf"), athenz.to_string()).unwrap();
    let run = |zpu_conf: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_zpu"))
            .arg("-athenzConf")
            .arg(d.path().join("athenz.conf"))
            .arg("-zpuConf")
            .arg(zpu_conf)
            .arg("-check-config")
            .output()
            .unwrap()
    };
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../packaging/zpu/zpu.conf");
    let out = run(std::path::Path::new(example));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("2 domain(s), ZTS https://zts.example.com:4443/zts/v1")
    );

    // Every problem at once, exit status 2.
    let bad = d.path().join("bad.conf");
    std::fs::write(&bad, r#"{"domains": "ok,bad..name", "expiryCheck": -1}"#).unwrap();
    let out = run(&bad);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("domains") && err.contains("expiryCheck"),
        "{err}"
    );
}
