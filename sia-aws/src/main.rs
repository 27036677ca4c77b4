//! `siad`: see `sia_aws::siad`. Exit codes (`sia_core::runner`): 0 done (or stopped by
//! SIGTERM/SIGINT), 1 the command failed, 2 bad command line.

use sia_core::runner;
use std::process::ExitCode;

// One thread: the agent does one thing at a time, and every worker thread costs resident memory
// (docs/benchmarks.md, siad-bench).
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let env = |k: &str| std::env::var(k).ok();
    let opts = match sia_aws::siad::parse(std::env::args().skip(1).collect(), &env) {
        Ok(Some(o)) => o,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => return runner::usage_exit("siad", &e),
    };
    let journal = sia_core::logging::init(log::LevelFilter::Info);
    runner::finish("siad", journal, sia_aws::siad::run(&opts, &env).await)
}
