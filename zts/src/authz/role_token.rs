//! `GET /domain/{domain}/token`: Athenz role tokens (ZToken `v=Z1;…;s=…`, reference §1.8;
//! `RoleToken.java`, `ZTSImpl.getRoleToken`). The field order is the Java builder's, the
//! signature is ZTS's key over everything before `;s=`, ybase64-encoded.

use super::{Principal, TokenSigner, accessible_roles, domain, token_caps};
use crate::error::{ZtsError, ZtsResult};
use crate::state::AppState;
use model::zts_token::RoleToken;

/// The query of the request.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleTokenQuery {
    /// Comma-separated short role names; none means every role of the caller (`c=1`).
    pub role: Option<String>,
    /// Shortest acceptable lifetime (seconds).
    pub min_expiry_time: Option<i64>,
    /// Requested lifetime (seconds).
    pub max_expiry_time: Option<i64>,
    /// Not supported without an authorized proxy configuration.
    pub proxy_for_principal: Option<String>,
}

/// Issues the token.
pub fn issue(
    st: &AppState,
    signer: &TokenSigner,
    caller: &Principal,
    caller_ip: &str,
    domain_name: &str,
    q: &RoleTokenQuery,
) -> ZtsResult<RoleToken> {
    if q.proxy_for_principal
        .as_deref()
        .is_some_and(|p| !p.is_empty())
        && !signer
            .settings
            .authorized_proxy_users
            .contains(&caller.name)
    {
        return Err(ZtsError::Forbidden(format!(
            "principal {} not authorized for proxy role token request",
            caller.name
        )));
    }
    let subject = q
        .proxy_for_principal
        .as_deref()
        .filter(|p| !p.is_empty())
        .map(str::to_ascii_lowercase)
        .unwrap_or_else(|| caller.name.clone());
    let d = domain(st, domain_name)?;
    let mut requested: Vec<String> = Vec::new();
    for r in q
        .role
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|r| !r.is_empty())
    {
        let r = r.to_ascii_lowercase();
        model::names::EntityName::parse(&r)
            .map_err(|e| ZtsError::BadRequest(format!("role: {e}")))?;
        requested.push(r);
    }
    let mut roles = accessible_roles(st, &d, &subject);
    if !requested.is_empty() {
        roles.retain(|r| requested.contains(r));
    }
    if roles.is_empty() {
        return Err(ZtsError::Forbidden(format!(
            "{subject} is not included in the requested role(s) in domain {domain_name}"
        )));
    }
    if let (Some(min), Some(max)) = (q.min_expiry_time, q.max_expiry_time)
        && min > 0
        && max > 0
        && min > max
    {
        return Err(ZtsError::BadRequest(
            "minExpiryTime is larger than maxExpiryTime".into(),
        ));
    }
    let lifetime = signer.lifetime(q.max_expiry_time, &token_caps(&d, &roles));
    if q.min_expiry_time.is_some_and(|m| m > lifetime) {
        return Err(ZtsError::BadRequest(format!(
            "minExpiryTime exceeds the longest lifetime this server grants ({lifetime} s)"
        )));
    }
    let now = model::Timestamp::now().millis() / 1000;
    let mut salt = [0u8; 8];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| ZtsError::Internal("no randomness".into()))?;
    let mut t = format!("v=Z1;d={};r={}", d.data.name, roles.join(","));
    if requested.is_empty() {
        t.push_str(";c=1");
    }
    t.push_str(&format!(";p={subject}"));
    if subject != caller.name {
        t.push_str(&format!(";proxy={}", caller.name));
    }
    t.push_str(&format!(
        ";a={};t={now};e={};k={};i={caller_ip}",
        hex::encode(salt),
        now + lifetime,
        signer.key_id
    ));
    let sig = signer
        .key
        .sign_ybase64(t.as_bytes())
        .map_err(|e| ZtsError::Internal(format!("signing role token: {e}")))?;
    Ok(RoleToken {
        token: format!("{t};s={sig}"),
        expiry_time: now + lifetime,
    })
}
