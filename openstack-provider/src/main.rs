//! `openstack-provider`: parses flags, loads and validates the configuration, and runs
//! [`openstack_provider::serve`].

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

/// The OpenStack instance provider: Nova vendordata endpoint and Athenz provider callback.
#[derive(Debug, Parser)]
#[command(name = "openstack-provider", version)]
struct Args {
    /// TOML configuration file.
    #[arg(long)]
    config: PathBuf,
    /// Validate the configuration and exit (0 valid, 1 not).
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
    let config = match openstack_provider::config::Config::load(&args.config) {
        Ok(c) => c,
        Err(errors) => {
            eprintln!(
                "openstack-provider: invalid configuration:\n  {}",
                errors.join("\n  ")
            );
            return ExitCode::FAILURE;
        }
    };
    if args.check_config {
        println!(
            "configuration OK: provider {} listen {}",
            config.provider_name, config.listen
        );
        return ExitCode::SUCCESS;
    }
    match tokio::runtime::Runtime::new()
        .map_err(anyhow::Error::from)
        .and_then(|rt| rt.block_on(run(config)))
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("openstack-provider: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: openstack_provider::config::Config) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let shutdown = async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    };
    openstack_provider::serve(listener, config, shutdown).await
}
