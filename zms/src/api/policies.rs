//! Policies and assertions (`Policy.rdli`): `/domain/{d}/polic(y|ies)`, `/domain/{d}/policy/{p}`,
//! `/domain/{d}/policy/{p}/assertion[/{id}]`. Writes need `update`/`delete` on `{d}:policy.{p}`.

use super::objects::{self, Target};
use super::{Body, Caller, St, domain, entity, no_content, same_name};
use crate::error::{ZmsError, ZmsResult};
use axum::Json;
use axum::extract::{Path, Query};
use axum::response::Response;
use model::DomainName;
use model::names::{is_compound_name, policy_full_name};
use model::zms::{Assertion, Policies, Policy, PolicyList};
use serde::Deserialize;

const MAX_ASSERTION_FIELD: usize = 1024;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    assertions: Option<bool>,
}

/// Checks and normalizes an assertion (`ZMSUtils.validatePolicyAssertion`): the resource carries a
/// `domain:` prefix (`*` allowed as domain), action is non-empty, no control characters, the role
/// is a `domain:role.name` (a short name is taken as a role of this domain). Lowercased unless
/// case-sensitive.
fn normalize(d: &str, mut a: Assertion, case_sensitive: bool) -> ZmsResult<Assertion> {
    let bad = |field: &str, why: &str| ZmsError::BadRequest(format!("assertion {field}: {why}"));
    for (field, v) in [
        ("role", &a.role),
        ("resource", &a.resource),
        ("action", &a.action),
    ] {
        if v.is_empty() {
            return Err(bad(field, "must not be empty"));
        }
        if v.len() > MAX_ASSERTION_FIELD {
            return Err(bad(field, "longer than 1024 characters"));
        }
        if v.chars().any(char::is_control) {
            return Err(bad(field, "contains control characters"));
        }
    }
    let Some((rdomain, _)) = a.resource.split_once(':') else {
        return Err(bad(
            "resource",
            &format!("{:?} has no domain: prefix", a.resource),
        ));
    };
    if rdomain != "*" && !is_compound_name(&rdomain.to_ascii_lowercase()) {
        return Err(bad(
            "resource",
            &format!("{rdomain:?} is not a domain name"),
        ));
    }
    let role = a.role.to_lowercase();
    a.role = match role.split_once(':') {
        Some((rd, rest)) if rest.starts_with("role.") && rest.len() > 5 => {
            if rd != d {
                return Err(bad("role", &format!("{role} is not a role of domain {d}")));
            }
            role
        }
        Some(_) => return Err(bad("role", &format!("{role:?} is not domain:role.name"))),
        None => format!("{d}:role.{role}"),
    };
    if !case_sensitive && a.case_sensitive != Some(true) {
        a.action = a.action.to_lowercase();
        a.resource = a.resource.to_lowercase();
    }
    a.id = None;
    Ok(a)
}

fn names(d: &str, p: &str) -> ZmsResult<(DomainName, String)> {
    let d = domain(d)?;
    let full = policy_full_name(d.as_str(), entity(p)?.as_str());
    Ok((d, full))
}

fn target<'a>(d: &'a DomainName, full: &'a str) -> Target<'a> {
    Target {
        domain: d,
        full,
        resource: full,
    }
}

pub async fn list(st: St, Path(d): Path<String>) -> ZmsResult<Json<PolicyList>> {
    let names = objects::short_names::<Policy>(&st, &domain(&d)?, ":policy.")?;
    Ok(Json(PolicyList { names, next: None }))
}

pub async fn list_full(
    st: St,
    Path(d): Path<String>,
    Query(q): Query<ListQuery>,
) -> ZmsResult<Json<Policies>> {
    let with = q.assertions.unwrap_or(false);
    let list = objects::list::<Policy>(&st, &domain(&d)?, |mut p| {
        if !with {
            p.assertions.clear();
        }
        p
    })?;
    Ok(Json(Policies { list }))
}

pub async fn get(st: St, Path((d, p)): Path<(String, String)>) -> ZmsResult<Json<Policy>> {
    let (d, full) = names(&d, &p)?;
    Ok(Json(objects::get::<Policy>(&st, &d, &full)?))
}

pub async fn put(
    st: St,
    caller: Caller,
    Path((d, p)): Path<(String, String)>,
    Body(mut policy): Body<Policy>,
) -> ZmsResult<Response> {
    let (d, full) = names(&d, &p)?;
    same_name("name", &policy.name, &full)?;
    policy.name = full.clone();
    let cs = policy.case_sensitive == Some(true);
    let assertions = std::mem::take(&mut policy.assertions)
        .into_iter()
        .map(|a| normalize(d.as_str(), a, cs))
        .collect::<ZmsResult<Vec<_>>>()?;
    let details = serde_json::to_value(&policy).ok();
    st.entry(d.as_str())?;
    st.authorize(&caller.principal, "update", &full)?;
    st.update_domain(
        caller.change("putPolicy", full.clone()),
        d.as_str(),
        |doc, now| {
            let mut policy = policy.clone();
            policy.modified = Some(now);
            doc.policies.insert(full.clone(), policy);
            for a in &assertions {
                doc.add_assertion(&full, a.clone());
            }
            Ok(details.clone())
        },
    )
    .await?;
    Ok(no_content())
}

pub async fn delete(
    st: St,
    caller: Caller,
    Path((d, p)): Path<(String, String)>,
) -> ZmsResult<Response> {
    let (d, full) = names(&d, &p)?;
    if full.ends_with(":policy.admin") {
        return Err(ZmsError::BadRequest(format!(
            "{full}: the admin policy cannot be deleted"
        )));
    }
    objects::delete::<Policy>(&st, &caller, target(&d, &full), "deletePolicy").await?;
    Ok(no_content())
}

fn assertion_id(text: &str) -> ZmsResult<i64> {
    text.parse()
        .map_err(|_| ZmsError::BadRequest(format!("assertion id {text:?} is not a number")))
}

fn assertion_not_found(id: i64, full: &str) -> String {
    format!("assertion {id} not found in {full}")
}

pub async fn get_assertion(
    st: St,
    Path((d, p, id)): Path<(String, String, String)>,
) -> ZmsResult<Json<Assertion>> {
    let (d, full) = names(&d, &p)?;
    let id = assertion_id(&id)?;
    let policy = objects::get::<Policy>(&st, &d, &full)?;
    let a = policy.assertions.into_iter().find(|a| a.id == Some(id));
    Ok(Json(a.ok_or_else(|| {
        ZmsError::NotFound(assertion_not_found(id, &full))
    })?))
}

pub async fn put_assertion(
    st: St,
    caller: Caller,
    Path((d, p)): Path<(String, String)>,
    Body(a): Body<Assertion>,
) -> ZmsResult<Json<Assertion>> {
    let (d, full) = names(&d, &p)?;
    let policy = objects::get::<Policy>(&st, &d, &full)?;
    let a = normalize(d.as_str(), a, policy.case_sensitive == Some(true))?;
    st.authorize(&caller.principal, "update", &full)?;
    let mut added = None;
    st.update_domain(
        caller.change("putAssertion", full.clone()),
        d.as_str(),
        |doc, now| {
            let stored = doc
                .add_assertion(&full, a.clone())
                .ok_or_else(|| objects::not_found::<Policy>(&full))?;
            if let Some(p) = doc.policies.get_mut(&full) {
                p.modified = Some(now);
            }
            let details = serde_json::to_value(&stored).ok();
            added = Some(stored);
            Ok(details)
        },
    )
    .await?;
    added
        .map(Json)
        .ok_or_else(|| ZmsError::Internal("assertion not recorded".into()))
}

pub async fn delete_assertion(
    st: St,
    caller: Caller,
    Path((d, p, id)): Path<(String, String, String)>,
) -> ZmsResult<Response> {
    let (d, full) = names(&d, &p)?;
    let id = assertion_id(&id)?;
    objects::edit::<Policy>(
        &st,
        &caller,
        target(&d, &full),
        "deleteAssertion",
        |policy| {
            let mut list = Some(std::mem::take(&mut policy.assertions));
            let removed = objects::remove(
                &mut list,
                |a| a.id == Some(id),
                || assertion_not_found(id, &full),
            );
            policy.assertions = list.unwrap_or_default();
            removed?;
            Ok(Some(serde_json::json!({ "assertionId": id })))
        },
    )
    .await?;
    Ok(no_content())
}
