//! `sia-openstack`: see `sia_openstack::cli`. Exit codes (`sia_core::runner`): 0 done (or
//! stopped by SIGTERM/SIGINT), 1 the command failed, 2 bad command line.

use sia_core::runner;
use sia_openstack::cli;
use std::process::ExitCode;

// One thread: the agent does one thing at a time (as siad).
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let opts = match cli::parse(std::env::args().skip(1).collect()) {
        Ok(Some(o)) => o,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => return runner::usage_exit(cli::PROGRAM, &e),
    };
    let journal = sia_core::logging::init(log::LevelFilter::Info);
    let env = |k: &str| std::env::var(k).ok();
    runner::finish(cli::PROGRAM, journal, cli::run(&opts, &env).await)
}
