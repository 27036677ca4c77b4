//! `siad`: Athenz's EC2 SIA command line (`provider/aws/sia-ec2/cmd/siad/main.go`) over the
//! shared agent. Everything comes from flags, `sia_config` and environment variables; nothing
//! else is read except the kernel host name (for `sandns_hostname`) and `/etc/passwd`,
//! `/etc/group` (for `user`/`group`).

use crate::ec2::Ec2Attestor;
use crate::error::{Error, Result};
use crate::imds::{self, Imds};
use sia_core::agent::{self, AgentConfig};
use sia_core::config::SiaConfig;
use sia_core::flags::{FlagSet, Parse};
use sia_core::runner::{self, AgentOptions};
use sia_core::zts::ZtsClient;
use std::path::PathBuf;

pub use sia_core::runner::{Command, DEFAULT_CONFIG, DEFAULT_ZTS_PORT};

/// The environment variable that sets the IMDS endpoint (the AWS SDKs' name); `-meta` wins.
pub const META_ENV: &str = "AWS_EC2_METADATA_SERVICE_ENDPOINT";

/// Parsed `siad` options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `-zts`.
    pub zts: Option<String>,
    /// `-ztsport`.
    pub zts_port: u16,
    /// `-ztscacert`.
    pub zts_ca_cert: Option<PathBuf>,
    /// `-dnsdomains`.
    pub dns_domains: Vec<String>,
    /// `-providerprefix`.
    pub provider_prefix: String,
    /// `-cmd`.
    pub command: Command,
    /// `-config`.
    pub config: PathBuf,
    /// `-meta` (else `$AWS_EC2_METADATA_SERVICE_ENDPOINT`, else the link-local address).
    pub meta: String,
}

/// The accepted flags (the shared ones from [`runner`], in siad's usage order).
pub fn flag_set() -> FlagSet {
    runner::config_flag(runner::command_flags(FlagSet::new("siad")).string(
        "providerprefix",
        None,
        "provider prefix; the provider is <prefix>.<region> (required)",
    ))
    .string(
        "meta",
        Some(imds::DEFAULT_ENDPOINT),
        "EC2 metadata service endpoint",
    )
}

/// Parses the arguments (without the program name). `Ok(None)` means help was asked for and
/// printed.
pub fn parse(args: Vec<String>, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Options>> {
    let fs = flag_set();
    let f = match fs.parse(args).map_err(Error::Core)? {
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
    let common = AgentOptions::from_flags(&f)?;
    let provider_prefix = runner::value(&f, "providerprefix")
        .ok_or_else(|| Error::Usage(format!("-providerprefix is required\n{}", fs.usage())))?;
    let meta = if f.is_set("meta") {
        runner::value(&f, "meta")
    } else {
        env(META_ENV).filter(|m| !m.is_empty())
    }
    .unwrap_or_else(|| imds::DEFAULT_ENDPOINT.to_string());
    let AgentOptions {
        zts,
        zts_port,
        zts_ca_cert,
        dns_domains,
        command,
        config,
    } = common;
    Ok(Some(Options {
        zts,
        zts_port,
        zts_ca_cert,
        dns_domains,
        provider_prefix,
        command,
        config,
        meta,
    }))
}

impl Options {
    /// The options every SIA command line shares.
    pub fn agent(&self) -> AgentOptions {
        AgentOptions {
            zts: self.zts.clone(),
            zts_port: self.zts_port,
            zts_ca_cert: self.zts_ca_cert.clone(),
            dns_domains: self.dns_domains.clone(),
            command: self.command,
            config: self.config.clone(),
        }
    }
}

/// Runs the command. `env` reads environment variables (`NOTIFY_SOCKET`).
pub async fn run(opts: &Options, env: &dyn Fn(&str) -> Option<String>) -> Result<()> {
    let common = opts.agent();
    let sia = runner::load_config(&opts.config)?;
    let zts = zts_client(opts, &sia)?;
    common.check_dns_domains(&sia)?;
    let attestor = Ec2Attestor::new(
        Imds::new(&opts.meta)?,
        &opts.provider_prefix,
        sia.role_path.clone(),
    );
    let doc = attestor.document().await?;
    let hostname = agent::system_hostname();
    let cfg = AgentConfig::from_sia_config(
        &sia,
        Some(&doc.account_id),
        &opts.dns_domains,
        hostname.as_deref(),
    )?;
    runner::create_dirs(&cfg)?;
    log::info!(
        "siad: {} services {:?} in domain {}, provider {}.{}, ZTS {}",
        opts.command.describe(),
        cfg.services
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        cfg.domain,
        opts.provider_prefix,
        doc.region,
        zts.base_url()
    );
    runner::execute(opts.command, &cfg, &zts, &attestor, env("NOTIFY_SOCKET")).await?;
    Ok(())
}

/// `-zts` host (with `-ztsport`), else `sia_config`'s `zts`: see [`runner::zts_client`].
fn zts_client(opts: &Options, sia: &SiaConfig) -> Result<ZtsClient> {
    Ok(opts.agent().zts_client(sia)?)
}

#[cfg(test)]
mod tests;
