//! `POST /vendordata`: Nova's dynamic vendordata call at an instance's first boot
//! (docs/openstack.md §1; Nova's "Vendordata" documentation for the request body). The checks,
//! in order: Nova's Keystone token holds `vendordata_role` (401/403), the metadata names an Athenz
//! domain and service (400), the project is bound to that domain (403). Then the answer is
//! `{"attestation": "<token>"}`.

use crate::AppState;
use crate::error::{Error, Result};
use crate::token::{self, Claims};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use model::{DomainName, SimpleName};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Nova's request body. Nova may add keys (`boot-roles`), so unknown ones are ignored.
#[derive(Debug, Deserialize)]
pub struct VendordataRequest {
    /// The instance's project.
    #[serde(rename = "project-id")]
    pub project_id: String,
    /// The server uuid.
    #[serde(rename = "instance-id")]
    pub instance_id: String,
    /// The image.
    #[serde(rename = "image-id", default)]
    pub image_id: Option<String>,
    /// Nova's hostname for the instance.
    #[serde(default)]
    pub hostname: Option<String>,
    /// The instance metadata (`athenz_domain`, `athenz_service`, anything else).
    #[serde(default)]
    pub metadata: Option<BTreeMap<String, Value>>,
}

/// The answer; Nova stores it under the target name in `vendor_data2.json`.
#[derive(Debug, Serialize, Deserialize)]
pub struct VendordataResponse {
    /// The signed attestation token.
    pub attestation: String,
}

/// The handler.
pub(crate) async fn vendordata(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<VendordataResponse>> {
    // 1. Nova's Keystone token, with the role.
    let subject = headers
        .get("X-Auth-Token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::Unauthenticated("X-Auth-Token is required".into()))?;
    let roles = st.keystone.validate(subject).await?;
    let role = &st.config.vendordata_role;
    if !roles.iter().any(|r| r == role) {
        return Err(Error::Forbidden(format!(
            "the Keystone token's user does not hold role {role:?}"
        )));
    }

    // 2. The identity asked for, and the binding.
    let req: VendordataRequest = serde_json::from_slice(&body)
        .map_err(|e| Error::BadRequest(format!("invalid vendordata request: {e}")))?;
    if req.project_id.is_empty() {
        return Err(Error::BadRequest("project-id is empty".into()));
    }
    if !crate::nova::is_server_id(&req.instance_id) {
        return Err(Error::BadRequest(
            "instance-id is not a Nova server id".into(),
        ));
    }
    let metadata = req.metadata.unwrap_or_default();
    let domain = DomainName::parse(meta_str(&metadata, "athenz_domain")?)
        .map_err(|e| Error::BadRequest(format!("metadata.athenz_domain: {e}")))?;
    let service = SimpleName::parse(meta_str(&metadata, "athenz_service")?)
        .map_err(|e| Error::BadRequest(format!("metadata.athenz_service: {e}")))?;
    if st.config.bindings.get(&req.project_id) != Some(&domain) {
        return Err(Error::Forbidden(format!(
            "project {} is not bound to domain {domain}",
            req.project_id
        )));
    }

    // 3. The token.
    let iat = crate::now();
    let claims = Claims {
        iss: st.config.provider_name.clone(),
        sub: req.instance_id,
        project_id: req.project_id,
        hostname: req.hostname.unwrap_or_default(),
        image_id: req.image_id.unwrap_or_default(),
        domain: domain.to_string(),
        service: service.to_string(),
        iat,
        exp: iat.saturating_add(i64::try_from(st.config.token_lifetime).unwrap_or(i64::MAX)),
    };
    let attestation = token::sign(&st.config.signing_key, &st.config.signing_key_id, &claims)
        .map_err(|e| Error::Internal(e.to_string()))?;
    tracing::info!(
        instance = %claims.sub, project = %claims.project_id,
        identity = %format!("{}.{}", claims.domain, claims.service),
        "attestation token issued"
    );
    Ok(Json(VendordataResponse { attestation }))
}

fn meta_str<'a>(metadata: &'a BTreeMap<String, Value>, key: &str) -> Result<&'a str> {
    match metadata.get(key) {
        None => Err(Error::BadRequest(format!("metadata.{key} is missing"))),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(Error::BadRequest(format!("metadata.{key} is not a string"))),
    }
}
