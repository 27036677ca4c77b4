//! Domains: `GET|POST /domain`, `POST|DELETE /subdomain/...`, `GET|DELETE /domain/{name}`,
//! `PUT /domain/{name}/meta[/system/{attribute}]` (`Domain.rdli`).

use super::{Body, Caller, St, domain, no_content};
use crate::doc::{DomainDoc, SYSTEM_ATTRIBUTES, merge_meta};
use crate::error::{ZmsError, ZmsResult};
use axum::Json;
use axum::extract::{Path, Query};
use axum::response::Response;
use model::zms::{Domain, DomainList, DomainMeta, SubDomain, TopLevelDomain};
use model::{MemberName, SimpleName, Timestamp};
use serde::Deserialize;

/// `GET /domain` filters.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    prefix: Option<String>,
    depth: Option<usize>,
    account: Option<String>,
}

pub async fn list(st: St, Query(q): Query<ListQuery>) -> ZmsResult<Json<DomainList>> {
    let prefix = q.prefix.map(|p| p.to_ascii_lowercase()).unwrap_or_default();
    let mut names = st.read(|c| {
        c.domains
            .values()
            .filter(|e| e.doc.name().starts_with(&prefix))
            .filter(|e| {
                q.depth
                    .is_none_or(|d| e.doc.name().matches('.').count() <= d)
            })
            .filter(|e| {
                q.account.as_deref().is_none_or(|a| {
                    e.doc
                        .domain
                        .account
                        .as_deref()
                        .is_some_and(|acc| acc.split(',').any(|x| x.trim() == a))
                })
            })
            .map(|e| e.doc.name().to_string())
            .collect::<Vec<_>>()
    })?;
    names.sort();
    Ok(Json(DomainList { names, next: None }))
}

pub async fn get(st: St, Path(name): Path<String>) -> ZmsResult<Json<Domain>> {
    let name = domain(&name)?;
    Ok(Json(st.entry(name.as_str())?.doc.domain.clone()))
}

/// Turns a create body into the new domain's document: name checked, admins parsed.
fn new_doc(full: &str, body: serde_json::Value, admins: &[String]) -> ZmsResult<DomainDoc> {
    if admins.is_empty() {
        return Err(ZmsError::BadRequest(
            "adminUsers: at least one admin is required".into(),
        ));
    }
    let admins = admins
        .iter()
        .map(|a| match MemberName::parse(a)? {
            m @ MemberName::Principal(_) => Ok(m),
            _ => Err(ZmsError::BadRequest(format!(
                "adminUsers: {a:?} is not a principal"
            ))),
        })
        .collect::<ZmsResult<Vec<_>>>()?;
    let mut v = body;
    if let Some(o) = v.as_object_mut() {
        for k in ["adminUsers", "templates", "parent"] {
            o.remove(k);
        }
        o.insert("name".into(), full.into());
    }
    let d: Domain = serde_json::from_value(v).map_err(|e| ZmsError::BadRequest(e.to_string()))?;
    Ok(DomainDoc::new(full, d, &admins, Timestamp::now()))
}

fn no_templates(t: &Option<serde_json::Value>) -> ZmsResult<()> {
    match t {
        None | Some(serde_json::Value::Null) => Ok(()),
        Some(serde_json::Value::Object(o))
            if o.values().all(|v| v.as_array().is_some_and(Vec::is_empty)) =>
        {
            Ok(())
        }
        Some(_) => Err(ZmsError::BadRequest(
            "templates: domain templates are not supported".into(),
        )),
    }
}

pub async fn create_top(
    st: St,
    caller: Caller,
    Body(body): Body<TopLevelDomain>,
) -> ZmsResult<Json<Domain>> {
    let name = SimpleName::parse(&body.name)?;
    no_templates(&body.templates)?;
    st.authorize(&caller.principal, "create", "sys.auth:domain")?;
    let raw = serde_json::to_value(&body).map_err(|e| ZmsError::Internal(e.to_string()))?;
    let doc = new_doc(name.as_str(), raw, &body.admin_users)?;
    let out = doc.domain.clone();
    st.create_domains(
        caller.change("postTopLevelDomain", name.to_string()),
        vec![doc],
        None,
    )
    .await?;
    Ok(Json(
        st.entry(name.as_str())
            .map(|e| e.doc.domain.clone())
            .unwrap_or(out),
    ))
}

pub async fn create_sub(
    st: St,
    caller: Caller,
    Path(parent): Path<String>,
    Body(body): Body<SubDomain>,
) -> ZmsResult<Json<Domain>> {
    let parent = domain(&parent)?;
    super::same_name("parent", &body.parent, parent.as_str())?;
    let leaf = SimpleName::parse(&body.name)?;
    let full = parent.child(&leaf);
    let full = domain(full.as_str())?; // re-check the length limit on the joined name
    no_templates(&body.templates)?;
    st.entry(parent.as_str())?;
    st.authorize(&caller.principal, "create", &format!("{parent}:domain"))?;
    let raw = serde_json::to_value(&body).map_err(|e| ZmsError::Internal(e.to_string()))?;
    let doc = new_doc(full.as_str(), raw, &body.admin_users)?;
    let out = doc.domain.clone();
    let change = caller.change("postSubDomain", full.to_string());
    st.create_domains(change, vec![doc], Some(parent.as_str()))
        .await?;
    Ok(Json(
        st.entry(full.as_str())
            .map(|e| e.doc.domain.clone())
            .unwrap_or(out),
    ))
}

pub async fn delete_top(st: St, caller: Caller, Path(name): Path<String>) -> ZmsResult<Response> {
    let name = domain(&name)?;
    if name.parent().is_some() {
        return Err(ZmsError::BadRequest(format!(
            "{name} is a subdomain: delete it with DELETE /subdomain/{{parent}}/{{name}}"
        )));
    }
    st.entry(name.as_str())?;
    st.authorize(&caller.principal, "delete", "sys.auth:domain")?;
    st.delete_domain(
        caller.change("deleteTopLevelDomain", name.to_string()),
        name.as_str(),
    )
    .await?;
    Ok(no_content())
}

pub async fn delete_sub(
    st: St,
    caller: Caller,
    Path((parent, sub)): Path<(String, String)>,
) -> ZmsResult<Response> {
    let parent = domain(&parent)?;
    let full = parent.child(&SimpleName::parse(&sub)?);
    st.entry(full.as_str())?;
    st.authorize(&caller.principal, "delete", &format!("{parent}:domain"))?;
    st.delete_domain(
        caller.change("deleteSubDomain", full.to_string()),
        full.as_str(),
    )
    .await?;
    Ok(no_content())
}

pub async fn put_meta(
    st: St,
    caller: Caller,
    Path(name): Path<String>,
    Body(meta): Body<DomainMeta>,
) -> ZmsResult<Response> {
    let name = domain(&name)?;
    st.entry(name.as_str())?;
    st.authorize(&caller.principal, "update", &format!("{name}:"))?;
    let details = serde_json::to_value(&meta).ok();
    st.update_domain(
        caller.change("putDomainMeta", name.to_string()),
        name.as_str(),
        |doc, _| {
            merge_meta(&mut doc.domain, &meta, None);
            Ok(details.clone())
        },
    )
    .await?;
    Ok(no_content())
}

pub async fn put_system_meta(
    st: St,
    caller: Caller,
    Path((name, attribute)): Path<(String, String)>,
    Body(meta): Body<DomainMeta>,
) -> ZmsResult<Response> {
    let name = domain(&name)?;
    let attribute = attribute.to_ascii_lowercase();
    let Some((_, field)) = SYSTEM_ATTRIBUTES.iter().find(|(a, _)| *a == attribute) else {
        let known: Vec<&str> = SYSTEM_ATTRIBUTES.iter().map(|(a, _)| *a).collect();
        return Err(ZmsError::BadRequest(format!(
            "unknown system attribute {attribute:?}; expected one of {}",
            known.join(", ")
        )));
    };
    st.entry(name.as_str())?;
    st.authorize(
        &caller.principal,
        "update",
        &format!("sys.auth:meta.domain.{attribute}.{name}"),
    )?;
    let details = serde_json::to_value(&meta).ok();
    let change = caller.change("putDomainSystemMeta", format!("{name}:meta.{attribute}"));
    st.update_domain(change, name.as_str(), |doc, _| {
        merge_meta(&mut doc.domain, &meta, Some(field));
        Ok(details.clone())
    })
    .await?;
    Ok(no_content())
}
