//! Roles and role membership (`Role.rdli`): `/domain/{d}/role[s]`, `/domain/{d}/role/{r}`,
//! `/domain/{d}/role/{r}/member/{m}`. Writes need `update` (or `delete`) on `{d}:role.{r}`.

use super::objects::{self, Target};
use super::{Body, Caller, St, domain, entity, no_content, same_name};
use crate::error::{ZmsError, ZmsResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query};
use axum::response::Response;
use model::names::role_full_name;
use model::zms::{Membership, Role, RoleAuditLog, RoleList, RoleMember, Roles};
use model::{DomainName, MemberName, Timestamp};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    members: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetQuery {
    audit_log: Option<bool>,
}

/// Parses the path names: the domain and the role's full name.
fn names(d: &str, r: &str) -> ZmsResult<(DomainName, String)> {
    let d = domain(d)?;
    let full = role_full_name(d.as_str(), entity(r)?.as_str());
    Ok((d, full))
}

fn target<'a>(d: &'a DomainName, full: &'a str) -> Target<'a> {
    Target {
        domain: d,
        full,
        resource: full,
    }
}

pub async fn list(st: St, Path(d): Path<String>) -> ZmsResult<Json<RoleList>> {
    let names = objects::short_names::<Role>(&st, &domain(&d)?, ":role.")?;
    Ok(Json(RoleList { names, next: None }))
}

pub async fn list_full(
    st: St,
    Path(d): Path<String>,
    Query(q): Query<ListQuery>,
) -> ZmsResult<Json<Roles>> {
    let with = q.members.unwrap_or(false);
    let list = objects::list::<Role>(&st, &domain(&d)?, |mut r| {
        if !with {
            r.role_members = None;
            r.members = None;
        }
        r
    })?;
    Ok(Json(Roles { list }))
}

pub async fn get(
    st: St,
    Path((d, r)): Path<(String, String)>,
    Query(q): Query<GetQuery>,
) -> ZmsResult<Json<Role>> {
    let (d, full) = names(&d, &r)?;
    let mut role = objects::get::<Role>(&st, &d, &full)?;
    if q.audit_log == Some(true) {
        let records = st.store().audit_log(d.as_str(), 1000, None).await?;
        let log = records
            .into_iter()
            .filter(|a| {
                a.object == full && (a.action == "putMembership" || a.action == "deleteMembership")
            })
            .map(|a| RoleAuditLog {
                member: a
                    .details
                    .as_deref()
                    .and_then(member_of_details)
                    .unwrap_or_default(),
                admin: a.principal,
                created: Timestamp::from_millis(a.created_ms),
                action: if a.action == "putMembership" {
                    "ADD".into()
                } else {
                    "DELETE".into()
                },
                audit_ref: a.audit_ref,
            });
        role.audit_log = Some(log.collect());
    }
    Ok(Json(role))
}

fn member_of_details(details: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(details).ok()?;
    v.get("memberName")?.as_str().map(str::to_string)
}

/// Groups named as members must exist (Athenz `validateRoleMemberPrincipals`).
fn check_group_member(st: &AppState, m: &MemberName) -> ZmsResult<()> {
    let MemberName::Group(g) = m else {
        return Ok(());
    };
    let exists = g
        .split_once(':')
        .and_then(|(gd, _)| st.entry(gd).ok())
        .is_some_and(|e| e.doc.groups.contains_key(g));
    if exists {
        Ok(())
    } else {
        Err(ZmsError::BadRequest(format!("member group not found: {g}")))
    }
}

pub async fn put(
    st: St,
    caller: Caller,
    Path((d, r)): Path<(String, String)>,
    Body(mut role): Body<Role>,
) -> ZmsResult<Response> {
    let (d, full) = names(&d, &r)?;
    same_name("name", &role.name, &full)?;
    role.name = full.clone();
    role.audit_log = None;
    let mut members: Vec<RoleMember> = role.role_members.take().unwrap_or_default();
    members.extend(
        role.members
            .take()
            .unwrap_or_default()
            .into_iter()
            .map(RoleMember::new),
    );
    let mut seen = std::collections::HashSet::new();
    members.retain(|m| seen.insert(m.member_name.clone()));
    for m in &members {
        check_group_member(&st, &m.member_name)?;
    }
    if let Some(t) = &role.trust {
        let t = domain(t)?;
        if t == d {
            return Err(ZmsError::BadRequest(
                "trust: a role cannot delegate to its own domain".into(),
            ));
        }
        if !members.is_empty() {
            return Err(ZmsError::BadRequest(
                "a delegated (trust) role cannot have members".into(),
            ));
        }
        st.entry(t.as_str())
            .map_err(|_| ZmsError::BadRequest(format!("trust domain not found: {t}")))?;
        role.trust = Some(t.to_string());
    }
    role.role_members = Some(members);
    objects::put(&st, &caller, target(&d, &full), "putRole", role).await?;
    Ok(no_content())
}

pub async fn delete(
    st: St,
    caller: Caller,
    Path((d, r)): Path<(String, String)>,
) -> ZmsResult<Response> {
    let (d, full) = names(&d, &r)?;
    if full.ends_with(":role.admin") {
        return Err(ZmsError::BadRequest(format!(
            "{full}: the admin role cannot be deleted"
        )));
    }
    objects::delete::<Role>(&st, &caller, target(&d, &full), "deleteRole").await?;
    Ok(no_content())
}

pub async fn get_member(
    st: St,
    Path((d, r, m)): Path<(String, String, String)>,
) -> ZmsResult<Json<Membership>> {
    let (d, full) = names(&d, &r)?;
    let m = MemberName::parse(&m)?;
    let role = objects::get::<Role>(&st, &d, &full)?;
    let entry = role
        .role_members
        .iter()
        .flatten()
        .find(|x| x.member_name == m);
    let now = Timestamp::now();
    let is_member = match &m {
        MemberName::Principal(p) => {
            let e = st.entry(d.as_str())?;
            st.read(|c| e.compiled.has_role_member(c, &full, p, now))?
        }
        _ => entry.is_some_and(|x| x.is_effective(now)),
    };
    Ok(Json(Membership {
        member_name: m,
        is_member: Some(is_member),
        role_name: Some(full),
        expiration: entry.and_then(|x| x.expiration),
        review_reminder: entry.and_then(|x| x.review_reminder),
        active: entry.map(|x| x.active.unwrap_or(true)),
        approved: entry.map(|x| x.approved.unwrap_or(true)),
        audit_ref: entry.and_then(|x| x.audit_ref.clone()),
        request_principal: entry.and_then(|x| x.request_principal.clone()),
        system_disabled: entry.and_then(|x| x.system_disabled),
    }))
}

pub async fn put_member(
    st: St,
    caller: Caller,
    Path((d, r, m)): Path<(String, String, String)>,
    Body(body): Body<Membership>,
) -> ZmsResult<Response> {
    let (d, full) = names(&d, &r)?;
    let m = MemberName::parse(&m)?;
    if body.member_name != m {
        return Err(ZmsError::BadRequest(format!(
            "memberName {} does not match the path ({m})",
            body.member_name
        )));
    }
    if let Some(rn) = &body.role_name {
        same_name("roleName", rn, &full)?;
    }
    check_group_member(&st, &m)?;
    let mut member = RoleMember::new(m);
    member.expiration = body.expiration;
    member.review_reminder = body.review_reminder;
    member.audit_ref = caller.audit_ref.clone();
    member.request_principal = Some(caller.principal.to_string());
    member.request_time = Some(Timestamp::now());
    objects::edit::<Role>(&st, &caller, target(&d, &full), "putMembership", |role| {
        if role.trust.is_some() {
            return Err(ZmsError::BadRequest(format!(
                "{} is a delegated role and cannot have members",
                role.name
            )));
        }
        objects::upsert(&mut role.role_members, &member, |x| {
            x.member_name == member.member_name
        });
        Ok(serde_json::to_value(&member).ok())
    })
    .await?;
    Ok(no_content())
}

pub async fn delete_member(
    st: St,
    caller: Caller,
    Path((d, r, m)): Path<(String, String, String)>,
) -> ZmsResult<Response> {
    let (d, full) = names(&d, &r)?;
    let m = MemberName::parse(&m)?;
    objects::edit::<Role>(
        &st,
        &caller,
        target(&d, &full),
        "deleteMembership",
        |role| {
            objects::remove(
                &mut role.role_members,
                |x| x.member_name == m,
                || format!("{m} is not a member of {full}"),
            )?;
            Ok(Some(serde_json::json!({ "memberName": m.to_string() })))
        },
    )
    .await?;
    Ok(no_content())
}
