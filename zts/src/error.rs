//! The one error type of ZTS and its one mapping to an HTTP answer `{code, message}` (Athenz's
//! statuses: 400 bad request, 403 refused, 404 unknown domain, 504 provider unreachable).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use model::ResourceError;

/// Every way a ZTS request can fail; each variant maps to one status in [`ZtsError::status`].
#[derive(Debug, thiserror::Error)]
pub enum ZtsError {
    /// Malformed input.
    #[error("{0}")]
    BadRequest(String),
    /// No (valid) client certificate where one is needed.
    #[error("{0}")]
    Unauthenticated(String),
    /// Refused: not authorized, provider said no, certificate revoked.
    #[error("{0}")]
    Forbidden(String),
    /// Unknown domain or object.
    #[error("{0}")]
    NotFound(String),
    /// Body over the limit.
    #[error("{0}")]
    TooLarge(String),
    /// The provider could not be reached in time.
    #[error("{0}")]
    GatewayTimeout(String),
    /// Not ready (no copy of ZMS data yet).
    #[error("{0}")]
    Unavailable(String),
    /// Server-side failure; the detail is logged, not returned.
    #[error("internal error")]
    Internal(String),
}

impl ZtsError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::GatewayTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<model::NameError> for ZtsError {
    fn from(e: model::NameError) -> Self {
        Self::BadRequest(e.to_string())
    }
}

impl From<zts_store::StoreError> for ZtsError {
    fn from(e: zts_store::StoreError) -> Self {
        Self::Internal(e.to_string())
    }
}

impl IntoResponse for ZtsError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Self::Internal(detail) = &self {
            tracing::error!(%detail, "request failed");
        }
        (
            status,
            axum::Json(ResourceError::new(status.as_u16(), self.to_string())),
        )
            .into_response()
    }
}

/// Result alias used by handlers.
pub type ZtsResult<T> = Result<T, ZtsError>;
