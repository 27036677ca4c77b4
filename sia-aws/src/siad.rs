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
use sia_core::zts::ZtsClient;
use sia_core::{daemon, files, notify};
use std::path::PathBuf;

/// Default `-config`.
pub const DEFAULT_CONFIG: &str = "/etc/sia/sia_config";
/// Default `-ztsport` (Athenz `ATHENZ_HTTPS_PORT_DEFAULT`).
pub const DEFAULT_ZTS_PORT: &str = "4443";
/// The environment variable that sets the IMDS endpoint (the AWS SDKs' name); `-meta` wins.
pub const META_ENV: &str = "AWS_EC2_METADATA_SERVICE_ENDPOINT";

/// What `-cmd` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// No `-cmd`: refresh or register, then keep refreshing.
    Daemon,
    /// `init`, `post`, `register`: register once.
    Register,
    /// `refresh`, `rotate`: refresh once.
    Refresh,
}

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

/// The accepted flags.
pub fn flag_set() -> FlagSet {
    FlagSet::new("siad")
        .string(
            "cmd",
            Some(""),
            "command: init|post|register|refresh|rotate (empty: daemon)",
        )
        .string("zts", None, "ZTS host name (required)")
        .string("ztsport", Some(DEFAULT_ZTS_PORT), "ZTS port")
        .string(
            "ztscacert",
            None,
            "CA bundle file that signs the ZTS certificate",
        )
        .string(
            "dnsdomains",
            None,
            "comma separated provider DNS suffixes (required)",
        )
        .string(
            "providerprefix",
            None,
            "provider prefix; the provider is <prefix>.<region> (required)",
        )
        .string("config", Some(DEFAULT_CONFIG), "sia_config file")
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
    let get = |n: &str| {
        f.get(n)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let command = match f.get("cmd").unwrap_or("") {
        "" => Command::Daemon,
        "init" | "post" | "register" => Command::Register,
        "refresh" | "rotate" => Command::Refresh,
        other => {
            return Err(Error::Usage(format!(
                "unknown -cmd {other:?} (use init|post|register|refresh|rotate)"
            )));
        }
    };
    let port = f.get("ztsport").unwrap_or(DEFAULT_ZTS_PORT);
    let zts_port = port
        .parse()
        .map_err(|_| Error::Usage(format!("invalid -ztsport {port:?}")))?;
    let provider_prefix = get("providerprefix")
        .ok_or_else(|| Error::Usage(format!("-providerprefix is required\n{}", fs.usage())))?;
    let meta = if f.is_set("meta") {
        get("meta")
    } else {
        env(META_ENV).filter(|m| !m.is_empty())
    }
    .unwrap_or_else(|| imds::DEFAULT_ENDPOINT.to_string());
    Ok(Some(Options {
        zts: get("zts"),
        zts_port,
        zts_ca_cert: get("ztscacert").map(PathBuf::from),
        dns_domains: get("dnsdomains")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_string)
            .collect(),
        provider_prefix,
        command,
        config: get("config").map_or_else(|| PathBuf::from(DEFAULT_CONFIG), PathBuf::from),
        meta,
    }))
}

/// Runs the command. `env` reads environment variables (`NOTIFY_SOCKET`).
pub async fn run(opts: &Options, env: &dyn Fn(&str) -> Option<String>) -> Result<()> {
    let loaded = SiaConfig::load(&opts.config)?;
    for w in &loaded.warnings {
        log::warn!("{w}");
    }
    let sia = loaded.config;
    let zts = zts_client(opts, &sia)?;
    if opts.dns_domains.is_empty() && sia.dns_domains.is_empty() {
        return Err(Error::Usage("-dnsdomains is required".into()));
    }
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
    create_dirs(&cfg)?;
    log::info!(
        "siad: {} services {:?} in domain {}, provider {}.{}, ZTS {}",
        match opts.command {
            Command::Daemon => "daemon for",
            Command::Register => "register",
            Command::Refresh => "refresh",
        },
        cfg.services
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        cfg.domain,
        opts.provider_prefix,
        doc.region,
        zts.base_url()
    );
    match opts.command {
        Command::Register => {
            agent::register(&cfg, &zts, &attestor).await?;
        }
        Command::Refresh => {
            agent::refresh(&cfg, &zts, &attestor).await?;
        }
        Command::Daemon => {
            let socket = env("NOTIFY_SOCKET");
            daemon::run(
                &cfg,
                &zts,
                &attestor,
                daemon::shutdown_signal(),
                || match notify::ready(socket.as_deref()) {
                    Ok(true) => log::info!("notified systemd: READY=1"),
                    Ok(false) => {}
                    Err(e) => log::warn!("systemd notification failed: {e}"),
                },
            )
            .await?;
        }
    }
    Ok(())
}

/// `-zts` host (with `-ztsport`), else `sia_config`'s `zts`: a host, or an `https://` URL.
fn zts_client(opts: &Options, sia: &SiaConfig) -> Result<ZtsClient> {
    let ca = opts.zts_ca_cert.as_deref();
    if let Some(host) = &opts.zts {
        return Ok(ZtsClient::new(host, opts.zts_port, ca));
    }
    match sia.zts.as_deref().map(str::trim).filter(|z| !z.is_empty()) {
        Some(url) if url.starts_with("https://") => {
            let url = url.trim_end_matches('/');
            let base = if url.ends_with("/zts/v1") {
                url.to_string()
            } else {
                format!("{url}/zts/v1")
            };
            Ok(ZtsClient::with_base_url(&base, ca))
        }
        Some(host) => Ok(ZtsClient::new(host, opts.zts_port, ca)),
        None => Err(Error::Usage("-zts is required".into())),
    }
}

/// Creates the key, certificate and token directories when missing (Athenz §4.5 defaults).
fn create_dirs(cfg: &AgentConfig) -> Result<()> {
    let key_mode = cfg.services.first().map_or(0o700, |s| s.key_dir_mode());
    files::ensure_dir(&cfg.key_dir, key_mode)?;
    files::ensure_dir(&cfg.cert_dir, agent::CERT_DIR_MODE)?;
    files::ensure_dir(&cfg.token_dir, 0o750)?;
    Ok(())
}

#[cfg(test)]
mod tests;
