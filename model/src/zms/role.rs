//! Roles and role membership (`Role.tdl`).

use super::Tags;
use crate::{MemberName, Timestamp};
use serde::{Deserialize, Serialize};

/// `RoleMember`: one member of a role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleMember {
    /// The member.
    pub member_name: MemberName,
    /// After this instant the membership no longer counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<Timestamp>,
    /// Review reminder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_reminder: Option<Timestamp>,
    /// Whether the membership is active (pending members are not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Whether the membership is approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved: Option<bool>,
    /// Audit reference of the change that added it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_ref: Option<String>,
    /// When it was requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_time: Option<Timestamp>,
    /// Who requested it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_principal: Option<String>,
    /// Non-zero when the system disabled the member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_disabled: Option<i32>,
    /// 0 unknown, 1 user, 2 service, 3 group, 4 headless, 5 external.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_type: Option<i32>,
}

impl RoleMember {
    /// A plain member with no expiry.
    pub fn new(member_name: MemberName) -> Self {
        Self {
            member_name,
            expiration: None,
            review_reminder: None,
            active: None,
            approved: None,
            audit_ref: None,
            request_time: None,
            request_principal: None,
            system_disabled: None,
            principal_type: None,
        }
    }

    /// Whether the membership counts at `now`: active, not disabled, not expired.
    pub fn is_effective(&self, now: Timestamp) -> bool {
        self.active != Some(false)
            && self.system_disabled.unwrap_or(0) == 0
            && self.expiration.is_none_or(|e| e > now)
    }
}

/// `RoleAuditLog`: one membership change recorded on a role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAuditLog {
    /// The member concerned.
    pub member: String,
    /// Who made the change.
    pub admin: String,
    /// When.
    pub created: Timestamp,
    /// `ADD` or `DELETE`.
    pub action: String,
    /// The request's audit reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_ref: Option<String>,
}

/// `Role`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Role {
    /// Full name, `<domain>:role.<role>`.
    pub name: String,
    /// Last change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<Timestamp>,
    /// Deprecated plain member list; accepted on input and merged into `roleMembers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<MemberName>>,
    /// Members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_members: Option<Vec<RoleMember>>,
    /// For a delegated role: the domain that decides membership (the role then has no members).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust: Option<String>,
    /// Membership changes (only with `?auditLog=true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_log: Option<Vec<RoleAuditLog>>,
    /// Members may request to join.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_serve: Option<bool>,
    /// Default user member expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_expiry_days: Option<i32>,
    /// Role token lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_expiry_mins: Option<i32>,
    /// Role certificate lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_expiry_mins: Option<i32>,
    /// Signing algorithm for tokens of this role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_algorithm: Option<String>,
    /// Default service member expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_expiry_days: Option<i32>,
    /// Default group member expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_expiry_days: Option<i32>,
    /// Review reminder for users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_review_days: Option<i32>,
    /// Review reminder for services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_review_days: Option<i32>,
    /// Review reminder for groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_review_days: Option<i32>,
    /// Changes need review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_enabled: Option<bool>,
    /// Roles notified of pending changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_roles: Option<String>,
    /// User authority filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_authority_filter: Option<String>,
    /// User authority expiration attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_authority_expiration: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    /// Changes need a `Y-Audit-Ref`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_enabled: Option<bool>,
    /// Refuse deletion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_protection: Option<bool>,
    /// Last review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reviewed_date: Option<Timestamp>,
    /// Members may extend their own membership.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_renew: Option<bool>,
    /// Self-renew length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_renew_mins: Option<i32>,
    /// Member cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_members: Option<i32>,
    /// Allowed member domains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_domain_filter: Option<String>,
}

/// `Roles`: `GET /domain/{d}/roles`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Roles {
    /// The roles.
    pub list: Vec<Role>,
}

/// `RoleList`: `GET /domain/{d}/role`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RoleList {
    /// Short role names.
    pub names: Vec<String>,
    /// Paging token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// `Membership`: body of `PUT /domain/{d}/role/{r}/member/{m}` and answer of the matching GET.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Membership {
    /// The member; must equal the path's.
    pub member_name: MemberName,
    /// Whether the principal is a member (GET only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_member: Option<bool>,
    /// Full role name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
    /// Expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<Timestamp>,
    /// Review reminder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_reminder: Option<Timestamp>,
    /// Active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved: Option<bool>,
    /// Audit reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_ref: Option<String>,
    /// Who requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_principal: Option<String>,
    /// System disabled flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_disabled: Option<i32>,
}
