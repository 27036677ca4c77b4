//! What ZTS consumes: the signed domains feed `GET /sys/modified_domains` (ETag / If-None-Match /
//! 304, `SignedDomains.rdli`), one domain as flattened JWS `GET /domain/{name}/signed`, and our
//! audit log reader `GET /domain/{name}/auditlog`.

use super::{Caller, St, domain};
use crate::error::{ZmsError, ZmsResult};
use crate::state::Entry;
use axum::Json;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use model::Timestamp;
use model::zms::{AuditLog, AuditLogEntry, SignedDomain, SignedDomains};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
pub struct FeedQuery {
    domain: Option<String>,
    metaonly: Option<bool>,
}

/// The If-None-Match timestamp, when present and well-formed.
fn since(headers: &HeaderMap) -> Option<i64> {
    let v = headers.get(header::IF_NONE_MATCH)?.to_str().ok()?;
    let v = v.trim().trim_start_matches("W/").trim_matches('"');
    Timestamp::parse(v).ok().map(Timestamp::millis)
}

fn etag(ms: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{}\"", Timestamp::from_millis(ms)))
        .unwrap_or_else(|_| HeaderValue::from_static("\"\""))
}

fn not_modified(ms: i64) -> Response {
    (StatusCode::NOT_MODIFIED, [(header::ETAG, etag(ms))]).into_response()
}

fn sign(st: &St, e: &Entry, meta_only: bool) -> ZmsResult<Arc<SignedDomain>> {
    let make = || -> ZmsResult<SignedDomain> {
        let signer = &st.signer;
        let internal = |e: anyhow::Error| ZmsError::Internal(format!("signing: {e}"));
        let data = e.doc.domain_data(meta_only, |contents| {
            let signature = signer.sign_canonical(contents).map_err(internal)?;
            Ok::<_, ZmsError>((signature, signer.key_id().to_string()))
        })?;
        let signature = signer.sign_canonical(&data).map_err(internal)?;
        Ok(SignedDomain {
            domain: data,
            signature: Some(signature),
            key_id: Some(signer.key_id().into()),
        })
    };
    if meta_only {
        return make().map(Arc::new);
    }
    if let Some(s) = e.signed.get() {
        return Ok(s.clone());
    }
    let s = Arc::new(make()?);
    Ok(e.signed.get_or_init(|| s).clone())
}

pub async fn modified_domains(
    st: St,
    caller: Caller,
    headers: HeaderMap,
    Query(q): Query<FeedQuery>,
) -> ZmsResult<Response> {
    let meta_only = q.metaonly.unwrap_or(false);
    let only = q.domain.as_deref().map(domain).transpose()?;
    if only.is_none() && !meta_only {
        // Full data for every domain is for ZTS (a sys.* service) or system administrators.
        let p = &caller.principal;
        let system = p.starts_with("sys.")
            || st.read(|c| {
                c.domains.get("sys.auth").is_some_and(|e| {
                    e.compiled
                        .has_role_member(c, "sys.auth:role.admin", p, Timestamp::now())
                })
            })?;
        if !system {
            return Err(ZmsError::BadRequest(
                "without domain=, metaonly=true is required (full data is for system principals)"
                    .into(),
            ));
        }
    }
    let after = since(&headers).unwrap_or(i64::MIN);
    let (max, entries) = st.read(|c| {
        let pick = |e: &&Arc<Entry>| e.doc.domain.modified.map_or(0, Timestamp::millis) > after;
        let list: Vec<Arc<Entry>> = match &only {
            Some(d) => c
                .domains
                .get(d.as_str())
                .into_iter()
                .filter(pick)
                .cloned()
                .collect(),
            None => c.domains.values().filter(pick).cloned().collect(),
        };
        (c.max_modified, list)
    })?;
    if entries.is_empty() {
        return Ok(not_modified(max));
    }
    let mut domains = Vec::with_capacity(entries.len());
    for e in &entries {
        domains.push(sign(&st, e, meta_only)?.as_ref().clone());
    }
    domains.sort_by(|a, b| a.domain.name.cmp(&b.domain.name));
    Ok(([(header::ETAG, etag(max))], Json(SignedDomains { domains })).into_response())
}

#[derive(Debug, Deserialize)]
pub struct JwsQuery {
    signaturep1363format: Option<bool>,
}

pub async fn jws_domain(
    st: St,
    _caller: Caller,
    headers: HeaderMap,
    Path(d): Path<String>,
    Query(q): Query<JwsQuery>,
) -> ZmsResult<Response> {
    let e = st.entry(domain(&d)?.as_str())?;
    let modified = e.doc.domain.modified.map_or(0, Timestamp::millis);
    if since(&headers).is_some_and(|s| s >= modified) {
        return Ok(not_modified(modified));
    }
    let signed = sign(&st, &e, false)?;
    let payload =
        serde_json::to_vec(&signed.domain).map_err(|e| ZmsError::Internal(e.to_string()))?;
    let jws = st
        .signer
        .sign_jws(&payload, q.signaturep1363format == Some(true))
        .map_err(|e| ZmsError::Internal(e.to_string()))?;
    Ok(([(header::ETAG, etag(modified))], Json(jws)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    limit: Option<u32>,
    before: Option<i64>,
}

pub async fn audit_log(
    st: St,
    _caller: Caller,
    Path(d): Path<String>,
    Query(q): Query<AuditQuery>,
) -> ZmsResult<Json<AuditLog>> {
    let d = domain(&d)?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let records = st.store().audit_log(d.as_str(), limit, q.before).await?;
    // A deleted domain keeps its history; a name that never existed is a 404.
    if records.is_empty() && st.entry(d.as_str()).is_err() && q.before.is_none() {
        return Err(ZmsError::NotFound(format!("domain not found: {d}")));
    }
    let entries = records
        .into_iter()
        .map(|r| AuditLogEntry {
            id: r.id,
            created: Timestamp::from_millis(r.created_ms),
            principal: r.principal,
            action: r.action,
            domain: r.domain,
            object: r.object,
            audit_ref: r.audit_ref,
            details: r.details,
        })
        .collect();
    Ok(Json(AuditLog { entries }))
}
