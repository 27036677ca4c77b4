use super::*;
use crate::flags::Parse;

fn flags(args: &[&str]) -> Flags {
    let fs = config_flag(command_flags(FlagSet::new("t")));
    match fs.parse(args.iter().copied()).unwrap() {
        Parse::Flags(f) => f,
        Parse::Help(h) => panic!("{h}"),
    }
}

#[test]
fn commands_parse_as_athenz_names_them() {
    for (v, want) in [
        ("", Command::Daemon),
        ("init", Command::Register),
        ("post", Command::Register),
        ("register", Command::Register),
        ("refresh", Command::Refresh),
        ("rotate", Command::Refresh),
        ("rolecert", Command::RoleCert),
        ("token", Command::Token),
    ] {
        assert_eq!(Command::parse(v).unwrap(), want);
    }
    let e = Command::parse("dance").unwrap_err().to_string();
    assert!(e.starts_with("unknown -cmd \"dance\""), "{e}");
}

#[test]
fn options_defaults_and_values() {
    let o = AgentOptions::from_flags(&flags(&[])).unwrap();
    assert_eq!(o.command, Command::Daemon);
    assert_eq!(o.zts_port, 4443);
    assert_eq!(o.config, PathBuf::from(DEFAULT_CONFIG));
    assert!(o.zts.is_none() && o.dns_domains.is_empty());
    let o = AgentOptions::from_flags(&flags(&[
        "-zts",
        " z ",
        "-dnsdomains",
        "a, ,b",
        "-cmd",
        "rotate",
    ]))
    .unwrap();
    assert_eq!(o.zts.as_deref(), Some("z"));
    assert_eq!(o.dns_domains, ["a", "b"]);
    assert_eq!(o.command, Command::Refresh);
    let e = AgentOptions::from_flags(&flags(&["-ztsport", "x"])).unwrap_err();
    assert_eq!(e.to_string(), "invalid -ztsport \"x\"");
}

#[test]
fn dns_domains_from_flag_or_config() {
    let o = AgentOptions::from_flags(&flags(&[])).unwrap();
    let mut sia = SiaConfig::default();
    let e = o.check_dns_domains(&sia).unwrap_err().to_string();
    assert_eq!(e, "-dnsdomains is required");
    sia.dns_domains = vec!["d".into()];
    o.check_dns_domains(&sia).unwrap();
}

#[test]
fn created_dirs_get_safe_modes() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let sia = SiaConfig {
        sia_key_dir: Some(d.path().join("k")),
        sia_cert_dir: Some(d.path().join("c")),
        sia_token_dir: Some(d.path().join("t")),
        service: Some("api".into()),
        accounts: vec![crate::config::AccountConfig {
            domain: Some("weather".into()),
            ..Default::default()
        }],
        dns_domains: vec!["example.com".into()],
        ..Default::default()
    };
    let cfg = AgentConfig::from_sia_config(&sia, None, &[], None).unwrap();
    create_dirs(&cfg).unwrap();
    for (dir, mode) in [("k", 0o700), ("c", 0o755), ("t", 0o755)] {
        let m = std::fs::metadata(d.path().join(dir)).unwrap().permissions();
        assert_eq!(m.mode() & 0o777, mode, "{dir}");
    }
}

mod credentials {
    use super::super::*;
    use crate::testutil::{FakeZts, attestor, config};

    const CREDS: &str = r#","roles":{"media:role.a":{}},"access_tokens":{"media/t":{}}"#;

    #[tokio::test]
    async fn one_shot_register_fetches_roles_then_tokens() {
        let d = tempfile::tempdir().unwrap();
        let cfg = config(d.path(), CREDS);
        let zts = FakeZts::new();
        execute(Command::Register, &cfg, &zts, &attestor(), None)
            .await
            .unwrap();
        assert!(d.path().join("certs/media:role.a.cert.pem").exists());
        assert!(d.path().join("tokens/media/t").exists());
        // Failures are logged, not fatal, and leave the files.
        *zts.role_fail.lock().unwrap() = Some((403, "no".into()));
        *zts.token_fail.lock().unwrap() = Some((403, "no".into()));
        execute(Command::Refresh, &cfg, &zts, &attestor(), None)
            .await
            .unwrap();
        assert!(d.path().join("certs/media:role.a.cert.pem").exists());
        assert!(d.path().join("tokens/media/t").exists());
        // Asked for by name, they fail the run.
        let e = execute(Command::RoleCert, &cfg, &zts, &attestor(), None)
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("role certificates not obtained for media:role.a")
        );
        let e = execute(Command::Token, &cfg, &zts, &attestor(), None)
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("access tokens not obtained for media/t")
        );
        *zts.role_fail.lock().unwrap() = None;
        *zts.token_fail.lock().unwrap() = None;
        execute(Command::RoleCert, &cfg, &zts, &attestor(), None)
            .await
            .unwrap();
        execute(Command::Token, &cfg, &zts, &attestor(), None)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn required_role_certs_fail_a_one_shot_run() {
        let d = tempfile::tempdir().unwrap();
        let mut cfg = config(
            d.path(),
            r#","role_certs_required":true,"roles":{"media:role.a":{}}"#,
        );
        cfg.timing.required_role_certs_timeout = std::time::Duration::from_millis(20);
        let zts = FakeZts::new();
        *zts.role_fail.lock().unwrap() = Some((403, "not a member".into()));
        let e = execute(Command::Register, &cfg, &zts, &attestor(), None)
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Credentials { .. }), "{e}");
        assert!(e.to_string().contains("not a member"), "{e}");
        assert!(cfg.services[0].cert_file.exists(), "the identity is kept");
    }
}
