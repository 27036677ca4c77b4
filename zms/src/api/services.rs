//! Services (`ServiceIdentity.rdli`): `/domain/{d}/service[s]`, `/domain/{d}/service/{s}`,
//! public keys, and system attributes such as `providerEndpoint`, which only a principal with
//! `update` on `sys.auth:meta.service.{attribute}.{domain}` may set.

use super::objects::{self, Target};
use super::{Body, Caller, St, domain, no_content, same_name};
use crate::error::{ZmsError, ZmsResult};
use axum::Json;
use axum::extract::{Path, Query};
use axum::response::Response;
use model::crypto::VerifyingKey;
use model::names::service_full_name;
use model::zms::{
    PublicKeyEntry, ServiceIdentities, ServiceIdentity, ServiceIdentityList,
    ServiceIdentitySystemMeta,
};
use model::{DomainName, SimpleName};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    publickeys: Option<bool>,
    hosts: Option<bool>,
}

/// The domain, the full name `d.s` and the resource `d:service.s` writes are authorized on.
fn names(d: &str, s: &str) -> ZmsResult<(DomainName, String, String)> {
    let d = domain(d)?;
    let s = SimpleName::parse(s)?;
    let full = service_full_name(d.as_str(), s.as_str());
    let resource = format!("{d}:service.{s}");
    Ok((d, full, resource))
}

fn target<'a>(d: &'a DomainName, full: &'a str, resource: &'a str) -> Target<'a> {
    Target {
        domain: d,
        full,
        resource,
    }
}

/// A public key must be the ybase64 of a PEM public key that parses, under a simple-name id.
fn check_key(k: &PublicKeyEntry) -> ZmsResult<()> {
    if !model::names::is_simple_name(&k.id) {
        return Err(ZmsError::BadRequest(format!(
            "publicKeys: key id {:?} is not a simple name",
            k.id
        )));
    }
    VerifyingKey::from_ybase64_pem(&k.key)
        .map(|_| ())
        .map_err(|e| ZmsError::BadRequest(format!("publicKeys: key {:?}: {e}", k.id)))
}

pub async fn list(st: St, Path(d): Path<String>) -> ZmsResult<Json<ServiceIdentityList>> {
    let names = objects::short_names::<ServiceIdentity>(&st, &domain(&d)?, ".")?;
    Ok(Json(ServiceIdentityList { names, next: None }))
}

pub async fn list_full(
    st: St,
    Path(d): Path<String>,
    Query(q): Query<ListQuery>,
) -> ZmsResult<Json<ServiceIdentities>> {
    let list = objects::list::<ServiceIdentity>(&st, &domain(&d)?, |mut s| {
        if q.publickeys != Some(true) {
            s.public_keys = None;
        }
        if q.hosts != Some(true) {
            s.hosts = None;
        }
        s
    })?;
    Ok(Json(ServiceIdentities { list }))
}

pub async fn get(st: St, Path((d, s)): Path<(String, String)>) -> ZmsResult<Json<ServiceIdentity>> {
    let (d, full, _) = names(&d, &s)?;
    Ok(Json(objects::get::<ServiceIdentity>(&st, &d, &full)?))
}

pub async fn put(
    st: St,
    caller: Caller,
    Path((d, s)): Path<(String, String)>,
    Body(mut svc): Body<ServiceIdentity>,
) -> ZmsResult<Response> {
    let (d, full, resource) = names(&d, &s)?;
    same_name("name", &svc.name, &full)?;
    svc.name = full.clone();
    let current = objects::get::<ServiceIdentity>(&st, &d, &full)
        .ok()
        .and_then(|x| x.provider_endpoint);
    if svc.provider_endpoint.is_some() && svc.provider_endpoint != current {
        return Err(ZmsError::BadRequest(format!(
            "providerEndpoint is a system attribute: set it with PUT /domain/{d}/service/{s}/meta/system/providerendpoint"
        )));
    }
    svc.provider_endpoint = current;
    let mut ids = std::collections::HashSet::new();
    for k in svc.public_keys.iter().flatten() {
        check_key(k)?;
        if !ids.insert(k.id.clone()) {
            return Err(ZmsError::BadRequest(format!(
                "publicKeys: duplicate key id {:?}",
                k.id
            )));
        }
    }
    objects::put(
        &st,
        &caller,
        target(&d, &full, &resource),
        "putServiceIdentity",
        svc,
    )
    .await?;
    Ok(no_content())
}

pub async fn delete(
    st: St,
    caller: Caller,
    Path((d, s)): Path<(String, String)>,
) -> ZmsResult<Response> {
    let (d, full, resource) = names(&d, &s)?;
    objects::delete::<ServiceIdentity>(
        &st,
        &caller,
        target(&d, &full, &resource),
        "deleteServiceIdentity",
    )
    .await?;
    Ok(no_content())
}

fn key_not_found(id: &str, full: &str) -> String {
    format!("public key {id:?} not found in {full}")
}

pub async fn get_key(
    st: St,
    Path((d, s, id)): Path<(String, String, String)>,
) -> ZmsResult<Json<PublicKeyEntry>> {
    let (d, full, _) = names(&d, &s)?;
    let svc = objects::get::<ServiceIdentity>(&st, &d, &full)?;
    let k = svc.public_keys.into_iter().flatten().find(|k| k.id == id);
    Ok(Json(k.ok_or_else(|| {
        ZmsError::NotFound(key_not_found(&id, &full))
    })?))
}

pub async fn put_key(
    st: St,
    caller: Caller,
    Path((d, s, id)): Path<(String, String, String)>,
    Body(key): Body<PublicKeyEntry>,
) -> ZmsResult<Response> {
    let (d, full, resource) = names(&d, &s)?;
    same_name("id", &key.id, &id)?;
    check_key(&key)?;
    objects::edit::<ServiceIdentity>(
        &st,
        &caller,
        target(&d, &full, &resource),
        "putPublicKeyEntry",
        |svc| {
            objects::upsert(&mut svc.public_keys, &key, |k| k.id == key.id);
            Ok(Some(serde_json::json!({ "keyId": key.id })))
        },
    )
    .await?;
    Ok(no_content())
}

pub async fn delete_key(
    st: St,
    caller: Caller,
    Path((d, s, id)): Path<(String, String, String)>,
) -> ZmsResult<Response> {
    let (d, full, resource) = names(&d, &s)?;
    objects::edit::<ServiceIdentity>(
        &st,
        &caller,
        target(&d, &full, &resource),
        "deletePublicKeyEntry",
        |svc| {
            objects::remove(
                &mut svc.public_keys,
                |k| k.id == id,
                || key_not_found(&id, &full),
            )?;
            Ok(Some(serde_json::json!({ "keyId": id })))
        },
    )
    .await?;
    Ok(no_content())
}

/// `providerEndpoint` is `https://…` (a callback provider) or `class://…` (a built-in one).
fn check_endpoint(e: &str) -> ZmsResult<()> {
    let ok =
        (e.starts_with("https://") && e.len() > 8) || (e.starts_with("class://") && e.len() > 8);
    if ok && !e.chars().any(|c| c.is_control() || c.is_whitespace()) {
        Ok(())
    } else {
        Err(ZmsError::BadRequest(format!(
            "providerEndpoint {e:?}: must be https://… or class://…"
        )))
    }
}

pub async fn put_system_meta(
    st: St,
    caller: Caller,
    Path((d, s, attribute)): Path<(String, String, String)>,
    Body(meta): Body<ServiceIdentitySystemMeta>,
) -> ZmsResult<Response> {
    let (d, full, _) = names(&d, &s)?;
    let attribute = attribute.to_ascii_lowercase();
    let value = match attribute.as_str() {
        "providerendpoint" => meta.provider_endpoint.clone(),
        "clientid" => meta.client_id.clone(),
        "x509certsignerkeyid" => meta.x509_cert_signer_key_id.clone(),
        "sshcertsignerkeyid" => meta.ssh_cert_signer_key_id.clone(),
        other => {
            return Err(ZmsError::BadRequest(format!(
                "unknown service system attribute {other:?}; expected providerendpoint, clientid, x509certsignerkeyid or sshcertsignerkeyid"
            )));
        }
    };
    let value = value.filter(|v| !v.is_empty());
    if attribute == "providerendpoint"
        && let Some(v) = &value
    {
        check_endpoint(v)?;
    }
    let resource = format!("sys.auth:meta.service.{attribute}.{d}");
    let details = serde_json::to_value(&meta).ok();
    let t = target(&d, &full, &resource);
    objects::edit::<ServiceIdentity>(&st, &caller, t, "putServiceIdentitySystemMeta", |svc| {
        let slot = match attribute.as_str() {
            "providerendpoint" => &mut svc.provider_endpoint,
            "clientid" => &mut svc.client_id,
            "x509certsignerkeyid" => &mut svc.x509_cert_signer_key_id,
            _ => &mut svc.ssh_cert_signer_key_id,
        };
        *slot = value.clone();
        Ok(details.clone())
    })
    .await?;
    Ok(no_content())
}
