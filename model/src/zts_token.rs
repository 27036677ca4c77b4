//! ZTS token wire types: role certificates (`RoleCert.rdli`), role tokens (`Token.rdli`), OAuth2
//! access tokens and OpenID discovery (`OAuth.rdli`, `token/AccessToken.java`), access checks
//! (`Access.rdli`) and the `athenz.conf` files clients read ZTS's keys from
//! (`AthenzConfig.java`, `AthenzJWKConfig`). Reference `athenz.md` §1.6–§1.9, §4.5.

use crate::Timestamp;
use crate::jwt::JwkList;
use serde::{Deserialize, Serialize};

/// `POST /rolecert` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleCertificateRequest {
    /// PEM CSR with CN `<domain>:role.<role>`.
    pub csr: String,
    /// The principal the caller acts for (proxy requests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_for_principal: Option<String>,
    /// Requested lifetime in minutes; 0 means the server default. Required in Athenz's RDL.
    pub expiry_time: i64,
    /// The previous certificate's notBefore (signing priority only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_cert_not_before: Option<Timestamp>,
    /// The previous certificate's notAfter (signing priority only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_cert_not_after: Option<Timestamp>,
    /// Signer key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x509_cert_signer_key_id: Option<String>,
}

/// `POST /rolecert` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleCertificate {
    /// The role certificate (PEM).
    pub x509_certificate: String,
}

/// `GET /domain/{domain}/token` answer: a `v=Z1;…;s=…` role token and its expiry (epoch seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleToken {
    /// The token.
    pub token: String,
    /// Expiry, seconds since the epoch.
    pub expiry_time: i64,
}

/// `POST /oauth2/token` answer (RFC 6749 §5.1 names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenResponse {
    /// The JWT.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Lifetime in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<i64>,
    /// Granted scope, when it differs from the request or a `:domain` scope was asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Not issued by us.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// With the `openid` scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

/// `cnf` claim (RFC 8705 §3.1): the SHA-256 thumbprint of the client certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// base64url (no padding) SHA-256 of the certificate DER.
    #[serde(rename = "x5t#S256", default, skip_serializing_if = "Option::is_none")]
    pub x5t_s256: Option<String>,
}

/// Claims of an Athenz access token (`AccessToken.java`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    /// Always 1.
    pub ver: i32,
    /// Unique id.
    pub jti: String,
    /// Audience: the domain (or `<domain>:<role>` with `role_in_aud_claim`).
    pub aud: String,
    /// The caller.
    pub client_id: String,
    /// The caller.
    pub uid: String,
    /// The caller.
    pub sub: String,
    /// Issuer.
    pub iss: String,
    /// Issued at.
    pub iat: i64,
    /// Authentication time.
    pub auth_time: i64,
    /// Expiry.
    pub exp: i64,
    /// Short role names.
    pub scp: Vec<String>,
    /// The proxied principal's caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
    /// Certificate binding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
}

/// `/.well-known/openid-configuration` (Athenz `OpenIDConfig`) plus the RFC 8414 token endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenIdConfiguration {
    /// Issuer.
    pub issuer: String,
    /// `…/oauth2/auth`.
    pub authorization_endpoint: String,
    /// `…/oauth2/token`.
    pub token_endpoint: String,
    /// `…/oauth2/keys`.
    pub jwks_uri: String,
    /// `["id_token"]`.
    pub response_types_supported: Vec<String>,
    /// `["public"]`.
    pub subject_types_supported: Vec<String>,
    /// `["RS256","ES256"]`.
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// `["client_credentials"]`.
    pub grant_types_supported: Vec<String>,
}

/// `GET /access/…` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceAccess {
    /// Whether access is granted.
    pub granted: bool,
}

/// `GET /access/domain/{d}/principal/{p}` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleAccess {
    /// Role names.
    pub roles: Vec<String>,
}

/// One `{id, key}` public key entry; `key` is the ybase64 of the PEM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKeyEntry {
    /// Key id.
    pub id: String,
    /// ybase64 PEM.
    pub key: String,
}

/// `$ROOT/conf/athenz/athenz.conf`: where ZMS/ZTS are and their public keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AthenzConf {
    /// ZMS base URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zms_url: Option<String>,
    /// ZTS base URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zts_url: Option<String>,
    /// ZTS keys.
    #[serde(default)]
    pub zts_public_keys: Vec<PublicKeyEntry>,
    /// ZMS keys.
    #[serde(default)]
    pub zms_public_keys: Vec<PublicKeyEntry>,
}

/// `/var/lib/sia/athenz.conf` (`AthenzJWKConfig`): ZMS and ZTS keys as JWK sets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AthenzJwkConfig {
    /// ZMS keys.
    #[serde(default)]
    pub zms: JwkList,
    /// ZTS keys.
    #[serde(default)]
    pub zts: JwkList,
    /// When the key set last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<Timestamp>,
}
