//! OAuth2 access tokens (reference `athenz.md` §1.7, §6.2): validation as Athenz
//! `AuthZpeClient.allowAccessTokenAccess` does through `AccessToken` / `OAuth2Token`
//! (`libs/java/auth_core/.../token/`), and the mTLS binding check
//! (`AccessToken.confirmMTLSBoundToken`, RFC 8705).
//!
//! Wire facts: a compact JWS, header `{alg: ES256|RS256, kid, typ: "at+jwt"}`, signed by the ZTS
//! key `kid` (ES256 in the fixed `r‖s` form of RFC 7518); claims as
//! [`model::zts_token::AccessTokenClaims`]: `aud` is the domain (`<domain>:<role>` when ZTS was
//! asked for `role_in_aud_claim`), `scp` the short role names, `exp`/`iat` epoch seconds, and
//! `cnf["x5t#S256"]` the base64url SHA-256 of the client certificate the token was issued to.
//!
//! Differences from Java, all deliberate:
//! - the signature is checked before any claim, and a validly signed token whose `exp` has
//!   passed answers DENY_ROLETOKEN_EXPIRED (jjwt throws on an expired token and Java then
//!   answers DENY_ROLETOKEN_INVALID; only a cached token that expires later gets EXPIRED there);
//!   this matches how role tokens are reported;
//! - `iat` beyond the allowed offset in the future is refused, as for role tokens (jjwt does not
//!   look at `iat`), and a token without a positive `exp` is refused (ZTS always sets one);
//! - the header `typ`, when present, must be `at+jwt` (or `application/at+jwt`, or `JWT`); jjwt
//!   ignores it, but a JWT that declares itself another kind of token is refused (explicit
//!   typing, RFC 8725 §3.11);
//! - the claims must have the shape ZTS writes (all of `AccessTokenClaims`' required fields).

use crate::keys::KeyStore;
use crate::role_token::TokenInfo;
use crate::{Reason, ZpeConfig};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use model::jwt::UnverifiedJwt;
use model::zts_token::AccessTokenClaims;

/// Athenz `AuthZpeClient.BEARER_TOKEN`. Java strips it case-sensitively; HTTP auth schemes are
/// case-insensitive (RFC 9110 §11.1), so any case is accepted here.
const BEARER: &str = "Bearer ";

/// `token` without a leading `Bearer ` (any case).
pub(crate) fn strip_bearer(token: &str) -> &str {
    match token.get(..BEARER.len()) {
        Some(prefix) if prefix.eq_ignore_ascii_case(BEARER) => &token[BEARER.len()..],
        _ => token,
    }
}

fn typ_accepted(typ: Option<&str>) -> bool {
    typ.is_none_or(|t| {
        ["at+jwt", "application/at+jwt", "JWT"]
            .iter()
            .any(|ok| t.eq_ignore_ascii_case(ok))
    })
}

/// Validates the access token `token` (no `Bearer ` prefix) at `now_secs`; on success returns
/// what it grants and the certificate hash it is bound to.
pub(crate) fn validate(
    token: &str,
    keys: &KeyStore,
    config: &ZpeConfig,
    now_secs: i64,
) -> Result<TokenInfo, Reason> {
    let invalid = |_| Reason::DenyRoleTokenInvalid;
    let jwt = UnverifiedJwt::parse(token).map_err(invalid)?;
    if !typ_accepted(jwt.header.typ.as_deref()) {
        return Err(Reason::DenyRoleTokenInvalid);
    }
    let key = jwt
        .header
        .kid
        .as_deref()
        .and_then(|kid| keys.zts_key(kid))
        .ok_or(Reason::DenyRoleTokenInvalid)?;
    let payload = jwt.verify(key).map_err(invalid)?;
    let claims: AccessTokenClaims =
        serde_json::from_slice(&payload).map_err(|_| Reason::DenyRoleTokenInvalid)?;
    if claims.exp <= 0 || claims.iat - config.token_allowed_offset_secs > now_secs {
        return Err(Reason::DenyRoleTokenInvalid);
    }
    if claims.exp < now_secs {
        return Err(Reason::DenyRoleTokenExpired);
    }
    // `role_in_aud_claim` tokens carry `<domain>:<role>`; the roles are in `scp` either way.
    let domain = claims
        .aud
        .split_once(':')
        .map_or(claims.aud.as_str(), |(d, _)| d);
    if domain.is_empty() {
        return Err(Reason::DenyRoleTokenInvalid);
    }
    let roles: Box<[Box<str>]> = claims
        .scp
        .iter()
        .filter(|r| !r.is_empty())
        .map(|r| Box::from(r.as_str()))
        .collect();
    // `allowActionZPE` would refuse it on every use; not worth a cache entry.
    if roles.is_empty() {
        return Err(Reason::DenyRoleTokenInvalid);
    }
    Ok(TokenInfo {
        domain: domain.into(),
        roles,
        expiry: claims.exp,
        cert_hash: claims
            .cnf
            .and_then(|c| c.x5t_s256)
            .map(String::into_boxed_str),
    })
}

/// Length of base64url without padding of a 32-byte digest.
const HASH_B64_LEN: usize = 43;

/// Whether `cert_der` is the certificate a token is bound to (`cnf["x5t#S256"]`, RFC 8705
/// §3.1): base64url without padding of its SHA-256, compared exactly as Java's
/// `confirmX509CertHash`. A token without the claim never matches (Java: "token does not have
/// confirmation entry"). Allocates nothing.
pub(crate) fn cert_hash_matches(bound: Option<&str>, cert_der: &[u8]) -> bool {
    let Some(bound) = bound else {
        return false;
    };
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, cert_der);
    let mut buf = [0u8; HASH_B64_LEN];
    match URL_SAFE_NO_PAD.encode_slice(digest.as_ref(), &mut buf) {
        Ok(n) => buf.get(..n).is_some_and(|h| h == bound.as_bytes()),
        Err(_) => false,
    }
}
