//! Groups (`Group.rdli`): `/domain/{d}/groups`, `/domain/{d}/group/{g}[/member/{m}]`. A group is
//! a named set of principals that roles (of any domain) can hold as one member.

use super::{Body, Caller, St, domain, entity, no_content, same_name};
use crate::error::{ZmsError, ZmsResult};
use axum::Json;
use axum::extract::{Path, Query};
use axum::response::Response;
use model::names::group_full_name;
use model::zms::{Group, GroupMember, GroupMembership, Groups};
use model::{MemberName, Timestamp};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    members: Option<bool>,
}

fn not_found(full: &str) -> ZmsError {
    ZmsError::NotFound(format!("group not found: {full}"))
}

/// Groups hold principals only: no nested groups (Athenz rejects them too).
fn check_member(m: &MemberName) -> ZmsResult<()> {
    match m {
        MemberName::Group(g) => Err(ZmsError::BadRequest(format!(
            "groups cannot contain groups: {g}"
        ))),
        _ => Ok(()),
    }
}

fn member(name: MemberName, group: &str) -> GroupMember {
    GroupMember {
        member_name: name,
        group_name: Some(group.to_string()),
        expiration: None,
        active: None,
        approved: None,
        audit_ref: None,
        system_disabled: None,
        principal_type: None,
    }
}

pub async fn list_full(
    st: St,
    Path(d): Path<String>,
    Query(q): Query<ListQuery>,
) -> ZmsResult<Json<Groups>> {
    let e = st.entry(domain(&d)?.as_str())?;
    let with = q.members.unwrap_or(false);
    let list = e.doc.groups.values().cloned().map(|mut g| {
        if !with {
            g.group_members = None;
        }
        g
    });
    Ok(Json(Groups {
        list: list.collect(),
    }))
}

pub async fn get(st: St, Path((d, g)): Path<(String, String)>) -> ZmsResult<Json<Group>> {
    let (d, g) = (domain(&d)?, entity(&g)?);
    let full = group_full_name(d.as_str(), g.as_str());
    let e = st.entry(d.as_str())?;
    Ok(Json(
        e.doc
            .groups
            .get(&full)
            .cloned()
            .ok_or_else(|| not_found(&full))?,
    ))
}

pub async fn put(
    st: St,
    caller: Caller,
    Path((d, g)): Path<(String, String)>,
    Body(mut group): Body<Group>,
) -> ZmsResult<Response> {
    let (d, g) = (domain(&d)?, entity(&g)?);
    let full = group_full_name(d.as_str(), g.as_str());
    same_name("name", &group.name, &full)?;
    st.entry(d.as_str())?;
    st.authorize(&caller.principal, "update", &full)?;
    group.name = full.clone();
    let mut seen = std::collections::HashSet::new();
    let mut members = group.group_members.take().unwrap_or_default();
    members.retain(|m| seen.insert(m.member_name.clone()));
    for m in &mut members {
        check_member(&m.member_name)?;
        m.group_name = Some(full.clone());
    }
    group.group_members = Some(members);
    let details = serde_json::to_value(&group).ok();
    st.update_domain(
        caller.change("putGroup", full.clone()),
        d.as_str(),
        |doc, now| {
            let mut group = group.clone();
            group.modified = Some(now);
            doc.groups.insert(full.clone(), group);
            Ok(details.clone())
        },
    )
    .await?;
    Ok(no_content())
}

pub async fn delete(
    st: St,
    caller: Caller,
    Path((d, g)): Path<(String, String)>,
) -> ZmsResult<Response> {
    let (d, g) = (domain(&d)?, entity(&g)?);
    let full = group_full_name(d.as_str(), g.as_str());
    st.entry(d.as_str())?
        .doc
        .groups
        .get(&full)
        .ok_or_else(|| not_found(&full))?;
    st.authorize(&caller.principal, "delete", &full)?;
    // A group still held by a role would silently stop granting; Athenz refuses the delete.
    let holders: Vec<String> = st.read(|c| {
        c.domains
            .values()
            .flat_map(|e| e.doc.roles.values())
            .filter(|r| {
                r.role_members
                    .iter()
                    .flatten()
                    .any(|m| m.member_name == MemberName::Group(full.clone()))
            })
            .map(|r| r.name.clone())
            .collect()
    })?;
    if !holders.is_empty() {
        return Err(ZmsError::BadRequest(format!(
            "group {full} is a member of roles: {}",
            holders.join(", ")
        )));
    }
    st.update_domain(
        caller.change("deleteGroup", full.clone()),
        d.as_str(),
        |doc, _| {
            doc.groups.remove(&full).ok_or_else(|| not_found(&full))?;
            Ok(None)
        },
    )
    .await?;
    Ok(no_content())
}

pub async fn get_member(
    st: St,
    Path((d, g, m)): Path<(String, String, String)>,
) -> ZmsResult<Json<GroupMembership>> {
    let (d, g, m) = (domain(&d)?, entity(&g)?, MemberName::parse(&m)?);
    let full = group_full_name(d.as_str(), g.as_str());
    let e = st.entry(d.as_str())?;
    let group = e.doc.groups.get(&full).ok_or_else(|| not_found(&full))?;
    let entry = group
        .group_members
        .iter()
        .flatten()
        .find(|x| x.member_name == m);
    Ok(Json(GroupMembership {
        member_name: m,
        is_member: Some(entry.is_some_and(|x| x.is_effective(Timestamp::now()))),
        group_name: Some(full),
        expiration: entry.and_then(|x| x.expiration),
        active: entry.map(|x| x.active.unwrap_or(true)),
        approved: entry.map(|x| x.approved.unwrap_or(true)),
        audit_ref: entry.and_then(|x| x.audit_ref.clone()),
    }))
}

pub async fn put_member(
    st: St,
    caller: Caller,
    Path((d, g, m)): Path<(String, String, String)>,
    Body(body): Body<GroupMembership>,
) -> ZmsResult<Response> {
    let (d, g, m) = (domain(&d)?, entity(&g)?, MemberName::parse(&m)?);
    if body.member_name != m {
        return Err(ZmsError::BadRequest(format!(
            "memberName {} does not match the path ({m})",
            body.member_name
        )));
    }
    check_member(&m)?;
    let full = group_full_name(d.as_str(), g.as_str());
    st.entry(d.as_str())?
        .doc
        .groups
        .get(&full)
        .ok_or_else(|| not_found(&full))?;
    st.authorize(&caller.principal, "update", &full)?;
    let mut gm = member(m, &full);
    gm.expiration = body.expiration;
    gm.audit_ref = caller.audit_ref.clone();
    let details = serde_json::to_value(&gm).ok();
    st.update_domain(
        caller.change("putGroupMembership", full.clone()),
        d.as_str(),
        |doc, now| {
            let group = doc.groups.get_mut(&full).ok_or_else(|| not_found(&full))?;
            let list = group.group_members.get_or_insert_with(Vec::new);
            list.retain(|x| x.member_name != gm.member_name);
            list.push(gm.clone());
            group.modified = Some(now);
            Ok(details.clone())
        },
    )
    .await?;
    Ok(no_content())
}

pub async fn delete_member(
    st: St,
    caller: Caller,
    Path((d, g, m)): Path<(String, String, String)>,
) -> ZmsResult<Response> {
    let (d, g, m) = (domain(&d)?, entity(&g)?, MemberName::parse(&m)?);
    let full = group_full_name(d.as_str(), g.as_str());
    st.entry(d.as_str())?
        .doc
        .groups
        .get(&full)
        .ok_or_else(|| not_found(&full))?;
    st.authorize(&caller.principal, "update", &full)?;
    let details = Some(serde_json::json!({ "memberName": m.to_string() }));
    st.update_domain(
        caller.change("deleteGroupMembership", full.clone()),
        d.as_str(),
        |doc, now| {
            let group = doc.groups.get_mut(&full).ok_or_else(|| not_found(&full))?;
            let list = group.group_members.get_or_insert_with(Vec::new);
            let before = list.len();
            list.retain(|x| x.member_name != m);
            if list.len() == before {
                return Err(ZmsError::NotFound(format!("{m} is not a member of {full}")));
            }
            group.modified = Some(now);
            Ok(details.clone())
        },
    )
    .await?;
    Ok(no_content())
}
