//! Groups (`Group.rdli`): `/domain/{d}/groups`, `/domain/{d}/group/{g}[/member/{m}]`. A group is
//! a named set of principals that roles (of any domain) can hold as one member.

use super::objects::{self, Target};
use super::{Body, Caller, St, domain, entity, no_content, same_name};
use crate::error::{ZmsError, ZmsResult};
use axum::Json;
use axum::extract::{Path, Query};
use axum::response::Response;
use model::names::group_full_name;
use model::zms::{Group, GroupMember, GroupMembership, Groups};
use model::{DomainName, MemberName, Timestamp};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    members: Option<bool>,
}

fn names(d: &str, g: &str) -> ZmsResult<(DomainName, String)> {
    let d = domain(d)?;
    let full = group_full_name(d.as_str(), entity(g)?.as_str());
    Ok((d, full))
}

fn target<'a>(d: &'a DomainName, full: &'a str) -> Target<'a> {
    Target {
        domain: d,
        full,
        resource: full,
    }
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

pub async fn list_full(
    st: St,
    Path(d): Path<String>,
    Query(q): Query<ListQuery>,
) -> ZmsResult<Json<Groups>> {
    let with = q.members.unwrap_or(false);
    let list = objects::list::<Group>(&st, &domain(&d)?, |mut g| {
        if !with {
            g.group_members = None;
        }
        g
    })?;
    Ok(Json(Groups { list }))
}

pub async fn get(st: St, Path((d, g)): Path<(String, String)>) -> ZmsResult<Json<Group>> {
    let (d, full) = names(&d, &g)?;
    Ok(Json(objects::get::<Group>(&st, &d, &full)?))
}

pub async fn put(
    st: St,
    caller: Caller,
    Path((d, g)): Path<(String, String)>,
    Body(mut group): Body<Group>,
) -> ZmsResult<Response> {
    let (d, full) = names(&d, &g)?;
    same_name("name", &group.name, &full)?;
    group.name = full.clone();
    let mut seen = std::collections::HashSet::new();
    let mut members = group.group_members.take().unwrap_or_default();
    members.retain(|m| seen.insert(m.member_name.clone()));
    for m in &mut members {
        check_member(&m.member_name)?;
        m.group_name = Some(full.clone());
    }
    group.group_members = Some(members);
    objects::put(&st, &caller, target(&d, &full), "putGroup", group).await?;
    Ok(no_content())
}

pub async fn delete(
    st: St,
    caller: Caller,
    Path((d, g)): Path<(String, String)>,
) -> ZmsResult<Response> {
    let (d, full) = names(&d, &g)?;
    // A group still held by a role would silently stop granting; Athenz refuses the delete.
    let as_member = MemberName::Group(full.clone());
    let holders: Vec<String> = st.read(|c| {
        c.domains
            .values()
            .flat_map(|e| e.doc.roles.values())
            .filter(|r| {
                r.role_members
                    .iter()
                    .flatten()
                    .any(|m| m.member_name == as_member)
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
    objects::delete::<Group>(&st, &caller, target(&d, &full), "deleteGroup").await?;
    Ok(no_content())
}

pub async fn get_member(
    st: St,
    Path((d, g, m)): Path<(String, String, String)>,
) -> ZmsResult<Json<GroupMembership>> {
    let (d, full) = names(&d, &g)?;
    let m = MemberName::parse(&m)?;
    let group = objects::get::<Group>(&st, &d, &full)?;
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
    let (d, full) = names(&d, &g)?;
    let m = MemberName::parse(&m)?;
    if body.member_name != m {
        return Err(ZmsError::BadRequest(format!(
            "memberName {} does not match the path ({m})",
            body.member_name
        )));
    }
    check_member(&m)?;
    let member = GroupMember {
        member_name: m,
        group_name: Some(full.clone()),
        expiration: body.expiration,
        active: None,
        approved: None,
        audit_ref: caller.audit_ref.clone(),
        system_disabled: None,
        principal_type: None,
    };
    objects::edit::<Group>(
        &st,
        &caller,
        target(&d, &full),
        "putGroupMembership",
        |group| {
            objects::upsert(&mut group.group_members, &member, |x| {
                x.member_name == member.member_name
            });
            Ok(serde_json::to_value(&member).ok())
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
    let (d, full) = names(&d, &g)?;
    let m = MemberName::parse(&m)?;
    objects::edit::<Group>(
        &st,
        &caller,
        target(&d, &full),
        "deleteGroupMembership",
        |group| {
            objects::remove(
                &mut group.group_members,
                |x| x.member_name == m,
                || format!("{m} is not a member of {full}"),
            )?;
            Ok(Some(serde_json::json!({ "memberName": m.to_string() })))
        },
    )
    .await?;
    Ok(no_content())
}
