//! The one error type of `sia-openstack`. Messages never include the attestation token; the
//! agent prints them as its one-line failure reason.

/// Why the OpenStack side failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A metadata file could not be read or lacks what the agent needs.
    #[error("metadata {location}: {message}")]
    Metadata {
        /// The URL or config-drive path of the file.
        location: String,
        /// What went wrong, naming the field.
        message: String,
    },
    /// `sia_config` and the instance metadata do not agree on the identity (every problem).
    #[error("identity: {}", .0.join("; "))]
    Identity(Vec<String>),
    /// A command-line problem.
    #[error("{0}")]
    Usage(String),
    /// An error of the shared agent (ZTS, files, keys, config).
    #[error(transparent)]
    Core(#[from] sia_core::Error),
}

impl From<Error> for sia_core::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Core(c) => c,
            other => sia_core::Error::Attestation(other.to_string()),
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
