//! The OpenStack [`Attestor`]: the proof is the provider's own token, which Nova served at boot,
//! so attesting is reading the metadata again (every call, so a daemon that outlives a
//! metadata change sends what is current). The provider checks the token names this instance
//! and asks Nova about the server; here nothing is verified.

use crate::error::Result;
use crate::metadata::{Instance, Reader};
use async_trait::async_trait;
use sia_core::{Attestation, Attestor};

/// Attests an OpenStack VM to `provider`.
#[derive(Debug, Clone)]
pub struct OpenStackAttestor {
    reader: Reader,
    provider: String,
}

impl OpenStackAttestor {
    /// `provider` is the provider service (`-provider`, e.g. `sys.openstack.cluster1`).
    pub fn new(reader: Reader, provider: &str) -> Self {
        Self {
            reader,
            provider: provider.to_string(),
        }
    }

    /// Reads the metadata (the agent needs the project and the identity before it attests).
    pub async fn instance(&self) -> Result<Instance> {
        self.reader.instance().await
    }

    /// The attestation an [`Instance`] gives: provider, the server uuid as instance id, the
    /// token as is (at register and refresh alike), the fixed IPs as SAN IPs.
    pub fn attestation(&self, instance: Instance) -> Attestation {
        Attestation {
            provider: self.provider.clone(),
            instance_id: instance.meta.uuid,
            attestation_data: instance.token,
            ips: instance.ips,
            cloud: None,
        }
    }
}

#[async_trait]
impl Attestor for OpenStackAttestor {
    async fn attest(
        &self,
        _domain: &str,
        _service: &str,
        _refresh: bool,
    ) -> sia_core::Result<Attestation> {
        Ok(self.attestation(self.instance().await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::{LATEST, Source};

    #[tokio::test]
    async fn attests_with_the_token_as_is_and_rereads_every_time() {
        let d = tempfile::tempdir().unwrap();
        let latest = d.path().join(LATEST);
        std::fs::create_dir_all(&latest).unwrap();
        let write = |token: &str| {
            std::fs::write(
                latest.join("meta_data.json"),
                r#"{"uuid": "u-1", "meta": {"athenz_domain": "weather"}}"#,
            )
            .unwrap();
            std::fs::write(
                latest.join("vendor_data2.json"),
                format!(r#"{{"athenz": {{"attestation": "{token}"}}}}"#),
            )
            .unwrap();
            std::fs::write(
                latest.join("network_data.json"),
                r#"{"networks": [{"ip_address": "192.0.2.7"}]}"#,
            )
            .unwrap();
        };
        write("t.one.sig");
        let reader = Reader::new(Source::ConfigDrive(d.path().to_path_buf())).unwrap();
        let a = OpenStackAttestor::new(reader, "sys.openstack.cluster1");
        let att = a.attest("weather", "api", false).await.unwrap();
        assert_eq!(att.provider, "sys.openstack.cluster1");
        assert_eq!(att.instance_id, "u-1");
        assert_eq!(att.attestation_data, "t.one.sig");
        assert_eq!(att.ips, ["192.0.2.7".parse::<std::net::IpAddr>().unwrap()]);
        assert_eq!(att.cloud, None);
        write("t.two.sig");
        let att = a.attest("weather", "api", true).await.unwrap();
        assert_eq!(att.attestation_data, "t.two.sig");
        std::fs::remove_file(latest.join("vendor_data2.json")).unwrap();
        let e = a.attest("weather", "api", true).await.unwrap_err();
        assert!(
            matches!(&e, sia_core::Error::Attestation(m) if m.contains("vendor_data2.json")),
            "{e}"
        );
    }
}
