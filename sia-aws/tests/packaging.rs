//! The files under `packaging/`: the systemd unit passes `systemd-analyze verify` with no
//! warning once its ExecStart points at the built siad (verify checks that the binary exists;
//! a deliberately broken copy must be flagged, so the check cannot pass by ignoring the tool's
//! output); the cloud-init example's `sia_config` parses without warnings; the IAM examples are
//! the documented shape.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::path::Path;

const UNIT: &str = include_str!("../../packaging/systemd/siad.service");

/// `systemd-analyze verify` of `text` as `siad.service`: (success, lines about the unit).
fn verify(dir: &Path, text: &str) -> (bool, Vec<String>) {
    let v = testkit::systemd_verify(dir, "siad.service", text);
    (v.ok, v.about_unit)
}

fn with_built_binary(unit: &str) -> String {
    testkit::unit_with_binary(
        unit,
        "ExecStart=/usr/sbin/siad",
        &format!("ExecStart={}", env!("CARGO_BIN_EXE_siad")),
    )
}

#[test]
fn the_unit_verifies_cleanly() {
    let d = tempfile::tempdir().unwrap();
    let (ok, warnings) = verify(d.path(), &with_built_binary(UNIT));
    assert!(ok && warnings.is_empty(), "systemd-analyze: {warnings:#?}");
    for needed in [
        "Type=notify",
        "Restart=always",
        "After=network-online.target",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/sia",
        "NoNewPrivileges=true",
    ] {
        assert!(UNIT.lines().any(|l| l == needed), "missing {needed}");
    }
}

#[test]
fn a_broken_unit_is_flagged() {
    let d = tempfile::tempdir().unwrap();
    let bad = with_built_binary(UNIT).replace("ProtectHome=true", "ProtectHom=true");
    let (_, warnings) = verify(d.path(), &bad);
    assert!(
        warnings.iter().any(|w| w.contains("ProtectHom")),
        "{warnings:#?}"
    );
    let missing = UNIT.replace("/usr/sbin/siad", "/nonexistent/siad");
    let (ok, _) = verify(d.path(), &missing);
    assert!(!ok);
}

#[test]
fn the_cloud_init_sia_config_parses_without_warnings() {
    let yaml = include_str!("../../packaging/cloud-init/user-data.yaml");
    let start = yaml.find("path: /etc/sia/sia_config").unwrap();
    let body: String = yaml[start..]
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("content: |"))
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with("- path:"))
        .map(|l| format!("{}\n", l.trim_start()))
        .collect();
    let loaded = sia_core::config::SiaConfig::parse(&body).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(loaded.config.service.as_deref(), Some("api"));
    assert!(yaml.contains("systemctl, enable, --now, siad.service"));
}

#[test]
fn the_trust_policy_lets_the_instance_role_assume_the_service_role() {
    let v: serde_json::Value =
        serde_json::from_str(include_str!("../../packaging/aws/iam-trust-policy.json")).unwrap();
    let st = &v["Statement"][0];
    assert_eq!(st["Effect"], "Allow");
    assert_eq!(st["Action"], "sts:AssumeRole");
    assert!(
        st["Principal"]["AWS"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:iam::")
    );
    let v: serde_json::Value = serde_json::from_str(include_str!(
        "../../packaging/aws/instance-role-policy.json"
    ))
    .unwrap();
    assert_eq!(v["Statement"][0]["Action"], "sts:AssumeRole");
}
