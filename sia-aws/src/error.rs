//! The one error type of `sia-aws`. Messages never include credentials; the agent prints them as
//! its one-line failure reason.

/// Why an AWS operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The instance metadata service failed or answered something other than 200.
    #[error("IMDS {path}: {message}")]
    Imds {
        /// The metadata path requested.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The identity document or the credentials document could not be parsed.
    #[error("{0}")]
    Document(String),
    /// STS `AssumeRole` failed.
    #[error("STS AssumeRole {role_arn}: {message}")]
    Sts {
        /// The role being assumed.
        role_arn: String,
        /// The SDK's error, with its service code and message.
        message: String,
    },
    /// A command-line or configuration problem.
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
