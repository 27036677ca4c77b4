//! The built-in EC2 provider (`InstanceAWSProvider`; reference §3.2, §3.3). Register and refresh
//! run the same checks, except that the boot window applies to register only:
//! attestation role = the service; SAN DNS under `aws.dns_suffix`; the identity document's PKCS7
//! signature by AWS's certificate for its region; provider named for that region; document
//! account one of the domain's; document instance id = the CSR's; `pendingTime` within
//! `aws.boot_time_offset`; SAN IPs = the private IP when `aws.validate_ip_address`; the role
//! proven with STS; and, ours, the instance alive in EC2 when `aws.liveness` is on. Without a
//! document the certificate is capped at `aws.cert_validity_sts_only` days, as Athenz does.

use super::aws::{self, Attestation, AwsContext, document};
use super::{Provider, ProviderError};
use model::zts::InstanceConfirmation;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One EC2 provider service (e.g. `athenz.aws.us-west-2`).
#[derive(Debug)]
pub struct Ec2Provider {
    name: String,
    ctx: Arc<AwsContext>,
}

impl Ec2Provider {
    /// For provider `name`.
    pub fn new(name: &str, ctx: Arc<AwsContext>) -> Self {
        Self {
            name: name.to_string(),
            ctx,
        }
    }

    async fn validate(
        &self,
        c: &InstanceConfirmation,
        register: bool,
    ) -> Result<InstanceConfirmation, ProviderError> {
        let settings = &self.ctx.settings;
        let attrs = c.attributes.clone().unwrap_or_default();
        let att = Attestation::parse(&c.attestation_data)?;
        let accounts = aws::accounts(&attrs)?;
        aws::check_role(&att.role, &c.domain, &c.service)?;
        aws::check_san_dns(&settings.dns_suffixes, &c.domain, &c.service, &attrs)?;
        let mut out = BTreeMap::new();
        if let Some(text) = att.document() {
            let doc = self.check_document(text, &att, &attrs, &accounts, register)?;
            let account =
                aws::prove_role(&self.ctx, &att, std::slice::from_ref(&doc.account_id)).await?;
            if let Some(live) = &self.ctx.liveness {
                live.check(
                    &account,
                    &doc.region,
                    &doc.instance_id,
                    doc.private_ip.as_deref(),
                )
                .await?;
            }
            out.insert("certSSH".to_string(), "true".to_string());
            if let Some(ip) = &doc.private_ip {
                out.insert("instancePrivateIp".to_string(), ip.clone());
            }
        } else {
            aws::prove_role(&self.ctx, &att, &accounts).await?;
            out.insert("certSSH".to_string(), "false".to_string());
            out.insert(
                "certExpiryTime".to_string(),
                settings.sts_only_minutes.to_string(),
            );
        }
        Ok(InstanceConfirmation {
            attributes: Some(out),
            ..c.clone()
        })
    }

    fn check_document(
        &self,
        text: &str,
        att: &Attestation,
        attrs: &BTreeMap<String, String>,
        accounts: &[String],
        register: bool,
    ) -> Result<document::IdentityDocument, ProviderError> {
        let refuse = ProviderError::Refused;
        let settings = &self.ctx.settings;
        let doc = document::IdentityDocument::parse(text).map_err(refuse)?;
        let signature = att
            .signature
            .as_deref()
            .ok_or_else(|| refuse("the identity document has no signature".into()))?;
        document::verify_signature(text, signature, settings.certs_for(&doc.region))
            .map_err(refuse)?;
        if !self.name.ends_with(&format!(".{}", doc.region)) {
            return Err(refuse(format!(
                "provider {} does not serve the document's region {}",
                self.name, doc.region
            )));
        }
        if !accounts.contains(&doc.account_id) {
            return Err(refuse(format!(
                "document account {} is not the domain's account",
                doc.account_id
            )));
        }
        if attrs.get("instanceId") != Some(&doc.instance_id) {
            return Err(refuse(format!(
                "document instance id {} does not match the CSR's",
                doc.instance_id
            )));
        }
        if register && settings.boot_time_offset > 0 {
            let pending = doc.pending().map_err(refuse)?;
            let age = time::OffsetDateTime::now_utc() - pending;
            if age.whole_seconds() > settings.boot_time_offset {
                return Err(refuse(format!(
                    "instance boot time {} is older than {} s: register only right after boot",
                    doc.pending_time.as_deref().unwrap_or(""),
                    settings.boot_time_offset
                )));
            }
        }
        if settings.validate_ip_address {
            let private = doc.private_ip.as_deref().unwrap_or("");
            if let Some(ips) = attrs.get("sanIP")
                && ips.split(',').any(|ip| ip != private)
            {
                return Err(refuse(format!(
                    "SAN IP {ips} is not the instance's private IP {private}"
                )));
            }
        }
        Ok(doc)
    }
}

#[async_trait::async_trait]
impl Provider for Ec2Provider {
    async fn confirm(
        &self,
        c: &InstanceConfirmation,
    ) -> Result<InstanceConfirmation, ProviderError> {
        self.validate(c, true).await
    }

    async fn refresh(
        &self,
        c: &InstanceConfirmation,
    ) -> Result<InstanceConfirmation, ProviderError> {
        self.validate(c, false).await
    }
}
