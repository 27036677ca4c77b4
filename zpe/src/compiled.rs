//! The in-memory form of a domain's policies, built once per file load and read lock-free.
//!
//! Load-time rules are `ZpeUpdPolLoader.loadFile` (Athenz `clients/java/zpe`):
//! - action and resource are lowercased, and the resource loses a `<domain>:` prefix naming
//!   this domain (`AuthZpeClient.stripDomainPrefix`, default: the value unchanged);
//! - the role loses `<domain>:` and then `role.`, so it compares with the short role names
//!   of a token;
//! - each value becomes a matcher (`getMatchObject`): `*` match-all, no wildcard equals, one
//!   trailing `*` starts-with, else a glob (`model::glob` shapes and semantics, as ZMS);
//! - assertions split by effect (DENY/ALLOW) and role kind (exact name / wildcard pattern).
//!
//! Two choices of ours on top: the role is lowercased too and policies with `active: false`
//! are skipped, both as `model::access` (the ZMS evaluator) does, so that ZPE and ZMS decide
//! alike.
//!
//! Layout, for a decision that touches few cache lines (a decision's cost is mostly its
//! cache misses, see `docs/benchmarks.md`):
//! - a domain keeps every role name and pattern in one string and every rule in one array,
//!   each role's rules contiguous, DENY rules first;
//! - exact role names are found in a [`HashTable`] whose slots are the [`RoleRules`]
//!   themselves: the probe lands on the name (inline when short) and, per effect, a bitmask of
//!   the action ids the role has rules for, so a role without a rule for the request's action
//!   costs no further read;
//! - exact action names are interned to ids, so a rule's action check is an integer compare
//!   and a pattern is read only when the action matched.

use crate::Reason;
use hashbrown::HashTable;
use model::glob::Glob;
use model::zms::{AssertionEffect, Policy};
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::collections::BTreeMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, Ordering};

mod rules;

use rules::{ActionId, Arena, Builder, Req, RoleRules, Rules, WILD_ACTION, WILD_BIT, action_bit};

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
    /// Every pattern, role name and rule of the domain, each role's contiguous.
    arena: Rules,
    /// Exact role names.
    exact: HashTable<RoleRules>,
    /// Wildcard role patterns, in pattern order (Java keeps them in a TreeMap too).
    wild: Vec<(Glob, RoleRules)>,
}

fn hash(name: &str) -> u64 {
    FxBuildHasher.hash_one(name)
}

impl CompiledDomain {
    /// Compiles `policies` of `domain`, valid until `expires_ms` (epoch milliseconds).
    pub(crate) fn compile(domain: &str, policies: &[Policy], expires_ms: i64) -> Self {
        let mut exact: BTreeMap<String, Builder> = BTreeMap::new();
        let mut wild: BTreeMap<String, Builder> = BTreeMap::new();
        let mut actions: FxHashMap<Box<str>, ActionId> = FxHashMap::default();
        let mut assertions = 0;
        for policy in policies.iter().filter(|p| p.active != Some(false)) {
            for a in &policy.assertions {
                assertions += 1;
                let action = match Glob::new(&a.action.to_lowercase()) {
                    Glob::Exact(name) => match actions.get(name.as_str()) {
                        Some(id) => Ok(*id),
                        // Past the id space the equality matcher still works, only slower.
                        None => match ActionId::try_from(actions.len()) {
                            Ok(id) if id < WILD_ACTION - 1 => {
                                actions.insert(name.into_boxed_str(), id);
                                Ok(id)
                            }
                            _ => Err(Glob::Exact(name)),
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
                let map = match Glob::new(role) {
                    Glob::Exact(_) => &mut exact,
                    _ => &mut wild,
                };
                let b = map.entry(role.to_string()).or_default();
                let list = if is_deny { &mut b.deny } else { &mut b.allow };
                list.push((action, resource));
            }
        }
        let mut arena = Arena::default();
        let exact: Vec<RoleRules> = exact
            .into_iter()
            .map(|(name, b)| arena.role(&name, b))
            .collect();
        let wild = wild
            .into_iter()
            .map(|(name, b)| (Glob::new(&name), arena.role(&name, b)))
            .collect();
        let arena = Rules {
            text: arena.text.into_boxed_str(),
            rules: arena.rules.into_boxed_slice(),
        };
        let mut table = HashTable::with_capacity(exact.len());
        for r in exact {
            let text = &arena.text;
            table.insert_unique(hash(r.name(text)), r, |r| hash(r.name(text)));
        }
        Self {
            expires_ms,
            expired: AtomicBool::new(false),
            assertions,
            actions,
            arena,
            exact: table,
            wild,
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
            arena: Rules {
                text: Box::from(""),
                rules: Box::new([]),
            },
            exact: HashTable::new(),
            wild: Vec::new(),
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

    #[inline]
    fn role(&self, name: &str) -> Option<&RoleRules> {
        let text = &self.arena.text;
        self.exact.find(hash(name), |r| r.is(name, text))
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
        let q = Req {
            id,
            bits: WILD_BIT | id.map_or(0, action_bit),
            action,
            resource,
        };
        let rules = &self.arena;
        let mut exact_allow = false;
        for role in roles {
            if let Some(r) = self.role(role.as_ref()) {
                if rules.denies(r, &q) {
                    return Reason::Deny;
                }
                exact_allow = exact_allow || rules.allows(r, &q);
            }
        }
        let wild_matching = || {
            self.wild
                .iter()
                .filter(|(pattern, _)| roles.iter().any(|r| pattern.matches(r.as_ref())))
        };
        if wild_matching().any(|(_, r)| rules.denies(r, &q)) {
            return Reason::Deny;
        }
        if exact_allow || wild_matching().any(|(_, r)| rules.allows(r, &q)) {
            return Reason::Allow;
        }
        Reason::DenyNoMatch
    }
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
