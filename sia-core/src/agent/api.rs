//! The two seams of the agent: the platform's [`Attestor`] and the ZTS calls ([`ZtsApi`]).

use crate::error::Result;
use crate::zts::ZtsClient;
use async_trait::async_trait;
use model::zts::{InstanceIdentity, InstanceRefreshInformation, InstanceRegisterInformation};
use model::zts_token::{AccessTokenResponse, RoleCertificate, RoleCertificateRequest};
use std::net::IpAddr;

/// What a platform proves about the instance, for one service.
#[derive(Clone, PartialEq, Eq)]
pub struct Attestation {
    /// Provider service name (`athenz.aws.us-west-2`).
    pub provider: String,
    /// Instance id, as the provider will confirm it.
    pub instance_id: String,
    /// Opaque proof for the provider (for AWS: `AWSAttestationData` JSON, with credentials).
    pub attestation_data: String,
    /// SAN IP addresses.
    pub ips: Vec<IpAddr>,
    /// `cloud` request field, when the platform names one.
    pub cloud: Option<String>,
}

impl std::fmt::Debug for Attestation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The attestation data can hold credentials: never print it.
        f.debug_struct("Attestation")
            .field("provider", &self.provider)
            .field("instance_id", &self.instance_id)
            .field("ips", &self.ips)
            .field("cloud", &self.cloud)
            .finish_non_exhaustive()
    }
}

/// The one thing a platform implements: proof of where the agent runs, fresh on every call.
#[async_trait]
pub trait Attestor: Send + Sync {
    /// Attests for `domain.service`; `refresh` tells whether this is for a refresh (some
    /// platforms skip checks that only matter at first registration).
    async fn attest(&self, domain: &str, service: &str, refresh: bool) -> Result<Attestation>;
}

/// The ZTS calls the agent makes ([`ZtsClient`] over HTTPS; a fake in tests).
#[async_trait]
pub trait ZtsApi: Send + Sync {
    /// `POST /instance`.
    async fn register(&self, info: &InstanceRegisterInformation) -> Result<InstanceIdentity>;
    /// `POST /instance/{provider}/{domain}/{service}/{instanceId}` over mTLS.
    #[allow(clippy::too_many_arguments, reason = "mirrors the Athenz refresh path")]
    async fn refresh(
        &self,
        provider: &str,
        domain: &str,
        service: &str,
        instance_id: &str,
        info: &InstanceRefreshInformation,
        cert_pem: &str,
        key_pem: &str,
    ) -> Result<InstanceIdentity>;
    /// `POST /rolecert` over mTLS with the service identity `cert_pem`/`key_pem`.
    async fn role_certificate(
        &self,
        req: &RoleCertificateRequest,
        cert_pem: &str,
        key_pem: &str,
    ) -> Result<RoleCertificate>;
    /// `POST /oauth2/token` (urlencoded `form`) over mTLS with the service identity.
    async fn access_token(
        &self,
        form: &str,
        cert_pem: &str,
        key_pem: &str,
    ) -> Result<AccessTokenResponse>;
}

#[async_trait]
impl ZtsApi for ZtsClient {
    async fn register(&self, info: &InstanceRegisterInformation) -> Result<InstanceIdentity> {
        ZtsClient::register(self, info).await
    }
    async fn refresh(
        &self,
        provider: &str,
        domain: &str,
        service: &str,
        instance_id: &str,
        info: &InstanceRefreshInformation,
        cert_pem: &str,
        key_pem: &str,
    ) -> Result<InstanceIdentity> {
        ZtsClient::refresh(
            self,
            provider,
            domain,
            service,
            instance_id,
            info,
            cert_pem,
            key_pem,
        )
        .await
    }
    async fn role_certificate(
        &self,
        req: &RoleCertificateRequest,
        cert_pem: &str,
        key_pem: &str,
    ) -> Result<RoleCertificate> {
        ZtsClient::role_certificate(self, req, cert_pem, key_pem).await
    }
    async fn access_token(
        &self,
        form: &str,
        cert_pem: &str,
        key_pem: &str,
    ) -> Result<AccessTokenResponse> {
        ZtsClient::access_token(self, form, cert_pem, key_pem).await
    }
}
