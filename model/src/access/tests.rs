use super::*;
use crate::zms::{Assertion, GroupMember, RoleMember};
use std::sync::Arc;

fn member(name: &str, expiry: Option<i64>) -> RoleMember {
    let mut m = RoleMember::new(MemberName::parse(name).unwrap());
    m.expiration = expiry.map(Timestamp::from_millis);
    m
}

fn role(full: &str, members: &[(&str, Option<i64>)], trust: Option<&str>) -> Role {
    Role {
        name: full.into(),
        role_members: Some(members.iter().map(|(n, e)| member(n, *e)).collect()),
        trust: trust.map(str::to_string),
        ..Role::default()
    }
}

fn assertion(effect: AssertionEffect, action: &str, resource: &str, role: &str) -> Assertion {
    Assertion {
        role: role.into(),
        resource: resource.into(),
        action: action.into(),
        effect: Some(effect),
        id: None,
        case_sensitive: None,
    }
}

fn policy(name: &str, assertions: Vec<Assertion>) -> Policy {
    Policy {
        name: name.into(),
        assertions,
        ..Policy::default()
    }
}

const NOW: i64 = 1_000_000;
use AssertionEffect::{Allow, Deny};

fn world() -> HashMap<String, Arc<CompiledDomain>> {
    let mut m = HashMap::new();
    let sports = CompiledDomain::compile(
        "sports",
        true,
        &[
            role(
                "sports:role.readers",
                &[("user.joe", None), ("user.old", Some(NOW - 1))],
                None,
            ),
            role(
                "sports:role.writers",
                &[("user.jane", Some(NOW + 1000)), ("media.*", None)],
                None,
            ),
            role("sports:role.grp", &[("eng:group.devs", None)], None),
            role("sports:role.blocked", &[("user.joe", None)], None),
            role("sports:role.everyone", &[("*", None)], None),
            role("sports:role.delegated", &[], Some("partner")),
        ],
        &[],
        &[
            policy(
                "sports:policy.p",
                vec![
                    assertion(Allow, "read", "sports:articles.*", "sports:role.readers"),
                    assertion(Allow, "write", "sports:articles.*", "sports:role.writers"),
                    assertion(Allow, "deploy", "sports:svc.?", "sports:role.grp"),
                    assertion(
                        Deny,
                        "read",
                        "sports:articles.secret",
                        "sports:role.blocked",
                    ),
                    assertion(Allow, "ping", "sports:*", "sports:role.everyone"),
                    assertion(Allow, "manage", "sports:*", "sports:role.delegated"),
                    assertion(Allow, "glob*", "sports:g", "sports:role.read*"),
                ],
            ),
            Policy {
                active: Some(false),
                ..policy(
                    "sports:policy.off",
                    vec![assertion(Allow, "*", "*", "sports:role.everyone")],
                )
            },
        ],
    );
    let eng = CompiledDomain::compile(
        "eng",
        true,
        &[],
        &[Group {
            name: "eng:group.devs".into(),
            group_members: Some(vec![GroupMember {
                member_name: MemberName::parse("user.dev").unwrap(),
                group_name: None,
                expiration: None,
                active: None,
                approved: None,
                audit_ref: None,
                system_disabled: None,
                principal_type: None,
            }]),
            ..Group::default()
        }],
        &[],
    );
    let partner = CompiledDomain::compile(
        "partner",
        true,
        &[role("partner:role.ops", &[("partner.bot", None)], None)],
        &[],
        &[policy(
            "partner:policy.trust",
            vec![assertion(
                Allow,
                "assume_role",
                "sports:role.deleg*",
                "partner:role.ops",
            )],
        )],
    );
    let off = CompiledDomain::compile("off", false, &[], &[], &[]);
    for d in [sports, eng, partner, off] {
        m.insert(d.name().to_string(), Arc::new(d));
    }
    m
}

fn decide(p: &str, a: &str, r: &str) -> Result<bool, AccessError> {
    let w = world();
    let req = AccessRequest {
        principal: p,
        action: a,
        resource: r,
        trust_domain: None,
    };
    check(&w, &req, Timestamp::from_millis(NOW))
}

#[test]
fn direct_members_glob_resources() {
    assert_eq!(decide("user.joe", "read", "sports:articles.a"), Ok(true));
    assert_eq!(
        decide("user.joe", "READ", "Sports:Articles.A"),
        Ok(true),
        "lowercased"
    );
    assert_eq!(decide("user.joe", "write", "sports:articles.a"), Ok(false));
    assert_eq!(
        decide("user.nobody", "read", "sports:articles.a"),
        Ok(false)
    );
}

#[test]
fn deny_wins_and_expiry_counts() {
    assert_eq!(
        decide("user.joe", "read", "sports:articles.secret"),
        Ok(false)
    );
    assert_eq!(
        decide("user.old", "read", "sports:articles.a"),
        Ok(false),
        "expired"
    );
    assert_eq!(
        decide("user.jane", "write", "sports:articles.a"),
        Ok(true),
        "not yet expired"
    );
}

#[test]
fn wildcard_group_and_role_glob_members() {
    assert_eq!(decide("media.api", "write", "sports:articles.x"), Ok(true));
    assert_eq!(
        decide("mediax.api", "write", "sports:articles.x"),
        Ok(false)
    );
    assert_eq!(decide("user.dev", "deploy", "sports:svc.a"), Ok(true));
    assert_eq!(
        decide("user.dev", "deploy", "sports:svc.ab"),
        Ok(false),
        "? is one char"
    );
    assert_eq!(decide("any.one", "ping", "sports:x"), Ok(true));
    assert_eq!(
        decide("user.joe", "globx", "sports:g"),
        Ok(true),
        "role glob"
    );
    assert_eq!(
        decide("any.one", "anything", "sports:x"),
        Ok(false),
        "inactive policy"
    );
}

#[test]
fn delegation_through_assume_role() {
    assert_eq!(decide("partner.bot", "manage", "sports:thing"), Ok(true));
    assert_eq!(decide("partner.other", "manage", "sports:thing"), Ok(false));
}

#[test]
fn missing_and_disabled_domains() {
    assert_eq!(
        decide("user.joe", "read", "nope:x"),
        Err(AccessError::DomainNotFound("nope".into()))
    );
    assert_eq!(
        decide("user.joe", "read", "off:x"),
        Err(AccessError::DomainDisabled("off".into()))
    );
}

#[test]
fn assume_role_uses_trust_domain_param() {
    let w = world();
    let req = AccessRequest {
        principal: "partner.bot",
        action: "assume_role",
        resource: "sports:role.delegated",
        trust_domain: Some("partner"),
    };
    assert_eq!(check(&w, &req, Timestamp::from_millis(NOW)), Ok(true));
}
