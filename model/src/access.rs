//! The access evaluator shared by ZMS (`GET /access`, and every write's authorization), ZTS and ZPE.
//!
//! Semantics follow `ZMSImpl.evaluateAccess` and `AuthzHelper` (reference §5.2): every assertion of
//! every active policy in the resource's domain is considered; action and resource are globs over
//! the whole lowercased string; the assertion's role glob picks roles of that domain whose
//! (non-expired, active) members include the principal, directly, through `*`/`prefix*` wildcards
//! or through a group; a role with `trust` and no members delegates membership to the trusted
//! domain's `assume_role` assertions. A matching DENY ends evaluation denied; otherwise one ALLOW
//! grants; no match denies.
//!
//! Domains are compiled once per change into [`CompiledDomain`] so a decision does hash lookups
//! and glob matches only.

use crate::glob::Glob;
use crate::zms::{AssertionEffect, Group, Policy, Role};
use crate::{MemberName, Timestamp};
use std::collections::HashMap;

/// Where the evaluator finds domains (the resource's domain, trusted domains, group domains).
pub trait DomainSource {
    /// The compiled domain named `name` (lowercase), if known.
    fn compiled_domain(&self, name: &str) -> Option<&CompiledDomain>;
}

impl<S: std::hash::BuildHasher> DomainSource
    for HashMap<String, std::sync::Arc<CompiledDomain>, S>
{
    fn compiled_domain(&self, name: &str) -> Option<&CompiledDomain> {
        self.get(name).map(|d| d.as_ref())
    }
}

/// Why a check could not be decided.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// The resource's domain does not exist (ZMS answers 404).
    #[error("domain not found: {0}")]
    DomainNotFound(String),
    /// The domain is disabled (ZMS answers 403).
    #[error("domain disabled: {0}")]
    DomainDisabled(String),
}

/// Members of a role or group, indexed for lookup.
#[derive(Debug, Clone, Default)]
struct MemberIndex {
    /// Exact principals to their expiry.
    exact: HashMap<String, Option<Timestamp>>,
    /// `prefix*` and `*` (empty prefix) wildcards.
    prefixes: Vec<(String, Option<Timestamp>)>,
    /// Full group names.
    groups: Vec<(String, Option<Timestamp>)>,
}

impl MemberIndex {
    fn add(&mut self, member: &MemberName, expiry: Option<Timestamp>) {
        match member {
            MemberName::All => self.prefixes.push((String::new(), expiry)),
            MemberName::Prefix(p) => self.prefixes.push((p.clone(), expiry)),
            MemberName::Principal(p) | MemberName::External(p) => {
                self.exact.insert(p.clone(), expiry);
            }
            MemberName::Group(g) => self.groups.push((g.clone(), expiry)),
        }
    }

    fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.prefixes.is_empty() && self.groups.is_empty()
    }

    fn direct(&self, principal: &str, now: Timestamp) -> bool {
        let live = |e: &Option<Timestamp>| e.is_none_or(|e| e > now);
        if self.exact.get(principal).is_some_and(live) {
            return true;
        }
        self.prefixes
            .iter()
            .any(|(p, e)| live(e) && principal.starts_with(p.as_str()))
    }
}

#[derive(Debug, Clone)]
struct CompiledRole {
    members: MemberIndex,
    trust: Option<String>,
}

#[derive(Debug, Clone)]
struct CompiledAssertion {
    role: Glob,
    action: Glob,
    resource: Glob,
    deny: bool,
    case_sensitive: bool,
}

/// A domain prepared for evaluation.
#[derive(Debug, Clone, Default)]
pub struct CompiledDomain {
    name: String,
    enabled: bool,
    roles: HashMap<String, CompiledRole>,
    groups: HashMap<String, MemberIndex>,
    assertions: Vec<CompiledAssertion>,
}

impl CompiledDomain {
    /// Compiles a domain's roles, groups and active policies. Member entries that are inactive or
    /// system-disabled are dropped here; expiry is checked at decision time.
    pub fn compile(
        name: &str,
        enabled: bool,
        roles: &[Role],
        groups: &[Group],
        policies: &[Policy],
    ) -> Self {
        let far = Timestamp::from_millis(i64::MIN);
        let mut out = Self {
            name: name.to_string(),
            enabled,
            ..Self::default()
        };
        for role in roles {
            let mut members = MemberIndex::default();
            for m in role.role_members.iter().flatten() {
                if m.active != Some(false) && m.system_disabled.unwrap_or(0) == 0 {
                    members.add(&m.member_name, m.expiration);
                }
            }
            for m in role.members.iter().flatten() {
                members.add(m, None);
            }
            out.roles.insert(
                role.name.clone(),
                CompiledRole {
                    members,
                    trust: role.trust.clone(),
                },
            );
        }
        for group in groups {
            let mut members = MemberIndex::default();
            for m in group.group_members.iter().flatten() {
                if m.is_effective(far) {
                    members.add(&m.member_name, m.expiration);
                }
            }
            out.groups.insert(group.name.clone(), members);
        }
        for policy in policies.iter().filter(|p| p.active != Some(false)) {
            for a in &policy.assertions {
                let case_sensitive = a.case_sensitive.or(policy.case_sensitive).unwrap_or(false);
                let fold = |s: &str| {
                    if case_sensitive {
                        s.to_string()
                    } else {
                        s.to_lowercase()
                    }
                };
                out.assertions.push(CompiledAssertion {
                    role: Glob::new(&a.role.to_lowercase()),
                    action: Glob::new(&fold(&a.action)),
                    resource: Glob::new(&fold(&a.resource)),
                    deny: a.effect == Some(AssertionEffect::Deny),
                    case_sensitive,
                });
            }
        }
        out
    }

    /// The domain name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the principal is an effective member of the role (full name) in this domain,
    /// following groups and delegation.
    pub fn has_role_member(
        &self,
        src: &dyn DomainSource,
        role: &str,
        principal: &str,
        now: Timestamp,
    ) -> bool {
        self.roles
            .get(role)
            .is_some_and(|r| self.role_contains(src, role, r, principal, now, true))
    }

    fn role_contains(
        &self,
        src: &dyn DomainSource,
        role_name: &str,
        role: &CompiledRole,
        principal: &str,
        now: Timestamp,
        follow_trust: bool,
    ) -> bool {
        if role.members.direct(principal, now) {
            return true;
        }
        for (group, expiry) in &role.members.groups {
            if expiry.is_some_and(|e| e <= now) {
                continue;
            }
            if group_contains(src, group, principal, now) {
                return true;
            }
        }
        match (&role.trust, follow_trust && role.members.is_empty()) {
            (Some(trust), true) if trust != &self.name => src
                .compiled_domain(trust)
                .is_some_and(|d| d.enabled && d.grants_assume(src, role_name, principal, now)),
            _ => false,
        }
    }

    /// Delegation: some ALLOW `assume_role` assertion in this (trusted) domain has a resource glob
    /// matching `role_name` and a role containing the principal. Delegation is one level deep
    /// (a trusted domain's roles are not followed further), which also rules out cycles.
    fn grants_assume(
        &self,
        src: &dyn DomainSource,
        role_name: &str,
        principal: &str,
        now: Timestamp,
    ) -> bool {
        self.assertions.iter().any(|a| {
            !a.deny
                && a.action.matches("assume_role")
                && a.resource.matches(role_name)
                && self.matching_role_contains(src, &a.role, principal, now, false)
        })
    }

    fn matching_role_contains(
        &self,
        src: &dyn DomainSource,
        role_glob: &Glob,
        principal: &str,
        now: Timestamp,
        follow_trust: bool,
    ) -> bool {
        if let Some(exact) = role_glob.exact() {
            return self
                .roles
                .get(exact)
                .is_some_and(|r| self.role_contains(src, exact, r, principal, now, follow_trust));
        }
        self.roles.iter().any(|(name, r)| {
            role_glob.matches(name)
                && self.role_contains(src, name, r, principal, now, follow_trust)
        })
    }
}

fn group_contains(src: &dyn DomainSource, group: &str, principal: &str, now: Timestamp) -> bool {
    let Some((domain, _)) = group.split_once(':') else {
        return false;
    };
    src.compiled_domain(domain)
        .and_then(|d| d.groups.get(group))
        .is_some_and(|g| g.direct(principal, now))
}

/// A request to decide.
#[derive(Debug, Clone, Copy)]
pub struct AccessRequest<'a> {
    /// Lowercased `domain.name` principal.
    pub principal: &'a str,
    /// Action as sent (lowercased here unless an assertion is case-sensitive).
    pub action: &'a str,
    /// Resource as sent, `domain:entity`.
    pub resource: &'a str,
    /// For `assume_role`: the domain to evaluate in (`?domain=`).
    pub trust_domain: Option<&'a str>,
}

/// Decides a request: `Ok(true)` granted, `Ok(false)` denied.
pub fn check(
    src: &dyn DomainSource,
    req: &AccessRequest<'_>,
    now: Timestamp,
) -> Result<bool, AccessError> {
    let action_lc = req.action.to_lowercase();
    let resource_lc = req.resource.to_lowercase();
    let domain_name = match (req.trust_domain, action_lc == "assume_role") {
        (Some(d), true) => d.to_lowercase(),
        _ => resource_lc
            .split_once(':')
            .map_or(resource_lc.as_str(), |(d, _)| d)
            .to_string(),
    };
    let domain = src
        .compiled_domain(&domain_name)
        .ok_or_else(|| AccessError::DomainNotFound(domain_name.clone()))?;
    if !domain.enabled {
        return Err(AccessError::DomainDisabled(domain_name));
    }
    let mut allowed = false;
    for a in &domain.assertions {
        let (action, resource) = if a.case_sensitive {
            (req.action, req.resource)
        } else {
            (action_lc.as_str(), resource_lc.as_str())
        };
        if (allowed && !a.deny) || !a.action.matches(action) || !a.resource.matches(resource) {
            continue;
        }
        if domain.matching_role_contains(src, &a.role, req.principal, now, true) {
            if a.deny {
                return Ok(false);
            }
            allowed = true;
        }
    }
    Ok(allowed)
}

#[cfg(test)]
mod tests;
