//! Access answers, the signed domain data ZTS consumes (`SignedDomains.tdl`) and audit records.

use super::{DomainMeta, Group, Policy, Role, ServiceIdentity};
use crate::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `Access`: answer of `GET /access/{action}/{resource}`; a denial is `granted:false` with 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    /// The decision.
    pub granted: bool,
}

/// `DomainPolicies`: the policies inside signed domain data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct DomainPolicies {
    /// Domain name.
    pub domain: String,
    /// Its policies.
    pub policies: Vec<Policy>,
}

/// `SignedPolicies`: the domain's policies with ZMS's signature over their canonical JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SignedPolicies {
    /// The signed content.
    pub contents: DomainPolicies,
    /// ybase64 signature.
    pub signature: String,
    /// Signing key id.
    pub key_id: String,
}

/// `DomainData`: everything ZTS needs to know about one domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DomainData {
    /// Domain name.
    pub name: String,
    /// Meta attributes.
    #[serde(flatten)]
    pub meta: DomainMeta,
    /// Roles.
    pub roles: Vec<Role>,
    /// Signed policies.
    pub policies: SignedPolicies,
    /// Services.
    pub services: Vec<ServiceIdentity>,
    /// Entities (not modelled; always empty).
    #[serde(default)]
    pub entities: Vec<serde_json::Value>,
    /// Groups.
    #[serde(default)]
    pub groups: Vec<Group>,
    /// Last change.
    pub modified: Timestamp,
}

/// `SignedDomain`: one domain's data with ZMS's signature over its canonical JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedDomain {
    /// The data.
    pub domain: DomainData,
    /// ybase64 signature over the canonical JSON of `domain`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// Signing key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

/// `SignedDomains`: answer of `GET /sys/modified_domains`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SignedDomains {
    /// The domains changed since the caller's ETag.
    pub domains: Vec<SignedDomain>,
}

/// `JWSDomain`: a flattened JWS whose payload is the base64url of DomainData.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JWSDomain {
    /// base64url payload.
    pub payload: String,
    /// base64url protected header.
    pub protected: String,
    /// Unprotected header (`kid`).
    pub header: BTreeMap<String, String>,
    /// base64url signature.
    pub signature: String,
}

/// One audit-log entry (ours: Athenz keeps audit records but has no generic read endpoint).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditLogEntry {
    /// Monotonic id.
    pub id: i64,
    /// When the change committed.
    pub created: Timestamp,
    /// Who made it.
    pub principal: String,
    /// The API operation (`putRole`, …).
    pub action: String,
    /// The domain changed.
    pub domain: String,
    /// The object changed (`sports:role.readers`).
    pub object: String,
    /// The request's `Y-Audit-Ref`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_ref: Option<String>,
    /// What changed, as JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

/// `GET /domain/{name}/auditlog` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AuditLog {
    /// Newest first.
    pub entries: Vec<AuditLogEntry>,
}
