//! The binary's exit contract (as siad's): 2 and the usage for a bad command line, 1 and one
//! `sia-openstack: …` line on stderr for a failed command, with nothing written.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sia-openstack"))
        .args(args)
        .env_remove("NOTIFY_SOCKET")
        .env_remove("JOURNAL_STREAM")
        .output()
        .unwrap()
}

#[test]
fn a_bad_command_line_exits_2() {
    let out = run(&["-zts", "z"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("sia-openstack: -provider is required\nUsage of sia-openstack:"),
        "{err}"
    );
    assert_eq!(run(&["-h"]).status.code(), Some(0));
}

#[test]
fn a_failed_command_exits_1_with_one_line_and_writes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let config = d.path().join("sia_config");
    let keys = d.path().join("keys");
    std::fs::write(
        &config,
        format!(
            r#"{{"sia_key_dir":"{}","sia_cert_dir":"{}","dns_domains":["os.example.com"]}}"#,
            keys.display(),
            d.path().join("certs").display()
        ),
    )
    .unwrap();
    let latest = d.path().join("drive/openstack/latest");
    std::fs::create_dir_all(&latest).unwrap();
    std::fs::write(
        latest.join("meta_data.json"),
        r#"{"uuid":"u-1","meta":{"athenz_domain":"weather","athenz_service":"api"}}"#,
    )
    .unwrap();
    std::fs::write(latest.join("vendor_data2.json"), "{}").unwrap();
    let out = run(&[
        "-provider",
        "sys.openstack.cluster1",
        "-zts",
        "127.0.0.1",
        "-ztsport",
        "1",
        "-cmd",
        "init",
        "-config",
        config.to_str().unwrap(),
        "-configdrive",
        d.path().join("drive").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("sia-openstack: "))
        .collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].contains("vendor_data2.json: no \"athenz\" entry"),
        "{err}"
    );
    assert!(!keys.exists() && !d.path().join("certs").exists());
}
