//! Decisions on role names: DENY over ALLOW, globs, wildcard roles, and the reason codes that
//! do not involve tokens.

use super::*;
use crate::{AccessResult, Reason};

fn sports() -> PolicyStore {
    let data = signed_data(
        "sports",
        vec![
            allow("sports:role.readers", "read", "sports:articles.*"),
            deny("sports:role.readers", "read", "sports:articles.secret"),
            allow("sports:role.writers", "*", "sports:articles.*"),
            allow("sports:role.admin", "mod?fy", "sports:*.conf"),
            allow("sports:role.team.*", "play", "sports:field"),
            deny("sports:role.team.b*", "play", "sports:field"),
            deny("sports:role.*", "delete", "sports:*"),
            allow("sports:role.writers", "Delete", "Sports:Articles.*"),
            allow("sports:role.scoped", "scan", "sports:x:y"),
        ],
        now_ms() + HOUR_MS,
    );
    store_with(&data).0
}

fn check(store: &PolicyStore, roles: &[&str], action: &str, resource: &str) -> Reason {
    let (result, reason) = store.allow_roles("sports", roles, action, resource);
    assert_eq!(result, reason.result());
    reason
}

#[test]
fn allow_and_deny() {
    let s = sports();
    assert_eq!(
        check(&s, &["readers"], "read", "sports:articles.news"),
        Reason::Allow
    );
    assert_eq!(
        check(&s, &["readers"], "read", "sports:articles.secret"),
        Reason::Deny
    );
    assert_eq!(
        check(&s, &["readers"], "write", "sports:articles.news"),
        Reason::DenyNoMatch
    );
    assert_eq!(
        check(&s, &["nobody"], "read", "sports:articles.news"),
        Reason::DenyNoMatch
    );
    // any of the caller's roles may match
    assert_eq!(
        check(&s, &["nobody", "writers"], "write", "sports:articles.x"),
        Reason::Allow
    );
}

#[test]
fn deny_wins_over_allow_across_roles() {
    let s = sports();
    assert_eq!(
        check(
            &s,
            &["writers", "readers"],
            "read",
            "sports:articles.secret"
        ),
        Reason::Deny
    );
    // wildcard-role DENY beats an exact-role ALLOW
    assert_eq!(
        check(&s, &["writers"], "delete", "sports:articles.a"),
        Reason::Deny
    );
}

#[test]
fn globs_and_case() {
    let s = sports();
    assert_eq!(
        check(&s, &["admin"], "modify", "sports:db.conf"),
        Reason::Allow
    );
    assert_eq!(
        check(&s, &["admin"], "MODIFY", "SPORTS:DB.CONF"),
        Reason::Allow
    );
    assert_eq!(
        check(&s, &["admin"], "modiffy", "sports:db.conf"),
        Reason::DenyNoMatch
    );
    assert_eq!(
        check(&s, &["admin"], "modify", "sports:db.conf.bak"),
        Reason::DenyNoMatch
    );
    // the resource without the domain prefix is accepted
    assert_eq!(
        check(&s, &["readers"], "read", "articles.news"),
        Reason::Allow
    );
    // only the first ':' separates the domain
    assert_eq!(check(&s, &["scoped"], "scan", "sports:x:y"), Reason::Allow);
}

#[test]
fn wildcard_roles() {
    let s = sports();
    assert_eq!(
        check(&s, &["team.a"], "play", "sports:field"),
        Reason::Allow
    );
    assert_eq!(
        check(&s, &["team.blue"], "play", "sports:field"),
        Reason::Deny
    );
    assert_eq!(
        check(&s, &["teams"], "play", "sports:field"),
        Reason::DenyNoMatch
    );
}

#[test]
fn parameter_and_domain_reasons() {
    let s = sports();
    let empty: [&str; 0] = [];
    assert_eq!(
        s.allow_roles("sports", &empty, "read", "sports:a").1,
        Reason::DenyRoleTokenInvalid
    );
    assert_eq!(
        s.allow_roles("", &["readers"], "read", "a").1,
        Reason::DenyRoleTokenInvalid
    );
    assert_eq!(
        check(&s, &["readers"], "", "sports:a"),
        Reason::DenyInvalidParameters
    );
    assert_eq!(
        check(&s, &["readers"], "read", ""),
        Reason::DenyInvalidParameters
    );
    // with one domain loaded a foreign prefix is part of the resource: no match, no mismatch
    assert_eq!(
        check(&s, &["readers"], "read", "weather:articles.x"),
        Reason::DenyNoMatch
    );
    assert_eq!(
        s.allow_roles("weather", &["r"], "read", "weather:x").1,
        Reason::DenyDomainNotFound
    );

    let k = key();
    s.set_keys(keys_with("1", &k));
    let weather = signed_data("weather", vec![], now_ms() + HOUR_MS);
    s.load_policy_bytes(&legacy_file(&weather, &k, "1"))
        .unwrap();
    assert_eq!(
        check(&s, &["readers"], "read", "weather:articles.x"),
        Reason::DenyDomainMismatch
    );
    assert_eq!(
        s.allow_roles("weather", &["r"], "read", "weather:x").1,
        Reason::DenyDomainEmpty
    );
    assert_eq!(
        s.allow_roles("news", &["r"], "read", "news:x").1,
        Reason::DenyDomainNotFound
    );
}

#[test]
fn domain_expired_after_load() {
    let expires = now_ms() + HOUR_MS;
    let (s, _) = store_with(&signed_data(
        "sports",
        vec![allow("sports:role.r", "*", "*")],
        expires,
    ));
    assert!(s.reload_at(expires - 1).expired.is_empty());
    assert_eq!(s.allow_roles("sports", &["r"], "a", "b").1, Reason::Allow);
    assert_eq!(s.reload_at(expires + 1).expired, vec!["sports".to_string()]);
    let (result, reason) = s.allow_roles("sports", &["r"], "a", "b");
    assert_eq!(
        (result, reason),
        (AccessResult::Deny, Reason::DenyDomainExpired)
    );
}

#[test]
fn inactive_policies_are_skipped() {
    let mut data = signed_data(
        "sports",
        vec![allow("sports:role.r", "*", "*")],
        now_ms() + HOUR_MS,
    );
    data.policy_data.policies[0].active = Some(false);
    data.policy_data.policies.push(Policy {
        name: "sports:policy.q".into(),
        assertions: vec![allow("sports:role.q", "*", "*")],
        ..Policy::default()
    });
    let (s, _) = store_with(&data);
    assert_eq!(
        s.allow_roles("sports", &["r"], "a", "b").1,
        Reason::DenyNoMatch
    );
    assert_eq!(s.allow_roles("sports", &["q"], "a", "b").1, Reason::Allow);
}

#[test]
fn reason_names() {
    assert_eq!(
        Reason::DenyRoleTokenExpired.as_str(),
        "DENY_ROLETOKEN_EXPIRED"
    );
    assert_eq!(Reason::DenyDomainEmpty.to_string(), "DENY_DOMAIN_EMPTY");
    assert_eq!(Reason::Allow.result(), AccessResult::Allow);
    assert_eq!(Reason::DenyNoMatch.result(), AccessResult::Deny);
    // Athenz `AccessCheckStatus` names of the certificate family
    for (reason, name) in [
        (Reason::DenyCertMismatchIssuer, "DENY_CERT_MISMATCH_ISSUER"),
        (Reason::DenyCertMissingSubject, "DENY_CERT_MISSING_SUBJECT"),
        (Reason::DenyCertMissingDomain, "DENY_CERT_MISSING_DOMAIN"),
        (
            Reason::DenyCertMissingRoleName,
            "DENY_CERT_MISSING_ROLE_NAME",
        ),
        (Reason::DenyCertHashMismatch, "DENY_CERT_HASH_MISMATCH"),
        (Reason::DenyCertExpired, "DENY_CERT_EXPIRED"),
    ] {
        assert_eq!(reason.as_str(), name);
        assert_eq!(reason.result(), AccessResult::Deny);
    }
}
