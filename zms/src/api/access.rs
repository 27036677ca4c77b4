//! Central access checks (`Access.rdli`): `GET /access/{action}/{resource}` and the free-form
//! `GET /access/{action}?resource=`. A denial is `{"granted":false}` with 200, not a 403.

use super::{Caller, St};
use crate::error::{ZmsError, ZmsResult};
use axum::Json;
use axum::extract::{Path, Query};
use model::access::AccessRequest;
use model::zms::Access;
use model::{MemberName, ResourceName};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct CheckQuery {
    domain: Option<String>,
    principal: Option<String>,
    resource: Option<String>,
}

fn decide(
    st: &St,
    caller: &Caller,
    action: &str,
    resource: &str,
    q: &CheckQuery,
) -> ZmsResult<Json<Access>> {
    if action.is_empty() || action.chars().any(char::is_control) {
        return Err(ZmsError::BadRequest(format!("invalid action {action:?}")));
    }
    let principal = match &q.principal {
        None => caller.principal.to_string(),
        Some(p) => match MemberName::parse(p)? {
            MemberName::Principal(p) => p,
            _ => {
                return Err(ZmsError::BadRequest(format!(
                    "principal {p:?} is not a domain.name principal"
                )));
            }
        },
    };
    let trust = q
        .domain
        .as_deref()
        .map(model::DomainName::parse)
        .transpose()?;
    let req = AccessRequest {
        principal: &principal,
        action,
        resource,
        trust_domain: trust.as_ref().map(|d| d.as_str()),
    };
    let granted = st.check(&req)??;
    Ok(Json(Access { granted }))
}

pub async fn check_path(
    st: St,
    caller: Caller,
    Path((action, resource)): Path<(String, String)>,
    Query(q): Query<CheckQuery>,
) -> ZmsResult<Json<Access>> {
    let resource = ResourceName::parse(&resource)?;
    decide(&st, &caller, &action, &resource.full, &q)
}

pub async fn check_query(
    st: St,
    caller: Caller,
    Path(action): Path<String>,
    Query(q): Query<CheckQuery>,
) -> ZmsResult<Json<Access>> {
    let resource = q.resource.clone().unwrap_or_default();
    let ok = resource
        .split_once(':')
        .is_some_and(|(d, _)| model::DomainName::parse(d).is_ok());
    if !ok || resource.chars().any(char::is_control) || resource.len() > 1024 {
        return Err(ZmsError::BadRequest(format!(
            "resource {resource:?}: expected domain:anything"
        )));
    }
    decide(&st, &caller, &action, &resource, &q)
}
