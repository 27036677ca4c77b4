//! ZMS v1 wire types (`core/zms/src/main/rdl/*.tdl`): camelCase names, optional fields left out
//! when empty. Request bodies refuse unknown fields so a typo is reported, not silently dropped.

use crate::{MemberName, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Tag values (`TagValueList`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TagValueList {
    /// The values.
    pub list: Vec<String>,
}

/// Tags: key to values.
pub type Tags = BTreeMap<String, TagValueList>;

macro_rules! domain_meta_struct {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $vis:vis $field:ident : $ty:ty,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name {
            $($(#[$fdoc])* $vis $field: $ty,)*
            /// Free-text description.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub description: Option<String>,
            /// Owning organization.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub org: Option<String>,
            /// Disabled domains refuse access checks (403).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub enabled: Option<bool>,
            /// When set, every change needs a `Y-Audit-Ref`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub audit_enabled: Option<bool>,
            /// AWS account id(s), a system attribute (comma list when several are allowed).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub account: Option<String>,
            /// AWS account name.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub aws_account_name: Option<String>,
            /// Product id, a system attribute.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub ypm_id: Option<i32>,
            /// Application id.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub application_id: Option<String>,
            /// DNS domain allowed in service certificates, a system attribute.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub cert_dns_domain: Option<String>,
            /// Default user member expiry.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub member_expiry_days: Option<i32>,
            /// Role token lifetime.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub token_expiry_mins: Option<i32>,
            /// Service certificate lifetime.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub service_cert_expiry_mins: Option<i32>,
            /// Role certificate lifetime.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub role_cert_expiry_mins: Option<i32>,
            /// Token signing algorithm (`rsa` or `ec`).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub sign_algorithm: Option<String>,
            /// Default service member expiry.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub service_expiry_days: Option<i32>,
            /// Default group member expiry.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub group_expiry_days: Option<i32>,
            /// User authority filter.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub user_authority_filter: Option<String>,
            /// Azure subscription.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub azure_subscription: Option<String>,
            /// Azure tenant.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub azure_tenant: Option<String>,
            /// Azure client.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub azure_client: Option<String>,
            /// GCP project.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub gcp_project: Option<String>,
            /// GCP project number.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub gcp_project_number: Option<String>,
            /// Tags.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub tags: Option<Tags>,
            /// Business service.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub business_service: Option<String>,
            /// Member purge expiry.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub member_purge_expiry_days: Option<i32>,
            /// Product id.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub product_id: Option<String>,
            /// Feature flags.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub feature_flags: Option<i32>,
            /// Contacts: type to user.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub contacts: Option<BTreeMap<String, String>>,
            /// Environment.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub environment: Option<String>,
            /// X.509 signer key id.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub x509_cert_signer_key_id: Option<String>,
            /// SSH signer key id.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub ssh_cert_signer_key_id: Option<String>,
            /// Slack channel.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub slack_channel: Option<String>,
            /// On-call.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub on_call: Option<String>,
            /// Cost center.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub cost_center: Option<String>,
        }
    };
}

domain_meta_struct!(
    /// `DomainMeta`: the settable attributes of a domain (`PUT /domain/{name}/meta`).
    DomainMeta {}
);

domain_meta_struct!(
    /// `Domain`: a domain's meta plus its name, modification time and id.
    Domain {
        /// Full domain name.
        pub name: String,
        /// Last change.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub modified: Option<Timestamp>,
        /// UUID assigned at creation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
    }
);

domain_meta_struct!(
    /// `TopLevelDomain`: body of `POST /domain`.
    TopLevelDomain {
        /// The new domain's name (a SimpleName).
        pub name: String,
        /// Initial members of the `admin` role.
        #[serde(default)]
        pub admin_users: Vec<String>,
        /// Templates to apply (not supported yet: must be empty).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub templates: Option<serde_json::Value>,
    }
);

domain_meta_struct!(
    /// `SubDomain`: body of `POST /subdomain/{parent}`.
    SubDomain {
        /// The new domain's leaf name (a SimpleName).
        pub name: String,
        /// The parent domain; must equal the path's.
        pub parent: String,
        /// Initial members of the `admin` role.
        #[serde(default)]
        pub admin_users: Vec<String>,
        /// Templates to apply (not supported yet: must be empty).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub templates: Option<serde_json::Value>,
    }
);

/// `DomainList`: names from `GET /domain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DomainList {
    /// Domain names, sorted.
    pub names: Vec<String>,
    /// Paging token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

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

/// `PublicKeyEntry`: a service key, `key` being the ybase64 of the PEM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicKeyEntry {
    /// ybase64-encoded PEM public key.
    pub key: String,
    /// Key id (a SimpleName).
    pub id: String,
}

/// `ServiceIdentity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceIdentity {
    /// Full name, `<domain>.<service>`.
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Registered public keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_keys: Option<Vec<PublicKeyEntry>>,
    /// Provider endpoint, a system attribute: `https://…` or `class://…`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_endpoint: Option<String>,
    /// Last change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<Timestamp>,
    /// Executable path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executable: Option<String>,
    /// Hosts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosts: Option<Vec<String>>,
    /// Unix user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Unix group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    /// X.509 signer key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x509_cert_signer_key_id: Option<String>,
    /// SSH signer key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_cert_signer_key_id: Option<String>,
    /// OAuth client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

/// `ServiceIdentities`: `GET /domain/{d}/services`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ServiceIdentities {
    /// The services.
    pub list: Vec<ServiceIdentity>,
}

/// `ServiceIdentityList`: `GET /domain/{d}/service`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ServiceIdentityList {
    /// Short names.
    pub names: Vec<String>,
    /// Paging token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// `ServiceIdentitySystemMeta`: body of `PUT /domain/{d}/service/{s}/meta/system/{attribute}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceIdentitySystemMeta {
    /// Provider endpoint (attribute `providerendpoint`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_endpoint: Option<String>,
    /// Client id (attribute `clientid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// X.509 signer key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x509_cert_signer_key_id: Option<String>,
    /// SSH signer key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_cert_signer_key_id: Option<String>,
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_fields_are_omitted_and_names_are_camel_case() {
        let mut r = Role {
            name: "d:role.r".into(),
            ..Role::default()
        };
        r.role_members = Some(vec![RoleMember::new(
            MemberName::parse("user.joe").unwrap(),
        )]);
        let j = serde_json::to_string(&r).unwrap();
        assert_eq!(
            j,
            r#"{"name":"d:role.r","roleMembers":[{"memberName":"user.joe"}]}"#
        );
    }

    #[test]
    fn unknown_fields_are_refused_with_their_name() {
        let e = serde_json::from_str::<Role>(r#"{"name":"d:role.r","bogus":1}"#).unwrap_err();
        assert!(e.to_string().contains("bogus"), "{e}");
    }

    #[test]
    fn effect_and_domain_meta_shape() {
        let a: Assertion = serde_json::from_str(
            r#"{"role":"d:role.r","resource":"d:x","action":"read","effect":"DENY"}"#,
        )
        .unwrap();
        assert_eq!(a.effect, Some(AssertionEffect::Deny));
        let d = Domain {
            name: "d".into(),
            audit_enabled: Some(false),
            ..Domain::default()
        };
        assert_eq!(
            serde_json::to_string(&d).unwrap(),
            r#"{"name":"d","auditEnabled":false}"#
        );
    }
}
