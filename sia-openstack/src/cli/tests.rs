use super::*;
use sia_core::runner::Command;

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

fn ok(a: &[&str]) -> Options {
    parse(args(a)).unwrap().unwrap()
}

fn err(a: &[&str]) -> String {
    parse(args(a)).unwrap_err().to_string()
}

#[test]
fn siad_flags_and_ours_parse() {
    let o = ok(&[
        "-zts",
        "zts.example.com",
        "--ztsport=8443",
        "-ztscacert",
        "/etc/ca.pem",
        "-dnsdomains",
        "os.example.com, b.example.com",
        "-provider",
        "sys.openstack.cluster1",
        "-cmd",
        "init",
        "-config",
        "/tmp/sia_config",
        "-meta=http://127.0.0.1:8775",
    ]);
    assert_eq!(o.agent.zts.as_deref(), Some("zts.example.com"));
    assert_eq!(o.agent.zts_port, 8443);
    assert_eq!(o.agent.zts_ca_cert, Some(PathBuf::from("/etc/ca.pem")));
    assert_eq!(o.agent.dns_domains, ["os.example.com", "b.example.com"]);
    assert_eq!(o.agent.command, Command::Register);
    assert_eq!(o.agent.config, PathBuf::from("/tmp/sia_config"));
    assert_eq!(o.provider, "sys.openstack.cluster1");
    assert_eq!(o.source, Source::Service("http://127.0.0.1:8775".into()));
}

#[test]
fn defaults() {
    let o = ok(&["-provider", "p"]);
    assert_eq!(o.agent.command, Command::Daemon);
    assert_eq!(o.agent.zts_port, 4443);
    assert_eq!(o.agent.config, PathBuf::from("/etc/sia/sia_config"));
    assert_eq!(o.source, Source::Service("http://169.254.169.254".into()));
    assert!(o.agent.zts.is_none() && o.agent.dns_domains.is_empty());
    for (cmd, want) in [
        ("post", Command::Register),
        ("register", Command::Register),
        ("refresh", Command::Refresh),
        ("rotate", Command::Refresh),
    ] {
        assert_eq!(ok(&["-provider", "p", "-cmd", cmd]).agent.command, want);
    }
}

#[test]
fn configdrive_replaces_meta_and_excludes_it() {
    let o = ok(&["-provider", "p", "-configdrive", "/mnt/config"]);
    assert_eq!(o.source, Source::ConfigDrive("/mnt/config".into()));
    let e = err(&[
        "-provider",
        "p",
        "-configdrive",
        "/mnt/config",
        "-meta",
        "http://x",
    ]);
    assert_eq!(e, "-meta and -configdrive cannot be used together");
    // An empty -configdrive is no config drive (as an empty -zts is no -zts).
    let o = ok(&["-provider", "p", "-configdrive", ""]);
    assert_eq!(o.source, Source::Service("http://169.254.169.254".into()));
}

#[test]
fn bad_command_lines_are_refused() {
    for (a, msg) in [
        (
            &["-zts", "z", "-dnsdomains", "d"][..],
            "-provider is required",
        ),
        (&["-provider", " "], "-provider is required"),
        (&["-provider", "p", "-cmd", "dance"], "unknown -cmd"),
        (&["-provider", "p", "-ztsport", "x"], "invalid -ztsport"),
        (
            &["-provider", "p", "-providerprefix", "x"],
            "flag provided but not defined",
        ),
        (&["-provider", "p", "extra"], "unexpected argument"),
        (&["-provider"], "flag needs an argument: -provider"),
    ] {
        let e = err(a);
        assert!(e.contains(msg), "{a:?}: {e}");
    }
    assert!(err(&[]).contains("Usage of sia-openstack:"));
    assert_eq!(parse(args(&["-h"])).unwrap(), None);
}

#[test]
fn usage_lists_every_flag() {
    let u = flag_set().usage();
    for f in [
        "-cmd",
        "-zts",
        "-ztsport",
        "-ztscacert",
        "-dnsdomains",
        "-provider",
        "-config",
        "-meta",
        "-configdrive",
    ] {
        assert!(u.contains(&format!("  {f} value\n")), "{f}: {u}");
    }
}

#[tokio::test]
async fn run_fails_before_any_write_without_zts_or_metadata() {
    let d = tempfile::tempdir().unwrap();
    let config = d.path().join("sia_config");
    let keys = d.path().join("keys");
    std::fs::write(
        &config,
        format!(
            r#"{{"sia_key_dir":"{}","dns_domains":["os.example.com"]}}"#,
            keys.display()
        ),
    )
    .unwrap();
    let c = config.to_str().unwrap();
    let no_env = |_: &str| None;
    let o = ok(&[
        "-provider",
        "p",
        "-config",
        c,
        "-configdrive",
        "/nonexistent",
    ]);
    let e = run(&o, &no_env).await.unwrap_err().to_string();
    assert_eq!(e, "-zts is required");
    let o = ok(&[
        "-provider",
        "p",
        "-config",
        c,
        "-zts",
        "z",
        "-configdrive",
        d.path().to_str().unwrap(),
    ]);
    let e = run(&o, &no_env).await.unwrap_err().to_string();
    assert!(
        e.starts_with("metadata ") && e.contains("openstack/latest/meta_data.json"),
        "{e}"
    );
    assert!(
        !keys.exists(),
        "nothing is created before the metadata is read"
    );
}
