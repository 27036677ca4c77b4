//! The one error type of the provider and its one mapping to an HTTP answer
//! `{"code": N, "message": "…"}` (`model::ResourceError`, Athenz's error body).
//!
//! Statuses: 400 malformed request, 401 no or invalid credential (Keystone token, client
//! certificate), 403 refused (a failed check, named in the message), 503 Keystone or Nova cannot
//! be asked, 500 anything else (detail logged, never returned). `anyhow` is used only in
//! `main.rs` and at startup in [`crate::serve`].

use crate::token::TokenError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use model::ResourceError;

/// Every way a provider request can fail; each variant maps to one status in [`Error::status`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Malformed input (body not JSON, metadata key missing or not an Athenz name).
    #[error("{0}")]
    BadRequest(String),
    /// No or invalid credential: Nova's Keystone token, ZTS's client certificate.
    #[error("{0}")]
    Unauthenticated(String),
    /// A check failed; the message names it.
    #[error("{0}")]
    Forbidden(String),
    /// The attestation token does not verify (a 403 naming why).
    #[error("attestation token: {0}")]
    Token(#[from] TokenError),
    /// Keystone or Nova cannot be asked; `detail` is logged, not returned.
    #[error("{service} is unavailable")]
    Unavailable {
        /// `keystone` or `nova`.
        service: &'static str,
        /// What went wrong, for the log.
        detail: String,
    },
    /// Server-side failure; the detail is logged, not returned.
    #[error("internal error")]
    Internal(String),
}

impl Error {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::Token(_) => StatusCode::FORBIDDEN,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Keystone or Nova could not be asked.
    pub(crate) fn unavailable(service: &'static str, detail: impl Into<String>) -> Self {
        Self::Unavailable {
            service,
            detail: detail.into(),
        }
    }
}

impl From<model::NameError> for Error {
    fn from(e: model::NameError) -> Self {
        Self::BadRequest(e.to_string())
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            Self::Internal(detail) => tracing::error!(%detail, "request failed"),
            Self::Unavailable { service, detail } => {
                tracing::warn!(service, %detail, "backend unavailable");
            }
            Self::BadRequest(m) | Self::Unauthenticated(m) | Self::Forbidden(m) => {
                tracing::info!(status = status.as_u16(), message = %m, "refused");
            }
            Self::Token(e) => tracing::info!(error = %e, "attestation token refused"),
        }
        (
            status,
            axum::Json(ResourceError::new(status.as_u16(), self.to_string())),
        )
            .into_response()
    }
}

/// Result alias of the handlers and clients.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn body_is_code_and_message() {
        let resp = Error::Forbidden("project p is not bound to domain d".into()).into_response();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"code":403,"message":"project p is not bound to domain d"})
        );
        let resp = Error::unavailable("nova", "connection refused to 10.0.0.1").into_response();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        assert!(!String::from_utf8_lossy(&body).contains("10.0.0.1"));
    }
}
