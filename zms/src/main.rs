//! `zms-server`: parses flags, loads and validates configuration, and runs [`zms::serve`].

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

/// Athenz-compatible ZMS server.
#[derive(Debug, Parser)]
#[command(name = "zms-server", version)]
struct Args {
    /// TOML configuration file.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Development mode: embedded SQLite and a generated CA, server and admin certificate in
    /// --state-dir, created once and reused.
    #[arg(long)]
    dev: bool,
    /// State directory for --dev.
    #[arg(long, default_value = ".state")]
    state_dir: PathBuf,
    /// Listen address (overrides the config file); port 0 picks a free port.
    #[arg(long)]
    listen: Option<String>,
    /// Validate the configuration and exit.
    #[arg(long)]
    check_config: bool,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    match tokio::runtime::Runtime::new()
        .map_err(anyhow::Error::from)
        .and_then(|rt| rt.block_on(run(args)))
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zms-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let mut raw = match &args.config {
        Some(p) => zms::config::RawConfig::from_file(p).map_err(anyhow::Error::msg)?,
        None => zms::config::RawConfig::default(),
    };
    let env_errors = raw.apply_env(&|k| std::env::var(k).ok());
    if args.dev {
        let files = zms::dev::ensure_dev_files(&args.state_dir)?;
        raw = raw.with_dev_defaults(&args.state_dir, args.listen.as_deref());
        println!("development state in {}:", args.state_dir.display());
        for (what, p) in [
            ("CA certificate", &files.ca_cert),
            ("CA key", &files.ca_key),
            ("server certificate", &files.zms_cert),
            ("server key", &files.zms_key),
            ("admin certificate (user.admin)", &files.admin_cert),
            ("admin key", &files.admin_key),
        ] {
            println!("  {what}: {}", p.display());
        }
    } else if let Some(l) = &args.listen {
        raw.listen = Some(l.clone());
    }
    let config = match raw.validate() {
        Ok(c) if env_errors.is_empty() => c,
        Ok(_) => anyhow::bail!("invalid configuration:\n  {}", env_errors.join("\n  ")),
        Err(mut errors) => {
            errors.extend(env_errors);
            anyhow::bail!("invalid configuration:\n  {}", errors.join("\n  "));
        }
    };
    if args.check_config {
        println!("configuration OK: {config:?}");
        return Ok(());
    }
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    println!("zms-server listening on https://{addr}/zms/v1");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let shutdown = async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    };
    zms::serve(listener, config, shutdown).await
}
