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
//! Layout, for a decision that touches few cache lines (at 10,000 assertions the policy data
//! is larger than L2, and a decision's cost is its cache misses, see `docs/benchmarks.md`):
//! - one [`RoleRules`] per role holds its name and all its patterns in one string (`text`)
//!   and its rules in one array of 16-byte [`Rule`]s, DENY rules first;
//! - exact role names are found through a [`HashTable`] of role indexes (4 bytes a slot, so
//!   the table stays in cache) and confirmed against the name at the start of `text`, which
//!   the rules' patterns follow;
//! - exact action names are interned to ids, so a rule's action check is an integer compare
//!   and a pattern is read only when the action matched.

use crate::Reason;
use hashbrown::HashTable;
use model::glob::{Glob, wildcard_matches};
use model::zms::{AssertionEffect, Policy};
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::collections::BTreeMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, Ordering};

/// Exact action names of a domain are interned to small ids.
type ActionId = u32;
/// A rule whose action is a pattern (its own [`Pat`] in `Rule::action_pat`).
const WILD_ACTION: ActionId = u32::MAX;

/// A pattern inside a role's `text`: its kind and where it is.
#[derive(Debug, Clone, Copy)]
struct Pat {
    start: u32,
    len: u16,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    All,
    Exact,
    Prefix,
    Wild,
}

impl Pat {
    #[inline]
    fn matches(self, text: &str, value: &str) -> bool {
        if self.kind == Kind::All {
            return true;
        }
        let start = self.start as usize;
        let Some(p) = text.get(start..start + usize::from(self.len)) else {
            return false;
        };
        match self.kind {
            Kind::All => true,
            Kind::Exact => p == value,
            Kind::Prefix => value.starts_with(p),
            Kind::Wild => wildcard_matches(p, value),
        }
    }
}

/// One assertion: exact action id (or [`WILD_ACTION`]), resource pattern, action pattern.
#[derive(Debug, Clone, Copy)]
struct Rule {
    action: ActionId,
    resource: Pat,
    /// Only read when `action` is [`WILD_ACTION`].
    action_pat: Pat,
}

/// The rules of one role name (or wildcard role pattern).
#[derive(Debug)]
struct RoleRules {
    /// The name, then every pattern of the rules.
    text: Box<str>,
    name_len: u32,
    /// DENY rules are `rules[..deny]`, ALLOW rules the rest.
    deny: u32,
    rules: Box<[Rule]>,
}

impl RoleRules {
    fn name(&self) -> &str {
        self.text.get(..self.name_len as usize).unwrap_or("")
    }

    #[inline]
    fn any(&self, rules: &[Rule], id: Option<ActionId>, action: &str, resource: &str) -> bool {
        let id = id.unwrap_or(WILD_ACTION - 1);
        rules.iter().any(|r| {
            let action_ok = if r.action == WILD_ACTION {
                r.action_pat.matches(&self.text, action)
            } else {
                r.action == id
            };
            action_ok && r.resource.matches(&self.text, resource)
        })
    }

    #[inline]
    fn denies(&self, id: Option<ActionId>, action: &str, resource: &str) -> bool {
        let (deny, _) = self.rules.split_at(self.deny as usize);
        self.any(deny, id, action, resource)
    }

    #[inline]
    fn allows(&self, id: Option<ActionId>, action: &str, resource: &str) -> bool {
        let (_, allow) = self.rules.split_at(self.deny as usize);
        self.any(allow, id, action, resource)
    }
}

/// Collects one role's rules while compiling.
#[derive(Debug, Default)]
struct Builder {
    text: String,
    deny: Vec<Rule>,
    allow: Vec<Rule>,
}

impl Builder {
    fn new(name: &str) -> Self {
        Self {
            text: name.to_string(),
            ..Self::default()
        }
    }

    fn pat(&mut self, glob: &Glob) -> Pat {
        let (kind, s) = match glob {
            Glob::All => (Kind::All, ""),
            Glob::Exact(s) => (Kind::Exact, s.as_str()),
            Glob::Prefix(s) => (Kind::Prefix, s.as_str()),
            Glob::Wild(s) => (Kind::Wild, s.as_str()),
        };
        // Reuse an identical pattern already stored for this role.
        let start = match self.text.find(s) {
            Some(i) if !s.is_empty() => i,
            _ => {
                let i = self.text.len();
                self.text.push_str(s);
                i
            }
        };
        Pat {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            len: u16::try_from(s.len()).unwrap_or(u16::MAX),
            kind,
        }
    }

    fn add(&mut self, deny: bool, action: Result<ActionId, Glob>, resource: &Glob) {
        let resource = self.pat(resource);
        let (action, action_pat) = match action {
            Ok(id) => (id, resource),
            Err(glob) => (WILD_ACTION, self.pat(&glob)),
        };
        let rule = Rule {
            action,
            resource,
            action_pat,
        };
        if deny {
            self.deny.push(rule);
        } else {
            self.allow.push(rule);
        }
    }

    fn build(self, name_len: usize) -> RoleRules {
        let deny = u32::try_from(self.deny.len()).unwrap_or(u32::MAX);
        let mut rules = self.deny;
        rules.extend(self.allow);
        RoleRules {
            text: self.text.into_boxed_str(),
            name_len: u32::try_from(name_len).unwrap_or(u32::MAX),
            deny,
            rules: rules.into_boxed_slice(),
        }
    }
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
    /// Exact role names.
    exact: Vec<RoleRules>,
    /// Indexes into `exact` by the hash of the name.
    index: HashTable<u32>,
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
                map.entry(role.to_string())
                    .or_insert_with(|| Builder::new(role))
                    .add(is_deny, action, &resource);
            }
        }
        let exact: Vec<RoleRules> = exact
            .into_iter()
            .map(|(name, b)| b.build(name.len()))
            .collect();
        let mut index = HashTable::with_capacity(exact.len());
        for (i, r) in exact.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            index.insert_unique(hash(r.name()), i, |&j| {
                hash(exact.get(j as usize).map_or("", RoleRules::name))
            });
        }
        let wild = wild
            .into_iter()
            .map(|(name, b)| (Glob::new(&name), b.build(name.len())))
            .collect();
        Self {
            expires_ms,
            expired: AtomicBool::new(false),
            assertions,
            actions,
            exact,
            index,
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
            exact: Vec::new(),
            index: HashTable::new(),
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
        let i = *self.index.find(hash(name), |&i| {
            self.exact.get(i as usize).is_some_and(|r| r.name() == name)
        })?;
        self.exact.get(i as usize)
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
            if let Some(r) = self.role(role.as_ref()) {
                if r.denies(id, action, resource) {
                    return Reason::Deny;
                }
                exact_allow = exact_allow || r.allows(id, action, resource);
            }
        }
        let wild_matching = || {
            self.wild
                .iter()
                .filter(|(pattern, _)| roles.iter().any(|r| pattern.matches(r.as_ref())))
        };
        if wild_matching().any(|(_, r)| r.denies(id, action, resource)) {
            return Reason::Deny;
        }
        if exact_allow || wild_matching().any(|(_, r)| r.allows(id, action, resource)) {
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
