//! Groups: named sets of principals that roles can hold as one member (`DOMAIN:group.NAME`).

use super::{Ctx, member, pretty};
use crate::error::Result;
use crate::table::{NONE, Table, key_values, or_none};
use model::names::{group_full_name, split_full_name};
use model::zms::{Group, GroupMember, GroupMembership};
use serde_json::Value;

/// Groups as a table: NAME, MEMBERS.
pub fn table(groups: &[Group]) -> Table {
    let mut t = Table::new(&["NAME", "MEMBERS"]);
    for g in groups {
        let short = split_full_name(&g.name, "group").map_or(g.name.as_str(), |(_, s)| s);
        let members: Vec<String> = g
            .group_members
            .iter()
            .flatten()
            .map(|m| m.member_name.to_string())
            .collect();
        t.row([short.to_string(), or_none(members.join(", "))]);
    }
    t
}

fn group_member(name: &str, full: &str) -> Result<GroupMember> {
    Ok(GroupMember {
        member_name: member(name)?,
        group_name: Some(full.to_string()),
        expiration: None,
        active: None,
        approved: None,
        audit_ref: None,
        system_disabled: None,
        principal_type: None,
    })
}

/// `add-group DOMAIN GROUP [MEMBER…]`: `PUT /domain/{d}/group/{g}`.
pub async fn add(ctx: &Ctx, domain: &str, group: &str, members: &[String]) -> Result<String> {
    let full = group_full_name(domain, group);
    let group_members = members
        .iter()
        .map(|m| group_member(m, &full))
        .collect::<Result<Vec<_>>>()?;
    let body = Group {
        name: full.clone(),
        group_members: Some(group_members),
        ..Group::default()
    };
    let answer = ctx
        .client
        .put(&["domain", domain, "group", group], &body)
        .await?;
    Ok(ctx.done(
        answer.as_ref(),
        format!("added group {}", full.to_ascii_lowercase()),
    ))
}

/// `add-group-member DOMAIN GROUP MEMBER`: `PUT …/group/{g}/member/{m}`.
pub async fn add_member(ctx: &Ctx, domain: &str, group: &str, name: &str) -> Result<String> {
    let full = group_full_name(domain, group);
    let body = GroupMembership {
        member_name: member(name)?,
        is_member: None,
        group_name: Some(full.clone()),
        expiration: None,
        active: None,
        approved: None,
        audit_ref: None,
    };
    let answer = ctx
        .client
        .put(&["domain", domain, "group", group, "member", name], &body)
        .await?;
    Ok(ctx.done(
        answer.as_ref(),
        format!(
            "added {} to {}",
            body.member_name,
            full.to_ascii_lowercase()
        ),
    ))
}

/// `delete-group-member DOMAIN GROUP MEMBER`.
pub async fn delete_member(ctx: &Ctx, domain: &str, group: &str, name: &str) -> Result<String> {
    let answer = ctx
        .client
        .delete(&["domain", domain, "group", group, "member", name])
        .await?;
    let full = group_full_name(domain, group).to_ascii_lowercase();
    Ok(ctx.done(
        answer.as_ref(),
        format!("deleted {} from {full}", name.to_ascii_lowercase()),
    ))
}

/// `delete-group DOMAIN GROUP`.
pub async fn delete(ctx: &Ctx, domain: &str, group: &str) -> Result<String> {
    let answer = ctx
        .client
        .delete(&["domain", domain, "group", group])
        .await?;
    let full = group_full_name(domain, group).to_ascii_lowercase();
    Ok(ctx.done(answer.as_ref(), format!("deleted group {full}")))
}

/// `show-group DOMAIN GROUP`: name, then MEMBER / EXPIRATION.
pub async fn show(ctx: &Ctx, domain: &str, group: &str) -> Result<String> {
    let (g, raw): (Group, Value) = ctx
        .client
        .get_as(&["domain", domain, "group", group], &[])
        .await?;
    if ctx.json {
        return Ok(pretty(&raw));
    }
    let mut pairs = vec![("group".to_string(), g.name.clone())];
    if let Some(m) = g.modified {
        pairs.push(("modified".into(), m.to_string()));
    }
    let mut t = Table::new(&["MEMBER", "EXPIRATION"]);
    for m in g.group_members.iter().flatten() {
        t.row([
            m.member_name.to_string(),
            m.expiration
                .map_or_else(|| NONE.to_string(), |e| e.to_string()),
        ]);
    }
    Ok(format!("{}\n{}", key_values(&pairs), t.render()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_table_lists_members() {
        let g = Group {
            name: "d:group.devs".into(),
            group_members: Some(vec![group_member("user.a", "d:group.devs").unwrap()]),
            ..Group::default()
        };
        assert_eq!(table(&[g]).render(), "NAME  MEMBERS\ndevs  user.a\n");
        assert_eq!(
            group_member("not a member", "d:group.g")
                .unwrap_err()
                .exit_code(),
            2
        );
    }
}
