//! What every SIA command line shares, so that each platform binary (`siad`, `sia-openstack`)
//! parses, dispatches and exits the same way: the `-cmd`, `-zts`, `-ztsport`, `-ztscacert`,
//! `-dnsdomains` and `-config` flags (Athenz siad's), the ZTS client they name, the directories
//! created before the first write, the register/refresh/daemon dispatch with systemd readiness,
//! and the exit codes (0 done, 1 failed with one line on stderr, 2 bad command line).
//!
//! Platform flags and the [`Attestor`] stay in the platform crate; nothing here knows a platform.

use crate::agent::{self, AgentConfig, Attestor};
use crate::config::SiaConfig;
use crate::error::{Error, Result};
use crate::flags::{FlagSet, Flags};
use crate::zts::ZtsClient;
use crate::{daemon, files, notify, roles, tokens};
use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Default `-config`.
pub const DEFAULT_CONFIG: &str = "/etc/sia/sia_config";
/// Default `-ztsport` (Athenz `ATHENZ_HTTPS_PORT_DEFAULT`).
pub const DEFAULT_ZTS_PORT: &str = "4443";

/// What `-cmd` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// No `-cmd`: refresh or register, then keep refreshing.
    Daemon,
    /// `init`, `post`, `register`: register once.
    Register,
    /// `refresh`, `rotate`: refresh once.
    Refresh,
    /// `rolecert`: fetch the role certificates once with the identity on disk.
    RoleCert,
    /// `token`: fetch the access tokens once with the identity on disk.
    Token,
}

impl Command {
    /// Parses a `-cmd` value (Athenz siad's names; empty is the daemon).
    pub fn parse(value: &str) -> Result<Self> {
        match value {
            "" => Ok(Self::Daemon),
            "init" | "post" | "register" => Ok(Self::Register),
            "refresh" | "rotate" => Ok(Self::Refresh),
            "rolecert" => Ok(Self::RoleCert),
            "token" => Ok(Self::Token),
            other => Err(Error::Flags(format!(
                "unknown -cmd {other:?} (use init|post|register|refresh|rotate|rolecert|token)"
            ))),
        }
    }

    /// The verb for the start-up log line.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Daemon => "daemon for",
            Self::Register => "register",
            Self::Refresh => "refresh",
            Self::RoleCert => "role certificates for",
            Self::Token => "access tokens for",
        }
    }
}

/// The shared options, parsed from [`command_flags`] and [`config_flag`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentOptions {
    /// `-zts`.
    pub zts: Option<String>,
    /// `-ztsport`.
    pub zts_port: u16,
    /// `-ztscacert`.
    pub zts_ca_cert: Option<PathBuf>,
    /// `-dnsdomains`, split on commas.
    pub dns_domains: Vec<String>,
    /// `-cmd`.
    pub command: Command,
    /// `-config`.
    pub config: PathBuf,
}

/// Adds `-cmd`, `-zts`, `-ztsport`, `-ztscacert` and `-dnsdomains`. Separate from
/// [`config_flag`] so a platform can put its own flags in between and keep siad's usage order.
pub fn command_flags(fs: FlagSet) -> FlagSet {
    fs.string(
        "cmd",
        Some(""),
        "command: init|post|register|refresh|rotate|rolecert|token (empty: daemon)",
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
}

/// Adds `-config`.
pub fn config_flag(fs: FlagSet) -> FlagSet {
    fs.string("config", Some(DEFAULT_CONFIG), "sia_config file")
}

/// A flag's value, trimmed; `None` when absent or blank (Go siad treats `-zts ""` as unset).
pub fn value(f: &Flags, name: &str) -> Option<String> {
    f.get(name)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

impl AgentOptions {
    /// Reads the shared flags. `-cmd` is checked before `-ztsport`; neither is required here
    /// (`-zts` and `-dnsdomains` may come from `sia_config`, checked by [`Self::zts_client`]
    /// and [`Self::check_dns_domains`] once it is loaded).
    pub fn from_flags(f: &Flags) -> Result<Self> {
        let command = Command::parse(f.get("cmd").unwrap_or(""))?;
        let port = f.get("ztsport").unwrap_or(DEFAULT_ZTS_PORT);
        let zts_port = port
            .parse()
            .map_err(|_| Error::Flags(format!("invalid -ztsport {port:?}")))?;
        Ok(Self {
            zts: value(f, "zts"),
            zts_port,
            zts_ca_cert: value(f, "ztscacert").map(PathBuf::from),
            dns_domains: value(f, "dnsdomains")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_string)
                .collect(),
            command,
            config: value(f, "config").map_or_else(|| PathBuf::from(DEFAULT_CONFIG), PathBuf::from),
        })
    }

    /// `-zts` host (with `-ztsport`), else `sia_config`'s `zts`: a host, or an `https://` URL.
    pub fn zts_client(&self, sia: &SiaConfig) -> Result<ZtsClient> {
        zts_client(
            self.zts.as_deref(),
            self.zts_port,
            self.zts_ca_cert.as_deref(),
            sia,
        )
    }

    /// Fails with `-dnsdomains is required` when neither the flag nor `sia_config` names one.
    pub fn check_dns_domains(&self, sia: &SiaConfig) -> Result<()> {
        if self.dns_domains.is_empty() && sia.dns_domains.is_empty() {
            return Err(Error::Flags("-dnsdomains is required".into()));
        }
        Ok(())
    }
}

/// The ZTS client: `zts` host (with `port`), else `sia_config`'s `zts`, a host or an `https://`
/// URL (with or without `/zts/v1`). Fails with `-zts is required` when neither names one.
pub fn zts_client(
    zts: Option<&str>,
    port: u16,
    ca: Option<&Path>,
    sia: &SiaConfig,
) -> Result<ZtsClient> {
    if let Some(host) = zts {
        return Ok(ZtsClient::new(host, port, ca));
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
        Some(host) => Ok(ZtsClient::new(host, port, ca)),
        None => Err(Error::Flags("-zts is required".into())),
    }
}

/// Loads `sia_config` and logs each of its warnings (ignored fields are never silent).
pub fn load_config(path: &Path) -> Result<SiaConfig> {
    let loaded = SiaConfig::load(path)?;
    for w in &loaded.warnings {
        log::warn!("{w}");
    }
    Ok(loaded.config)
}

/// Creates the key, certificate and token directories when missing (Athenz §4.5 defaults:
/// keys 0700, or 0750 when a group must reach them; certificates 0755; tokens 0755 like
/// Athenz's `tokens.go`, so a service user can reach its 0440 token files). Existing
/// directories keep their mode.
pub fn create_dirs(cfg: &AgentConfig) -> Result<()> {
    let key_mode = cfg.services.first().map_or(0o700, |s| s.key_dir_mode());
    files::ensure_dir(&cfg.key_dir, key_mode)?;
    files::ensure_dir(&cfg.cert_dir, agent::CERT_DIR_MODE)?;
    files::ensure_dir(&cfg.token_dir, tokens::TOKEN_DIR_MODE)?;
    Ok(())
}

/// After a one-shot register or refresh: the role certificates, then the access tokens (Athenz
/// `init`). A failure is logged and leaves the old files; it fails the run only for role
/// certificates with `role_certs_required` (after retrying, see [`roles::fetch_required`]).
pub async fn fetch_credentials(cfg: &AgentConfig, zts: &dyn agent::ZtsApi) -> Result<()> {
    if !cfg.roles.is_empty() {
        if cfg.role_certs_required {
            roles::fetch_required(cfg, zts).await?;
        } else {
            let r = roles::fetch_all(cfg, zts).await;
            if !r.is_ok() {
                log::warn!(
                    "{} of {} role certificates not obtained",
                    r.failed.len(),
                    cfg.roles.len()
                );
            }
        }
    }
    if !cfg.access_tokens.is_empty() {
        let r = tokens::fetch_all(cfg, zts).await;
        if !r.is_ok() {
            log::warn!(
                "{} of {} access tokens not obtained",
                r.failed.len(),
                cfg.access_tokens.len()
            );
        }
    }
    Ok(())
}

/// Runs `command`: register or refresh once (then the role certificates and access tokens, see
/// [`fetch_credentials`]), fetch role certificates or tokens once, or the daemon until
/// SIGTERM/SIGINT, sending systemd `READY=1` to `notify_socket` (`$NOTIFY_SOCKET`) once every
/// identity is on disk. A failed notification is only logged: the identity is there, and
/// systemd's start timeout reports a unit that never gets ready.
pub async fn execute(
    command: Command,
    cfg: &AgentConfig,
    zts: &dyn agent::ZtsApi,
    attestor: &dyn Attestor,
    notify_socket: Option<String>,
) -> Result<()> {
    match command {
        Command::Register => {
            agent::register(cfg, zts, attestor).await?;
            fetch_credentials(cfg, zts).await?;
        }
        Command::Refresh => {
            agent::refresh(cfg, zts, attestor).await?;
            fetch_credentials(cfg, zts).await?;
        }
        // Asked for by name: every failure fails the run (Athenz `rolecert`/`token` commands).
        Command::RoleCert => {
            roles::fetch_all(cfg, zts).await.into_result()?;
        }
        Command::Token => {
            tokens::fetch_all(cfg, zts).await.into_result()?;
        }
        Command::Daemon => {
            daemon::run(
                cfg,
                zts,
                attestor,
                daemon::shutdown_signal(),
                || match notify::ready(notify_socket.as_deref()) {
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

/// The exit for a command line that could not be parsed: `program: error` on stderr, status 2.
pub fn usage_exit(program: &str, error: &dyn Display) -> ExitCode {
    eprintln!("{program}: {error}");
    ExitCode::from(2)
}

/// The exit for a finished run: 0, or status 1 with one line `program: error` on stderr (and an
/// error entry in the journal when logging goes there, since stderr alone would be a plain
/// info-level line to journald).
pub fn finish<E: Display>(program: &str, journal: bool, outcome: Result<(), E>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if journal {
                log::error!("{e}");
            }
            eprintln!("{program}: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests;
