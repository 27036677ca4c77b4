//! `zms-cli`: a command-line client for an Athenz-compatible ZMS server.
//!
//! [`Cli`] is the command line (clap); [`run`] performs one command against the server and
//! returns what to print on stdout. Errors carry their exit code ([`CliError::exit_code`]): 1 when
//! the server refused (its `{code, message}` is kept), 2 for usage and connection problems.
//!
//! Layout: [`client`] does HTTP and error mapping, [`commands`] one module per object kind,
//! [`assertion`] parses `grant|deny ACTION to ROLE on RESOURCE`, [`table`] renders text output.

pub mod args;
pub mod assertion;
pub mod client;
pub mod commands;
pub mod error;
pub mod table;

pub use args::{Cli, Command};
pub use client::{Client, ClientConfig};
pub use error::{CliError, Result};

/// Runs one command and returns its standard output (ending in a newline, or empty).
pub async fn run(cli: Cli) -> Result<String> {
    let cfg = ClientConfig {
        zms: cli.zms.clone(),
        cert: cli.cert.clone(),
        key: cli.key.clone(),
        ca: cli.ca.clone(),
        audit_ref: cli.audit_ref.clone(),
    };
    let ctx = commands::Ctx {
        client: Client::new(&cfg)?,
        json: cli.json,
    };
    commands::dispatch(&ctx, cli.command).await
}
