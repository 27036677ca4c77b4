//! The in-memory form of a domain's policies, built once per file load and read lock-free.
//!
//! Load-time rules are `ZpeUpdPolLoader.loadFile` (Athenz `clients/java/zpe`):
//! - action and resource are lowercased, and the resource loses a `<domain>:` prefix naming
//!   this domain (`AuthZpeClient.stripDomainPrefix`, default: the value unchanged);
//! - the role loses `<domain>:` and then `role.`, so it compares with the short role names
//!   of a token;
//! - each value becomes a matcher (`getMatchObject`: `*` match-all, no wildcard equals, one
//!   trailing `*` starts-with, else a glob). We reuse `model::glob::Glob`, which has exactly
//!   these four shapes and the same glob semantics as ZMS;
//! - assertions go to four maps: effect (DENY/ALLOW) × role kind (exact name / wildcard).
//!
//! Two choices of ours on top: the role is lowercased too and policies with `active: false`
//! are skipped, both as `model::access` (the ZMS evaluator) does, so that ZPE and ZMS decide
//! alike. Within an exact role the assertions are further indexed by exact action, which
//! turns the common case into two hash lookups.

use crate::Reason;
use model::glob::Glob;
use model::zms::{AssertionEffect, Policy};
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

/// Exact action names of a domain are interned to small ids, so a decision hashes the action
/// once instead of once per role and effect.
type ActionId = u32;

/// The assertions of one role and effect.
#[derive(Debug, Default)]
struct RoleRules {
    /// Exact action id → resource matchers, sorted by id (a role has few actions).
    by_action: Vec<(ActionId, Vec<Glob>)>,
    /// Wildcard actions: (action, resource) matchers.
    other: Vec<(Glob, Glob)>,
}

impl RoleRules {
    fn add(&mut self, action: Result<ActionId, Glob>, resource: Glob) {
        match action {
            Ok(id) => match self.by_action.binary_search_by_key(&id, |(a, _)| *a) {
                Ok(i) => self.by_action[i].1.push(resource),
                Err(i) => self.by_action.insert(i, (id, vec![resource])),
            },
            Err(action) => self.other.push((action, resource)),
        }
    }

    #[inline]
    fn matches(&self, action_id: Option<ActionId>, action: &str, resource: &str) -> bool {
        if let Some(id) = action_id
            && let Some((_, resources)) = self.by_action.iter().find(|(a, _)| *a == id)
            && resources.iter().any(|r| r.matches(resource))
        {
            return true;
        }
        self.other
            .iter()
            .any(|(a, r)| a.matches(action) && r.matches(resource))
    }
}

/// The DENY and ALLOW assertions of one exact role name.
#[derive(Debug, Default)]
struct RoleEntry {
    deny: RoleRules,
    allow: RoleRules,
}

/// One domain's compiled policies.
#[derive(Debug)]
pub(crate) struct CompiledDomain {
    expires_ms: i64,
    /// Set by the store's `reload` once `expires_ms` has passed, so that a decision reads no
    /// clock (a clock read costs about a fifth of the decision budget here).
    expired: AtomicBool,
    assertions: usize,
    /// Exact action names → ids.
    actions: FxHashMap<Box<str>, ActionId>,
    /// Exact role names (`ZpeMatchEqual` roles: the standard maps).
    exact: FxHashMap<Box<str>, RoleEntry>,
    /// Wildcard role patterns with DENY assertions, in pattern order.
    deny_wild: Vec<(Glob, RoleRules)>,
    /// Wildcard role patterns with ALLOW assertions, in pattern order.
    allow_wild: Vec<(Glob, RoleRules)>,
}

impl CompiledDomain {
    /// Compiles `policies` of `domain`, valid until `expires_ms` (epoch milliseconds).
    pub(crate) fn compile(domain: &str, policies: &[Policy], expires_ms: i64) -> Self {
        // BTreeMaps while building keep wildcard order deterministic (Java uses TreeMap too).
        let mut wild: [BTreeMap<String, RoleRules>; 2] = [BTreeMap::new(), BTreeMap::new()];
        let mut exact: FxHashMap<Box<str>, RoleEntry> = FxHashMap::default();
        let mut actions: FxHashMap<Box<str>, ActionId> = FxHashMap::default();
        let mut assertions = 0;
        for policy in policies.iter().filter(|p| p.active != Some(false)) {
            for a in &policy.assertions {
                assertions += 1;
                let action = match Glob::new(&a.action.to_lowercase()) {
                    Glob::Exact(name) => match actions.get(name.as_str()) {
                        Some(id) => Ok(*id),
                        // Past u32::MAX names the equality matcher still works, only slower.
                        None => match ActionId::try_from(actions.len()) {
                            Ok(id) => {
                                actions.insert(name.into_boxed_str(), id);
                                Ok(id)
                            }
                            Err(_) => Err(Glob::Exact(name)),
                        },
                    },
                    glob => Err(glob),
                };
                let resource = a.resource.to_lowercase();
                let resource = Glob::new(strip_domain(&resource, domain).unwrap_or(&resource));
                let role_full = a.role.to_lowercase();
                let role = strip_domain(&role_full, domain).unwrap_or(&role_full);
                let role = role.strip_prefix("role.").unwrap_or(role);
                let is_deny = a.effect == Some(AssertionEffect::Deny);
                let rules = match Glob::new(role) {
                    Glob::Exact(name) => {
                        let entry = exact.entry(name.into_boxed_str()).or_default();
                        if is_deny {
                            &mut entry.deny
                        } else {
                            &mut entry.allow
                        }
                    }
                    _ => wild[usize::from(is_deny)]
                        .entry(role.to_string())
                        .or_default(),
                };
                rules.add(action, resource);
            }
        }
        let [allow_wild, deny_wild] = wild;
        Self {
            expires_ms,
            expired: AtomicBool::new(false),
            assertions,
            actions,
            exact,
            deny_wild: into_wildcards(deny_wild),
            allow_wild: into_wildcards(allow_wild),
        }
    }

    /// A domain whose file was removed: Java keeps it with empty maps (`loadDb`), so checks
    /// answer DENY_DOMAIN_EMPTY rather than DENY_DOMAIN_NOT_FOUND.
    pub(crate) fn emptied() -> Self {
        Self {
            expires_ms: i64::MAX,
            expired: AtomicBool::new(false),
            assertions: 0,
            actions: FxHashMap::default(),
            exact: FxHashMap::default(),
            deny_wild: Vec::new(),
            allow_wild: Vec::new(),
        }
    }

    /// Marks the domain expired when `now_ms` is past its `expires`; true when it is.
    pub(crate) fn check_expiry(&self, now_ms: i64) -> bool {
        let expired = self.expires_ms < now_ms;
        if expired {
            self.expired.store(true, Ordering::Relaxed);
        }
        expired
    }

    /// The number of assertions compiled.
    pub(crate) fn assertion_count(&self) -> usize {
        self.assertions
    }

    /// Steps 4–6 of `allowActionZPE` once action and resource are lowercase and the resource
    /// has lost its domain prefix: exact-role DENY, wildcard-role DENY, exact-role ALLOW,
    /// wildcard-role ALLOW, first match wins.
    ///
    /// Each role name is looked up once: its DENY rules are checked at once and its ALLOW
    /// match is remembered, but ALLOW is only answered after every DENY step found nothing, so
    /// the outcome is the one of Java's four passes (which role matched is not reported).
    #[inline]
    pub(crate) fn decide<R: AsRef<str>>(
        &self,
        roles: &[R],
        action: &str,
        resource: &str,
    ) -> Reason {
        if self.expired.load(Ordering::Relaxed) {
            return Reason::DenyDomainExpired;
        }
        if self.assertions == 0 {
            return Reason::DenyDomainEmpty;
        }
        let id = self.actions.get(action).copied();
        let mut exact_allow = false;
        for role in roles {
            if let Some(entry) = self.exact.get(role.as_ref()) {
                if entry.deny.matches(id, action, resource) {
                    return Reason::Deny;
                }
                exact_allow = exact_allow || entry.allow.matches(id, action, resource);
            }
        }
        if wildcard_matches(&self.deny_wild, roles, id, action, resource) {
            return Reason::Deny;
        }
        if exact_allow || wildcard_matches(&self.allow_wild, roles, id, action, resource) {
            return Reason::Allow;
        }
        Reason::DenyNoMatch
    }
}

/// `AuthZpeClient.actionByWildCardRole`: some pattern matches one of the caller's roles and
/// one of its assertions matches the action and resource.
#[inline]
fn wildcard_matches<R: AsRef<str>>(
    wild: &[(Glob, RoleRules)],
    roles: &[R],
    id: Option<ActionId>,
    action: &str,
    resource: &str,
) -> bool {
    wild.iter().any(|(pattern, rules)| {
        roles.iter().any(|r| pattern.matches(r.as_ref())) && rules.matches(id, action, resource)
    })
}

fn into_wildcards(map: BTreeMap<String, RoleRules>) -> Vec<(Glob, RoleRules)> {
    map.into_iter()
        .map(|(pattern, rules)| (Glob::new(&pattern), rules))
        .collect()
}

/// `AuthZpeClient.stripDomainPrefix`: the text after the first `:` when what precedes it is
/// `domain`; `None` when it names another domain; the whole value when it has no `:`.
#[inline]
pub(crate) fn strip_domain<'a>(value: &'a str, domain: &str) -> Option<&'a str> {
    match value.split_once(':') {
        None => Some(value),
        Some((d, rest)) if d == domain => Some(rest),
        Some(_) => None,
    }
}
