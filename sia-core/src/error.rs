//! The one error type of `sia-core`. Every variant carries a message fit for the agent's one-line
//! failure report; none ever carries key material, credentials or tokens.

use std::path::PathBuf;

/// Why an agent operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The command line was wrong (unknown flag, missing value, missing required flag).
    #[error("{0}")]
    Flags(String),
    /// `sia_config` or the resolved agent configuration is invalid; every problem is listed.
    #[error("invalid configuration: {}", .0.join("; "))]
    Config(Vec<String>),
    /// A private key could not be generated, parsed or encoded.
    #[error("key: {0}")]
    Key(String),
    /// The CSR could not be built.
    #[error("csr: {0}")]
    Csr(String),
    /// A certificate (issued or on disk) is unusable: unparsable, expired, or not for our key.
    #[error("certificate: {0}")]
    Certificate(String),
    /// ZTS answered with a non-success status; `message` is the server's `{"code","message"}`
    /// message (or the raw body when it is not that shape).
    #[error("ZTS returned {status}: {message}")]
    Zts {
        /// HTTP status code.
        status: u16,
        /// The server's message.
        message: String,
    },
    /// ZTS could not be reached (DNS, connect, TLS, timeout) or its answer was not readable.
    #[error("ZTS request failed: {0}")]
    Transport(String),
    /// The platform could not prove where the agent runs (metadata service, cloud API).
    #[error("attestation: {0}")]
    Attestation(String),
    /// A file or directory operation failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done (`write`, `rename`, `read`, ...).
        op: &'static str,
        /// The path concerned.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Role certificates or access tokens could not be obtained (for role certificates only
    /// when `role_certs_required`, or when `-cmd rolecert`/`token` asked for them).
    #[error("{what} not obtained for {}: {last}", names.join(", "))]
    Credentials {
        /// `role certificates` or `access tokens`.
        what: &'static str,
        /// The roles or token files that failed.
        names: Vec<String>,
        /// The last failure.
        last: Box<Error>,
    },
    /// The daemon gave up after this many consecutive failures (Athenz `fail_count_for_exit`).
    #[error("giving up after {count} consecutive failures; last: {last}")]
    TooManyFailures {
        /// Consecutive failures.
        count: u32,
        /// The last failure.
        last: Box<Error>,
    },
}

impl Error {
    /// Wraps an I/O error with the operation and path it concerns.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// One [`Error::Credentials`] for the `(name, error)` failures of a fetch round, or `None`
    /// when nothing failed; the last failure is the one reported in full.
    pub fn credentials(what: &'static str, mut failed: Vec<(String, Error)>) -> Option<Self> {
        let (name, last) = failed.pop()?;
        let mut names: Vec<String> = failed.into_iter().map(|(n, _)| n).collect();
        names.push(name);
        Some(Error::Credentials {
            what,
            names,
            last: Box::new(last),
        })
    }
}
