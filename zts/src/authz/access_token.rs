//! `POST /oauth2/token` with `grant_type=client_credentials` (reference §1.7;
//! `ZTSImpl.postAccessTokenRequest`, `token/AccessTokenRequest.java`, `AccessToken.java`).
//!
//! The caller authenticates with its service certificate; the token is bound to that
//! certificate (`cnf.x5t#S256`, RFC 8705), so a stolen token is useless without the key.

use super::{Principal, TokenSigner, accessible_roles, domain, token_caps};
use crate::error::{ZtsError, ZtsResult};
use crate::state::AppState;
use model::zts_token::{AccessTokenClaims, AccessTokenResponse, Confirmation};
use std::collections::HashMap;

/// What the scope asked for: one domain, and either all its roles or these.
#[derive(Debug, PartialEq, Eq)]
pub struct Scope {
    /// The domain.
    pub domain: String,
    /// Requested roles; empty with `all`.
    pub roles: Vec<String>,
    /// `<domain>:domain` was asked.
    pub all: bool,
}

/// Parses `scope` (`AccessTokenScope`): space-separated `<d>:domain` and `<d>:role.<r>`;
/// exactly one domain. `openid` and `<d>:service.<s>` (ID tokens) are refused as unsupported
/// rather than silently ignored.
pub fn parse_scope(scope: &str) -> ZtsResult<Scope> {
    let bad = |m: String| ZtsError::BadRequest(format!("Invalid scope: {m}"));
    let mut domain: Option<String> = None;
    let (mut roles, mut all) = (Vec::new(), false);
    for item in scope.split_whitespace() {
        let item = item.to_ascii_lowercase();
        let (d, rest) = item.split_once(':').ok_or_else(|| {
            bad(format!(
                "{item:?} is not <domain>:domain or <domain>:role.<role>"
            ))
        })?;
        model::names::DomainName::parse(d).map_err(|e| bad(e.to_string()))?;
        if rest == "domain" {
            all = true;
        } else if let Some(role) = rest.strip_prefix("role.") {
            model::names::EntityName::parse(role).map_err(|e| bad(e.to_string()))?;
            roles.push(role.to_string());
        } else {
            return Err(bad(format!(
                "{item:?}: ID tokens (openid, :service.) are not supported"
            )));
        }
        match &domain {
            Some(prev) if prev != d => {
                return Err(bad("multiple domains in one scope".into()));
            }
            _ => domain = Some(d.to_string()),
        }
    }
    let domain = domain.ok_or_else(|| bad("empty scope".into()))?;
    if all {
        roles.clear();
    }
    roles.sort();
    roles.dedup();
    Ok(Scope { domain, roles, all })
}

/// Issues the token.
pub fn issue(
    st: &AppState,
    signer: &TokenSigner,
    caller: &Principal,
    form: &HashMap<String, String>,
) -> ZtsResult<AccessTokenResponse> {
    let get = |k: &str| form.get(k).map(String::as_str).filter(|v| !v.is_empty());
    match get("grant_type").map(str::to_ascii_lowercase).as_deref() {
        Some("client_credentials") => {}
        Some(other) => {
            return Err(ZtsError::BadRequest(format!(
                "Invalid grant request: unsupported grant_type {:?}",
                other.chars().take(64).collect::<String>()
            )));
        }
        None => {
            return Err(ZtsError::BadRequest(
                "Invalid grant request: no grant_type".into(),
            ));
        }
    }
    if get("proxy_for_principal").is_some()
        && !signer
            .settings
            .authorized_proxy_users
            .contains(&caller.name)
    {
        return Err(ZtsError::Forbidden(format!(
            "principal {} not authorized for proxy access token request",
            caller.name
        )));
    }
    let scope = parse_scope(get("scope").unwrap_or(""))?;
    let requested = match get("expires_in") {
        Some(v) => Some(v.parse::<i64>().map_err(|_| {
            ZtsError::BadRequest(format!("Invalid expires_in: {v:?} is not a number"))
        })?),
        None => None,
    };
    let subject = get("proxy_for_principal")
        .map(str::to_ascii_lowercase)
        .unwrap_or_else(|| caller.name.clone());
    let d = domain(st, &scope.domain)?;
    let mut granted = accessible_roles(st, &d, &subject);
    if !scope.all {
        granted.retain(|r| scope.roles.contains(r));
    }
    if granted.is_empty() {
        return Err(ZtsError::Forbidden(format!(
            "{subject} is not included in the requested role(s) in domain {}",
            scope.domain
        )));
    }
    let lifetime = signer.lifetime(requested, &token_caps(&d, &granted));
    let now = model::Timestamp::now().millis() / 1000;
    let single_role_aud =
        get("role_in_aud_claim").is_some_and(|v| v == "true") && granted.len() == 1;
    let claims = AccessTokenClaims {
        ver: 1,
        jti: uuid::Uuid::new_v4().to_string(),
        aud: if single_role_aud {
            format!("{}:{}", scope.domain, granted[0])
        } else {
            scope.domain.clone()
        },
        client_id: caller.name.clone(),
        uid: subject.clone(),
        sub: subject.clone(),
        iss: signer.settings.issuer.clone(),
        iat: now,
        auth_time: now,
        exp: now + lifetime,
        scp: granted.clone(),
        proxy: (subject != caller.name).then(|| caller.name.clone()),
        cnf: Some(Confirmation {
            x5t_s256: Some(super::cert_thumbprint(caller.cert.as_ref())),
        }),
    };
    let token = model::jwt::sign(&signer.key, &signer.key_id, "at+jwt", &claims)
        .map_err(|e| ZtsError::Internal(format!("signing access token: {e}")))?;
    // The granted scope is returned when it is not exactly what was asked (Athenz).
    let scope_out = (scope.all || granted != scope.roles).then(|| {
        granted
            .iter()
            .map(|r| format!("{}:role.{r}", scope.domain))
            .collect::<Vec<_>>()
            .join(" ")
    });
    Ok(AccessTokenResponse {
        access_token: token,
        token_type: "Bearer".into(),
        expires_in: Some(lifetime),
        scope: scope_out,
        refresh_token: None,
        id_token: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes() {
        let s = parse_scope("Weather:role.Readers weather:role.writers").unwrap();
        assert_eq!(s.domain, "weather");
        assert_eq!(s.roles, vec!["readers", "writers"]);
        assert!(!s.all);
        let s = parse_scope("weather:domain weather:role.readers").unwrap();
        assert!(s.all && s.roles.is_empty());
        for bad in [
            "",
            "weather",
            "weather:role.a other:role.b",
            "openid weather:service.api",
            "weather:role.",
            "bad..domain:domain",
            "weather:group.x",
        ] {
            let e = parse_scope(bad).unwrap_err();
            assert!(matches!(e, ZtsError::BadRequest(_)), "{bad}");
            assert!(e.to_string().starts_with("Invalid scope"), "{bad}: {e}");
        }
    }
}
