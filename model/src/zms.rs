//! ZMS v1 wire types (`core/zms/src/main/rdl/*.tdl`): camelCase names, optional fields left out
//! when empty. Request bodies refuse unknown fields so a typo is reported, not silently dropped.

use crate::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod group;
mod policy;
mod role;
mod service;
mod signed;

pub use group::*;
pub use policy::*;
pub use role::*;
pub use service::*;
pub use signed::*;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemberName;

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
