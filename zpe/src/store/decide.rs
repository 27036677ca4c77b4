//! The decision entry points of [`PolicyStore`]: tokens (role and access), role
//! certificates, and already-authenticated role names (`AuthZpeClient.allowAccess`,
//! `allowActionZPE`).

use super::{PolicyStore, now_ms};
use crate::access_token;
use crate::compiled::strip_domain;
use crate::role_cert;
use crate::role_token::{self, TokenInfo};
use crate::{AccessResult, Reason};
use std::borrow::Cow;
use std::sync::Arc;

impl PolicyStore {
    /// Decides for a role token (`v=Z1;…`) or an access token (a JWT, with or without
    /// `Bearer `) as `AuthZpeClient.allowAccess(String token, resource, action)`: validate (or
    /// find in the cache), refuse when expired, then [`Self::allow_roles`] with the token's
    /// domain and roles. A role token's domain and roles are `d` and `r`; an access token's are
    /// `aud` (its domain part) and `scp`. Both kinds answer with the role-token codes
    /// (DENY_ROLETOKEN_INVALID, DENY_ROLETOKEN_EXPIRED), as in Athenz. An access token's
    /// certificate binding is not checked: see [`Self::allow_with_cert`].
    pub fn allow(&self, token: &str, action: &str, resource: &str) -> (AccessResult, Reason) {
        self.allow_at(token, action, resource, now_ms())
    }

    /// [`Self::allow`] for a request that came over mutual TLS with the client certificate
    /// `cert_der` (`AuthZpeClient.allowAccess(token, X509Certificate cert, certHash, …)`): an
    /// access token must then be bound to that certificate, its `cnf["x5t#S256"]` equal to the
    /// base64url SHA-256 of `cert_der`, else DENY_CERT_HASH_MISMATCH, which is also the answer
    /// for a token without `cnf` (RFC 8705 §3). The check runs on every call, cached token or
    /// not; it hashes the certificate and allocates nothing. With `None`, or for a role token,
    /// nothing is checked, as in Java.
    ///
    /// Stricter than Java: Java's `confirmMTLSBoundToken` also accepts, by default, a
    /// certificate whose CN equals the token's `client_id` (a refreshed certificate) or a proxy
    /// listed in the token's `cnf`; here only the hash counts.
    pub fn allow_with_cert(
        &self,
        token: &str,
        cert_der: Option<&[u8]>,
        action: &str,
        resource: &str,
    ) -> (AccessResult, Reason) {
        self.allow_with_cert_at(token, cert_der, action, resource, now_ms())
    }

    pub(crate) fn allow_at(
        &self,
        token: &str,
        action: &str,
        resource: &str,
        now_ms: i64,
    ) -> (AccessResult, Reason) {
        self.allow_with_cert_at(token, None, action, resource, now_ms)
    }

    pub(crate) fn allow_with_cert_at(
        &self,
        token: &str,
        cert_der: Option<&[u8]>,
        action: &str,
        resource: &str,
        now_ms: i64,
    ) -> (AccessResult, Reason) {
        let now_secs = now_ms.div_euclid(1000);
        // `allowAccess`: `v=Z1;` is a role token, anything else an access token.
        let role_token = token.starts_with("v=Z1;");
        let token = if role_token {
            token
        } else {
            access_token::strip_bearer(token)
        };
        let info = match self.validated(token, role_token, now_secs) {
            Ok(info) => info,
            Err(reason) => return reason.decision(),
        };
        // Java checks the binding of a cached token before its expiry, and a new token's
        // expiry (when parsing) before its binding; `validated` did the latter.
        if !role_token
            && let Some(cert) = cert_der
            && !access_token::cert_hash_matches(info.cert_hash.as_deref(), cert)
        {
            return Reason::DenyCertHashMismatch.decision();
        }
        if info.is_expired(now_secs) {
            return Reason::DenyRoleTokenExpired.decision();
        }
        self.allow_roles(&info.domain, &info.roles, action, resource)
    }

    /// The cached grant of `token`, or validates and caches it.
    fn validated(
        &self,
        token: &str,
        role_token: bool,
        now_secs: i64,
    ) -> Result<Arc<TokenInfo>, Reason> {
        if let Some(info) = self.tokens.get(token) {
            return Ok(info);
        }
        let keys = self.keys.load();
        let info = if role_token {
            role_token::validate(token, &keys, &self.config, now_secs)?
        } else {
            access_token::validate(token, &keys, &self.config, now_secs)?
        };
        let info = Arc::new(info);
        self.tokens.insert(token, Arc::clone(&info), now_secs);
        Ok(info)
    }

    /// Decides for a role certificate (`AuthZpeClient.allowAccess(X509Certificate, resource,
    /// action)`): `cert_der` is the DER of a client certificate whose subject CN is
    /// `<domain>:role.<role>`, as ZTS issues them (`POST /rolecert`). Its issuer must be one of
    /// [`ZpeConfig::x509_ca_issuers`] when any is configured (else DENY_CERT_MISMATCH_ISSUER);
    /// it must be within its validity (else DENY_CERT_EXPIRED, not a Java check); the CN gives
    /// the domain and role (else DENY_CERT_MISSING_SUBJECT, DENY_CERT_MISSING_DOMAIN or
    /// DENY_CERT_MISSING_ROLE_NAME); then [`Self::allow_roles`] decides.
    ///
    /// The certificate's signature and chain are NOT verified: like Java, this trusts that the
    /// certificate is the client certificate of a TLS connection the server authenticated
    /// against its CA bundle. Never pass a certificate that arrived any other way.
    pub fn allow_role_cert(
        &self,
        cert_der: &[u8],
        action: &str,
        resource: &str,
    ) -> (AccessResult, Reason) {
        self.allow_role_cert_at(cert_der, action, resource, now_ms())
    }

    pub(crate) fn allow_role_cert_at(
        &self,
        cert_der: &[u8],
        action: &str,
        resource: &str,
        now_ms: i64,
    ) -> (AccessResult, Reason) {
        match role_cert::roles_of(
            cert_der,
            self.issuers.as_deref(),
            self.config.token_allowed_offset_secs,
            now_ms.div_euclid(1000),
        ) {
            Ok((domain, role)) => self.allow_roles(domain, &[role], action, resource),
            Err(reason) => reason.decision(),
        }
    }

    /// Decides for `roles` (short names) of `domain`, already authenticated by the caller
    /// (`AuthZpeClient.allowActionZPE`): the entry point of access tokens and role
    /// certificates. Allocates nothing unless the action or resource has uppercase letters.
    pub fn allow_roles<R: AsRef<str>>(
        &self,
        domain: &str,
        roles: &[R],
        action: &str,
        resource: &str,
    ) -> (AccessResult, Reason) {
        if roles.is_empty() || domain.is_empty() {
            return Reason::DenyRoleTokenInvalid.decision();
        }
        if action.is_empty() || resource.is_empty() {
            return Reason::DenyInvalidParameters.decision();
        }
        let action = lowercase(action);
        let resource = lowercase(resource);
        let domains = self.domains.load();
        // A resource naming another domain is a mismatch, except with a single domain loaded,
        // where a `:` may be part of the resource itself (`allowActionZPE`).
        let resource = match strip_domain(&resource, domain) {
            Some(r) => r,
            None if domains.len() == 1 => &resource,
            None => return Reason::DenyDomainMismatch.decision(),
        };
        match domains.get(domain) {
            Some(compiled) => compiled.decide(roles, &action, resource).decision(),
            None => Reason::DenyDomainNotFound.decision(),
        }
    }
}

/// Java lowercases with `String.toLowerCase`; skip the copy when there is nothing to fold.
#[inline]
fn lowercase(s: &str) -> Cow<'_, str> {
    if !s.bytes().any(|b| !b.is_ascii() || b.is_ascii_uppercase()) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.to_lowercase())
    }
}
