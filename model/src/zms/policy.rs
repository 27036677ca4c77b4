//! Policies and assertions (`Policy.tdl`).

use super::Tags;
use crate::Timestamp;
use serde::{Deserialize, Serialize};

/// `AssertionEffect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, Hash)]
pub enum AssertionEffect {
    /// Grants when matched.
    #[default]
    #[serde(rename = "ALLOW")]
    Allow,
    /// Denies when matched, over any ALLOW.
    #[serde(rename = "DENY")]
    Deny,
}

/// `Assertion`: `effect` `action` on `resource` for members of `role`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Assertion {
    /// Full role name or glob (`<domain>:role.<glob>`).
    pub role: String,
    /// Resource glob with a `<domain>:` prefix.
    pub resource: String,
    /// Action glob.
    pub action: String,
    /// ALLOW (default) or DENY.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<AssertionEffect>,
    /// Server-assigned id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// Keep the case of action and resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_sensitive: Option<bool>,
}

/// `Policy`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Policy {
    /// Full name, `<domain>:policy.<policy>`.
    pub name: String,
    /// Last change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<Timestamp>,
    /// The assertions.
    #[serde(default)]
    pub assertions: Vec<Assertion>,
    /// Keep case in assertions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_sensitive: Option<bool>,
    /// Version name (`0` when versions are not used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Only active versions are evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
}

/// `Policies`: `GET /domain/{d}/policies`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Policies {
    /// The policies.
    pub list: Vec<Policy>,
}

/// `PolicyList`: `GET /domain/{d}/policy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PolicyList {
    /// Short names.
    pub names: Vec<String>,
    /// Paging token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}
