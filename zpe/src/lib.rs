//! ZPE, Athenz's local policy engine: decides access on-box from ZTS-signed policy files, so a
//! service never calls ZMS or ZTS on its request path.
//!
//! Behaviour follows the Java client `clients/java/zpe` (`AuthZpeClient`, `ZpeUpdPolLoader`,
//! `FilePublicKeyStore`; reference `athenz.md` §1.6–1.8, §1.11, §6.1–6.2):
//! - [`KeyStore`] holds ZTS's (and ZMS's) public keys by id: built by hand, or read from
//!   `athenz.conf` ([`KeyStore::from_athenz_conf`]), SIA's JWK `athenz.conf`
//!   ([`KeyStore::from_jwk_conf`]), a `/oauth2/keys` JWK set ([`KeyStore::add_jwks`]), or any mix
//!   of those files ([`KeyStore::load_files`]).
//! - [`PolicyStore`] loads `<domain>.pol` files (legacy `DomainSignedPolicyData` or the JWS
//!   form), verifies ZTS's signature (and ZMS's when configured), refuses expired files, and
//!   reloads a file when its mtime changes, swapping the compiled domain atomically.
//! - [`PolicyStore::allow`] decides for a token: a role token (`v=Z1;…;s=…`) or an OAuth2
//!   access token (a ZTS-signed JWT, `Bearer ` optional; domain from `aud`, roles from `scp`).
//!   Validated tokens of both kinds are cached, so a repeated token costs no signature check.
//! - [`PolicyStore::allow_with_cert`] does the same for a request over mutual TLS and requires
//!   an access token to be bound to the client certificate (`cnf` `x5t#S256`, RFC 8705).
//! - [`PolicyStore::allow_role_cert`] decides for a role certificate (CN `<domain>:role.<role>`)
//!   that the TLS layer has already authenticated.
//! - [`PolicyStore::allow_roles`] decides for a domain and role names that a caller has already
//!   authenticated some other way.
//! - The answer is an [`AccessResult`] and the Athenz `AccessCheckStatus` code as a [`Reason`].
//!
//! The compiled form (see `compiled.rs`) indexes assertions by effect, role and action with
//! precompiled matchers, so a roles-based decision is a few hash lookups and string compares and
//! allocates nothing when the action and resource are already lowercase.

mod access_token;
mod compiled;
mod keys;
mod monitor;
mod policy_file;
mod role_cert;
mod role_token;
mod store;
mod token_cache;

pub use keys::{KeyError, KeyStore};
pub use monitor::{DEFAULT_MONITOR_INTERVAL, Monitor};
pub use policy_file::LoadError;
pub use store::{PolicyStore, ReloadReport, ZpeConfig};

/// Whether access is granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessResult {
    /// Granted.
    Allow,
    /// Refused (the [`Reason`] says why).
    Deny,
}

/// Why a decision came out as it did: Athenz's `AuthZpeClient.AccessCheckStatus` values, plus
/// [`Reason::DenyCertExpired`], which Athenz does not have. Access tokens answer with the
/// `DENY_ROLETOKEN_*` codes, as in Athenz.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// `ALLOW`: an ALLOW assertion matched and no DENY did.
    Allow,
    /// `DENY`: a DENY assertion matched.
    Deny,
    /// `DENY_NO_MATCH`: no assertion of the domain matched.
    DenyNoMatch,
    /// `DENY_ROLETOKEN_EXPIRED`: the role token's `e` (access token's `exp`) is in the past.
    DenyRoleTokenExpired,
    /// `DENY_ROLETOKEN_INVALID`: a role or access token is malformed, badly signed, signed by
    /// an unknown key, issued in the future, or has no roles or no domain.
    DenyRoleTokenInvalid,
    /// `DENY_DOMAIN_MISMATCH`: the resource names another domain than the token.
    DenyDomainMismatch,
    /// `DENY_DOMAIN_NOT_FOUND`: no policy file is loaded for the token's domain.
    DenyDomainNotFound,
    /// `DENY_DOMAIN_EXPIRED`: the domain's policy data passed its `expires` after it was loaded
    /// (noticed by [`PolicyStore::reload`], so that decisions read no clock).
    DenyDomainExpired,
    /// `DENY_DOMAIN_EMPTY`: the domain's policy file has no assertions.
    DenyDomainEmpty,
    /// `DENY_INVALID_PARAMETERS`: empty action or resource.
    DenyInvalidParameters,
    /// `DENY_CERT_MISMATCH_ISSUER`: issuers are configured and the role certificate's is not
    /// one of them.
    DenyCertMismatchIssuer,
    /// `DENY_CERT_MISSING_SUBJECT`: the role certificate has no subject CN (or cannot be
    /// parsed at all).
    DenyCertMissingSubject,
    /// `DENY_CERT_MISSING_DOMAIN`: the role certificate's CN has nothing before `:role.`.
    DenyCertMissingDomain,
    /// `DENY_CERT_MISSING_ROLE_NAME`: the role certificate's CN has no `:role.` or nothing
    /// after it.
    DenyCertMissingRoleName,
    /// `DENY_CERT_HASH_MISMATCH`: an access token presented over mutual TLS is not bound to the
    /// client certificate (its `cnf` `x5t#S256` differs or is missing).
    DenyCertHashMismatch,
    /// `DENY_CERT_EXPIRED`, not an Athenz code (Java ZPE leaves validity to the TLS layer): the
    /// role certificate is outside its notBefore/notAfter.
    DenyCertExpired,
}

impl Reason {
    /// The Athenz name, e.g. `DENY_NO_MATCH`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "ALLOW",
            Self::Deny => "DENY",
            Self::DenyNoMatch => "DENY_NO_MATCH",
            Self::DenyRoleTokenExpired => "DENY_ROLETOKEN_EXPIRED",
            Self::DenyRoleTokenInvalid => "DENY_ROLETOKEN_INVALID",
            Self::DenyDomainMismatch => "DENY_DOMAIN_MISMATCH",
            Self::DenyDomainNotFound => "DENY_DOMAIN_NOT_FOUND",
            Self::DenyDomainExpired => "DENY_DOMAIN_EXPIRED",
            Self::DenyDomainEmpty => "DENY_DOMAIN_EMPTY",
            Self::DenyInvalidParameters => "DENY_INVALID_PARAMETERS",
            Self::DenyCertMismatchIssuer => "DENY_CERT_MISMATCH_ISSUER",
            Self::DenyCertMissingSubject => "DENY_CERT_MISSING_SUBJECT",
            Self::DenyCertMissingDomain => "DENY_CERT_MISSING_DOMAIN",
            Self::DenyCertMissingRoleName => "DENY_CERT_MISSING_ROLE_NAME",
            Self::DenyCertHashMismatch => "DENY_CERT_HASH_MISMATCH",
            Self::DenyCertExpired => "DENY_CERT_EXPIRED",
        }
    }

    /// The result this reason implies: only [`Reason::Allow`] grants.
    pub fn result(self) -> AccessResult {
        match self {
            Self::Allow => AccessResult::Allow,
            _ => AccessResult::Deny,
        }
    }

    pub(crate) fn decision(self) -> (AccessResult, Reason) {
        (self.result(), self)
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests;
