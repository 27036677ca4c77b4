//! Services: identities with public keys (sent ybase64-encoded, as Athenz does) and the
//! provider endpoint system attribute. Key ids are shown, key material never.

use super::{Ctx, pretty};
use crate::error::{CliError, Result};
use crate::table::{Table, key_values, or_none};
use model::names::service_full_name;
use model::zms::{PublicKeyEntry, ServiceIdentity, ServiceIdentitySystemMeta};
use serde_json::Value;
use std::path::Path;

/// Key id used when `add-service --public-key` is given without `--key-id` (Athenz's default).
pub const DEFAULT_KEY_ID: &str = "0";

/// Services as a table: NAME, PROVIDER-ENDPOINT, KEY-IDS.
pub fn table(domain: &str, services: &[ServiceIdentity]) -> Table {
    let mut t = Table::new(&["NAME", "PROVIDER-ENDPOINT", "KEY-IDS"]);
    let prefix = format!("{domain}.");
    for s in services {
        let short = s.name.strip_prefix(&prefix).unwrap_or(&s.name);
        let ids: Vec<&str> = s
            .public_keys
            .iter()
            .flatten()
            .map(|k| k.id.as_str())
            .collect();
        t.row([
            short.to_string(),
            or_none(s.provider_endpoint.clone().unwrap_or_default()),
            or_none(ids.join(",")),
        ]);
    }
    t
}

/// Reads a PEM public key file and returns its ybase64 encoding. A private key is refused, so
/// that it is never sent; errors name the file only.
pub fn read_public_key(path: &Path) -> Result<String> {
    let pem = std::fs::read_to_string(path)
        .map_err(|e| CliError::usage(format!("cannot read public key {}: {e}", path.display())))?;
    if pem.contains("PRIVATE KEY") {
        return Err(CliError::usage(format!(
            "{} holds a private key; give the public key (openssl pkey -pubout)",
            path.display()
        )));
    }
    if !pem.contains("-----BEGIN PUBLIC KEY-----")
        && !pem.contains("-----BEGIN RSA PUBLIC KEY-----")
    {
        return Err(CliError::usage(format!(
            "{} is not a PEM public key",
            path.display()
        )));
    }
    Ok(model::ybase64::encode(pem.as_bytes()))
}

/// `add-service DOMAIN SERVICE [--key-id ID --public-key FILE]`: `PUT /domain/{d}/service/{s}`.
pub async fn add(
    ctx: &Ctx,
    domain: &str,
    service: &str,
    key_id: Option<String>,
    public_key: Option<&Path>,
) -> Result<String> {
    let public_keys = match public_key {
        Some(p) => Some(vec![PublicKeyEntry {
            key: read_public_key(p)?,
            id: key_id.unwrap_or_else(|| DEFAULT_KEY_ID.to_string()),
        }]),
        None => None,
    };
    let body = ServiceIdentity {
        name: service_full_name(domain, service),
        public_keys,
        ..ServiceIdentity::default()
    };
    let answer = ctx
        .client
        .put(&["domain", domain, "service", service], &body)
        .await?;
    Ok(ctx.done(
        answer.as_ref(),
        format!("added service {}", body.name.to_ascii_lowercase()),
    ))
}

/// `add-public-key DOMAIN SERVICE KEY_ID FILE`: `PUT …/service/{s}/publickey/{id}`.
pub async fn add_public_key(
    ctx: &Ctx,
    domain: &str,
    service: &str,
    key_id: &str,
    file: &Path,
) -> Result<String> {
    let body = PublicKeyEntry {
        key: read_public_key(file)?,
        id: key_id.to_string(),
    };
    let answer = ctx
        .client
        .put(
            &["domain", domain, "service", service, "publickey", key_id],
            &body,
        )
        .await?;
    let full = service_full_name(domain, service).to_ascii_lowercase();
    Ok(ctx.done(
        answer.as_ref(),
        format!("added public key {key_id} to {full}"),
    ))
}

/// `set-provider-endpoint DOMAIN SERVICE URL`: `PUT …/meta/system/providerendpoint`.
pub async fn set_provider_endpoint(
    ctx: &Ctx,
    domain: &str,
    service: &str,
    url: &str,
) -> Result<String> {
    let body = ServiceIdentitySystemMeta {
        provider_endpoint: Some(url.to_string()),
        ..Default::default()
    };
    let segments = [
        "domain",
        domain,
        "service",
        service,
        "meta",
        "system",
        "providerendpoint",
    ];
    let answer = ctx.client.put(&segments, &body).await?;
    let full = service_full_name(domain, service).to_ascii_lowercase();
    Ok(ctx.done(answer.as_ref(), format!("set provider endpoint of {full}")))
}

/// `delete-service DOMAIN SERVICE`.
pub async fn delete(ctx: &Ctx, domain: &str, service: &str) -> Result<String> {
    let answer = ctx
        .client
        .delete(&["domain", domain, "service", service])
        .await?;
    let full = service_full_name(domain, service).to_ascii_lowercase();
    Ok(ctx.done(answer.as_ref(), format!("deleted service {full}")))
}

/// `show-service DOMAIN SERVICE`: attributes and key ids.
pub async fn show(ctx: &Ctx, domain: &str, service: &str) -> Result<String> {
    let (s, raw): (ServiceIdentity, Value) = ctx
        .client
        .get_as(&["domain", domain, "service", service], &[])
        .await?;
    if ctx.json {
        return Ok(pretty(&raw));
    }
    let ids: Vec<&str> = s
        .public_keys
        .iter()
        .flatten()
        .map(|k| k.id.as_str())
        .collect();
    let mut pairs = vec![
        ("service".to_string(), s.name.clone()),
        (
            "provider-endpoint".into(),
            or_none(s.provider_endpoint.clone().unwrap_or_default()),
        ),
        ("key-ids".into(), or_none(ids.join(","))),
    ];
    if let Some(m) = s.modified {
        pairs.push(("modified".into(), m.to_string()));
    }
    Ok(key_values(&pairs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_keys_are_ybase64_and_private_keys_refused() {
        let dir = tempfile::tempdir().unwrap();
        let public = dir.path().join("pub.pem");
        let pem = "-----BEGIN PUBLIC KEY-----\nMFkw?>\n-----END PUBLIC KEY-----\n";
        std::fs::write(&public, pem).unwrap();
        let y = read_public_key(&public).unwrap();
        assert!(!y.contains(['+', '/', '=']), "{y}");
        assert_eq!(y, model::ybase64::encode(pem.as_bytes()));
        let private = dir.path().join("key.pem");
        std::fs::write(
            &private,
            "-----BEGIN PRIVATE KEY-----\nSECRET\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        let e = read_public_key(&private).unwrap_err();
        assert!(!e.to_string().contains("SECRET"), "{e}");
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn service_table_shows_key_ids_only() {
        let s = ServiceIdentity {
            name: "d.api".into(),
            provider_endpoint: Some("https://p".into()),
            public_keys: Some(vec![PublicKeyEntry {
                key: "S3CRET".into(),
                id: "0".into(),
            }]),
            ..ServiceIdentity::default()
        };
        let out = table("d", &[s]).render();
        assert_eq!(
            out,
            "NAME  PROVIDER-ENDPOINT  KEY-IDS\napi   https://p          0\n"
        );
    }
}
