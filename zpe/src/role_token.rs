//! Role tokens (ZToken, reference §1.8): parsing and validation as Athenz
//! `libs/java/auth_core/.../token/RoleToken.java` (constructor) and `Token.validate`.
//!
//! Wire facts:
//! - `v=Z1;d=<domain>;r=<role,role>[;c=1][;p=<principal>][;h=<host>][;proxy=<user>];a=<salt>;
//!   t=<issued>;e=<expiry>;k=<keyId>[;i=<ip>];s=<sig>`; `t` and `e` are epoch seconds, roles are
//!   short names;
//! - the signature `s` is ybase64 of a DER ECDSA or RSA SHA-256 signature over everything before
//!   the first `;s=`, by the ZTS key `k`;
//! - a `key=value` item that does not split into exactly two non-empty parts is ignored (Java
//!   `item.split("=")` with `length == 2`).
//!
//! Validation order is Java's: issued-at in the future (beyond the allowed offset) and expiry
//! are checked before the signature, and a token that fails validation is reported
//! DENY_ROLETOKEN_EXPIRED when its `e` is non-zero and past (`AuthZpeClient.isTokenExpired`),
//! DENY_ROLETOKEN_INVALID otherwise.

use crate::keys::KeyStore;
use crate::{Reason, ZpeConfig};

/// The Java constant `ZTS_ROLE_TOKEN_VERSION`.
const VERSION: &str = "Z1";

/// What a validated role or access token grants, kept in the token cache.
#[derive(Debug)]
pub(crate) struct TokenInfo {
    pub(crate) domain: Box<str>,
    pub(crate) roles: Box<[Box<str>]>,
    /// Epoch seconds.
    pub(crate) expiry: i64,
    /// Access tokens: the `cnf["x5t#S256"]` certificate hash they are bound to.
    pub(crate) cert_hash: Option<Box<str>>,
}

impl TokenInfo {
    /// `AuthZpeClient.isTokenExpired`: `e` non-zero and before now.
    pub(crate) fn is_expired(&self, now_secs: i64) -> bool {
        self.expiry != 0 && self.expiry < now_secs
    }
}

#[derive(Default)]
struct Fields<'a> {
    version: Option<&'a str>,
    domain: Option<&'a str>,
    roles: Option<&'a str>,
    key_id: Option<&'a str>,
    issued: i64,
    expiry: i64,
}

fn parse_fields(unsigned: &str) -> Option<Fields<'_>> {
    let mut f = Fields::default();
    for item in unsigned.split(';') {
        let mut kv = item.split('=');
        let (Some(k), Some(v), None) = (kv.next(), kv.next(), kv.next()) else {
            continue;
        };
        if k.is_empty() || v.is_empty() {
            continue;
        }
        match k {
            "v" => f.version = Some(v),
            "d" => f.domain = Some(v),
            "r" => f.roles = Some(v),
            "k" => f.key_id = Some(v),
            // Java's Long.parseLong throws on a bad number, which rejects the token.
            "t" => f.issued = v.parse().ok()?,
            "e" => f.expiry = v.parse().ok()?,
            _ => {}
        }
    }
    Some(f)
}

/// Validates `token` at `now_secs`; on success returns what it grants.
pub(crate) fn validate(
    token: &str,
    keys: &KeyStore,
    config: &ZpeConfig,
    now_secs: i64,
) -> Result<TokenInfo, Reason> {
    let (unsigned, signature) = token
        .split_once(";s=")
        .ok_or(Reason::DenyRoleTokenInvalid)?;
    let f = parse_fields(unsigned).ok_or(Reason::DenyRoleTokenInvalid)?;
    let expired = || {
        if f.expiry != 0 && f.expiry < now_secs {
            Reason::DenyRoleTokenExpired
        } else {
            Reason::DenyRoleTokenInvalid
        }
    };
    let (Some(VERSION), Some(domain), Some(roles)) = (f.version, f.domain, f.roles) else {
        return Err(Reason::DenyRoleTokenInvalid);
    };
    let offset = config.token_allowed_offset_secs;
    if f.issued != 0 && f.issued - offset > now_secs {
        return Err(expired());
    }
    // Unlimited tokens are never accepted (`allowNoExpiry` is false in ZPE).
    if f.expiry < now_secs || f.expiry > now_secs + config.token_max_expiry_secs + offset {
        return Err(expired());
    }
    let key = f.key_id.and_then(|k| keys.zts_key(k)).ok_or_else(expired)?;
    key.verify_ybase64(unsigned.as_bytes(), signature)
        .map_err(|_| expired())?;
    let roles: Box<[Box<str>]> = roles
        .split(',')
        .filter(|r| !r.is_empty())
        .map(Box::from)
        .collect();
    Ok(TokenInfo {
        domain: domain.into(),
        roles,
        expiry: f.expiry,
        cert_hash: None,
    })
}
