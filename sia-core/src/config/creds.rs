//! The `roles` and `access_tokens` entries of `sia_config` (Athenz `libs/go/sia/config/config.go`
//! `ConfigRole`, `libs/go/sia/access/config/config.go` `Role`), and the checks of their keys.
//! Athenz checks little here (`options.go` `processAccessTokens` only wants a `/` in the key, and
//! a bad role name surfaces as a ZTS error hours later); we check the name grammar up front and
//! name the offending key, so a typo fails at start-up, not at the first refresh.

use model::names::is_compound_name;
use model::{DomainName, EntityName};
use serde::Deserialize;
use std::collections::BTreeMap;

/// One entry of `roles` (`"<domain>:role.<role>": {...}`): a role certificate to maintain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoleConfig {
    /// Certificate file, relative to the certificate directory or absolute (default
    /// `<domain>:role.<role>.cert.pem`).
    pub filename: Option<String>,
    /// Requested lifetime in minutes; absent or 0 lets ZTS choose.
    pub expiry_time: Option<i64>,
    /// The service whose identity asks for the role (default: the primary service).
    pub service: Option<String>,
    /// File owner (default: the service's).
    pub user: Option<String>,
    /// File group (default: the service's); makes a generated role key 0440.
    pub group: Option<String>,
}

/// One entry of `access_tokens` (`"<domain>/<fileName>": {...}`): an access token to maintain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccessTokenConfig {
    /// The service whose identity asks for the token (default: the primary service).
    pub service: Option<String>,
    /// Short role names, or `["*"]` for every role the service has in the domain. Empty means
    /// the one role named like the file (Athenz `processAccessTokens`).
    pub roles: Vec<String>,
    /// Requested lifetime in seconds; absent or 0 means 28800 (Athenz `DefaultTokenExpiry`).
    pub expires_in: Option<i64>,
}

/// `roles.<key>` fields we implement.
pub(super) const ROLE: &[&str] = &["filename", "expiry_time", "service", "user", "group"];
/// `roles.<key>` Athenz fields we do not implement.
pub(super) const ROLE_ATHENZ: &[&str] = &["cert_threshold_to_check"];
/// `access_tokens.<key>` fields we implement.
pub(super) const TOKEN: &[&str] = &["service", "roles", "expires_in"];
/// `access_tokens.<key>` Athenz fields we do not implement.
pub(super) const TOKEN_ATHENZ: &[&str] = &[
    "proxy_principal_spiffe_uris",
    "role_in_aud_claim",
    "openid_issuer",
];

/// Splits a `roles` key `<domain>:role.<role>` into its lowercased domain and role (Athenz
/// `util.SplitRoleName`, plus the name grammar of `Names.tdl`).
pub fn parse_role_key(key: &str) -> Result<(DomainName, EntityName), String> {
    let (domain, role) = key
        .split_once(":role.")
        .ok_or_else(|| format!("roles.\"{key}\": expected <domain>:role.<role>"))?;
    let domain = DomainName::parse(domain).map_err(|e| format!("roles.\"{key}\": {e}"))?;
    let role = EntityName::parse(role).map_err(|e| format!("roles.\"{key}\": {e}"))?;
    Ok((domain, role))
}

/// Splits an `access_tokens` key `<domain>/<fileName>` into the domain (lowercased) and the
/// file name (as given: it names a file). The file name must be one path component.
pub fn parse_token_key(key: &str) -> Result<(DomainName, String), String> {
    let (domain, file) = key
        .split_once('/')
        .ok_or_else(|| format!("access_tokens.\"{key}\": expected <domain>/<fileName>"))?;
    let domain = DomainName::parse(domain).map_err(|e| format!("access_tokens.\"{key}\": {e}"))?;
    let file = file.trim();
    if file.is_empty() || file == "." || file == ".." || file.contains('/') || file.contains('\0') {
        return Err(format!(
            "access_tokens.\"{key}\": the file name after `/` must be one non-empty path component"
        ));
    }
    Ok((domain, file.to_string()))
}

/// The lowercased role names an `access_tokens` entry asks for: `["*"]` for the whole domain,
/// the file name when no role is listed, else the listed roles.
pub fn token_roles(key: &str, file: &str, roles: &[String]) -> Result<Vec<String>, String> {
    if roles.is_empty() {
        return EntityName::parse(file)
            .map(|r| vec![r.as_str().to_string()])
            .map_err(|_| {
                format!(
                    "access_tokens.\"{key}\": no roles listed and the file name `{file}` is not a \
                     role name (list \"roles\")"
                )
            });
    }
    if roles.iter().any(|r| r == "*") {
        return if roles.len() == 1 {
            Ok(vec!["*".into()])
        } else {
            Err(format!(
                "access_tokens.\"{key}\": `*` (every role) cannot be combined with role names"
            ))
        };
    }
    roles
        .iter()
        .map(|r| {
            EntityName::parse(r)
                .map(|n| n.as_str().to_string())
                .map_err(|e| format!("access_tokens.\"{key}\": {e}"))
        })
        .collect()
}

/// Checks every `roles` entry; `ctx` prefixes the messages (`accounts[0].`).
pub(super) fn check_roles(ctx: &str, roles: &BTreeMap<String, RoleConfig>, out: &mut Vec<String>) {
    for (key, r) in roles {
        if let Err(e) = parse_role_key(key) {
            out.push(format!("{ctx}{e}"));
        }
        if let Some(e) = r.expiry_time
            && e < 0
        {
            out.push(format!(
                "{ctx}roles.\"{key}\": expiry_time must be >= 0 minutes, got {e}"
            ));
        }
        check_service(&format!("{ctx}roles.\"{key}\""), r.service.as_deref(), out);
        if let Some(f) = &r.filename
            && f.ends_with('/')
        {
            out.push(format!(
                "{ctx}roles.\"{key}\": filename `{f}` names a directory"
            ));
        }
    }
}

/// Checks every `access_tokens` entry.
pub(super) fn check_tokens(tokens: &BTreeMap<String, AccessTokenConfig>, out: &mut Vec<String>) {
    for (key, t) in tokens {
        match parse_token_key(key) {
            Ok((_, file)) => {
                if let Err(e) = token_roles(key, &file, &t.roles) {
                    out.push(e);
                }
            }
            Err(e) => out.push(e),
        }
        if let Some(e) = t.expires_in
            && e < 0
        {
            out.push(format!(
                "access_tokens.\"{key}\": expires_in must be >= 0 seconds, got {e}"
            ));
        }
        check_service(
            &format!("access_tokens.\"{key}\""),
            t.service.as_deref(),
            out,
        );
    }
}

fn check_service(ctx: &str, service: Option<&str>, out: &mut Vec<String>) {
    if let Some(s) = service
        && !s.is_empty()
        && !is_compound_name(s)
    {
        out.push(format!("{ctx}: `{s}` is not a service name"));
    }
}

#[cfg(test)]
mod tests;
