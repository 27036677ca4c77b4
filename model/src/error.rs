//! The error body every Athenz server returns (`ResourceError.java`, RDL-generated): `{code, message}`.

use serde::{Deserialize, Serialize};

/// Error body of every non-2xx response: the HTTP status repeated as `code` plus a message that
/// names what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceError {
    /// HTTP status code.
    pub code: u16,
    /// Human-readable reason.
    pub message: String,
}

impl ResourceError {
    /// Builds an error body.
    pub fn new(code: u16, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ResourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ResourceError {}
