//! Routes of the authorization API under `/zts/v1` (Athenz `RoleCert.rdli`, `OAuth.rdli`,
//! `Token.rdli`, `SignedPolicies.rdli`, `Access.rdli`). Handlers authenticate the caller,
//! parse, and call one function of the sibling modules.

use super::{Principal, access_token, policies, role_token, rolecert};
use crate::api::Body;
use crate::error::{ZtsError, ZtsResult};
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use model::access::AccessRequest;
use model::zts_token::{OpenIdConfiguration, ResourceAccess, RoleAccess, RoleCertificateRequest};
use serde::Deserialize;
use server_common::tls::Peer;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

type St = State<Arc<AppState>>;

/// The routes, to merge into the v1 router.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/rolecert", post(post_rolecert))
        .route("/oauth2/token", post(post_token))
        .route("/oauth2/keys", get(jwks))
        .route("/.well-known/openid-configuration", get(openid))
        .route("/domain/{domain}/token", get(get_role_token))
        .route(
            "/domain/{domain}/signed_policy_data",
            get(signed_policy_data),
        )
        .route("/domain/{domain}/policy/signed", post(signed_policy_jws))
        .route("/access/{action}/{resource}", get(access))
        .route("/access/{action}", get(access_ext))
        .route(
            "/access/domain/{domain}/role/{role}/principal/{principal}",
            get(role_access_check),
        )
        .route(
            "/access/domain/{domain}/principal/{principal}",
            get(roles_of),
        )
}

fn peer(req: &Request) -> Option<Peer> {
    req.extensions().get::<Peer>().cloned()
}

/// Token answers must not be cached (RFC 6749 §5.1).
fn no_store(body: impl serde::Serialize) -> Response {
    (
        [
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (header::PRAGMA, HeaderValue::from_static("no-cache")),
        ],
        Json(body),
    )
        .into_response()
}

async fn post_rolecert(
    st: St,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    req: Request,
) -> ZtsResult<Response> {
    let caller = Principal::from_peer(peer(&req).as_ref())?;
    let Body(body) = Body::<RoleCertificateRequest>::from_request(req, &()).await?;
    let cert = rolecert::issue(&st, &caller, Some(addr.ip()), &body)?;
    Ok(Json(cert).into_response())
}

async fn post_token(st: St, req: Request) -> ZtsResult<Response> {
    let caller = Principal::from_peer(peer(&req).as_ref())?;
    let bytes = axum::body::Bytes::from_request(req, &())
        .await
        .map_err(|e| ZtsError::BadRequest(format!("cannot read request body: {e}")))?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
        ZtsError::BadRequest(format!(
            "Invalid request: body is not application/x-www-form-urlencoded: {e}"
        ))
    })?;
    let form: HashMap<String, String> = pairs.into_iter().collect();
    let answer = access_token::issue(&st, &st.tokens, &caller, &form)?;
    Ok(no_store(answer))
}

#[derive(Debug, Default, Deserialize)]
struct JwksQuery {
    rfc: Option<bool>,
    service: Option<String>,
}

/// `GET /oauth2/keys?rfc=&service=`: ZTS's keys, or ZMS's with `service=zms`.
async fn jwks(st: St, Query(q): Query<JwksQuery>) -> ZtsResult<Response> {
    let rfc = q.rfc.unwrap_or(false);
    let list = if q.service.as_deref() == Some("zms") {
        let key = crate::zmsdata::load_zms_key(&st.config.zms_public_key_file)
            .map_err(|e| ZtsError::Internal(format!("ZMS key: {e:#}")))?;
        let jwk = model::jwt::Jwk::from_key(&st.tokens.settings.zms_public_key_id, &key, rfc)
            .map_err(|e| ZtsError::Internal(format!("ZMS key as JWK: {e}")))?;
        model::jwt::JwkList { keys: vec![jwk] }
    } else {
        st.tokens.jwks(rfc)?
    };
    Ok(Json(list).into_response())
}

async fn openid(st: St) -> Json<OpenIdConfiguration> {
    let iss = st.tokens.settings.issuer.clone();
    Json(OpenIdConfiguration {
        authorization_endpoint: format!("{iss}/oauth2/auth"),
        token_endpoint: format!("{iss}/oauth2/token"),
        jwks_uri: format!("{iss}/oauth2/keys"),
        issuer: iss,
        response_types_supported: vec!["id_token".into()],
        subject_types_supported: vec!["public".into()],
        id_token_signing_alg_values_supported: vec!["RS256".into(), "ES256".into()],
        grant_types_supported: vec!["client_credentials".into()],
    })
}

async fn get_role_token(
    st: St,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(domain): Path<String>,
    Query(q): Query<role_token::RoleTokenQuery>,
    req: Request,
) -> ZtsResult<Response> {
    let caller = Principal::from_peer(peer(&req).as_ref())?;
    let token = role_token::issue(
        &st,
        &st.tokens,
        &caller,
        &addr.ip().to_string(),
        &domain,
        &q,
    )?;
    Ok(no_store(token))
}

/// Any authenticated caller may read policies (Athenz requires a principal, not a role).
fn authenticated(req: &Request) -> ZtsResult<Arc<str>> {
    peer(req).and_then(|p| p.principal).ok_or_else(|| {
        ZtsError::Unauthenticated("a client certificate is required to read policies".into())
    })
}

fn with_etag(tag: String, status: StatusCode, body: Option<Response>) -> ZtsResult<Response> {
    let value = HeaderValue::from_str(&tag).map_err(|_| ZtsError::Internal("bad ETag".into()))?;
    let mut resp = body.unwrap_or_else(|| status.into_response());
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::ETAG, value);
    Ok(resp)
}

fn if_none_match(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
}

async fn signed_policy_data(
    st: St,
    Path(domain): Path<String>,
    headers: HeaderMap,
    req: Request,
) -> ZtsResult<Response> {
    authenticated(&req)?;
    etagged(&st, &domain, &headers, |d| {
        Ok(Json(policies::legacy(d, &st.tokens)?).into_response())
    })
}

/// 304 with the ETag when `If-None-Match` names the domain's current tag, else `render`'s
/// answer with the ETag.
fn etagged(
    st: &AppState,
    domain: &str,
    headers: &HeaderMap,
    render: impl FnOnce(&crate::zmsdata::ZtsDomain) -> ZtsResult<Response>,
) -> ZtsResult<Response> {
    let d = policies::lookup(st, domain)?;
    if policies::not_modified(&d, if_none_match(headers)) {
        return with_etag(policies::etag(&d), StatusCode::NOT_MODIFIED, None);
    }
    let body = render(&d)?;
    with_etag(policies::etag(&d), StatusCode::OK, Some(body))
}

async fn signed_policy_jws(
    st: St,
    Path(domain): Path<String>,
    headers: HeaderMap,
    req: Request,
) -> ZtsResult<Response> {
    authenticated(&req)?;
    let Body(body) = Body::<policies::SignedPolicyRequest>::from_request(req, &()).await?;
    etagged(&st, &domain, &headers, |d| {
        Ok(Json(policies::jws(d, &st.tokens, &body)?).into_response())
    })
}

#[derive(Debug, Default, Deserialize)]
struct AccessQuery {
    domain: Option<String>,
    principal: Option<String>,
    resource: Option<String>,
}

/// The same evaluator ZMS uses, over ZTS's copy; 404 for an unknown domain as ZMS answers.
fn decide(
    st: &AppState,
    principal: &str,
    action: &str,
    resource: &str,
    trust: Option<&str>,
) -> ZtsResult<bool> {
    let req = AccessRequest {
        principal,
        action,
        resource,
        trust_domain: trust,
    };
    st.zms
        .read(|d| model::access::check(d, &req, model::Timestamp::now()))
        .map_err(|e| match e {
            model::access::AccessError::DomainNotFound(d) => {
                ZtsError::NotFound(format!("no such domain: {d}"))
            }
            other => ZtsError::Forbidden(other.to_string()),
        })
}

fn check_principal(caller: &str, q: &AccessQuery) -> ZtsResult<String> {
    let p = q
        .principal
        .as_deref()
        .filter(|p| !p.is_empty())
        .unwrap_or(caller)
        .to_ascii_lowercase();
    model::names::DomainName::parse(&p)
        .map_err(|e| ZtsError::BadRequest(format!("principal: {e}")))?;
    Ok(p)
}

async fn access(
    st: St,
    Path((action, resource)): Path<(String, String)>,
    Query(q): Query<AccessQuery>,
    req: Request,
) -> ZtsResult<Json<ResourceAccess>> {
    let caller = authenticated(&req)?;
    let principal = check_principal(&caller, &q)?;
    let granted = decide(&st, &principal, &action, &resource, q.domain.as_deref())?;
    Ok(Json(ResourceAccess { granted }))
}

async fn access_ext(
    st: St,
    Path(action): Path<String>,
    Query(q): Query<AccessQuery>,
    req: Request,
) -> ZtsResult<Json<ResourceAccess>> {
    let caller = authenticated(&req)?;
    let principal = check_principal(&caller, &q)?;
    let resource = q
        .resource
        .as_deref()
        .ok_or_else(|| ZtsError::BadRequest("resource: required".into()))?;
    let granted = decide(&st, &principal, &action, resource, q.domain.as_deref())?;
    Ok(Json(ResourceAccess { granted }))
}

async fn role_access_check(
    st: St,
    Path((domain, role, principal)): Path<(String, String, String)>,
    req: Request,
) -> ZtsResult<Json<ResourceAccess>> {
    authenticated(&req)?;
    let d = super::domain(&st, &domain)?;
    let full = format!("{}:role.{}", d.data.name, role.to_ascii_lowercase());
    let p = principal.to_ascii_lowercase();
    let granted = st.zms.read(|all| {
        d.compiled
            .has_role_member(all, &full, &p, model::Timestamp::now())
    });
    Ok(Json(ResourceAccess { granted }))
}

async fn roles_of(
    st: St,
    Path((domain, principal)): Path<(String, String)>,
    req: Request,
) -> ZtsResult<Json<RoleAccess>> {
    authenticated(&req)?;
    let d = super::domain(&st, &domain)?;
    let roles = super::accessible_roles(&st, &d, &principal.to_ascii_lowercase());
    Ok(Json(RoleAccess { roles }))
}
