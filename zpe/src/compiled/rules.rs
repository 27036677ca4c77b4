//! The compiled form's storage: patterns and rules kept in one string and one array per
//! domain, the per-role record a role lookup lands on, and the builder that lays them out.

use model::glob::{Glob, wildcard_matches};

/// Exact action names of a domain are interned to small ids.
pub(super) type ActionId = u32;
/// A rule whose action is a pattern (its own [`Pat`] in `Rule::action_pat`).
pub(super) const WILD_ACTION: ActionId = u32::MAX;

/// A pattern inside the domain's text: its kind and where it is.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pat {
    pub(super) start: u32,
    pub(super) len: u32,
    pub(super) kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    All,
    Exact,
    Prefix,
    Wild,
}

impl Pat {
    #[inline]
    pub(super) fn matches(self, text: &str, value: &str) -> bool {
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
pub(super) struct Rule {
    pub(super) action: ActionId,
    pub(super) resource: Pat,
    /// Only read when `action` is [`WILD_ACTION`].
    pub(super) action_pat: Pat,
}

/// Names up to this length are compared inside [`RoleRules`] itself.
pub(super) const SHORT: usize = 16;

/// The rules of one role name (or wildcard role pattern): where they are in the domain's
/// `rules` and `text`, the name (inline when short), and per effect a bitmask of the action ids
/// present, so that a role with no rule for the request's action costs no further memory read.
#[derive(Debug)]
#[repr(C)]
pub(super) struct RoleRules {
    pub(super) short: [u8; SHORT],
    pub(super) name_len: u32,
    /// Where the name starts in the domain's `text` (the name is always stored there too).
    pub(super) name_start: u32,
    pub(super) deny_mask: u64,
    pub(super) allow_mask: u64,
    /// DENY rules are `rules[first..first + deny]`, ALLOW rules the `allow` after them.
    pub(super) first: u32,
    pub(super) deny: u32,
    pub(super) allow: u32,
}

/// The mask bit of an action id; bit 63 stands for "has an action-pattern rule".
#[inline]
pub(super) fn action_bit(id: ActionId) -> u64 {
    1u64 << (id % 63)
}
pub(super) const WILD_BIT: u64 = 1 << 63;

impl RoleRules {
    #[inline]
    pub(super) fn is(&self, name: &str, text: &str) -> bool {
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

    pub(super) fn name<'a>(&self, text: &'a str) -> &'a str {
        let start = self.name_start as usize;
        text.get(start..start + self.name_len as usize)
            .unwrap_or("")
    }
}

/// The rules of a domain a decision reads: matching against the domain's text.
#[derive(Debug)]
pub(super) struct Rules {
    pub(super) text: Box<str>,
    pub(super) rules: Box<[Rule]>,
}

/// The request's action, resolved once per decision.
#[derive(Debug, Clone, Copy)]
pub(super) struct Req<'a> {
    pub(super) id: Option<ActionId>,
    pub(super) bits: u64,
    pub(super) action: &'a str,
    pub(super) resource: &'a str,
}

impl Rules {
    #[inline]
    pub(super) fn any(&self, first: u32, n: u32, mask: u64, q: &Req<'_>) -> bool {
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
    pub(super) fn denies(&self, role: &RoleRules, q: &Req<'_>) -> bool {
        self.any(role.first, role.deny, role.deny_mask, q)
    }

    #[inline]
    pub(super) fn allows(&self, role: &RoleRules, q: &Req<'_>) -> bool {
        let first = role.first + role.deny;
        self.any(first, role.allow, role.allow_mask, q)
    }
}

/// Collects one role's rules while compiling.
#[derive(Debug, Default)]
pub(super) struct Builder {
    pub(super) deny: Vec<(Result<ActionId, Glob>, Glob)>,
    pub(super) allow: Vec<(Result<ActionId, Glob>, Glob)>,
}

/// Builds the domain's shared text and rule arrays.
#[derive(Debug, Default)]
pub(super) struct Arena {
    pub(super) text: String,
    pub(super) rules: Vec<Rule>,
}

impl Arena {
    pub(super) fn push_text(&mut self, s: &str) -> u32 {
        let i = self.text.len();
        self.text.push_str(s);
        u32::try_from(i).unwrap_or(u32::MAX)
    }

    pub(super) fn pat(&mut self, glob: &Glob) -> Pat {
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

    pub(super) fn rules(&mut self, list: Vec<(Result<ActionId, Glob>, Glob)>) -> (u32, u64) {
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

    pub(super) fn role(&mut self, name: &str, b: Builder) -> RoleRules {
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
