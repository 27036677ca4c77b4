//! ZTS v1 wire types for the instance API (`core/zts/src/main/rdl/Instance.rdli`,
//! `InstanceProvider.rdli`): camelCase names, optional fields left out when empty. Request bodies
//! refuse unknown fields so a typo is reported, not silently dropped.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `InstanceRegisterInformation`: body of `POST /zts/v1/instance`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InstanceRegisterInformation {
    /// Provider service name (`athenz.aws.us-west-2`, `sys.openstack.cluster1`).
    pub provider: String,
    /// Domain of the requested identity.
    pub domain: String,
    /// Service of the requested identity.
    pub service: String,
    /// Opaque proof passed to the provider.
    #[serde(default)]
    pub attestation_data: String,
    /// PEM PKCS#10 request.
    #[serde(default)]
    pub csr: String,
    /// Deprecated SSH request (ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh: Option<String>,
    /// SSH certificate request (not supported; ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_cert_request: Option<serde_json::Value>,
    /// Also return a service token (not supported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<bool>,
    /// Requested lifetime in minutes (capped by the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_time: Option<i32>,
    /// Hostname; must match an `athenz://hostname/` URI in the CSR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Extra names allowed as SAN DNS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_cnames: Option<Vec<String>>,
    /// Return the Athenz JWKs (not supported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub athenz_jwk: Option<bool>,
    /// JWK freshness marker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub athenz_jwk_modified: Option<String>,
    /// SPIFFE namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Cloud name, forwarded to the provider as `instanceCloud`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud: Option<String>,
    /// Requested X.509 signer key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x509_cert_signer_key_id: Option<String>,
    /// Requested SSH signer key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_cert_signer_key_id: Option<String>,
    /// Fallback instance id when the CSR carries none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x509_cert_instance_id: Option<String>,
}

/// `InstanceRefreshInformation`: body of `POST /zts/v1/instance/{provider}/{domain}/{service}/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InstanceRefreshInformation {
    /// Opaque proof passed to the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation_data: Option<String>,
    /// PEM PKCS#10 request (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csr: Option<String>,
    /// Deprecated SSH request (ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh: Option<String>,
    /// SSH certificate request (ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_cert_request: Option<serde_json::Value>,
    /// Service token (not supported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<bool>,
    /// Requested lifetime in minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_time: Option<i32>,
    /// Hostname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Extra SAN DNS names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_cnames: Option<Vec<String>>,
    /// JWKs (not supported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub athenz_jwk: Option<bool>,
    /// JWK freshness marker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub athenz_jwk_modified: Option<String>,
    /// SPIFFE namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Cloud name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud: Option<String>,
    /// Requested X.509 signer key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x509_cert_signer_key_id: Option<String>,
    /// Requested SSH signer key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_cert_signer_key_id: Option<String>,
}

/// `InstanceIdentity`: the answer of register (201) and refresh (200).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct InstanceIdentity {
    /// Provider that confirmed the instance.
    pub provider: String,
    /// `domain.service`.
    pub name: String,
    /// Instance id.
    pub instance_id: String,
    /// Issued certificate (PEM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x509_certificate: Option<String>,
    /// CA chain (PEM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x509_certificate_signer: Option<String>,
    /// SSH certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_certificate: Option<String>,
    /// SSH CA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_certificate_signer: Option<String>,
    /// Service token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_token: Option<String>,
    /// Attributes the provider returned, minus ZTS's control keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<BTreeMap<String, String>>,
}

/// `InstanceConfirmation`: what ZTS sends a provider and the provider answers
/// (`POST <endpoint>/instance` and `/refresh`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct InstanceConfirmation {
    /// Provider service name.
    pub provider: String,
    /// Domain.
    pub domain: String,
    /// Service.
    pub service: String,
    /// The instance's proof, as sent to ZTS.
    pub attestation_data: String,
    /// Attributes: ZTS's request facts (`instanceId`, `clientIP`, `sanDNS`, …) out, the
    /// provider's decisions (`certExpiryTime`, `certUsage`, `certRefresh`, …) back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<BTreeMap<String, String>>,
}

/// `CertificateAuthorityBundle`: `GET /zts/v1/cacerts/{name}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateAuthorityBundle {
    /// Bundle name.
    pub name: String,
    /// PEM certificates.
    pub certs: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_information_shape() {
        let r: InstanceRegisterInformation = serde_json::from_str(
            r#"{"provider":"p.x","domain":"d","service":"s","attestationData":"a","csr":"c","expiryTime":60}"#,
        )
        .unwrap();
        assert_eq!(r.expiry_time, Some(60));
        let e = serde_json::from_str::<InstanceRegisterInformation>(
            r#"{"provider":"p","domain":"d","service":"s","nope":1}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("nope"));
        let id = InstanceIdentity {
            provider: "p".into(),
            name: "d.s".into(),
            instance_id: "i".into(),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            r#"{"provider":"p","name":"d.s","instanceId":"i"}"#
        );
    }
}
