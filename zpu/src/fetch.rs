//! ZTS calls: the signed policies of a domain (legacy `GET …/signed_policy_data` or JWS
//! `POST …/policy/signed` with `signatureP1363Format`, as Go ZPU sends) and ZTS's JWKS.

use crate::config::Settings;
use anyhow::{Context, bail};
use model::crypto::VerifyingKey;
use rustls_pki_types::pem::PemObject as _;
use std::time::Duration;

/// The HTTPS client: the CA bundle trusted, the service certificate presented.
pub fn client(s: &Settings) -> anyhow::Result<reqwest::Client> {
    let mut b = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60));
    if let Some(ca) = &s.ca_file {
        let pem = std::fs::read(ca).with_context(|| format!("reading {}", ca.display()))?;
        b = b.tls_certs_only(Vec::new());
        for c in rustls_pki_types::CertificateDer::pem_slice_iter(&pem) {
            let c = c.with_context(|| format!("CA certificate in {}", ca.display()))?;
            b = b.add_root_certificate(reqwest::Certificate::from_der(c.as_ref())?);
        }
    }
    match (&s.cert_file, &s.key_file) {
        (Some(cert), Some(key)) => {
            let mut pem =
                std::fs::read(cert).with_context(|| format!("reading {}", cert.display()))?;
            pem.push(b'\n');
            pem.extend(std::fs::read(key).with_context(|| format!("reading {}", key.display()))?);
            b = b
                .identity(reqwest::Identity::from_pem(&pem).context("client certificate and key")?);
        }
        (None, None) => {}
        _ => bail!("certFile and privateKeyFile go together"),
    }
    Ok(b.build()?)
}

/// The domain's policies, or `None` on 304.
pub async fn policies(
    client: &reqwest::Client,
    s: &Settings,
    domain: &str,
    etag: Option<&str>,
) -> anyhow::Result<Option<Vec<u8>>> {
    let mut req = if s.jws {
        client
            .post(format!("{}/domain/{domain}/policy/signed", s.zts_url))
            .json(&serde_json::json!({
                "policyVersions": s.policy_versions,
                "signatureP1363Format": true,
            }))
    } else {
        client.get(format!("{}/domain/{domain}/signed_policy_data", s.zts_url))
    };
    if let Some(tag) = etag {
        req = req.header("If-None-Match", tag);
    }
    let resp = req
        .send()
        .await
        .with_context(|| format!("{domain}: ZTS unreachable"))?;
    let status = resp.status();
    if status == reqwest::StatusCode::NOT_MODIFIED {
        return Ok(None);
    }
    let body = resp.bytes().await?;
    if !status.is_success() {
        bail!(
            "{domain}: ZTS answered {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(512)])
        );
    }
    Ok(Some(body.to_vec()))
}

/// ZTS's token-signing keys from `GET /oauth2/keys?rfc=true`.
pub async fn zts_jwks(
    client: &reqwest::Client,
    zts_url: &str,
) -> anyhow::Result<Vec<(String, VerifyingKey)>> {
    let list: model::jwt::JwkList = client
        .get(format!("{zts_url}/oauth2/keys?rfc=true"))
        .send()
        .await
        .context("fetching ZTS keys")?
        .error_for_status()?
        .json()
        .await?;
    list.keys
        .iter()
        .map(|k| Ok((k.kid.clone(), k.to_key()?)))
        .collect()
}
