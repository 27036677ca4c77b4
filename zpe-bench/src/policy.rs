//! The generated RBAC policy set, engine-neutral: roles, assertions (action and resource globs,
//! ALLOW or DENY) and principals with their roles. Deterministic for a seed (xorshift64*, no
//! `rand`), so every run and every engine sees the same set.
//!
//! Everything is lowercase and resources use only [`ALPHABET`], so that Cedar (whose `like`
//! has `*` but no `?`) can spell a `?` exactly as a choice among those characters.

use anyhow::{Result, ensure};
use std::collections::HashSet;

/// The domain of every assertion and request.
pub const DOMAIN: &str = "bench";

/// The characters a resource may contain (and that a `?` can stand for).
pub const ALPHABET: &str = "abcdefghijklmnopqrstuvwxyz0123456789./:_-";

/// The actions of the domain.
pub const ACTIONS: [&str; 8] = [
    "read", "write", "update", "delete", "list", "create", "execute", "approve",
];

const TOPICS: [&str; 24] = [
    "sports",
    "news",
    "finance",
    "tech",
    "travel",
    "health",
    "science",
    "music",
    "movies",
    "books",
    "games",
    "food",
    "weather",
    "politics",
    "autos",
    "fashion",
    "education",
    "history",
    "art",
    "pets",
    "home",
    "garden",
    "crypto",
    "space",
];

/// What a `*` of a pattern is replaced with in a generated request: text with `/`, `.` and `:`
/// (a `*` crosses them), the empty string, and words that DENY patterns look for.
const FILLERS: [&str; 14] = [
    "x",
    "football",
    "2024/jan/report.pdf",
    "a.b.c",
    "node:7",
    "",
    "confidential-q",
    "secret-plan",
    "admin/users",
    "private/key.txt",
    "internal",
    "team3/doc",
    "public",
    "z9",
];

/// Deterministic xorshift64* generator.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value, zero included).
    pub fn new(seed: u64) -> Self {
        Self((seed ^ 0x9E37_79B9_7F4A_7C15).max(1))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True with probability `pct` percent.
    pub fn percent(&mut self, pct: u64) -> bool {
        self.next_u64() % 100 < pct
    }

    /// A random element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// ALLOW or DENY.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    Allow,
    Deny,
}

/// One assertion: `effect` `action` on `resource` for role `role` (an index into `roles`).
#[derive(Debug, Clone)]
pub struct Rule {
    pub role: usize,
    pub effect: Effect,
    /// An action name or `*`.
    pub action: String,
    /// A resource glob, `bench:` first.
    pub resource: String,
}

/// The whole generated set.
#[derive(Debug)]
pub struct PolicySet {
    /// Short role names (`role0042`).
    pub roles: Vec<String>,
    /// All assertions, grouped by role in role order.
    pub rules: Vec<Rule>,
    /// Indexes into `rules` per role.
    pub rules_of_role: Vec<Vec<usize>>,
    /// Principal names (`user00042`) and their role indexes.
    pub principals: Vec<(String, Vec<usize>)>,
}

/// Sizes of the generated set.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub roles: usize,
    pub assertions: usize,
    pub principals: usize,
    pub roles_per_principal: usize,
    pub deny_percent: u64,
}

/// The resource families: (weight in percent, ALLOW pattern, DENY pattern derived from it).
/// `{t}` topic, `{i}` item, `{m}` team, `{q}` quarter, `{p}` page.
const FAMILIES: [(usize, &str, &str); 7] = [
    (24, "articles.{t}.*", "articles.{t}.secret*"),
    (20, "articles.{t}.{i}", "articles.{t}.{i}"),
    (18, "files/{m}/*", "files/{m}/private/*"),
    (12, "reports.*.{q}", "reports.*confidential*.{q}"),
    (6, "*.{t}.summary", "internal*.{t}.summary"),
    (17, "svc.{m}.*", "svc.{m}.admin*"),
    (3, "docs.v?.{p}", "docs.v0.{p}"),
];

/// A pattern of family `family` with random parameters, `bench:` first.
fn pattern(rng: &mut Rng, family: usize, deny: bool) -> String {
    let (_, allow, denied) = FAMILIES[family % FAMILIES.len()];
    let template = if deny { denied } else { allow };
    let topic = *rng.pick(&TOPICS);
    let filled = template
        .replace("{t}", topic)
        .replace("{i}", &format!("item{}", rng.below(60)))
        .replace("{m}", &format!("team{}", rng.below(40)))
        .replace("{q}", &format!("q{}", 1 + rng.below(4)))
        .replace("{p}", &format!("page{}", rng.below(30)));
    format!("{DOMAIN}:{filled}")
}

fn family(rng: &mut Rng) -> usize {
    let mut roll = rng.below(100);
    for (i, (weight, _, _)) in FAMILIES.iter().enumerate() {
        if roll < *weight {
            return i;
        }
        roll -= weight;
    }
    0
}

/// A resource pattern of a random family (used for no-match requests too).
pub fn random_pattern(rng: &mut Rng) -> String {
    let f = family(rng);
    pattern(rng, f, false)
}

/// A concrete resource matched by `pattern`: each `*` becomes a filler, each `?` one
/// character of [`ALPHABET`].
pub fn instance(rng: &mut Rng, pattern: &str) -> String {
    let alphabet: Vec<char> = ALPHABET.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 16);
    for c in pattern.chars() {
        match c {
            '*' => {
                let filler = *rng.pick(&FILLERS);
                out.push_str(filler);
            }
            '?' => out.push(*rng.pick(&alphabet)),
            c => out.push(c),
        }
    }
    out
}

impl PolicySet {
    /// Generates the set for `shape` from `seed`.
    pub fn generate(seed: u64, shape: Shape) -> Result<Self> {
        ensure!(shape.roles > 0, "--roles must be > 0");
        ensure!(
            shape.roles_per_principal <= shape.roles,
            "--roles-per-principal must be <= --roles"
        );
        let mut rng = Rng::new(seed);
        let roles: Vec<String> = (0..shape.roles).map(|i| format!("role{i:04}")).collect();
        let mut rules = Vec::with_capacity(shape.assertions);
        let mut rules_of_role = vec![Vec::new(); shape.roles];
        let mut seen = HashSet::new();
        for (role, of_role) in rules_of_role.iter_mut().enumerate() {
            // Spread the assertions evenly; the first roles take the remainder.
            let count =
                shape.assertions / shape.roles + usize::from(role < shape.assertions % shape.roles);
            // (family, action) of this role's ALLOW rules, which its DENY rules narrow.
            let mut allowed: Vec<(usize, String)> = Vec::new();
            while of_role.len() < count {
                let deny = rng.percent(shape.deny_percent);
                let (family, action) = match allowed.len() {
                    // Two DENY rules in three narrow one of the role's own ALLOW rules (so
                    // that DENY wins over an ALLOW that also matches), one stands alone.
                    n if deny && n > 0 && rng.below(3) < 2 => allowed[rng.below(n)].clone(),
                    _ => {
                        let action = if !deny && rng.percent(3) {
                            "*".to_string()
                        } else {
                            rng.pick(&ACTIONS).to_string()
                        };
                        (family(&mut rng), action)
                    }
                };
                let rule = Rule {
                    role,
                    effect: if deny { Effect::Deny } else { Effect::Allow },
                    resource: pattern(&mut rng, family, deny),
                    action: action.clone(),
                };
                // No duplicate rows (casbin refuses a batch holding one).
                if !seen.insert((
                    role,
                    rule.effect,
                    rule.action.clone(),
                    rule.resource.clone(),
                )) {
                    continue;
                }
                if !deny {
                    allowed.push((family, action));
                }
                of_role.push(rules.len());
                rules.push(rule);
            }
        }
        let principals = (0..shape.principals)
            .map(|i| {
                let mut mine: Vec<usize> = Vec::with_capacity(shape.roles_per_principal);
                while mine.len() < shape.roles_per_principal {
                    let r = rng.below(shape.roles);
                    if !mine.contains(&r) {
                        mine.push(r);
                    }
                }
                (format!("user{i:05}"), mine)
            })
            .collect();
        Ok(Self {
            roles,
            rules,
            rules_of_role,
            principals,
        })
    }

    /// The number of DENY assertions.
    pub fn deny_count(&self) -> usize {
        self.rules
            .iter()
            .filter(|r| r.effect == Effect::Deny)
            .count()
    }

    /// The number of resource patterns with a `?`.
    pub fn question_count(&self) -> usize {
        self.rules
            .iter()
            .filter(|r| r.resource.contains('?'))
            .count()
    }
}
