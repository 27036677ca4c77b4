//! `zpu`: parses Athenz ZPU's Go-style flags and runs [`zpu::run_once`], once or on an interval.

use sia_core::flags::{FlagSet, Parse};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

fn flag_set() -> FlagSet {
    let root = zpu::config::ROOT;
    FlagSet::new("zpu")
        .string(
            "athenzConf",
            Some(&format!("{root}/conf/athenz/athenz.conf")),
            "path to the athenz.conf file (ZTS URL and public keys)",
        )
        .string(
            "zpuConf",
            Some(&format!("{root}/conf/zpu/zpu.conf")),
            "path to the zpu.conf file",
        )
        .string("zts", None, "ZTS URL (overrides athenz.conf ztsUrl)")
        .string("cacert", None, "CA bundle for ZTS's certificate")
        .string(
            "private-key",
            None,
            "service private key for the TLS client identity",
        )
        .string(
            "cert-file",
            None,
            "service certificate for the TLS client identity",
        )
        .boolean("force-refresh", "fetch every domain even if unchanged")
        .boolean("check-config", "validate the configuration and exit")
        .boolean(
            "check-status",
            "check every domain's policy file on disk (present, signed, not expired) and exit",
        )
        .boolean("daemon", "keep running and update every -interval")
        .string(
            "interval",
            Some("3600"),
            "seconds between updates with -daemon",
        )
}

fn main() -> ExitCode {
    let fs = flag_set();
    let flags = match fs.parse(std::env::args().skip(1)) {
        Ok(Parse::Flags(f)) => f,
        Ok(Parse::Help(text)) => {
            println!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("zpu: {e}\n{}", fs.usage());
            return ExitCode::from(2);
        }
    };
    let path = |n: &str| flags.get(n).map(PathBuf::from);
    let overrides = zpu::config::Overrides {
        zts: flags.get("zts").map(str::to_string),
        ca_cert: path("cacert"),
        private_key: path("private-key"),
        cert_file: path("cert-file"),
        force_refresh: flags.bool("force-refresh"),
    };
    let settings = match zpu::config::load(
        &path("athenzConf").unwrap_or_default(),
        &path("zpuConf").unwrap_or_default(),
        &overrides,
    ) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("zpu: {e:#}");
            return ExitCode::from(2);
        }
    };
    if flags.bool("check-status") {
        let failed = zpu::check_status(&settings, model::Timestamp::now().millis());
        return if failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    if flags.bool("check-config") {
        println!(
            "zpu: configuration OK: {} domain(s), ZTS {}",
            settings.domains.len(),
            settings.zts_url
        );
        return ExitCode::SUCCESS;
    }
    let Some(interval) = flags
        .get("interval")
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|v| *v > 0)
    else {
        eprintln!("zpu: -interval must be a positive number of seconds");
        return ExitCode::from(2);
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("zpu: {e}");
            return ExitCode::FAILURE;
        }
    };
    let daemon = flags.bool("daemon");
    rt.block_on(async {
        if !daemon {
            tokio::time::sleep(zpu::startup_delay(
                std::env::var("STARTUP_DELAY").ok().as_deref(),
            ))
            .await;
        }
        loop {
            let ok = match zpu::run_once(&settings).await {
                Ok(r) => {
                    zpu::log_report(&r);
                    r.failed.is_empty()
                }
                Err(e) => {
                    eprintln!("zpu: {e:#}");
                    false
                }
            };
            if !daemon {
                return if ok {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                };
            }
            tokio::time::sleep(Duration::from_secs(interval)).await;
        }
    })
}
