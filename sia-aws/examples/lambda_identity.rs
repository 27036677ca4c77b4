//! A Lambda function that gets its Athenz service identity at cold start with
//! `sia_aws::lambda::get_service_identity` and answers each invocation with the identity's name
//! and certificate (never the key). Configuration comes from the function's environment:
//! `ATHENZ_DOMAIN`, `ATHENZ_SERVICE`, `ATHENZ_ACCOUNT`, `ZTS_URL` (`https://host:port/zts/v1`),
//! `ATHENZ_DNS_DOMAINS` (comma list), optional `ZTS_CA_FILE`; the execution role credentials and
//! `AWS_REGION` are Lambda's own.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use sia_aws::lambda::{LambdaIdentityRequest, ServiceIdentity, get_service_identity};
use std::sync::Arc;

fn var(name: &str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| Error::from(format!("{name} is not set")))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let mut req = LambdaIdentityRequest::new(
        &var("ATHENZ_DOMAIN")?,
        &var("ATHENZ_SERVICE")?,
        &var("ATHENZ_ACCOUNT")?,
        &var("ZTS_URL")?,
    );
    req.dns_domains = var("ATHENZ_DNS_DOMAINS")?
        .split(',')
        .map(str::to_string)
        .collect();
    req.zts_ca_file = std::env::var("ZTS_CA_FILE").ok().map(Into::into);
    // Cold start: one registration per execution environment.
    let identity: Arc<ServiceIdentity> = Arc::new(get_service_identity(&req).await?);
    lambda_runtime::run(service_fn(move |_event: LambdaEvent<serde_json::Value>| {
        let identity = Arc::clone(&identity);
        async move {
            Ok::<_, Error>(serde_json::json!({
                "name": identity.name,
                "instanceId": identity.instance_id,
                "certificate": identity.cert_pem,
            }))
        }
    }))
    .await
}
