use super::*;

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

fn no_env(_: &str) -> Option<String> {
    None
}

#[test]
fn athenz_flags_parse() {
    let o = parse(
        args(&[
            "-zts",
            "zts.example.com",
            "--ztsport=8443",
            "-ztscacert",
            "/etc/ca.pem",
            "-dnsdomains",
            "aws.example.com, b.example.com",
            "-providerprefix",
            "athenz.aws",
            "-cmd",
            "init",
            "-config",
            "/tmp/sia_config",
        ]),
        &no_env,
    )
    .unwrap()
    .unwrap();
    assert_eq!(o.zts.as_deref(), Some("zts.example.com"));
    assert_eq!(o.zts_port, 8443);
    assert_eq!(o.zts_ca_cert, Some(PathBuf::from("/etc/ca.pem")));
    assert_eq!(o.dns_domains, ["aws.example.com", "b.example.com"]);
    assert_eq!(o.provider_prefix, "athenz.aws");
    assert_eq!(o.command, Command::Register);
    assert_eq!(o.config, PathBuf::from("/tmp/sia_config"));
    assert_eq!(o.meta, "http://169.254.169.254:80");
}

#[test]
fn defaults_commands_and_meta_precedence() {
    let base = ["-zts", "z", "-dnsdomains", "d", "-providerprefix", "p"];
    let o = parse(args(&base), &no_env).unwrap().unwrap();
    assert_eq!((o.command, o.zts_port), (Command::Daemon, 4443));
    assert_eq!(o.config, PathBuf::from("/etc/sia/sia_config"));
    for (cmd, want) in [
        ("post", Command::Register),
        ("register", Command::Register),
        ("refresh", Command::Refresh),
        ("rotate", Command::Refresh),
    ] {
        let mut a = args(&base);
        a.extend(args(&["-cmd", cmd]));
        assert_eq!(parse(a, &no_env).unwrap().unwrap().command, want);
    }
    let env = |k: &str| (k == META_ENV).then(|| "http://127.0.0.1:5080".to_string());
    assert_eq!(
        parse(args(&base), &env).unwrap().unwrap().meta,
        "http://127.0.0.1:5080"
    );
    let mut a = args(&base);
    a.extend(args(&["-meta", "http://127.0.0.1:9"]));
    assert_eq!(parse(a, &env).unwrap().unwrap().meta, "http://127.0.0.1:9");
}

#[test]
fn bad_command_lines_are_refused() {
    for (a, msg) in [
        (
            &["-zts", "z", "-dnsdomains", "d"][..],
            "-providerprefix is required",
        ),
        (&["-providerprefix", "p", "-cmd", "dance"], "unknown -cmd"),
        (
            &["-providerprefix", "p", "-ztsport", "x"],
            "invalid -ztsport",
        ),
        (
            &["-providerprefix", "p", "-bogus", "1"],
            "flag provided but not defined: -bogus",
        ),
        (&["-providerprefix", "p", "extra"], "unexpected argument"),
    ] {
        let e = parse(args(a), &no_env).unwrap_err().to_string();
        assert!(e.contains(msg), "{a:?}: {e}");
    }
    assert_eq!(parse(args(&["-h"]), &no_env).unwrap(), None);
}

#[test]
fn zts_comes_from_the_flag_or_sia_config() {
    let o = parse(args(&["-providerprefix", "p", "-ztsport", "9443"]), &no_env)
        .unwrap()
        .unwrap();
    let mut sia = SiaConfig::default();
    assert!(
        zts_client(&o, &sia)
            .unwrap_err()
            .to_string()
            .contains("-zts is required")
    );
    sia.zts = Some("zts.example.com".into());
    assert_eq!(
        zts_client(&o, &sia).unwrap().base_url(),
        "https://zts.example.com:9443/zts/v1"
    );
    sia.zts = Some("https://zts.example.com:4443/".into());
    assert_eq!(
        zts_client(&o, &sia).unwrap().base_url(),
        "https://zts.example.com:4443/zts/v1"
    );
    let o = parse(
        args(&["-providerprefix", "p", "-zts", "flag.example.com"]),
        &no_env,
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        zts_client(&o, &sia).unwrap().base_url(),
        "https://flag.example.com:4443/zts/v1"
    );
}
