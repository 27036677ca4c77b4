//! Domains: create (top-level or sub), show with everything inside, list, delete, system
//! attributes, and the audit log.

use super::{Ctx, group, policy, pretty, role, service};
use crate::client::decode;
use crate::error::{CliError, Result};
use crate::table::{Table, key_values, object_pairs, or_none};
use model::zms::{
    AuditLog, Domain, DomainList, DomainMeta, Groups, Policies, Roles, ServiceIdentities,
    SubDomain, TopLevelDomain,
};
use serde_json::{Value, json};

/// `add-domain NAME --admin …`: `POST /domain`, or `POST /subdomain/{parent}` for a dotted name.
pub async fn add(ctx: &Ctx, name: &str, admins: Vec<String>) -> Result<String> {
    let answer = match name.rsplit_once('.') {
        None => {
            let body = TopLevelDomain {
                name: name.to_string(),
                admin_users: admins,
                ..Default::default()
            };
            ctx.client.post(&["domain"], &body).await?
        }
        Some((parent, leaf)) => {
            let body = SubDomain {
                name: leaf.to_string(),
                parent: parent.to_string(),
                admin_users: admins,
                ..Default::default()
            };
            ctx.client.post(&["subdomain", parent], &body).await?
        }
    };
    if ctx.json {
        return Ok(answer.as_ref().map(pretty).unwrap_or_default());
    }
    let created = answer.as_ref().map(decode::<Domain>).transpose()?;
    let full = created.map_or_else(|| name.to_ascii_lowercase(), |d| d.name);
    Ok(format!("added domain {full}\n"))
}

/// `show-domain NAME`: the domain's attributes, roles, groups, policies and services.
pub async fn show(ctx: &Ctx, name: &str) -> Result<String> {
    let c = &ctx.client;
    let list_of = |kind: &'static str, flag: &'static str| async move {
        c.get(&["domain", name, kind], &[(flag, "true".to_string())])
            .await
    };
    let (d, roles, groups, policies, services) = tokio::try_join!(
        async { c.get(&["domain", name], &[]).await },
        list_of("roles", "members"),
        list_of("groups", "members"),
        list_of("policies", "assertions"),
        list_of("services", "publickeys"),
    )?;
    if ctx.json {
        let list = |v: &Value| v.get("list").cloned().unwrap_or(Value::Array(Vec::new()));
        return Ok(pretty(&json!({
            "domain": d,
            "roles": list(&roles),
            "groups": list(&groups),
            "policies": list(&policies),
            "services": list(&services),
        })));
    }
    let domain: Domain = decode(&d)?;
    let mut pairs = vec![("domain".to_string(), domain.name.clone())];
    pairs.extend(object_pairs(&d, &["name"]));
    let mut out = key_values(&pairs);
    let sections = [
        ("ROLES", role::table(&decode::<Roles>(&roles)?.list)),
        ("GROUPS", group::table(&decode::<Groups>(&groups)?.list)),
        (
            "POLICIES",
            policy::table(&domain.name, &decode::<Policies>(&policies)?.list),
        ),
        (
            "SERVICES",
            service::table(&domain.name, &decode::<ServiceIdentities>(&services)?.list),
        ),
    ];
    for (title, table) in sections {
        out.push_str(&format!("\n{title}\n"));
        out.push_str(&table.render());
    }
    Ok(out)
}

/// `list-domains [--prefix P]`: one name per line.
pub async fn list(ctx: &Ctx, prefix: Option<String>) -> Result<String> {
    let query: Vec<(&str, String)> = prefix.into_iter().map(|p| ("prefix", p)).collect();
    let (list, raw): (DomainList, Value) = ctx.client.get_as(&["domain"], &query).await?;
    if ctx.json {
        return Ok(pretty(&raw));
    }
    Ok(list.names.iter().map(|n| format!("{n}\n")).collect())
}

/// `delete-domain NAME`: `DELETE /domain/{n}`, or `/subdomain/{parent}/{leaf}` for a dotted name.
pub async fn delete(ctx: &Ctx, name: &str) -> Result<String> {
    let answer = match name.rsplit_once('.') {
        None => ctx.client.delete(&["domain", name]).await?,
        Some((parent, leaf)) => ctx.client.delete(&["subdomain", parent, leaf]).await?,
    };
    Ok(ctx.done(
        answer.as_ref(),
        format!("deleted domain {}", name.to_ascii_lowercase()),
    ))
}

/// Builds the `DomainMeta` body carrying one system attribute; the attribute is lowercased.
pub fn system_meta(attribute: &str, value: &str) -> Result<(String, DomainMeta)> {
    let attr = attribute.to_ascii_lowercase();
    let int = || {
        value
            .parse::<i32>()
            .map_err(|_| CliError::usage(format!("{attr}: {value:?} is not a number")))
    };
    let boolean = || match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(CliError::usage(format!(
            "{attr}: {value:?} is not true or false"
        ))),
    };
    let s = || Some(value.to_string());
    let mut m = DomainMeta::default();
    match attr.as_str() {
        "account" => m.account = s(),
        "certdnsdomain" => m.cert_dns_domain = s(),
        "ypmid" => m.ypm_id = Some(int()?),
        "productid" => m.product_id = s(),
        "org" => m.org = s(),
        "auditenabled" => m.audit_enabled = Some(boolean()?),
        "enabled" => m.enabled = Some(boolean()?),
        "businessservice" => m.business_service = s(),
        "azuresubscription" => m.azure_subscription = s(),
        "azuretenant" => m.azure_tenant = s(),
        "azureclient" => m.azure_client = s(),
        "gcpproject" => m.gcp_project = s(),
        "gcpprojectnumber" => m.gcp_project_number = s(),
        "featureflags" => m.feature_flags = Some(int()?),
        "x509certsignerkeyid" => m.x509_cert_signer_key_id = s(),
        "sshcertsignerkeyid" => m.ssh_cert_signer_key_id = s(),
        _ => {
            return Err(CliError::usage(format!(
                "unknown system attribute {attribute:?}; expected one of account, certdnsdomain, ypmid, \
                 productid, org, auditenabled, enabled, businessservice, azuresubscription, azuretenant, \
                 azureclient, gcpproject, gcpprojectnumber, featureflags, x509certsignerkeyid, sshcertsignerkeyid"
            )));
        }
    }
    Ok((attr, m))
}

/// `set-domain-system-meta DOMAIN ATTRIBUTE VALUE`: `PUT /domain/{d}/meta/system/{attribute}`.
pub async fn set_system_meta(
    ctx: &Ctx,
    domain: &str,
    attribute: &str,
    value: &str,
) -> Result<String> {
    let (attr, meta) = system_meta(attribute, value)?;
    let answer = ctx
        .client
        .put(&["domain", domain, "meta", "system", &attr], &meta)
        .await?;
    Ok(ctx.done(
        answer.as_ref(),
        format!("set {attr} of domain {}", domain.to_ascii_lowercase()),
    ))
}

/// `audit-log DOMAIN [--limit N]`: newest changes first.
pub async fn audit_log(ctx: &Ctx, domain: &str, limit: Option<u32>) -> Result<String> {
    let query: Vec<(&str, String)> = limit
        .into_iter()
        .map(|l| ("limit", l.to_string()))
        .collect();
    let (log, raw): (AuditLog, Value) = ctx
        .client
        .get_as(&["domain", domain, "auditlog"], &query)
        .await?;
    if ctx.json {
        return Ok(pretty(&raw));
    }
    let mut t = Table::new(&[
        "ID",
        "CREATED",
        "PRINCIPAL",
        "ACTION",
        "OBJECT",
        "AUDIT-REF",
    ]);
    for e in &log.entries {
        t.row([
            e.id.to_string(),
            e.created.to_string(),
            e.principal.clone(),
            e.action.clone(),
            e.object.clone(),
            or_none(e.audit_ref.clone().unwrap_or_default()),
        ]);
    }
    Ok(t.render())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_meta_sets_exactly_one_field() {
        let (a, m) = system_meta("Account", "123456789012").unwrap();
        assert_eq!(a, "account");
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            json!({"account": "123456789012"})
        );
        let (_, m) = system_meta("certdnsdomain", "example.com").unwrap();
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            json!({"certDnsDomain": "example.com"})
        );
        let (_, m) = system_meta("ypmid", "42").unwrap();
        assert_eq!(serde_json::to_value(&m).unwrap(), json!({"ypmId": 42}));
        let (_, m) = system_meta("productid", "p-1").unwrap();
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            json!({"productId": "p-1"})
        );
        let (_, m) = system_meta("org", "eng").unwrap();
        assert_eq!(serde_json::to_value(&m).unwrap(), json!({"org": "eng"}));
    }

    #[test]
    fn system_meta_refuses_bad_values_and_unknown_attributes() {
        assert_eq!(system_meta("ypmid", "x").unwrap_err().exit_code(), 2);
        assert_eq!(system_meta("enabled", "maybe").unwrap_err().exit_code(), 2);
        assert!(
            system_meta("color", "red")
                .unwrap_err()
                .to_string()
                .contains("account")
        );
    }
}
