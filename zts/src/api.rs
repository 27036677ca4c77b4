//! The ZTS v1 HTTP API under `/zts/v1`: status, the instance API and CA bundles. Handlers parse
//! the request, then call one function of [`crate::instance`].

use crate::error::{ZtsError, ZtsResult};
use crate::instance::{self, Caller, Names};
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequest, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use model::zts::{
    CertificateAuthorityBundle, InstanceRefreshInformation, InstanceRegisterInformation,
};
use serde::de::DeserializeOwned;
use server_common::tls::Peer;
use std::net::SocketAddr;
use std::sync::Arc;

type St = State<Arc<AppState>>;

/// Builds the router.
pub fn router(state: Arc<AppState>) -> Router {
    let limit = state.config.max_body_bytes;
    let v1 = Router::new()
        .route("/status", get(status))
        .route("/instance", post(register))
        .route(
            "/instance/{provider}/{domain}/{service}/{instance}",
            post(refresh).delete(delete),
        )
        .route("/cacerts/{name}", get(cacerts))
        .merge(crate::authz::api::routes())
        .fallback(not_found)
        .with_state(state);
    Router::new()
        .nest("/zts/v1", v1)
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::max(limit))
}

async fn not_found() -> ZtsError {
    ZtsError::NotFound("no such endpoint".into())
}

/// 200 only once a copy of ZMS data is loaded.
async fn status(st: St) -> Response {
    if st.zms.ready() {
        Json(model::ResourceError::new(200, "OK")).into_response()
    } else {
        ZtsError::Unavailable("no copy of ZMS data loaded yet".into()).into_response()
    }
}

/// A JSON body with our error mapping: 413 over the limit, 400 naming the bad field.
pub(crate) struct Body<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ZtsError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ZtsError> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ZtsError::TooLarge("request body exceeds the configured limit".into())
                } else {
                    ZtsError::BadRequest(format!("cannot read request body: {e}"))
                }
            })?;
        serde_json::from_slice(&bytes)
            .map(Body)
            .map_err(|e| ZtsError::BadRequest(format!("invalid request body: {e}")))
    }
}

fn caller(peer: Option<&Peer>, addr: SocketAddr) -> Caller {
    Caller {
        ip: addr.ip().to_string(),
        principal: peer.and_then(|p| p.principal.as_deref().map(str::to_string)),
    }
}

async fn register(
    st: St,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    req: Request,
) -> ZtsResult<Response> {
    let peer = req.extensions().get::<Peer>().cloned();
    let Body(info) = Body::<InstanceRegisterInformation>::from_request(req, &()).await?;
    let (identity, location) = instance::register(&st, info, &caller(peer.as_ref(), addr)).await?;
    let loc =
        HeaderValue::from_str(&location).map_err(|_| ZtsError::Internal("bad location".into()))?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, loc)],
        Json(identity),
    )
        .into_response())
}

async fn refresh(
    st: St,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path((provider, domain, service, instance_id)): Path<(String, String, String, String)>,
    req: Request,
) -> ZtsResult<Response> {
    let peer = req.extensions().get::<Peer>().cloned();
    let cert = peer.as_ref().and_then(|p| p.cert.clone()).ok_or_else(|| {
        ZtsError::Unauthenticated(
            "refresh needs the current certificate as TLS client certificate".into(),
        )
    })?;
    if !st.signer.issued(cert.as_ref()) {
        return Err(ZtsError::Forbidden(
            "the client certificate was not issued by this ZTS".into(),
        ));
    }
    let names = Names::parse(&provider, &domain, &service)?;
    let Body(info) = Body::<InstanceRefreshInformation>::from_request(req, &()).await?;
    let identity = instance::refresh(
        &st,
        names,
        &instance_id,
        info,
        &caller(peer.as_ref(), addr),
        cert.as_ref(),
    )
    .await?;
    Ok(Json(identity).into_response())
}

async fn delete(
    st: St,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path((provider, domain, service, instance_id)): Path<(String, String, String, String)>,
    req: Request,
) -> ZtsResult<Response> {
    let peer = req.extensions().get::<Peer>().cloned();
    let names = Names::parse(&provider, &domain, &service)?;
    instance::delete(&st, names, &instance_id, &caller(peer.as_ref(), addr)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /cacerts/{name}`: the CA that signs instance certificates (`default` or `x509`).
async fn cacerts(st: St, Path(name): Path<String>) -> ZtsResult<Json<CertificateAuthorityBundle>> {
    match name.as_str() {
        "default" | "x509" => Ok(Json(CertificateAuthorityBundle {
            name,
            certs: st.signer.chain_pem().to_string(),
        })),
        _ => Err(ZtsError::NotFound(format!("unknown CA bundle {name:?}"))),
    }
}
