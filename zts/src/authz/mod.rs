//! Decentralized authorization (reference `athenz.md` §1.6–§1.11): role certificates, OAuth2
//! access tokens, role tokens, signed policy data for ZPE, JWKS, and access checks from ZTS's
//! verified copy of ZMS data. Every token and policy is signed with one key
//! ([`TokenSigner`]), whose public half `GET /oauth2/keys` publishes.

pub mod access_token;
pub mod api;
pub mod policies;
pub mod role_token;
pub mod rolecert;
pub mod settings;

use crate::error::{ZtsError, ZtsResult};
use crate::state::AppState;
use model::Timestamp;
use model::crypto::SigningKey;
use model::jwt::{Jwk, JwkList};
use server_common::tls::Peer;
use std::sync::Arc;

/// ZTS's token-signing key and the settings that go with it.
#[derive(Debug)]
pub struct TokenSigner {
    /// The key.
    pub key: SigningKey,
    /// Its id.
    pub key_id: String,
    /// Lifetimes, issuer, proxy users.
    pub settings: settings::TokenSettings,
}

impl TokenSigner {
    /// Loads the key the settings name.
    pub fn load(settings: settings::TokenSettings) -> anyhow::Result<Self> {
        let pem = std::fs::read_to_string(&settings.signing_key_file)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", settings.signing_key_file.display()))?;
        let key = SigningKey::from_pem(&pem).map_err(|e| {
            anyhow::anyhow!(
                "tokens.signing_key_file {}: {e}",
                settings.signing_key_file.display()
            )
        })?;
        Ok(Self {
            key,
            key_id: settings.signing_key_id.clone(),
            settings,
        })
    }

    /// The JWK set of ZTS's keys (`rfc` picks RFC 7518 curve names).
    pub fn jwks(&self, rfc: bool) -> ZtsResult<JwkList> {
        let jwk = Jwk::from_key(&self.key_id, self.key.verifying_key(), rfc)
            .map_err(|e| ZtsError::Internal(format!("token key as JWK: {e}")))?;
        Ok(JwkList { keys: vec![jwk] })
    }

    /// A token lifetime (seconds): the request's, else the default; capped by the server
    /// maximum and by the smallest of the domain's and the roles' `tokenExpiryMins`
    /// (`ZTSImpl.determineTokenTimeout`).
    pub fn lifetime(&self, requested: Option<i64>, caps_mins: &[i32]) -> i64 {
        let s = &self.settings;
        let mut secs = match requested {
            Some(r) if r > 0 => r,
            _ => s.default_timeout_secs,
        };
        secs = secs.min(s.max_timeout_secs);
        for cap in caps_mins.iter().filter(|c| **c > 0) {
            secs = secs.min(i64::from(*cap) * 60);
        }
        secs
    }
}

/// The authenticated caller of a token or role certificate request: the service identity of
/// the client certificate. Role certificates (CN `domain:role.name`) are not principals here.
#[derive(Debug, Clone)]
pub struct Principal {
    /// `domain.service`, lowercased.
    pub name: String,
    /// The client certificate (DER), for `cnf` binding and SAN checks.
    pub cert: Arc<rustls_pki_types::CertificateDer<'static>>,
}

impl Principal {
    /// From the connection's verified client certificate.
    pub fn from_peer(peer: Option<&Peer>) -> ZtsResult<Self> {
        let (Some(name), Some(cert)) = (
            peer.and_then(|p| p.principal.clone()),
            peer.and_then(|p| p.cert.clone()),
        ) else {
            return Err(ZtsError::Unauthenticated(
                "a client certificate (service identity) is required".into(),
            ));
        };
        if name.contains(':') || model::names::DomainName::parse(&name).is_err() {
            return Err(ZtsError::Forbidden(format!(
                "certificate CN {name:?} is not a service identity"
            )));
        }
        Ok(Self {
            name: name.to_string(),
            cert,
        })
    }
}

/// A domain of the ZMS copy, or 404 as Athenz answers for an unknown domain.
pub fn domain(st: &AppState, name: &str) -> ZtsResult<Arc<crate::zmsdata::ZtsDomain>> {
    model::names::DomainName::parse(name)?;
    let d = st
        .zms
        .domain(&name.to_ascii_lowercase())
        .ok_or_else(|| ZtsError::NotFound(format!("no such domain: {name}")))?;
    if d.data.meta.enabled == Some(false) {
        return Err(ZtsError::Forbidden(format!("domain {name} is disabled")));
    }
    Ok(d)
}

/// The roles of `domain` (short names, sorted) that `principal` is an effective member of,
/// directly, through groups, or by delegation (`DataStore.getAccessibleRoles`).
pub fn accessible_roles(
    st: &AppState,
    d: &crate::zmsdata::ZtsDomain,
    principal: &str,
) -> Vec<String> {
    let now = Timestamp::now();
    let prefix = format!("{}:role.", d.data.name);
    let mut out: Vec<String> = st.zms.read(|all| {
        d.data
            .roles
            .iter()
            .filter(|r| d.compiled.has_role_member(all, &r.name, principal, now))
            .filter_map(|r| r.name.strip_prefix(&prefix).map(str::to_string))
            .collect()
    });
    out.sort();
    out.dedup();
    out
}

/// The `tokenExpiryMins` caps of the domain and of the granted roles.
pub fn token_caps(d: &crate::zmsdata::ZtsDomain, roles: &[String]) -> Vec<i32> {
    let prefix = format!("{}:role.", d.data.name);
    let mut caps: Vec<i32> = d.data.meta.token_expiry_mins.into_iter().collect();
    caps.extend(
        d.data
            .roles
            .iter()
            .filter(|r| {
                r.name
                    .strip_prefix(&prefix)
                    .is_some_and(|n| roles.iter().any(|g| g == n))
            })
            .filter_map(|r| r.token_expiry_mins),
    );
    caps
}

/// base64url (no padding) SHA-256 of a certificate: the `x5t#S256` of RFC 8705.
pub fn cert_thumbprint(der: &[u8]) -> String {
    use base64::Engine as _;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}
