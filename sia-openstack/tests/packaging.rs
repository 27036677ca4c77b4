//! `packaging/systemd/sia-openstack.service` passes `systemd-analyze verify` with no warning
//! once its ExecStart points at the built binary (verify checks that the binary exists). As in
//! `sia-aws/tests/packaging.rs`, a deliberately broken copy must be flagged, so the check cannot
//! pass by ignoring the tool's output, and a missing `systemd-analyze` fails the test rather than
//! skipping it.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::path::Path;

const UNIT: &str = include_str!("../../packaging/systemd/sia-openstack.service");
const INSTALLED: &str = "ExecStart=/usr/sbin/sia-openstack";

/// `systemd-analyze verify` of `text` as `sia-openstack.service`: (success, lines about the unit).
fn verify(dir: &Path, text: &str) -> (bool, Vec<String>) {
    let v = testkit::systemd_verify(dir, "sia-openstack.service", text);
    (v.ok, v.about_unit)
}

fn with_built_binary(unit: &str) -> String {
    testkit::unit_with_binary(
        unit,
        INSTALLED,
        &format!("ExecStart={}", env!("CARGO_BIN_EXE_sia-openstack")),
    )
}

#[test]
fn the_unit_verifies_cleanly() {
    let d = tempfile::tempdir().unwrap();
    let (ok, warnings) = verify(d.path(), &with_built_binary(UNIT));
    assert!(ok && warnings.is_empty(), "systemd-analyze: {warnings:#?}");
    for needed in [
        "Type=notify",
        "NotifyAccess=main",
        "Restart=always",
        "After=network-online.target",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/sia",
        "NoNewPrivileges=true",
        "EnvironmentFile=-/etc/sia/sia-openstack.env",
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
    let missing = UNIT.replace("/usr/sbin/sia-openstack", "/nonexistent/sia-openstack");
    let (ok, _) = verify(d.path(), &missing);
    assert!(!ok);
}

/// The unit documents the flags the binary really accepts: every flag named in its comment
/// parses.
#[test]
fn the_documented_flags_parse() {
    let line = UNIT
        .lines()
        .find_map(|l| l.strip_prefix("#   SIA_OPENSTACK_FLAGS="))
        .unwrap();
    let args: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    let o = sia_openstack::cli::parse(args).unwrap().unwrap();
    assert_eq!(o.provider, "sys.openstack.cluster1");
}
