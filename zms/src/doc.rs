//! The stored form of a domain: one document holding the domain and all its objects.
//!
//! A domain is ZMS's unit of consistency: ZTS receives whole signed domains, and every write
//! touches one domain. Keeping it as one document makes each write a single compare-and-swap of one
//! row plus its audit record, and lets the in-memory cache hold exactly what was committed.

use model::access::CompiledDomain;
use model::names::{policy_full_name, role_full_name};
use model::zms::{
    Assertion, AssertionEffect, Domain, DomainData, DomainMeta, DomainPolicies, Group, Policy,
    Role, RoleMember, ServiceIdentity, SignedPolicies,
};
use model::{MemberName, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One domain and everything in it, keyed by full object names.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainDoc {
    /// The domain object (meta, name, id, modified).
    pub domain: Domain,
    /// Roles by full name (`d:role.r`).
    #[serde(default)]
    pub roles: BTreeMap<String, Role>,
    /// Groups by full name (`d:group.g`).
    #[serde(default)]
    pub groups: BTreeMap<String, Group>,
    /// Policies by full name (`d:policy.p`).
    #[serde(default)]
    pub policies: BTreeMap<String, Policy>,
    /// Services by full name (`d.s`).
    #[serde(default)]
    pub services: BTreeMap<String, ServiceIdentity>,
    /// Next assertion id to hand out (ids are unique within the domain).
    #[serde(default)]
    pub next_assertion_id: i64,
}

impl DomainDoc {
    /// A new domain with its `admin` role (members `admins`) and `admin` policy granting the role
    /// every action on every resource of the domain (`ZMSUtils.makeAdminRole/makeAdminPolicy`).
    pub fn new(name: &str, mut domain: Domain, admins: &[MemberName], now: Timestamp) -> Self {
        domain.name = name.to_string();
        domain.modified = Some(now);
        domain
            .id
            .get_or_insert_with(|| uuid::Uuid::new_v4().to_string());
        domain.enabled.get_or_insert(true);
        domain.audit_enabled.get_or_insert(false);
        let admin_role = role_full_name(name, "admin");
        let mut doc = Self {
            domain,
            roles: BTreeMap::new(),
            groups: BTreeMap::new(),
            policies: BTreeMap::new(),
            services: BTreeMap::new(),
            next_assertion_id: 1,
        };
        let members = admins.iter().cloned().map(RoleMember::new).collect();
        doc.roles.insert(
            admin_role.clone(),
            Role {
                name: admin_role.clone(),
                modified: Some(now),
                role_members: Some(members),
                ..Role::default()
            },
        );
        let policy = policy_full_name(name, "admin");
        let assertion = Assertion {
            role: admin_role,
            resource: format!("{name}:*"),
            action: "*".into(),
            effect: Some(AssertionEffect::Allow),
            id: None,
            case_sensitive: None,
        };
        let p = Policy {
            name: policy.clone(),
            modified: Some(now),
            ..Policy::default()
        };
        doc.policies.insert(policy.clone(), p);
        doc.add_assertion(&policy, assertion);
        doc
    }

    /// The domain name.
    pub fn name(&self) -> &str {
        &self.domain.name
    }

    /// Appends an assertion to a policy, assigning its id; returns the stored assertion.
    pub fn add_assertion(&mut self, policy: &str, mut a: Assertion) -> Option<Assertion> {
        let p = self.policies.get_mut(policy)?;
        a.id = Some(self.next_assertion_id);
        self.next_assertion_id += 1;
        p.assertions.push(a.clone());
        Some(a)
    }

    /// Prepares the domain for the evaluator.
    pub fn compile(&self) -> CompiledDomain {
        let roles: Vec<Role> = self.roles.values().cloned().collect();
        let groups: Vec<Group> = self.groups.values().cloned().collect();
        let policies: Vec<Policy> = self.policies.values().cloned().collect();
        CompiledDomain::compile(
            self.name(),
            self.domain.enabled != Some(false),
            &roles,
            &groups,
            &policies,
        )
    }

    /// The `DomainData` view ZTS receives; `sign_policies` signs the policy contents and returns
    /// the signature and key id.
    pub fn domain_data<E>(
        &self,
        meta_only: bool,
        sign_policies: impl Fn(&DomainPolicies) -> Result<(String, String), E>,
    ) -> Result<DomainData, E> {
        let mut data = DomainData {
            name: self.domain.name.clone(),
            meta: meta_of(&self.domain),
            modified: self.domain.modified.unwrap_or_default(),
            ..DomainData::default()
        };
        if meta_only {
            return Ok(data);
        }
        data.roles = self.roles.values().cloned().collect();
        data.groups = self.groups.values().cloned().collect();
        data.services = self.services.values().cloned().collect();
        let contents = DomainPolicies {
            domain: self.domain.name.clone(),
            policies: self.policies.values().cloned().collect(),
        };
        let (signature, key_id) = sign_policies(&contents)?;
        data.policies = SignedPolicies {
            contents,
            signature,
            key_id,
        };
        Ok(data)
    }
}

/// The meta part of a domain: every attribute except name, modified and id.
pub fn meta_of(d: &Domain) -> DomainMeta {
    let mut v = serde_json::to_value(d).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        for k in ["name", "modified", "id"] {
            o.remove(k);
        }
    }
    serde_json::from_value(v).unwrap_or_default()
}

/// Domain attributes only `PUT /domain/{name}/meta/system/{attribute}` may change, by the lowercase
/// attribute name Athenz uses in that path, mapped to the JSON field.
pub const SYSTEM_ATTRIBUTES: &[(&str, &str)] = &[
    ("account", "account"),
    ("ypmid", "ypmId"),
    ("productid", "productId"),
    ("certdnsdomain", "certDnsDomain"),
    ("auditenabled", "auditEnabled"),
    ("enabled", "enabled"),
    ("org", "org"),
    ("businessservice", "businessService"),
    ("azuresubscription", "azureSubscription"),
    ("azuretenant", "azureTenant"),
    ("azureclient", "azureClient"),
    ("gcpproject", "gcpProject"),
    ("gcpprojectnumber", "gcpProjectNumber"),
    ("featureflags", "featureFlags"),
    ("x509certsignerkeyid", "x509CertSignerKeyId"),
    ("sshcertsignerkeyid", "sshCertSignerKeyId"),
];

/// Fields a domain admin may not set through plain meta (they need the system attribute call).
const PROTECTED: &[&str] = &[
    "account",
    "ypmId",
    "productId",
    "certDnsDomain",
    "azureSubscription",
    "azureTenant",
    "azureClient",
    "gcpProject",
    "gcpProjectNumber",
    "x509CertSignerKeyId",
    "sshCertSignerKeyId",
];

/// Merges the fields present in `meta` into the domain. With `only` set, exactly that JSON field
/// is copied (system attribute update, where an absent value clears the attribute); otherwise
/// every present field except the protected system attributes.
pub fn merge_meta(d: &mut Domain, meta: &DomainMeta, only: Option<&str>) {
    let (Ok(mut cur), Ok(new)) = (serde_json::to_value(&*d), serde_json::to_value(meta)) else {
        return;
    };
    let (Some(cur_o), Some(new_o)) = (cur.as_object_mut(), new.as_object()) else {
        return;
    };
    match only {
        Some(field) => match new_o.get(field) {
            Some(v) => {
                cur_o.insert(field.to_string(), v.clone());
            }
            None => {
                cur_o.remove(field);
            }
        },
        None => {
            for (k, v) in new_o {
                if !PROTECTED.contains(&k.as_str()) {
                    cur_o.insert(k.clone(), v.clone());
                }
            }
        }
    }
    if let Ok(updated) = serde_json::from_value::<Domain>(cur) {
        *d = updated;
    }
}

/// The kinds of object a domain holds (roles, groups, policies, services), so handlers share one
/// get / put / edit / delete path instead of four copies.
pub trait DomainObject: Clone + Serialize + Send + Sync + 'static {
    /// Kind word for messages (`role`).
    const KIND: &'static str;
    /// The domain's objects of this kind, by full name.
    fn all(doc: &DomainDoc) -> &BTreeMap<String, Self>;
    /// Mutable access to the same map.
    fn all_mut(doc: &mut DomainDoc) -> &mut BTreeMap<String, Self>;
    /// Records the modification time.
    fn touch(&mut self, now: Timestamp);
}

macro_rules! domain_object {
    ($ty:ty, $kind:literal, $field:ident) => {
        impl DomainObject for $ty {
            const KIND: &'static str = $kind;
            fn all(doc: &DomainDoc) -> &BTreeMap<String, Self> {
                &doc.$field
            }
            fn all_mut(doc: &mut DomainDoc) -> &mut BTreeMap<String, Self> {
                &mut doc.$field
            }
            fn touch(&mut self, now: Timestamp) {
                self.modified = Some(now);
            }
        }
    };
}

domain_object!(Role, "role", roles);
domain_object!(Group, "group", groups);
domain_object!(Policy, "policy", policies);
domain_object!(ServiceIdentity, "service", services);
