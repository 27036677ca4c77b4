//! `siad`: see `sia_aws::siad`. Exit codes: 0 done (or stopped by SIGTERM/SIGINT), 1 the
//! command failed, 2 bad command line.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let env = |k: &str| std::env::var(k).ok();
    let opts = match sia_aws::siad::parse(std::env::args().skip(1).collect(), &env) {
        Ok(Some(o)) => o,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("siad: {e}");
            return ExitCode::from(2);
        }
    };
    let journal = sia_core::logging::init(log::LevelFilter::Info);
    match sia_aws::siad::run(&opts, &env).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line on stderr in every case; journald gets it as an error entry too.
            if journal {
                log::error!("{e}");
            }
            eprintln!("siad: {e}");
            ExitCode::FAILURE
        }
    }
}
