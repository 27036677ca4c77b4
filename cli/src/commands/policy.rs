//! Policies and their assertions.

use super::{Ctx, pretty};
use crate::assertion;
use crate::client::decode;
use crate::error::{CliError, Result};
use crate::table::{NONE, Table, key_values};
use model::names::{policy_full_name, split_full_name};
use model::zms::{Assertion, AssertionEffect, Policy};
use serde_json::Value;

fn effect(a: &Assertion) -> &'static str {
    match a.effect.unwrap_or_default() {
        AssertionEffect::Allow => "ALLOW",
        AssertionEffect::Deny => "DENY",
    }
}

/// Strips `domain:role.` and `domain:` so rows read short for the domain's own names.
fn short<'a>(full: &'a str, prefix: &str) -> &'a str {
    full.strip_prefix(prefix).unwrap_or(full)
}

/// One row per assertion: POLICY, ID, EFFECT, ACTION, ROLE, RESOURCE (a policy without
/// assertions gets one row of dashes).
pub fn table(domain: &str, policies: &[Policy]) -> Table {
    let mut t = Table::new(&["POLICY", "ID", "EFFECT", "ACTION", "ROLE", "RESOURCE"]);
    let (role_prefix, res_prefix) = (format!("{domain}:role."), format!("{domain}:"));
    for p in policies {
        let name = split_full_name(&p.name, "policy").map_or(p.name.as_str(), |(_, s)| s);
        if p.assertions.is_empty() {
            t.row([name, NONE, NONE, NONE, NONE, NONE]);
        }
        for a in &p.assertions {
            t.row([
                name.to_string(),
                a.id.map_or_else(|| NONE.to_string(), |i| i.to_string()),
                effect(a).to_string(),
                a.action.clone(),
                short(&a.role, &role_prefix).to_string(),
                short(&a.resource, &res_prefix).to_string(),
            ]);
        }
    }
    t
}

/// `add-policy DOMAIN POLICY [--assertion TEXT]…`: `PUT /domain/{d}/policy/{p}`.
pub async fn add(ctx: &Ctx, domain: &str, policy: &str, assertions: &[String]) -> Result<String> {
    let assertions = assertions
        .iter()
        .map(|a| assertion::parse(domain, a).map_err(CliError::Usage))
        .collect::<Result<Vec<_>>>()?;
    let body = Policy {
        name: policy_full_name(domain, policy),
        assertions,
        ..Policy::default()
    };
    let answer = ctx
        .client
        .put(&["domain", domain, "policy", policy], &body)
        .await?;
    Ok(ctx.done(
        answer.as_ref(),
        format!("added policy {}", body.name.to_ascii_lowercase()),
    ))
}

/// `add-assertion DOMAIN POLICY grant|deny ACTION to ROLE on RESOURCE`: prints the new id.
pub async fn add_assertion(ctx: &Ctx, domain: &str, policy: &str, text: &str) -> Result<String> {
    let body = assertion::parse(domain, text).map_err(CliError::Usage)?;
    let answer = ctx
        .client
        .put(&["domain", domain, "policy", policy, "assertion"], &body)
        .await?;
    let answer = answer.ok_or_else(|| CliError::Response("no assertion in the answer".into()))?;
    if ctx.json {
        return Ok(pretty(&answer));
    }
    let stored: Assertion = decode(&answer)?;
    let id = stored
        .id
        .ok_or_else(|| CliError::Response("the assertion has no id".into()))?;
    Ok(format!("{id}\n"))
}

/// `delete-assertion DOMAIN POLICY ID`.
pub async fn delete_assertion(ctx: &Ctx, domain: &str, policy: &str, id: i64) -> Result<String> {
    let id_text = id.to_string();
    let answer = ctx
        .client
        .delete(&["domain", domain, "policy", policy, "assertion", &id_text])
        .await?;
    let full = policy_full_name(domain, policy).to_ascii_lowercase();
    Ok(ctx.done(
        answer.as_ref(),
        format!("deleted assertion {id} from {full}"),
    ))
}

/// `delete-policy DOMAIN POLICY`.
pub async fn delete(ctx: &Ctx, domain: &str, policy: &str) -> Result<String> {
    let answer = ctx
        .client
        .delete(&["domain", domain, "policy", policy])
        .await?;
    let full = policy_full_name(domain, policy).to_ascii_lowercase();
    Ok(ctx.done(answer.as_ref(), format!("deleted policy {full}")))
}

/// `show-policy DOMAIN POLICY`: name, then one row per assertion.
pub async fn show(ctx: &Ctx, domain: &str, policy: &str) -> Result<String> {
    let (p, raw): (Policy, Value) = ctx
        .client
        .get_as(&["domain", domain, "policy", policy], &[])
        .await?;
    if ctx.json {
        return Ok(pretty(&raw));
    }
    let d = split_full_name(&p.name, "policy")
        .map_or(domain.to_ascii_lowercase(), |(d, _)| d.to_string());
    let mut pairs = vec![("policy".to_string(), p.name.clone())];
    if let Some(m) = p.modified {
        pairs.push(("modified".into(), m.to_string()));
    }
    let mut t = Table::new(&["ID", "ASSERTION"]);
    for a in &p.assertions {
        t.row([
            a.id.map_or_else(|| NONE.to_string(), |i| i.to_string()),
            assertion::to_text(&d, a),
        ]);
    }
    Ok(format!("{}\n{}", key_values(&pairs), t.render()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_table_has_one_row_per_assertion() {
        let mut a = assertion::parse("d", "deny write to writers on x.*").unwrap();
        a.id = Some(7);
        let p = Policy {
            name: "d:policy.p".into(),
            assertions: vec![a],
            ..Policy::default()
        };
        let empty = Policy {
            name: "d:policy.e".into(),
            ..Policy::default()
        };
        let out = table("d", &[p, empty]).render();
        assert_eq!(
            out,
            "POLICY  ID  EFFECT  ACTION  ROLE     RESOURCE\np       7   DENY    write   writers  x.*\ne       -   -       -       -        -\n"
        );
    }
}
