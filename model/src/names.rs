//! The Athenz name grammar (`core/zms/src/main/rdl/Names.tdl`, same in ZTS) as parsed newtypes.
//!
//! Every server lowercases domain, service, role and policy names before it uses them
//! (`AthenzObject.*.convertToLowerCase`), so parsing lowercases once, here, and the rest of the code
//! never compares names case-insensitively.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Longest domain name ZMS accepts (`athenz.zms.domain_name_max_len`).
pub const DOMAIN_NAME_MAX_LEN: usize = 128;

/// A name that does not follow the grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} {value:?}: {reason}")]
pub struct NameError {
    /// Which grammar rule was applied (`domain name`, `member name`, …).
    pub kind: &'static str,
    /// The offending text, as given.
    pub value: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

fn err(kind: &'static str, value: &str, reason: &'static str) -> NameError {
    // Bound the echoed value: names come from the network.
    let value: String = value.chars().take(160).collect();
    NameError {
        kind,
        value,
        reason,
    }
}

/// `SimpleName`: `[a-zA-Z0-9_][a-zA-Z0-9_-]*`.
pub fn is_simple_name(s: &str) -> bool {
    let b = s.as_bytes();
    match b.first() {
        Some(c) if c.is_ascii_alphanumeric() || *c == b'_' => {}
        _ => return false,
    }
    b[1..]
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-')
}

/// `CompoundName`: `({SimpleName}\.)*{SimpleName}`.
pub fn is_compound_name(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(is_simple_name)
}

macro_rules! name_newtype {
    ($(#[$doc:meta])* $ty:ident, $kind:literal, $check:expr, $reason:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $ty(String);

        impl $ty {
            /// Parses and lowercases `text`.
            pub fn parse(text: &str) -> Result<Self, NameError> {
                let lower = text.to_ascii_lowercase();
                let check: fn(&str) -> Option<&'static str> = $check;
                if lower.is_empty() {
                    return Err(err($kind, text, "empty"));
                }
                if let Some(reason) = check(&lower) {
                    return Err(err($kind, text, reason));
                }
                if !$crate::names::grammar_ok::<$ty>(&lower) {
                    return Err(err($kind, text, $reason));
                }
                Ok(Self(lower))
            }

            /// The lowercased text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $ty {
            type Err = NameError;
            fn from_str(s: &str) -> Result<Self, NameError> {
                Self::parse(s)
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// Which grammar a newtype follows; kept apart from the macro so each rule is written once.
#[doc(hidden)]
pub trait Grammar {
    /// Whether `s` (already lowercased) is in the language.
    fn matches(s: &str) -> bool;
}

#[doc(hidden)]
pub fn grammar_ok<T: Grammar>(s: &str) -> bool {
    T::matches(s)
}

name_newtype!(
    /// `SimpleName`: a service name, or a top-level domain name.
    SimpleName, "simple name", |_| None, "must match [a-zA-Z0-9_][a-zA-Z0-9_-]*"
);
impl Grammar for SimpleName {
    fn matches(s: &str) -> bool {
        is_simple_name(s)
    }
}

name_newtype!(
    /// `DomainName`: a dotted `CompoundName` of at most 128 characters.
    DomainName,
    "domain name",
    |s| (s.len() > DOMAIN_NAME_MAX_LEN).then_some("longer than 128 characters"),
    "must be dot-separated names of [a-zA-Z0-9_][a-zA-Z0-9_-]*"
);
impl Grammar for DomainName {
    fn matches(s: &str) -> bool {
        is_compound_name(s)
    }
}

name_newtype!(
    /// `EntityName` (a `CompoundName`): the short name of a role, group or policy.
    EntityName,
    "entity name",
    |s| (s.len() > 256).then_some("longer than 256 characters"),
    "must be dot-separated names of [a-zA-Z0-9_][a-zA-Z0-9_-]*"
);
impl Grammar for EntityName {
    fn matches(s: &str) -> bool {
        is_compound_name(s)
    }
}

impl DomainName {
    /// The parent domain (`a.b` for `a.b.c`), `None` for a top-level domain.
    pub fn parent(&self) -> Option<DomainName> {
        self.0
            .rsplit_once('.')
            .map(|(p, _)| DomainName(p.to_string()))
    }

    /// The last component (`c` for `a.b.c`).
    pub fn leaf(&self) -> &str {
        self.0.rsplit_once('.').map_or(self.0.as_str(), |(_, l)| l)
    }

    /// Joins a child name below this domain.
    pub fn child(&self, leaf: &SimpleName) -> DomainName {
        DomainName(format!("{}.{}", self.0, leaf.0))
    }

    /// Builds a top-level domain name from a simple name.
    pub fn top_level(name: &SimpleName) -> DomainName {
        DomainName(name.0.clone())
    }
}

/// `ResourceName`: `{DomainName}(:{EntityName})?`, as used by `GET /access/{action}/{resource}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceName {
    /// The domain before the first `:`.
    pub domain: DomainName,
    /// The full lowercased text.
    pub full: String,
}

impl ResourceName {
    /// Parses and lowercases a resource name.
    pub fn parse(text: &str) -> Result<Self, NameError> {
        let lower = text.to_ascii_lowercase();
        let (domain, entity) = match lower.split_once(':') {
            Some((d, e)) => (d, Some(e)),
            None => (lower.as_str(), None),
        };
        let domain = DomainName::parse(domain)
            .map_err(|_| err("resource name", text, "must be domain(:entity)?"))?;
        if let Some(e) = entity
            && !is_compound_name(e)
        {
            return Err(err("resource name", text, "entity must be a dotted name"));
        }
        Ok(Self {
            domain,
            full: lower,
        })
    }
}

/// The domain of a free-form resource (`domain:anything`): the text before the first `:`,
/// lowercased. Used by the `?resource=` access variant and by assertion validation.
pub fn resource_domain(resource: &str) -> Option<&str> {
    resource.split_once(':').map(|(d, _)| d)
}

/// A role, group or policy member. Grammar (`Names.tdl` `MemberName`):
/// `\*|{DomainName}\.\*|{ServiceName}(\*)?|{GroupName}|{ExternalMemberName}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MemberName {
    /// `*`: every principal.
    All,
    /// `prefix*`: every principal whose name starts with the text before the `*`
    /// (`sports.*` or `user.jo*`).
    Prefix(String),
    /// A user or service principal, `domain.name`.
    Principal(String),
    /// A group, `domain:group.name`.
    Group(String),
    /// An external member, `domain:ext.anything`.
    External(String),
}

impl MemberName {
    /// Parses and lowercases a member name.
    pub fn parse(text: &str) -> Result<Self, NameError> {
        const KIND: &str = "member name";
        let lower = text.to_ascii_lowercase();
        if lower == "*" {
            return Ok(Self::All);
        }
        if let Some((domain, entity)) = lower.split_once(':') {
            if !is_compound_name(domain) {
                return Err(err(KIND, text, "domain part is not a domain name"));
            }
            if let Some(group) = entity.strip_prefix("group.") {
                if is_compound_name(group) {
                    return Ok(Self::Group(lower));
                }
            } else if let Some(ext) = entity.strip_prefix("ext.")
                && !ext.is_empty()
                && !ext.chars().any(char::is_control)
            {
                return Ok(Self::External(lower));
            }
            return Err(err(
                KIND,
                text,
                "expected domain:group.name or domain:ext.name",
            ));
        }
        if let Some(prefix) = lower.strip_suffix('*') {
            // `domain.*` or `domain.service*`.
            let ok = match prefix.strip_suffix('.') {
                Some(d) => is_compound_name(d),
                None => is_compound_name(prefix),
            };
            if ok {
                return Ok(Self::Prefix(prefix.to_string()));
            }
            return Err(err(KIND, text, "wildcard must be *, domain.* or name*"));
        }
        if is_compound_name(&lower) && lower.contains('.') {
            return Ok(Self::Principal(lower));
        }
        Err(err(
            KIND,
            text,
            "expected domain.name, a group, or a wildcard",
        ))
    }

    /// Whether `principal` (a lowercased `domain.name`) is this member, without group expansion.
    pub fn covers(&self, principal: &str) -> bool {
        match self {
            Self::All => true,
            Self::Prefix(p) => principal.starts_with(p.as_str()),
            Self::Principal(p) | Self::External(p) => p == principal,
            Self::Group(_) => false,
        }
    }
}

impl fmt::Display for MemberName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::All => f.write_str("*"),
            Self::Prefix(p) => write!(f, "{p}*"),
            Self::Principal(p) | Self::Group(p) | Self::External(p) => f.write_str(p),
        }
    }
}

impl Serialize for MemberName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MemberName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// `<domain>:role.<role>`.
pub fn role_full_name(domain: &str, role: &str) -> String {
    format!("{domain}:role.{role}")
}

/// `<domain>:group.<group>`.
pub fn group_full_name(domain: &str, group: &str) -> String {
    format!("{domain}:group.{group}")
}

/// `<domain>:policy.<policy>`.
pub fn policy_full_name(domain: &str, policy: &str) -> String {
    format!("{domain}:policy.{policy}")
}

/// `<domain>.<service>`.
pub fn service_full_name(domain: &str, service: &str) -> String {
    format!("{domain}.{service}")
}

/// Splits a full object name (`d:role.r`) into domain and short name, given the kind (`role`).
pub fn split_full_name<'a>(full: &'a str, kind: &str) -> Option<(&'a str, &'a str)> {
    let (domain, rest) = full.split_once(':')?;
    let short = rest.strip_prefix(kind)?.strip_prefix('.')?;
    Some((domain, short))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_and_compound_grammar() {
        assert!(is_simple_name("a_b-1"));
        assert!(is_simple_name("_x"));
        assert!(!is_simple_name("-x"));
        assert!(!is_simple_name("a.b"));
        assert!(is_compound_name("a.b_c.d-e"));
        assert!(!is_compound_name("a..b"));
        assert!(!is_compound_name(".a"));
        assert!(!is_compound_name("a.b."));
    }

    #[test]
    fn domain_names_lowercase_and_limit_length() {
        assert_eq!(
            DomainName::parse("Sports.API").unwrap().as_str(),
            "sports.api"
        );
        let long = "a".repeat(129);
        let e = DomainName::parse(&long).unwrap_err();
        assert!(e.to_string().contains("128"), "{e}");
        assert!(DomainName::parse("sports:x").is_err());
        assert_eq!(
            DomainName::parse("a.b.c")
                .unwrap()
                .parent()
                .unwrap()
                .as_str(),
            "a.b"
        );
        assert!(DomainName::parse("a").unwrap().parent().is_none());
    }

    #[test]
    fn member_names() {
        assert_eq!(MemberName::parse("*").unwrap(), MemberName::All);
        assert_eq!(
            MemberName::parse("Sports.*").unwrap(),
            MemberName::Prefix("sports.".into())
        );
        assert_eq!(
            MemberName::parse("user.jo*").unwrap(),
            MemberName::Prefix("user.jo".into())
        );
        assert_eq!(
            MemberName::parse("user.Joe").unwrap(),
            MemberName::Principal("user.joe".into())
        );
        assert_eq!(
            MemberName::parse("sports:group.devs").unwrap(),
            MemberName::Group("sports:group.devs".into())
        );
        assert!(matches!(
            MemberName::parse("sports:ext.x@y").unwrap(),
            MemberName::External(_)
        ));
        for bad in [
            "",
            "joe",
            "user.",
            "a:b",
            "sports:role.r",
            "*.x",
            "a b",
            "us*er.x",
        ] {
            assert!(MemberName::parse(bad).is_err(), "{bad}");
        }
        assert!(MemberName::Prefix("sports.".into()).covers("sports.api"));
        assert!(!MemberName::Prefix("sports.".into()).covers("sportsx.api"));
    }

    #[test]
    fn resource_names() {
        let r = ResourceName::parse("Sports:Role.Readers").unwrap();
        assert_eq!(r.domain.as_str(), "sports");
        assert_eq!(r.full, "sports:role.readers");
        assert!(ResourceName::parse("sports").is_ok());
        assert!(ResourceName::parse("sports:").is_err());
        assert!(ResourceName::parse(":x").is_err());
    }

    #[test]
    fn full_names_split() {
        assert_eq!(
            split_full_name("d.x:role.r.s", "role"),
            Some(("d.x", "r.s"))
        );
        assert_eq!(split_full_name("d:group.g", "role"), None);
    }
}
