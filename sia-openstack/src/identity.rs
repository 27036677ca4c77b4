//! Which Athenz identity the VM asks for. The instance metadata (`meta.athenz_domain`,
//! `meta.athenz_service`) is what the provider put in the token, so it is normally the answer;
//! `sia_config` may also name the identity (an `accounts` entry's `domain`, `service`), as on
//! every other platform. When both name one they must agree: registering as anything else would
//! only be refused by the provider, later and less clearly.

use crate::error::{Error, Result};
use crate::metadata::MetaData;
use sia_core::config::Identity;

/// The domain and primary service: each from `sia_config` when it names one, else from the
/// metadata. Fails listing every problem: a value both name differently, or one neither names.
pub fn choose(config: &Identity, meta: &MetaData) -> Result<(String, String)> {
    let mut problems = Vec::new();
    let domain = pick(
        "domain",
        config.domain.as_deref(),
        meta.domain.as_deref(),
        "athenz_domain",
        "an accounts entry with \"domain\"",
        &mut problems,
    );
    let service = pick(
        "service",
        config.service.as_deref(),
        meta.service.as_deref(),
        "athenz_service",
        "\"service\"",
        &mut problems,
    );
    match (domain, service) {
        (Some(d), Some(s)) if problems.is_empty() => Ok((d, s)),
        _ => Err(Error::Identity(problems)),
    }
}

fn pick(
    what: &str,
    config: Option<&str>,
    meta: Option<&str>,
    meta_key: &str,
    config_key: &str,
    problems: &mut Vec<String>,
) -> Option<String> {
    match (config, meta) {
        (Some(c), Some(m)) if c != m => {
            problems.push(format!(
                "sia_config names {what} {c:?} but the instance metadata \
                 (meta_data.json meta.{meta_key}) names {m:?}"
            ));
            None
        }
        (Some(v), _) | (None, Some(v)) => Some(v.to_string()),
        (None, None) => {
            problems.push(format!(
                "no {what}: set the instance metadata key {meta_key} or {config_key} in sia_config"
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(domain: Option<&str>, service: Option<&str>) -> MetaData {
        MetaData {
            uuid: "u".into(),
            hostname: None,
            project_id: None,
            domain: domain.map(str::to_string),
            service: service.map(str::to_string),
        }
    }

    fn named(domain: Option<&str>, service: Option<&str>) -> Identity {
        Identity {
            domain: domain.map(str::to_string),
            service: service.map(str::to_string),
        }
    }

    #[test]
    fn metadata_alone_config_alone_or_both_agreeing() {
        let want = ("weather".to_string(), "api".to_string());
        for (c, m) in [
            (named(None, None), meta(Some("weather"), Some("api"))),
            (named(Some("weather"), Some("api")), meta(None, None)),
            (
                named(Some("weather"), Some("api")),
                meta(Some("weather"), Some("api")),
            ),
            (named(Some("weather"), None), meta(None, Some("api"))),
        ] {
            assert_eq!(choose(&c, &m).unwrap(), want, "{c:?} {m:?}");
        }
    }

    #[test]
    fn disagreement_is_refused_naming_both() {
        let e = choose(
            &named(Some("weather"), Some("api")),
            &meta(Some("sports"), Some("web")),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("sia_config names domain \"weather\"")
                && e.contains("meta.athenz_domain) names \"sports\"")
                && e.contains("service \"api\"")
                && e.contains("names \"web\""),
            "{e}"
        );
    }

    #[test]
    fn nothing_named_is_refused() {
        let e = choose(&named(None, None), &meta(None, None))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no domain: set the instance metadata key athenz_domain")
                && e.contains("no service"),
            "{e}"
        );
        let e = choose(&named(None, None), &meta(Some("weather"), None))
            .unwrap_err()
            .to_string();
        assert!(!e.contains("no domain") && e.contains("no service"), "{e}");
    }
}
