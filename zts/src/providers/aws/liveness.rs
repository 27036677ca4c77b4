//! Beyond Athenz: liveness. At register and at every refresh ZTS asks EC2 `DescribeInstances`,
//! through a role it assumes in the instance's account, whether the instance exists, is running
//! and has the document's private IP, so a terminated instance's identity cannot be refreshed
//! even with a stolen key and credentials that are still valid.

use crate::providers::ProviderError;
use aws_config::SdkConfig;
use aws_sdk_ec2::config::Region;
use aws_sdk_ec2::error::SdkError;
use aws_sdk_ec2::types::InstanceStateName;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// EC2 clients per (account, region), each with credentials of the assumed liveness role.
#[derive(Debug)]
pub struct Liveness {
    sdk: SdkConfig,
    role: String,
    timeout: Duration,
    clients: Mutex<HashMap<(String, String), aws_sdk_ec2::Client>>,
}

impl Liveness {
    /// `role` is a role name, or an ARN in which `{account}` stands for the instance's account.
    pub fn new(sdk: SdkConfig, role: String, timeout: Duration) -> Self {
        Self {
            sdk,
            role,
            timeout,
            clients: Mutex::new(HashMap::new()),
        }
    }

    fn role_arn(&self, account: &str) -> String {
        if self.role.starts_with("arn:") {
            self.role.replace("{account}", account)
        } else {
            format!("arn:aws:iam::{account}:role/{}", self.role)
        }
    }

    async fn client(&self, account: &str, region: &str) -> aws_sdk_ec2::Client {
        let key = (account.to_string(), region.to_string());
        if let Ok(cache) = self.clients.lock()
            && let Some(c) = cache.get(&key)
        {
            return c.clone();
        }
        let creds = aws_config::sts::AssumeRoleProvider::builder(self.role_arn(account))
            .session_name("athenz-zts-liveness")
            .region(Region::new(region.to_string()))
            .configure(&self.sdk)
            .build()
            .await;
        let conf = aws_sdk_ec2::config::Builder::from(&self.sdk)
            .credentials_provider(creds)
            .region(Region::new(region.to_string()))
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .operation_timeout(self.timeout)
                    .build(),
            )
            .build();
        let client = aws_sdk_ec2::Client::from_conf(conf);
        if let Ok(mut cache) = self.clients.lock() {
            cache.insert(key, client.clone());
        }
        client
    }

    /// The instance exists in `account`/`region`, is running, and has `private_ip`.
    pub async fn check(
        &self,
        account: &str,
        region: &str,
        instance_id: &str,
        private_ip: Option<&str>,
    ) -> Result<(), ProviderError> {
        let out = self
            .client(account, region)
            .await
            .describe_instances()
            .instance_ids(instance_id)
            .send()
            .await
            .map_err(|e| match &e {
                SdkError::ServiceError(s) => {
                    let code = s.err().meta().code().unwrap_or("unknown error");
                    if code.starts_with("InvalidInstanceID") {
                        ProviderError::Refused(format!(
                            "liveness: instance {instance_id} not found in EC2"
                        ))
                    } else {
                        ProviderError::Unreachable(format!(
                            "liveness: EC2 DescribeInstances failed: {code}"
                        ))
                    }
                }
                _ => ProviderError::Unreachable(format!(
                    "liveness: EC2 DescribeInstances failed: {e}"
                )),
            })?;
        let instance = out
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .find(|i| i.instance_id() == Some(instance_id))
            .ok_or_else(|| {
                ProviderError::Refused(format!("liveness: instance {instance_id} not found in EC2"))
            })?;
        let state = instance.state().and_then(|s| s.name());
        if state != Some(&InstanceStateName::Running) {
            let shown = state.map_or("unknown", |s| s.as_str());
            return Err(ProviderError::Refused(format!(
                "liveness: instance {instance_id} is {shown}, not running"
            )));
        }
        if let Some(ip) = private_ip
            && instance.private_ip_address() != Some(ip)
        {
            return Err(ProviderError::Refused(format!(
                "liveness: instance {instance_id} does not have private IP {ip}"
            )));
        }
        Ok(())
    }
}
