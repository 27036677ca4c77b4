//! The assertion text form of Athenz's zms-cli: `grant|deny ACTION to ROLE on RESOURCE`.
//!
//! A role given as a short name becomes `DOMAIN:role.NAME`; a resource without a `:` becomes
//! `DOMAIN:RESOURCE`. The effect may be left out (`ACTION to ROLE on RESOURCE`), meaning grant.

use model::zms::{Assertion, AssertionEffect};

/// The accepted form, for error messages.
pub const SYNTAX: &str = "grant|deny ACTION to ROLE on RESOURCE";

/// Parses one assertion for a policy of `domain`. `text` is split on whitespace, so it may come
/// as one quoted argument or as several words.
pub fn parse(domain: &str, text: &str) -> Result<Assertion, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let bad = |why: &str| format!("bad assertion {text:?}: {why}; expected \"{SYNTAX}\"");
    let (effect, rest) = match words.as_slice() {
        [e, rest @ ..] if rest.len() == 5 => (
            effect_of(e).ok_or_else(|| bad(&format!("unknown effect {e:?}")))?,
            rest,
        ),
        rest if rest.len() == 5 => (AssertionEffect::Allow, rest),
        _ => return Err(bad(&format!("{} words", words.len()))),
    };
    let [action, to, role, on, resource] = rest else {
        return Err(bad("wrong number of words"));
    };
    if !to.eq_ignore_ascii_case("to") || !on.eq_ignore_ascii_case("on") {
        return Err(bad("missing \"to\" or \"on\""));
    }
    Ok(Assertion {
        role: full_role(domain, role),
        resource: full_resource(domain, resource),
        action: (*action).to_string(),
        effect: Some(effect),
        id: None,
        case_sensitive: None,
    })
}

fn effect_of(word: &str) -> Option<AssertionEffect> {
    match word.to_ascii_lowercase().as_str() {
        "grant" | "allow" => Some(AssertionEffect::Allow),
        "deny" => Some(AssertionEffect::Deny),
        _ => None,
    }
}

/// `readers` → `DOMAIN:role.readers`; a name with a `:` is kept as given.
pub fn full_role(domain: &str, role: &str) -> String {
    if role.contains(':') {
        role.to_string()
    } else {
        model::names::role_full_name(domain, role)
    }
}

/// `articles.*` → `DOMAIN:articles.*`; a resource with a `:` is kept as given.
pub fn full_resource(domain: &str, resource: &str) -> String {
    if resource.contains(':') {
        resource.to_string()
    } else {
        format!("{domain}:{resource}")
    }
}

/// The assertion back in text form, with names shortened where they belong to `domain`.
pub fn to_text(domain: &str, a: &Assertion) -> String {
    let effect = match a.effect.unwrap_or_default() {
        AssertionEffect::Allow => "grant",
        AssertionEffect::Deny => "deny",
    };
    let role = a
        .role
        .strip_prefix(&format!("{domain}:role."))
        .unwrap_or(&a.role);
    let resource = a
        .resource
        .strip_prefix(&format!("{domain}:"))
        .unwrap_or(&a.resource);
    format!("{effect} {} to {role} on {resource}", a.action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_with_short_names_gets_the_domain() {
        let a = parse("sports", "grant read to readers on articles.*").unwrap();
        assert_eq!(a.role, "sports:role.readers");
        assert_eq!(a.resource, "sports:articles.*");
        assert_eq!(a.action, "read");
        assert_eq!(a.effect, Some(AssertionEffect::Allow));
        assert_eq!(a.id, None);
    }

    #[test]
    fn deny_with_full_names_is_kept() {
        let a = parse(
            "sports",
            "  DENY  write\tTO other:role.x ON weather:stations ",
        )
        .unwrap();
        assert_eq!(a.role, "other:role.x");
        assert_eq!(a.resource, "weather:stations");
        assert_eq!(a.action, "write");
        assert_eq!(a.effect, Some(AssertionEffect::Deny));
    }

    #[test]
    fn effect_may_be_left_out_and_allow_is_grant() {
        assert_eq!(
            parse("d", "read to r on x").unwrap().effect,
            Some(AssertionEffect::Allow)
        );
        assert_eq!(
            parse("d", "allow read to r on x").unwrap().effect,
            Some(AssertionEffect::Allow)
        );
    }

    #[test]
    fn malformed_text_is_refused_with_the_syntax() {
        for bad in [
            "",
            "grant read",
            "grant read to readers",
            "grant read for readers on x",
            "grant read to readers at x",
            "permit read to readers on x",
            "grant read to readers on x extra",
        ] {
            let e = parse("d", bad).unwrap_err();
            assert!(e.contains(SYNTAX), "{bad}: {e}");
        }
    }

    #[test]
    fn text_round_trips() {
        for text in [
            "grant read to readers on articles.*",
            "deny * to other:role.x on w:y",
        ] {
            assert_eq!(to_text("sports", &parse("sports", text).unwrap()), text);
        }
    }
}
