//! The one error type of ZMS and its one mapping to an HTTP answer `{code, message}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use model::ResourceError;

/// Every way a ZMS request can fail. Each variant maps to exactly one status in
/// [`ZmsError::status`]; messages name what was wrong and never carry secrets or backend detail.
#[derive(Debug, thiserror::Error)]
pub enum ZmsError {
    /// Malformed input: a name outside the grammar, bad JSON, a field that does not belong.
    #[error("{0}")]
    BadRequest(String),
    /// No (valid) client certificate.
    #[error("{0}")]
    Unauthenticated(String),
    /// The principal may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The object does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The object already exists, or a concurrent change won.
    #[error("{0}")]
    Conflict(String),
    /// Request body over the configured limit.
    #[error("{0}")]
    TooLarge(String),
    /// Store or other server-side failure; the detail is logged, not returned.
    #[error("internal error")]
    Internal(String),
}

impl ZmsError {
    /// The HTTP status for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<model::NameError> for ZmsError {
    fn from(e: model::NameError) -> Self {
        Self::BadRequest(e.to_string())
    }
}

impl From<zms_store::StoreError> for ZmsError {
    fn from(e: zms_store::StoreError) -> Self {
        match e {
            zms_store::StoreError::Conflict(d) => {
                Self::Conflict(format!("concurrent update of domain {d}, retry"))
            }
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<model::access::AccessError> for ZmsError {
    fn from(e: model::access::AccessError) -> Self {
        match e {
            model::access::AccessError::DomainNotFound(_) => Self::NotFound(e.to_string()),
            model::access::AccessError::DomainDisabled(_) => Self::Forbidden(e.to_string()),
        }
    }
}

impl IntoResponse for ZmsError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Self::Internal(detail) = &self {
            tracing::error!(%detail, "request failed");
        }
        let body = ResourceError::new(status.as_u16(), self.to_string());
        (status, axum::Json(body)).into_response()
    }
}

/// Result alias used by handlers.
pub type ZmsResult<T> = Result<T, ZmsError>;
