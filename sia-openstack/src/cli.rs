//! The `sia-openstack` command line: siad's flags where they apply (shared through
//! `sia_core::runner`), plus `-provider` (the provider service) and `-meta`/`-configdrive`
//! (where the metadata comes from). Nothing else is read but `sia_config`, the metadata, the
//! kernel host name (for `sandns_hostname`) and `/etc/passwd`, `/etc/group` (for `user`/`group`).

use crate::attestor::OpenStackAttestor;
use crate::error::{Error, Result};
use crate::identity;
use crate::metadata::{self, Reader, Source};
use sia_core::agent::{self, AgentConfig};
use sia_core::flags::{FlagSet, Parse};
use sia_core::runner::{self, AgentOptions};
use std::path::PathBuf;

/// The program name in messages and the usage text.
pub const PROGRAM: &str = "sia-openstack";

/// Parsed `sia-openstack` options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The flags every SIA shares (`-cmd`, `-zts`, `-ztsport`, `-ztscacert`, `-dnsdomains`,
    /// `-config`).
    pub agent: AgentOptions,
    /// `-provider`.
    pub provider: String,
    /// `-meta` or `-configdrive`.
    pub source: Source,
}

/// The accepted flags.
pub fn flag_set() -> FlagSet {
    runner::config_flag(runner::command_flags(FlagSet::new(PROGRAM)).string(
        "provider",
        None,
        "provider service name, e.g. sys.openstack.cluster1 (required)",
    ))
    .string(
        "meta",
        Some(metadata::DEFAULT_ENDPOINT),
        "OpenStack metadata service base URL",
    )
    .string(
        "configdrive",
        None,
        "read DIR/openstack/latest/*.json from a mounted config drive instead of -meta",
    )
}

/// Parses the arguments (without the program name). `Ok(None)` means help was asked for and
/// printed. Every error here is a bad command line (exit 2).
pub fn parse(args: Vec<String>) -> Result<Option<Options>> {
    let fs = flag_set();
    let f = match fs.parse(args)? {
        Parse::Help(usage) => {
            print!("{usage}");
            return Ok(None);
        }
        Parse::Flags(f) => f,
    };
    if let Some(extra) = f.args.first() {
        return Err(Error::Usage(format!(
            "unexpected argument {extra:?}\n{}",
            fs.usage()
        )));
    }
    let agent = AgentOptions::from_flags(&f)?;
    let provider = runner::value(&f, "provider")
        .ok_or_else(|| Error::Usage(format!("-provider is required\n{}", fs.usage())))?;
    let source = match runner::value(&f, "configdrive") {
        // Both given is a mistake worth stopping for: one of them would be silently ignored.
        Some(_) if f.is_set("meta") => {
            return Err(Error::Usage(
                "-meta and -configdrive cannot be used together".into(),
            ));
        }
        Some(dir) => Source::ConfigDrive(PathBuf::from(dir)),
        None => Source::Service(
            runner::value(&f, "meta").unwrap_or_else(|| metadata::DEFAULT_ENDPOINT.to_string()),
        ),
    };
    Ok(Some(Options {
        agent,
        provider,
        source,
    }))
}

/// Runs the command. `env` reads environment variables (`NOTIFY_SOCKET`).
pub async fn run(opts: &Options, env: &dyn Fn(&str) -> Option<String>) -> Result<()> {
    let sia = runner::load_config(&opts.agent.config)?;
    let zts = opts.agent.zts_client(&sia)?;
    opts.agent.check_dns_domains(&sia)?;
    let attestor = OpenStackAttestor::new(Reader::new(opts.source.clone())?, &opts.provider);
    let instance = attestor.instance().await?;
    // The project plays the part of the cloud account: it selects the `accounts` entry.
    let project = instance.meta.project_id.as_deref();
    let (domain, service) = identity::choose(&sia.identity(project), &instance.meta)?;
    let hostname = agent::system_hostname().or_else(|| instance.meta.hostname.clone());
    let cfg = AgentConfig::for_identity(
        &sia,
        project,
        (&domain, &service),
        &opts.agent.dns_domains,
        hostname.as_deref(),
    )?;
    if cfg.services.len() > 1 {
        // One token names one service; the provider refuses the others. Say so up front.
        log::warn!(
            "sia_config lists {} services, but the provider's token names only {domain}.{service}",
            cfg.services.len()
        );
    }
    runner::create_dirs(&cfg)?;
    log::info!(
        "{PROGRAM}: {} services {:?} in domain {}, instance {}, provider {}, metadata {}, ZTS {}",
        opts.agent.command.describe(),
        cfg.services
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        cfg.domain,
        instance.meta.uuid,
        opts.provider,
        match &opts.source {
            Source::Service(url) => url.clone(),
            Source::ConfigDrive(dir) => format!("config drive {}", dir.display()),
        },
        zts.base_url()
    );
    runner::execute(
        opts.agent.command,
        &cfg,
        &zts,
        &attestor,
        env("NOTIFY_SOCKET"),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests;
