//! Central access checks: `GET /access/{action}/{resource}`.

use super::{Ctx, pretty};
use crate::error::Result;
use model::zms::Access;
use serde_json::Value;

/// `check-access ACTION RESOURCE [--principal P] [--trust-domain D]`: prints `granted` or
/// `denied`; a denial is a successful call (exit 0).
pub async fn check(
    ctx: &Ctx,
    action: &str,
    resource: &str,
    principal: Option<String>,
    trust_domain: Option<String>,
) -> Result<String> {
    let mut query: Vec<(&str, String)> = Vec::new();
    if let Some(p) = principal {
        query.push(("principal", p));
    }
    if let Some(d) = trust_domain {
        query.push(("domain", d));
    }
    let (access, raw): (Access, Value) = ctx
        .client
        .get_as(&["access", action, resource], &query)
        .await?;
    if ctx.json {
        return Ok(pretty(&raw));
    }
    Ok(if access.granted {
        "granted\n"
    } else {
        "denied\n"
    }
    .to_string())
}
