//! Running the real `siad` against a world, and raw register requests for the cases an honest
//! agent cannot produce (another region's provider, another account's document, another role).

use crate::moto::Keys;
use crate::world::{DNS_SUFFIX, World, aws_env};
use rcgen::{CertificateParams, DnType, KeyPair, SanType};
use serde_json::{Value, json};
use std::process::Output;

pub use testkit::agent::Agent;

impl World {
    /// An agent for `weather.api` with its own directories under the state dir; `extra` keys are
    /// merged into its sia_config.
    pub fn agent(&self, name: &str, extra: Value) -> Agent {
        let base = self.path().join(name);
        let key_dir = base.join("keys");
        let cert_dir = base.join("certs");
        let mut config = json!({
            "version": "1.0.0",
            "service": "api",
            "accounts": [{"domain": "weather", "service": "api", "account": self.aws.account}],
            "sia_key_dir": key_dir,
            "sia_cert_dir": cert_dir,
            "sia_token_dir": base.join("tokens"),
        });
        if let (Some(c), Value::Object(e)) = (config.as_object_mut(), extra) {
            c.extend(e);
        }
        std::fs::create_dir_all(&base).unwrap();
        let path = base.join("sia_config");
        std::fs::write(&path, serde_json::to_vec_pretty(&config).unwrap()).unwrap();
        Agent {
            config: path,
            key_dir,
            cert_dir,
        }
    }

    /// The `siad` command for `agent`, with the Athenz flags, pointed at this world.
    pub fn siad_command(&self, agent: &Agent, dns: &str, args: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(testkit::workspace_bin("siad"));
        cmd.args(["-zts", "127.0.0.1", "-ztsport", &self.zts_port.to_string()])
            .arg("-ztscacert")
            .arg(self.path().join("ca.cert.pem"))
            .args(["-dnsdomains", dns, "-providerprefix", "athenz.aws"])
            .arg("-config")
            .arg(&agent.config)
            .args(["-meta", &self.imds.url])
            .args(args)
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .kill_on_drop(true);
        for (k, v) in aws_env(&self.moto.url) {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs `siad -cmd <cmd>` to completion.
    pub async fn siad(&self, agent: &Agent, cmd: &str) -> Output {
        self.siad_command(agent, DNS_SUFFIX, &["-cmd", cmd])
            .output()
            .await
            .unwrap()
    }

    /// Deletes the certificate records of `instance_id` under every EC2 provider (as the domain
    /// admin), so a raw register can start over.
    pub async fn delete_instance(&self, instance_id: &str) {
        let c = testkit::admin(self.path());
        for provider in [crate::world::EC2_PROVIDER, crate::world::EC2_OTHER_REGION] {
            let r = c
                .delete(format!(
                    "{}/zts/v1/instance/{provider}/weather/api/{instance_id}",
                    self.zts_url()
                ))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "delete {provider}: {}", r.status());
        }
    }

    /// A raw `POST /zts/v1/instance` for `weather.api` with the given attestation parts.
    pub async fn register_raw(
        &self,
        provider: &str,
        document: Option<&str>,
        signature: Option<&str>,
        creds: &Keys,
        instance_id: &str,
    ) -> (u16, Value) {
        let mut att = json!({"role": "weather.api", "access": creds.access, "secret": creds.secret, "token": creds.token});
        if let (Some(d), Some(s)) = (document, signature) {
            att["document"] = json!(d);
            att["signature"] = json!(s);
        }
        let (_, csr) = csr(provider, instance_id, &format!("api.weather.{DNS_SUFFIX}"));
        let body = json!({"provider": provider, "domain": "weather", "service": "api",
            "attestationData": att.to_string(), "csr": csr});
        let r = testkit::client(self.path(), None)
            .post(format!("{}/zts/v1/instance", self.zts_url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

/// A CSR for `weather.api` as the Athenz SIA makes it.
pub fn csr(provider: &str, instance_id: &str, dns: &str) -> (KeyPair, String) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(vec![dns.to_string()]).unwrap();
    p.distinguished_name.push(DnType::CommonName, "weather.api");
    p.subject_alt_names
        .push(SanType::URI("spiffe://weather/sa/api".try_into().unwrap()));
    p.subject_alt_names.push(SanType::URI(
        format!("athenz://instanceid/{provider}/{instance_id}")
            .try_into()
            .unwrap(),
    ));
    let pem = p.serialize_request(&key).unwrap().pem().unwrap();
    (key, pem)
}
