//! The files under `packaging/` and the binary's flags: the systemd unit passes
//! `systemd-analyze verify` once it points at the built binary, the example configuration parses
//! and fails validation only for its (absent) files, and `--check-config` exits 0 or 1.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use openstack_provider::config::RawConfig;
use std::process::Command;

const UNIT: &str = include_str!("../../packaging/systemd/openstack-provider.service");
const EXAMPLE: &str = include_str!("../../packaging/openstack/openstack-provider.toml");
const BIN: &str = env!("CARGO_BIN_EXE_openstack-provider");

#[test]
fn the_unit_verifies_cleanly() {
    let d = tempfile::tempdir().unwrap();
    let unit = testkit::unit_with_binary(UNIT, "/usr/bin/openstack-provider", BIN);
    let v = testkit::systemd_verify(d.path(), "openstack-provider.service", &unit);
    assert!(v.ok && v.about_unit.is_empty(), "{:#?}", v.about_unit);
    for needed in [
        "Type=simple",
        "ExecStart=/usr/bin/openstack-provider --config /etc/athenz/openstack-provider.toml",
        "ProtectSystem=strict",
        "NoNewPrivileges=true",
    ] {
        assert!(UNIT.lines().any(|l| l == needed), "missing {needed}");
    }
}

#[test]
fn the_example_config_is_complete() {
    let raw = RawConfig::from_toml(EXAMPLE).unwrap();
    let errors = raw.validate().unwrap_err();
    // Only the files it names are missing here.
    for e in &errors {
        assert!(e.contains("/etc/athenz/openstack-provider/"), "{e}");
    }
    assert_eq!(errors.len(), 4, "{errors:#?}");
}

#[test]
fn check_config_exit_codes() {
    let d = tempfile::tempdir().unwrap();
    let bad = d.path().join("bad.toml");
    std::fs::write(&bad, "listen = \"nowhere\"\n").unwrap();
    let out = Command::new(BIN)
        .args(["--config", bad.to_str().unwrap(), "--check-config"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("listen:") && err.contains("keystone_url is required"),
        "{err}"
    );

    let ca = server_common::devca::ensure_ca(d.path()).unwrap();
    let p = |n: &str| d.path().join(n);
    server_common::devca::issue_server_cert(
        &ca,
        "sys.openstack.cluster1",
        &p("t.pem"),
        &p("t.key"),
    )
    .unwrap();
    std::fs::write(
        p("s.key"),
        rcgen::KeyPair::generate().unwrap().serialize_pem(),
    )
    .unwrap();
    let good = EXAMPLE
        .replace(
            "/etc/athenz/openstack-provider/server.cert.pem",
            p("t.pem").to_str().unwrap(),
        )
        .replace(
            "/etc/athenz/openstack-provider/server.key.pem",
            p("t.key").to_str().unwrap(),
        )
        .replace(
            "/etc/athenz/openstack-provider/zts-ca.pem",
            p(server_common::devca::CA_CERT).to_str().unwrap(),
        )
        .replace(
            "/etc/athenz/openstack-provider/signing.key.pem",
            p("s.key").to_str().unwrap(),
        );
    std::fs::write(p("good.toml"), good).unwrap();
    let out = Command::new(BIN)
        .args([
            "--config",
            p("good.toml").to_str().unwrap(),
            "--check-config",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
