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
    len: u32,
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
        let Some(p) = text.get(start..start + self.len as usize) else {
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

/// Names up to this length are compared inside [`RoleRules`] itself.
const SHORT: usize = 16;

/// The rules of one role name (or wildcard role pattern): where they are in the domain's
/// `rules` and `text`, the name (inline when short), and per effect a bitmask of the action ids
/// present, so that a role with no rule for the request's action costs no further memory read.
#[derive(Debug)]
#[repr(C)]
struct RoleRules {
    short: [u8; SHORT],
    name_len: u32,
    /// Where the name starts in the domain's `text` (the name is always stored there too).
    name_start: u32,
    deny_mask: u64,
    allow_mask: u64,
    /// DENY rules are `rules[first..first + deny]`, ALLOW rules the `allow` after them.
    first: u32,
    deny: u32,
    allow: u32,
}

/// The mask bit of an action id; bit 63 stands for "has an action-pattern rule".
#[inline]
fn action_bit(id: ActionId) -> u64 {
    1u64 << (id % 63)
}
const WILD_BIT: u64 = 1 << 63;

impl RoleRules {
    #[inline]
    fn is(&self, name: &str, text: &str) -> bool {
        let len = self.name_len as usize;
        if name.len() != len {
            return false;
        }
        if len <= SHORT {
            return self.short.get(..len) == Some(name.as_bytes());
        }
        let start = self.name_start as usize;
        text.get(start..start + len) == Some(name)
    }

    fn name<'a>(&self, text: &'a str) -> &'a str {
        let start = self.name_start as usize;
        text.get(start..start + self.name_len as usize)
            .unwrap_or("")
    }
}

/// The rules of a domain a decision reads: matching against the domain's text.
#[derive(Debug)]
struct Rules {
    text: Box<str>,
    rules: Box<[Rule]>,
}

/// The request's action, resolved once per decision.
#[derive(Debug, Clone, Copy)]
struct Req<'a> {
    id: Option<ActionId>,
    bits: u64,
    action: &'a str,
    resource: &'a str,
}

impl Rules {
    #[inline]
    fn any(&self, first: u32, n: u32, mask: u64, q: &Req<'_>) -> bool {
        if mask & q.bits == 0 {
            return false;
        }
        let first = first as usize;
        let Some(rules) = self.rules.get(first..first + n as usize) else {
            return false;
        };
        let id = q.id.unwrap_or(WILD_ACTION - 1);
        rules.iter().any(|r| {
            let action_ok = if r.action == WILD_ACTION {
                r.action_pat.matches(&self.text, q.action)
            } else {
                r.action == id
            };
            action_ok && r.resource.matches(&self.text, q.resource)
        })
    }

    #[inline]
    fn denies(&self, role: &RoleRules, q: &Req<'_>) -> bool {
        self.any(role.first, role.deny, role.deny_mask, q)
    }

    #[inline]
    fn allows(&self, role: &RoleRules, q: &Req<'_>) -> bool {
        let first = role.first + role.deny;
        self.any(first, role.allow, role.allow_mask, q)
    }
}

/// Collects one role's rules while compiling.
#[derive(Debug, Default)]
struct Builder {
    deny: Vec<(Result<ActionId, Glob>, Glob)>,
    allow: Vec<(Result<ActionId, Glob>, Glob)>,
}

/// Builds the domain's shared text and rule arrays.
#[derive(Debug, Default)]
struct Arena {
    text: String,
    rules: Vec<Rule>,
}

impl Arena {
    fn push_text(&mut self, s: &str) -> u32 {
        let i = self.text.len();
        self.text.push_str(s);
        u32::try_from(i).unwrap_or(u32::MAX)
    }

    fn pat(&mut self, glob: &Glob) -> Pat {
        let (kind, s) = match glob {
            Glob::All => (Kind::All, ""),
            Glob::Exact(s) => (Kind::Exact, s.as_str()),
            Glob::Prefix(s) => (Kind::Prefix, s.as_str()),
            Glob::Wild(s) => (Kind::Wild, s.as_str()),
        };
        Pat {
            start: self.push_text(s),
            len: u32::try_from(s.len()).unwrap_or(u32::MAX),
            kind,
        }
    }

    fn rules(&mut self, list: Vec<(Result<ActionId, Glob>, Glob)>) -> (u32, u64) {
        let n = u32::try_from(list.len()).unwrap_or(u32::MAX);
        let mut mask = 0;
        for (action, resource) in list {
            let resource = self.pat(&resource);
            let (action, action_pat) = match action {
                Ok(id) => {
                    mask |= action_bit(id);
                    (id, resource)
                }
                Err(glob) => {
                    mask |= WILD_BIT;
                    (WILD_ACTION, self.pat(&glob))
                }
            };
            self.rules.push(Rule {
                action,
                resource,
                action_pat,
            });
        }
        (n, mask)
    }

    fn role(&mut self, name: &str, b: Builder) -> RoleRules {
        let mut short = [0u8; SHORT];
        if let Some(dst) = short.get_mut(..name.len()) {
            dst.copy_from_slice(name.as_bytes());
        }
        let name_start = self.push_text(name);
        let first = u32::try_from(self.rules.len()).unwrap_or(u32::MAX);
        let (deny, deny_mask) = self.rules(b.deny);
        let (allow, allow_mask) = self.rules(b.allow);
        RoleRules {
            short,
            name_len: u32::try_from(name.len()).unwrap_or(u32::MAX),
            name_start,
            deny_mask,
            allow_mask,
            first,
            deny,
            allow,
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
    /// Every pattern, role name and rule of the domain, each role's contiguous.
    arena: Rules,
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
        let mut index = HashTable::with_capacity(exact.len());
        for (i, r) in exact.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            index.insert_unique(hash(r.name(&arena.text)), i, |&j| {
                hash(exact.get(j as usize).map_or("", |r| r.name(&arena.text)))
            });
        }
        Self {
            expires_ms,
            expired: AtomicBool::new(false),
            assertions,
            actions,
            arena,
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
            arena: Rules {
                text: Box::from(""),
                rules: Box::new([]),
            },
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
        let text = &self.arena.text;
        let i = *self.index.find(hash(name), |&i| {
            self.exact.get(i as usize).is_some_and(|r| r.is(name, text))
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
