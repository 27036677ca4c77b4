//! The request corpus and the reference decision every engine must agree with.
//!
//! The reference is Athenz's rule, written plainly: a principal is allowed iff an ALLOW
//! assertion of one of its roles matches the action and the resource and no DENY assertion of
//! one of its roles does. Globs match the whole string, `*` any run of characters (`/`, `.`
//! and `:` included) and `?` exactly one. Its glob matcher is a dynamic program, independent of
//! the greedy matchers the engines use.

use crate::policy::{ACTIONS, ALPHABET, DOMAIN, Effect, PolicySet, Rng, instance, random_pattern};
use anyhow::{Result, ensure};

/// What the reference says about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// An ALLOW matched and no DENY did.
    Allow,
    /// A DENY assertion matched (whether an ALLOW did too or not).
    DenyRule,
    /// Nothing matched.
    NoMatch,
}

impl Expected {
    /// Whether access is granted.
    pub fn allowed(self) -> bool {
        self == Self::Allow
    }
}

/// One access check.
#[derive(Debug, Clone)]
pub struct Request {
    pub principal: String,
    pub action: String,
    /// Full resource, `bench:` first.
    pub resource: String,
    pub expected: Expected,
}

/// Whether glob `pattern` matches all of `text` (dynamic programming over characters).
pub fn reference_glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // row[j]: pattern[..i] matches text[..j].
    let mut row = vec![false; t.len() + 1];
    row[0] = true;
    for &pc in &p {
        let mut next = vec![false; t.len() + 1];
        if pc == '*' {
            next[0] = row[0];
            for j in 1..=t.len() {
                next[j] = row[j] || next[j - 1];
            }
        } else {
            for j in 1..=t.len() {
                next[j] = row[j - 1] && (pc == '?' || pc == t[j - 1]);
            }
        }
        row = next;
    }
    row[t.len()]
}

/// The reference decision for `principal_index` doing `action` on `resource`.
pub fn reference(
    set: &PolicySet,
    principal_index: usize,
    action: &str,
    resource: &str,
) -> Expected {
    let Some((_, roles)) = set.principals.get(principal_index) else {
        return Expected::NoMatch;
    };
    let mut allowed = false;
    for &role in roles {
        for &i in &set.rules_of_role[role] {
            let rule = &set.rules[i];
            if reference_glob(&rule.action, action) && reference_glob(&rule.resource, resource) {
                match rule.effect {
                    Effect::Deny => return Expected::DenyRule,
                    Effect::Allow => allowed = true,
                }
            }
        }
    }
    if allowed {
        Expected::Allow
    } else {
        Expected::NoMatch
    }
}

/// `count` requests from `seed`: about 45% aimed at an ALLOW rule of one of the principal's
/// roles, 20% at one of its DENY rules, 20% at a rule of a random role and 15% random. The
/// reference decides each one.
pub fn generate(set: &PolicySet, seed: u64, count: usize) -> Result<Vec<Request>> {
    ensure!(!set.principals.is_empty(), "--principals must be > 0");
    let mut rng = Rng::new(seed ^ 0x5EED_C0A2_0B5E_0001);
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let principal_index = rng.below(set.principals.len());
        let (name, roles) = &set.principals[principal_index];
        let own = |rng: &mut Rng, effect: Effect| {
            let picks: Vec<usize> = roles
                .iter()
                .flat_map(|&r| set.rules_of_role[r].iter().copied())
                .filter(|&i| set.rules[i].effect == effect)
                .collect();
            (!picks.is_empty()).then(|| *rng.pick(&picks))
        };
        let roll = rng.below(100);
        let rule = match roll {
            0..45 => own(&mut rng, Effect::Allow),
            45..65 => own(&mut rng, Effect::Deny).or_else(|| own(&mut rng, Effect::Allow)),
            65..85 => Some(rng.below(set.rules.len().max(1))).filter(|_| !set.rules.is_empty()),
            _ => None,
        };
        let (action, resource) = match rule {
            Some(i) => {
                let rule = &set.rules[i];
                let action = if rule.action == "*" {
                    rng.pick(&ACTIONS).to_string()
                } else {
                    rule.action.clone()
                };
                (action, instance(&mut rng, &rule.resource))
            }
            None => {
                let pattern = random_pattern(&mut rng);
                (rng.pick(&ACTIONS).to_string(), instance(&mut rng, &pattern))
            }
        };
        ensure!(
            resource.starts_with(&format!("{DOMAIN}:"))
                && resource.chars().all(|c| ALPHABET.contains(c)),
            "generated resource {resource:?} leaves the alphabet"
        );
        let expected = reference(set, principal_index, &action, &resource);
        out.push(Request {
            principal: name.clone(),
            action,
            resource,
            expected,
        });
    }
    Ok(out)
}

/// (allow, denied by a DENY rule, no match) counts.
pub fn mix(requests: &[Request]) -> (usize, usize, usize) {
    let count = |e: Expected| requests.iter().filter(|r| r.expected == e).count();
    (
        count(Expected::Allow),
        count(Expected::DenyRule),
        count(Expected::NoMatch),
    )
}

#[cfg(test)]
mod tests {
    use super::reference_glob;

    #[test]
    fn glob() {
        assert!(reference_glob("bench:files/*", "bench:files/a/b.c:d"));
        assert!(reference_glob("a?c", "a/c"));
        assert!(!reference_glob("a?c", "ac"));
        assert!(reference_glob("r.*conf*.q1", "r.x.confidential.q1"));
        assert!(!reference_glob("r.*.q1", "r.x.q1.y"));
        assert!(reference_glob("*", ""));
        assert!(!reference_glob("", "x"));
    }
}
