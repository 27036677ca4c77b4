//! `zts-server`: parses flags, loads and validates configuration, and runs [`zts::serve`].

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

/// Athenz-compatible ZTS server.
#[derive(Debug, Parser)]
#[command(name = "zts-server", version)]
struct Args {
    /// TOML configuration file (also accepted with --dev, for anything beyond its defaults).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Development mode: reuse the development CA in --state-dir (as `zms-server --dev` made it),
    /// generate ZTS's own certificate there, keep the SQLite store there.
    #[arg(long)]
    dev: bool,
    /// State directory for --dev (may be the one zms-server --dev uses).
    #[arg(long, default_value = ".state")]
    state_dir: PathBuf,
    /// ZMS base URL, without /zms/v1.
    #[arg(long)]
    zms_url: Option<String>,
    /// Listen address; port 0 picks a free port.
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
            eprintln!("zts-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let mut raw = match &args.config {
        Some(p) => zts::config::RawConfig::from_file(p).map_err(anyhow::Error::msg)?,
        None => zts::config::RawConfig::default(),
    };
    let env_errors = raw.apply_env(&|k| std::env::var(k).ok());
    if args.dev {
        zts::dev::ensure_dev_files(&args.state_dir)?;
        raw = raw.with_dev_defaults(
            &args.state_dir,
            args.listen.as_deref(),
            args.zms_url.as_deref(),
        );
    } else {
        if let Some(l) = &args.listen {
            raw.listen = Some(l.clone());
        }
        if let Some(u) = &args.zms_url {
            raw.zms_url = Some(u.clone());
        }
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
        println!("configuration OK: listen {}", config.listen);
        return Ok(());
    }
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let url = format!("https://{}/zts/v1", listener.local_addr()?);
    if args.dev {
        zts::dev::write_athenz_conf(&args.state_dir, &url, &config)?;
    }
    println!("zts-server listening on {url}");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let shutdown = async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    };
    zts::serve(listener, config, shutdown).await
}
