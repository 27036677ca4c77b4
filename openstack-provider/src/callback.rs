//! `POST /instance` and `POST /refresh`: the Athenz provider callback (docs/openstack.md §3;
//! Athenz `InstanceHttpProvider`). ZTS posts an InstanceConfirmation with its client
//! certificate, which must chain to `client_ca_file` (401 without one; the TLS handshake already
//! refused any other) and name one of `zts_principals` (403 otherwise). The checks, in order, each refusal a 403 naming it:
//!
//! 1. token: the attestation token verifies with the provider's key, its `iss` is this provider,
//!    and on `/instance` only its `exp` is not past;
//! 2. identity: `sub` is `attributes.instanceId`, `domain`/`service` are the confirmation's;
//! 3. binding: `[bindings]` binds `project_id` to the domain;
//! 4. nova: the server exists, is `ACTIVE`, belongs to `project_id`, and has `attributes.clientIP`
//!    and every `attributes.sanIP` among its addresses.
//!
//! The answer echoes the confirmation with exactly the attributes the provider decides:
//! `certRefresh=true` (`certUsage` is left unset, which ZTS reads as unchanged).

use crate::AppState;
use crate::error::{Error, Result};
use crate::nova::Lookup;
use crate::token::{self, Claims, Expect};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, State};
use model::zts::InstanceConfirmation;
use server_common::tls::Peer;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

/// Which callback ZTS made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// `POST /instance`: registration; the token's `exp` counts.
    Register,
    /// `POST /refresh`: the token's `exp` does not count, Nova is asked again.
    Refresh,
}

/// `POST /instance`.
pub(crate) async fn instance(
    State(st): State<Arc<AppState>>,
    peer: Option<Extension<Peer>>,
    body: Bytes,
) -> Result<Json<InstanceConfirmation>> {
    confirm(&st, peer.map(|Extension(p)| p), &body, Flow::Register).await
}

/// `POST /refresh`.
pub(crate) async fn refresh(
    State(st): State<Arc<AppState>>,
    peer: Option<Extension<Peer>>,
    body: Bytes,
) -> Result<Json<InstanceConfirmation>> {
    confirm(&st, peer.map(|Extension(p)| p), &body, Flow::Refresh).await
}

async fn confirm(
    st: &AppState,
    peer: Option<Peer>,
    body: &[u8],
    flow: Flow,
) -> Result<Json<InstanceConfirmation>> {
    let Some(peer) = peer.filter(|p| p.cert.is_some()) else {
        return Err(Error::Unauthenticated(
            "a client certificate issued by the provider's client CA is required".into(),
        ));
    };
    let caller = peer.principal.as_deref().unwrap_or_default();
    if !st.config.zts_principals.iter().any(|p| p == caller) {
        return Err(Error::Forbidden(format!(
            "caller {caller:?} is not ZTS (zts_principals)"
        )));
    }
    let c: InstanceConfirmation = serde_json::from_slice(body)
        .map_err(|e| Error::BadRequest(format!("invalid InstanceConfirmation: {e}")))?;
    let name = &st.config.provider_name;
    if !c.provider.eq_ignore_ascii_case(name) {
        return Err(Error::Forbidden(format!(
            "provider: the confirmation is for {:?}, not this provider {name}",
            short(&c.provider)
        )));
    }
    let attrs = c.attributes.clone().unwrap_or_default();

    // 1. The token.
    let claims = token::verify(
        st.config.signing_key.verifying_key(),
        &c.attestation_data,
        Expect {
            issuer: name,
            now: crate::now(),
            check_expiry: flow == Flow::Register,
        },
    )?;
    // 2. It names this instance and identity.
    check_identity(&claims, &c, &attrs)?;
    // 3. The binding.
    if st
        .config
        .bindings
        .get(&claims.project_id)
        .is_none_or(|d| d.as_str() != claims.domain)
    {
        return Err(Error::Forbidden(format!(
            "binding: project {} is not bound to domain {}",
            claims.project_id, claims.domain
        )));
    }
    // 4. Nova.
    check_nova(st, &claims, &attrs).await?;

    tracing::info!(
        instance = %claims.sub, project = %claims.project_id,
        identity = %format!("{}.{}", claims.domain, claims.service), ?flow,
        "instance confirmed"
    );
    let attributes = BTreeMap::from([("certRefresh".to_string(), "true".to_string())]);
    Ok(Json(InstanceConfirmation {
        attributes: Some(attributes),
        ..c
    }))
}

fn check_identity(
    claims: &Claims,
    c: &InstanceConfirmation,
    attrs: &BTreeMap<String, String>,
) -> Result<()> {
    match attrs.get("instanceId") {
        Some(id) if *id == claims.sub => {}
        Some(id) => {
            return Err(Error::Forbidden(format!(
                "instance id: the token is for instance {}, the request for {}",
                claims.sub,
                short(id)
            )));
        }
        None => {
            return Err(Error::Forbidden(
                "instance id: the confirmation has no instanceId attribute".into(),
            ));
        }
    }
    if !c.domain.eq_ignore_ascii_case(&claims.domain)
        || !c.service.eq_ignore_ascii_case(&claims.service)
    {
        return Err(Error::Forbidden(format!(
            "identity: the token is for {}.{}, the request for {}.{}",
            claims.domain,
            claims.service,
            short(&c.domain),
            short(&c.service)
        )));
    }
    Ok(())
}

async fn check_nova(
    st: &AppState,
    claims: &Claims,
    attrs: &BTreeMap<String, String>,
) -> Result<()> {
    let id = &claims.sub;
    let server = match st.nova.server(&st.keystone, id).await? {
        Lookup::Deleted => {
            return Err(Error::Forbidden(format!("nova: server {id} is deleted")));
        }
        Lookup::Found(s) => s,
    };
    if !server.status.eq_ignore_ascii_case("ACTIVE") {
        return Err(Error::Forbidden(format!(
            "nova: server {id} is {}, not ACTIVE",
            short(&server.status)
        )));
    }
    if server.tenant_id != claims.project_id {
        return Err(Error::Forbidden(format!(
            "nova: server {id} belongs to project {}, not {}",
            short(&server.tenant_id),
            claims.project_id
        )));
    }
    let client_ip = attrs.get("clientIP").ok_or_else(|| {
        Error::Forbidden("nova: the confirmation has no clientIP attribute".into())
    })?;
    if !parse_ip(client_ip).is_some_and(|ip| server.has_address(ip)) {
        return Err(Error::Forbidden(format!(
            "nova: client IP {} is not an address of server {id}",
            short(client_ip)
        )));
    }
    for san in attrs
        .get("sanIP")
        .map(|s| s.split(',').map(str::trim).filter(|s| !s.is_empty()))
        .into_iter()
        .flatten()
    {
        if !parse_ip(san).is_some_and(|ip| server.has_address(ip)) {
            return Err(Error::Forbidden(format!(
                "nova: SAN IP {} is not an address of server {id}",
                short(san)
            )));
        }
    }
    Ok(())
}

fn parse_ip(s: &str) -> Option<IpAddr> {
    s.trim().parse().ok()
}

/// Request text echoed in a message, bounded.
fn short(s: &str) -> String {
    s.chars().take(80).collect()
}
