//! `zpe-bench`: ZPE's roles-based decision beside cedar-policy, casbin and regorus on one
//! generated RBAC policy set, checked for identical decisions first, then timed on one thread.
//!
//! `cargo run --release -p zpe-bench` runs it with the sizes; `--help` lists the
//! options. Progress goes to stderr, the markdown report to stdout.

mod corpus;
mod engines;
mod heap;
mod measure;
mod policy;
mod report;
mod run;

use clap::Parser;

/// Command-line options; every one has a default.
#[derive(Debug, Parser)]
#[command(about = "ZPE beside cedar-policy, casbin and regorus on one generated RBAC set")]
pub struct Args {
    /// Seed of the generator (policy set and requests).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Roles in the domain.
    #[arg(long, default_value_t = 1_000)]
    pub roles: usize,
    /// Assertions, spread evenly over the roles.
    #[arg(long, default_value_t = 10_000)]
    pub assertions: usize,
    /// Principals.
    #[arg(long, default_value_t = 5_000)]
    pub principals: usize,
    /// Roles of each principal.
    #[arg(long, default_value_t = 5)]
    pub roles_per_principal: usize,
    /// Chance, in percent, that a generated assertion is a DENY.
    #[arg(long, default_value_t = 8)]
    pub deny_percent: u64,
    /// Requests in the corpus every engine must decide like the reference.
    #[arg(long, default_value_t = 20_000)]
    pub requests: usize,
    /// Check only the first N requests of the corpus (default: all of them; the full check
    /// takes ~10 minutes because cedar as is and casbin need 10-20 ms a decision).
    #[arg(long)]
    pub check_requests: Option<usize>,
    /// Time budget per engine in seconds (half timed per decision, half untimed).
    #[arg(long, default_value_t = 6.0)]
    pub seconds: f64,
    /// Engines besides ZPE (always run): cedar, cedar-sliced, casbin, regorus.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "cedar,cedar-sliced,casbin,regorus"
    )]
    pub engines: Vec<String>,
}

fn main() -> anyhow::Result<()> {
    run::run(&Args::parse())
}
