//! The one error type of `zms-cli` and its exit codes.

/// Why a command failed. [`CliError::exit_code`] maps each kind to the process exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The server answered with a non-2xx status; `message` is from its `{code, message}` body.
    #[error("{code} {message}")]
    Server {
        /// HTTP status.
        code: u16,
        /// The server's message (or a short description when the body was not a ResourceError).
        message: String,
    },
    /// The server answered 2xx with a body this client does not understand.
    #[error("unexpected answer from server: {0}")]
    Response(String),
    /// Bad arguments or unreadable local files (certificate, key, public key).
    #[error("{0}")]
    Usage(String),
    /// The server could not be reached (connection refused, TLS failure, timeout).
    #[error("{0}")]
    Connection(String),
}

impl CliError {
    /// Exit code: 1 when the server refused or answered badly, 2 for usage and connection errors.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Server { .. } | Self::Response(_) => 1,
            Self::Usage(_) | Self::Connection(_) => 2,
        }
    }

    /// A usage error from any displayable message.
    pub fn usage(msg: impl Into<String>) -> Self {
        Self::Usage(msg.into())
    }
}

/// Result of every `zms-cli` operation.
pub type Result<T> = std::result::Result<T, CliError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_exit_1_and_print_code_then_message() {
        let e = CliError::Server {
            code: 404,
            message: "role not found: d:role.r".into(),
        };
        assert_eq!(e.to_string(), "404 role not found: d:role.r");
        assert_eq!(e.exit_code(), 1);
        assert_eq!(CliError::usage("bad").exit_code(), 2);
        assert_eq!(CliError::Connection("refused".into()).exit_code(), 2);
    }
}
