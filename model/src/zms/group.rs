//! Groups and group membership (`Group.tdl`).

use super::Tags;
use crate::{MemberName, Timestamp};
use serde::{Deserialize, Serialize};

/// `GroupMember`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupMember {
    /// The member (users and services only; groups do not nest).
    pub member_name: MemberName,
    /// Full group name (filled in on output).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// Expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<Timestamp>,
    /// Active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved: Option<bool>,
    /// Audit reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_ref: Option<String>,
    /// System disabled flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_disabled: Option<i32>,
    /// Principal type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_type: Option<i32>,
}

impl GroupMember {
    /// Whether the membership counts at `now`.
    pub fn is_effective(&self, now: Timestamp) -> bool {
        self.active != Some(false)
            && self.system_disabled.unwrap_or(0) == 0
            && self.expiration.is_none_or(|e| e > now)
    }
}

/// `Group`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Group {
    /// Full name, `<domain>:group.<group>`.
    pub name: String,
    /// Last change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<Timestamp>,
    /// Members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_members: Option<Vec<GroupMember>>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    /// Changes need a `Y-Audit-Ref`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_enabled: Option<bool>,
    /// Self-serve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_serve: Option<bool>,
    /// Default member expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_expiry_days: Option<i32>,
    /// Default service member expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_expiry_days: Option<i32>,
    /// Refuse deletion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_protection: Option<bool>,
}

/// `Groups`: `GET /domain/{d}/groups`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Groups {
    /// The groups.
    pub list: Vec<Group>,
}

/// `GroupMembership`: body of `PUT /domain/{d}/group/{g}/member/{m}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupMembership {
    /// The member; must equal the path's.
    pub member_name: MemberName,
    /// Whether the principal is a member (GET only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_member: Option<bool>,
    /// Full group name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// Expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<Timestamp>,
    /// Active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved: Option<bool>,
    /// Audit reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_ref: Option<String>,
}
