//! Differential test: on generated domains, ZPE's roles-based decision equals ZMS's evaluator
//! (`model::access::check`) for a principal who is a member of exactly those roles.
//!
//! A seeded generator (xorshift) keeps the corpus reproducible without a proptest shrinker:
//! the failing case's seed and contents are printed instead.

use super::*;
use crate::{AccessResult, Reason};
use model::MemberName;
use model::access::{AccessRequest, CompiledDomain as ZmsDomain, check};
use model::zms::{Role, RoleMember};
use std::collections::HashMap;
use std::sync::Arc;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const ROLES: &[&str] = &["ra", "rb", "ra.b", "rab", "x", "team.a"];
const ROLE_GLOBS: &[&str] = &[
    "dom:role.ra",
    "dom:role.rb",
    "dom:role.ra.b",
    "dom:role.x",
    "dom:role.team.a",
    "dom:role.r*",
    "dom:role.*",
    "dom:role.r?",
    "dom:role.ra*",
    "dom:role.*b",
    "dom:*",
    "*",
    "dom:role.nobody",
];
const ACTION_GLOBS: &[&str] = &["read", "write", "*", "re*", "r?ad", "*ite", "READ", "w*e"];
const RESOURCE_GLOBS: &[&str] = &[
    "dom:a", "dom:a.b", "dom:a.*", "dom:*", "dom:?.b", "dom:a*b", "dom:b", "DOM:A.*", "dom:*.b",
];
const ACTIONS: &[&str] = &["read", "write", "READ", "rewrite", "reads", "wide"];
const RESOURCES: &[&str] = &[
    "dom:a",
    "dom:a.b",
    "dom:ab",
    "dom:c.b",
    "dom:b",
    "DOM:A.B",
    "dom:a.x.b",
];

const PRINCIPAL: &str = "user.jane";

#[test]
fn zpe_matches_zms_evaluator() {
    let k = key();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut decisions = 0;
    let mut allowed = 0;
    for case in 0..1200 {
        let member_of: Vec<&str> = ROLES
            .iter()
            .copied()
            .filter(|_| rng.below(2) == 0)
            .collect();
        let mut policies = Vec::new();
        for p in 0..=rng.below(3) {
            let assertions = (0..=rng.below(5))
                .map(|_| {
                    let effect = if rng.below(4) == 0 {
                        AssertionEffect::Deny
                    } else {
                        AssertionEffect::Allow
                    };
                    let (role, action, resource) = (
                        rng.pick(ROLE_GLOBS),
                        rng.pick(ACTION_GLOBS),
                        rng.pick(RESOURCE_GLOBS),
                    );
                    assertion(effect, role, action, resource)
                })
                .collect();
            policies.push(Policy {
                name: format!("dom:policy.p{p}"),
                assertions,
                ..Policy::default()
            });
        }
        let roles: Vec<Role> = ROLES
            .iter()
            .map(|r| Role {
                name: format!("dom:role.{r}"),
                role_members: Some(if member_of.contains(r) {
                    vec![RoleMember::new(MemberName::parse(PRINCIPAL).unwrap())]
                } else {
                    vec![]
                }),
                ..Role::default()
            })
            .collect();
        let zms = ZmsDomain::compile("dom", true, &roles, &[], &policies);
        let src: HashMap<String, Arc<ZmsDomain>> =
            HashMap::from([("dom".to_string(), Arc::new(zms))]);

        let mut data = signed_data("dom", vec![], now_ms() + HOUR_MS);
        data.policy_data.policies = policies.clone();
        let store = PolicyStore::new(keys_with("0", &k), ZpeConfig::default());
        store
            .load_policy_bytes(&legacy_file(&data, &k, "0"))
            .unwrap();

        for _ in 0..4 {
            let (action, resource) = (rng.pick(ACTIONS), rng.pick(RESOURCES));
            let req = AccessRequest {
                principal: PRINCIPAL,
                action,
                resource,
                trust_domain: None,
            };
            let expected = check(&src, &req, Timestamp::now()).unwrap();
            let (result, reason) = if member_of.is_empty() {
                // no roles at all: Athenz refuses before evaluating (DENY_ROLETOKEN_INVALID)
                (AccessResult::Deny, Reason::DenyRoleTokenInvalid)
            } else {
                store.allow_roles("dom", &member_of, action, resource)
            };
            assert_eq!(
                result == AccessResult::Allow,
                expected,
                "case {case}: roles {member_of:?} {action} {resource} -> {reason}\n{policies:#?}"
            );
            assert!(matches!(
                reason,
                Reason::Allow | Reason::Deny | Reason::DenyNoMatch | Reason::DenyRoleTokenInvalid
            ));
            decisions += 1;
            allowed += usize::from(expected);
        }
    }
    assert!(decisions >= 1000);
    // the corpus exercises both outcomes in earnest
    assert!(
        allowed > decisions / 10 && allowed < decisions * 9 / 10,
        "{allowed}/{decisions}"
    );
}
