//! Roles and role membership.

use super::{Ctx, member, pretty};
use crate::error::{CliError, Result};
use crate::table::{NONE, Table, key_values, or_none};
use model::Timestamp;
use model::names::{role_full_name, split_full_name};
use model::zms::{Membership, Role, RoleMember};
use serde_json::Value;

/// `user.joe`, or `user.joe (expires 2030-01-01T00:00:00.000Z)`.
fn member_text(m: &RoleMember) -> String {
    match m.expiration {
        Some(e) => format!("{} (expires {e})", m.member_name),
        None => m.member_name.to_string(),
    }
}

/// Roles as a table: NAME, MEMBERS (comma-separated), TRUST.
pub fn table(roles: &[Role]) -> Table {
    let mut t = Table::new(&["NAME", "MEMBERS", "TRUST"]);
    for r in roles {
        let short = split_full_name(&r.name, "role").map_or(r.name.as_str(), |(_, s)| s);
        let members: Vec<String> = r.role_members.iter().flatten().map(member_text).collect();
        t.row([
            short.to_string(),
            or_none(members.join(", ")),
            or_none(r.trust.clone().unwrap_or_default()),
        ]);
    }
    t
}

/// `add-role DOMAIN ROLE [MEMBER…]`: `PUT /domain/{d}/role/{r}` with `roleMembers`.
pub async fn add(ctx: &Ctx, domain: &str, role: &str, members: &[String]) -> Result<String> {
    let role_members = members
        .iter()
        .map(|m| member(m).map(RoleMember::new))
        .collect::<Result<Vec<_>>>()?;
    let body = Role {
        name: role_full_name(domain, role),
        role_members: Some(role_members),
        ..Role::default()
    };
    let answer = ctx
        .client
        .put(&["domain", domain, "role", role], &body)
        .await?;
    Ok(ctx.done(
        answer.as_ref(),
        format!("added role {}", body.name.to_ascii_lowercase()),
    ))
}

/// `add-delegated-role DOMAIN ROLE TRUST_DOMAIN`: a role with `trust` and no members.
pub async fn add_delegated(ctx: &Ctx, domain: &str, role: &str, trust: &str) -> Result<String> {
    let body = Role {
        name: role_full_name(domain, role),
        trust: Some(trust.to_string()),
        ..Role::default()
    };
    let answer = ctx
        .client
        .put(&["domain", domain, "role", role], &body)
        .await?;
    let name = body.name.to_ascii_lowercase();
    Ok(ctx.done(
        answer.as_ref(),
        format!(
            "added role {name} delegated to {}",
            trust.to_ascii_lowercase()
        ),
    ))
}

/// `delete-role DOMAIN ROLE`.
pub async fn delete(ctx: &Ctx, domain: &str, role: &str) -> Result<String> {
    let answer = ctx.client.delete(&["domain", domain, "role", role]).await?;
    Ok(ctx.done(
        answer.as_ref(),
        format!(
            "deleted role {}",
            role_full_name(domain, role).to_ascii_lowercase()
        ),
    ))
}

/// `add-member DOMAIN ROLE MEMBER [--expiration RFC3339]`: `PUT …/member/{m}` with a Membership.
pub async fn add_member(
    ctx: &Ctx,
    domain: &str,
    role: &str,
    name: &str,
    expiration: Option<&str>,
) -> Result<String> {
    let expiration = expiration
        .map(|e| Timestamp::parse(e).map_err(|why| CliError::usage(format!("--expiration: {why}"))))
        .transpose()?;
    let body = Membership {
        member_name: member(name)?,
        is_member: None,
        role_name: Some(role_full_name(domain, role)),
        expiration,
        review_reminder: None,
        active: None,
        approved: None,
        audit_ref: None,
        request_principal: None,
        system_disabled: None,
    };
    let answer = ctx
        .client
        .put(&["domain", domain, "role", role, "member", name], &body)
        .await?;
    let full = role_full_name(domain, role).to_ascii_lowercase();
    Ok(ctx.done(
        answer.as_ref(),
        format!("added {} to {full}", body.member_name),
    ))
}

/// `delete-member DOMAIN ROLE MEMBER`.
pub async fn delete_member(ctx: &Ctx, domain: &str, role: &str, name: &str) -> Result<String> {
    let answer = ctx
        .client
        .delete(&["domain", domain, "role", role, "member", name])
        .await?;
    let full = role_full_name(domain, role).to_ascii_lowercase();
    Ok(ctx.done(
        answer.as_ref(),
        format!("deleted {} from {full}", name.to_ascii_lowercase()),
    ))
}

/// `show-role DOMAIN ROLE`: attributes, then MEMBER / EXPIRATION.
pub async fn show(ctx: &Ctx, domain: &str, role: &str) -> Result<String> {
    let (r, raw): (Role, Value) = ctx
        .client
        .get_as(&["domain", domain, "role", role], &[])
        .await?;
    if ctx.json {
        return Ok(pretty(&raw));
    }
    let mut pairs = vec![("role".to_string(), r.name.clone())];
    if let Some(t) = &r.trust {
        pairs.push(("trust".into(), t.clone()));
    }
    if let Some(m) = r.modified {
        pairs.push(("modified".into(), m.to_string()));
    }
    let mut out = key_values(&pairs);
    if r.trust.is_none() {
        let mut t = Table::new(&["MEMBER", "EXPIRATION"]);
        for m in r.role_members.iter().flatten() {
            t.row([
                m.member_name.to_string(),
                m.expiration
                    .map_or_else(|| NONE.to_string(), |e| e.to_string()),
            ]);
        }
        out.push('\n');
        out.push_str(&t.render());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_table_shows_short_names_members_and_trust() {
        let mut joe = RoleMember::new(model::MemberName::parse("user.joe").unwrap());
        joe.expiration = Some(Timestamp::from_millis(0));
        let roles = vec![
            Role {
                name: "d:role.readers".into(),
                role_members: Some(vec![
                    joe,
                    RoleMember::new(model::MemberName::parse("d:group.g").unwrap()),
                ]),
                ..Role::default()
            },
            Role {
                name: "d:role.deleg".into(),
                trust: Some("other".into()),
                ..Role::default()
            },
        ];
        let out = table(&roles).render();
        assert!(out.starts_with("NAME     MEMBERS"), "{out}");
        assert!(
            out.contains("readers  user.joe (expires 1970-01-01T00:00:00.000Z), d:group.g  -"),
            "{out}"
        );
        assert!(out.contains("deleg    -"), "{out}");
        assert!(out.trim_end().ends_with("other"), "{out}");
    }
}
