//! The ZMS v1 HTTP API under `/zms/v1` (paths and bodies from `core/zms/src/main/rdl/*.rdli`).
//! Handlers parse names at the edge, authorize with the central evaluator, then call the state's
//! single write path.

mod access;
mod domains;
mod groups;
mod objects;
mod policies;
mod roles;
mod services;
mod signed;

use crate::error::{ZmsError, ZmsResult};
use crate::state::{AppState, Change};
use crate::tls::Peer;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use model::{DomainName, EntityName};
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// Shared state handle.
pub type St = axum::extract::State<Arc<AppState>>;

/// Builds the router.
pub fn router(state: Arc<AppState>) -> Router {
    let limit = state.config.max_body_bytes;
    let v1 = Router::new()
        .route("/domain", get(domains::list).post(domains::create_top))
        .route(
            "/domain/{domain}",
            get(domains::get).delete(domains::delete_top),
        )
        .route("/subdomain/{domain}", post(domains::create_sub))
        .route(
            "/subdomain/{domain}/{sub}",
            axum::routing::delete(domains::delete_sub),
        )
        .route("/domain/{domain}/meta", put(domains::put_meta))
        .route(
            "/domain/{domain}/meta/system/{attribute}",
            put(domains::put_system_meta),
        )
        .route("/domain/{domain}/auditlog", get(signed::audit_log))
        .route("/domain/{domain}/signed", get(signed::jws_domain))
        .route("/domain/{domain}/role", get(roles::list))
        .route("/domain/{domain}/roles", get(roles::list_full))
        .route(
            "/domain/{domain}/role/{role}",
            get(roles::get).put(roles::put).delete(roles::delete),
        )
        .route(
            "/domain/{domain}/role/{role}/member/{member}",
            get(roles::get_member)
                .put(roles::put_member)
                .delete(roles::delete_member),
        )
        .route("/domain/{domain}/groups", get(groups::list_full))
        .route(
            "/domain/{domain}/group/{group}",
            get(groups::get).put(groups::put).delete(groups::delete),
        )
        .route(
            "/domain/{domain}/group/{group}/member/{member}",
            get(groups::get_member)
                .put(groups::put_member)
                .delete(groups::delete_member),
        )
        .route("/domain/{domain}/policy", get(policies::list))
        .route("/domain/{domain}/policies", get(policies::list_full))
        .route(
            "/domain/{domain}/policy/{policy}",
            get(policies::get)
                .put(policies::put)
                .delete(policies::delete),
        )
        .route(
            "/domain/{domain}/policy/{policy}/assertion",
            put(policies::put_assertion),
        )
        .route(
            "/domain/{domain}/policy/{policy}/assertion/{id}",
            get(policies::get_assertion).delete(policies::delete_assertion),
        )
        .route("/domain/{domain}/service", get(services::list))
        .route("/domain/{domain}/services", get(services::list_full))
        .route(
            "/domain/{domain}/service/{service}",
            get(services::get)
                .put(services::put)
                .delete(services::delete),
        )
        .route(
            "/domain/{domain}/service/{service}/publickey/{id}",
            get(services::get_key)
                .put(services::put_key)
                .delete(services::delete_key),
        )
        .route(
            "/domain/{domain}/service/{service}/meta/system/{attribute}",
            put(services::put_system_meta),
        )
        .route("/access/{action}/{resource}", get(access::check_path))
        .route("/access/{action}", get(access::check_query))
        .route("/sys/modified_domains", get(signed::modified_domains))
        .fallback(not_found)
        .route_layer(axum::middleware::from_fn(require_principal))
        .route("/status", get(status))
        .with_state(state);
    Router::new()
        .nest("/zms/v1", v1)
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::max(limit))
}

async fn status() -> Json<model::ResourceError> {
    Json(model::ResourceError::new(200, "OK"))
}

/// Every endpoint but `/status` needs an authenticated principal (Athenz ZMS reads are
/// authenticated too).
async fn require_principal(req: Request, next: axum::middleware::Next) -> Response {
    let known = req
        .extensions()
        .get::<Peer>()
        .is_some_and(|p| p.principal.is_some());
    if known {
        next.run(req).await
    } else {
        ZmsError::Unauthenticated("a client certificate naming a principal is required".into())
            .into_response()
    }
}

async fn not_found() -> ZmsError {
    ZmsError::NotFound("no such endpoint".into())
}

/// The authenticated caller and the request's audit reference.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Principal from the client certificate.
    pub principal: Arc<str>,
    /// `Y-Audit-Ref`, when sent.
    pub audit_ref: Option<String>,
}

impl Caller {
    /// Describes a change by this caller.
    pub fn change(&self, action: &'static str, object: String) -> Change<'_> {
        Change {
            principal: &self.principal,
            audit_ref: self.audit_ref.as_deref(),
            action,
            object,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ZmsError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ZmsError> {
        let principal = parts
            .extensions
            .get::<Peer>()
            .and_then(|p| p.principal.clone())
            .ok_or_else(|| {
                ZmsError::Unauthenticated(
                    "a client certificate naming a principal is required".into(),
                )
            })?;
        let audit_ref = match parts.headers.get("Y-Audit-Ref") {
            None => None,
            Some(v) => {
                let s = v
                    .to_str()
                    .map_err(|_| ZmsError::BadRequest("Y-Audit-Ref: not text".into()))?;
                if s.len() > 1024 {
                    return Err(ZmsError::BadRequest(
                        "Y-Audit-Ref: longer than 1024 bytes".into(),
                    ));
                }
                Some(s.to_string())
            }
        };
        Ok(Self {
            principal,
            audit_ref,
        })
    }
}

/// A JSON request body with our error mapping: 413 over the limit, 400 naming the bad field.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ZmsError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ZmsError> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ZmsError::TooLarge("request body exceeds the configured limit".into())
                } else {
                    ZmsError::BadRequest(format!("cannot read request body: {e}"))
                }
            })?;
        serde_json::from_slice(&bytes)
            .map(Body)
            .map_err(|e| ZmsError::BadRequest(format!("invalid request body: {e}")))
    }
}

/// Parses a domain name from a path segment.
pub fn domain(text: &str) -> ZmsResult<DomainName> {
    Ok(DomainName::parse(text)?)
}

/// Parses a role, group or policy short name from a path segment.
pub fn entity(text: &str) -> ZmsResult<EntityName> {
    Ok(EntityName::parse(text)?)
}

/// 204, the answer of every successful write without a body.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// Requires the name inside a body to equal the one in the path (Athenz: "mismatched names").
pub fn same_name(field: &str, body: &str, expected: &str) -> ZmsResult<()> {
    if body.eq_ignore_ascii_case(expected) {
        Ok(())
    } else {
        Err(ZmsError::BadRequest(format!(
            "{field} {body:?} does not match the path ({expected})"
        )))
    }
}
