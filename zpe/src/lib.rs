//! ZPE, Athenz's local policy engine: decides access on-box from ZTS-signed policy files, so a
//! service never calls ZMS or ZTS on its request path.
//!
//! Behaviour follows the Java client `clients/java/zpe` (`AuthZpeClient`, `ZpeUpdPolLoader`;
//! reference `athenz.md` §1.8, §1.11, §6.1–6.2):
//! - [`PolicyStore`] loads `<domain>.pol` files (legacy `DomainSignedPolicyData` or the JWS
//!   form), verifies ZTS's signature (and ZMS's when configured), refuses expired files, and
//!   reloads a file when its mtime changes, swapping the compiled domain atomically.
//! - [`PolicyStore::allow`] decides for a role token (`v=Z1;…;s=…`);
//!   [`PolicyStore::allow_roles`] decides for a domain and role names that a caller has already
//!   authenticated (access tokens, role certificates).
//! - The answer is an [`AccessResult`] and the Athenz `AccessCheckStatus` code as a [`Reason`].
//!
//! The compiled form (see `compiled.rs`) indexes assertions by effect, role and action with
//! precompiled matchers, so a roles-based decision is a few hash lookups and string compares and
//! allocates nothing when the action and resource are already lowercase.

mod compiled;
mod policy_file;
mod role_token;
mod store;
mod token_cache;

pub use policy_file::{KeyStore, LoadError};
pub use store::{PolicyStore, ReloadReport, ZpeConfig};

/// Whether access is granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessResult {
    /// Granted.
    Allow,
    /// Refused (the [`Reason`] says why).
    Deny,
}

/// Why a decision came out as it did: Athenz's `AuthZpeClient.AccessCheckStatus` values that
/// apply to role tokens and role names (the `DENY_CERT_*` family belongs to role certificates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// `ALLOW`: an ALLOW assertion matched and no DENY did.
    Allow,
    /// `DENY`: a DENY assertion matched.
    Deny,
    /// `DENY_NO_MATCH`: no assertion of the domain matched.
    DenyNoMatch,
    /// `DENY_ROLETOKEN_EXPIRED`: the token's `e` is in the past.
    DenyRoleTokenExpired,
    /// `DENY_ROLETOKEN_INVALID`: malformed, badly signed, unknown key, no roles or no domain.
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
