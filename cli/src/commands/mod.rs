//! One module per object kind; [`dispatch`] routes a parsed [`Command`] to its function. Every
//! function returns the text for stdout: a table, a confirmation line, or the server's JSON.

pub mod access;
pub mod domain;
pub mod group;
pub mod policy;
pub mod role;
pub mod service;

use crate::Command;
use crate::client::Client;
use crate::error::{CliError, Result};
use serde_json::Value;

/// What every command needs: the client and the output mode.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The ZMS client.
    pub client: Client,
    /// Print the server's JSON instead of tables.
    pub json: bool,
}

impl Ctx {
    /// Output of a write: the server's JSON (if any) with `--json`, else `message`.
    pub fn done(&self, answer: Option<&Value>, message: impl Into<String>) -> String {
        if self.json {
            answer.map(pretty).unwrap_or_default()
        } else {
            let mut m = message.into();
            m.push('\n');
            m
        }
    }
}

/// Pretty JSON followed by a newline.
pub fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string());
    s.push('\n');
    s
}

/// Parses a member name, as a usage error when it is not one.
pub fn member(text: &str) -> Result<model::MemberName> {
    model::MemberName::parse(text).map_err(|e| CliError::usage(e.to_string()))
}

/// Runs one command.
pub async fn dispatch(ctx: &Ctx, cmd: Command) -> Result<String> {
    use Command as C;
    match cmd {
        C::AddDomain { name, admins } => domain::add(ctx, &name, admins).await,
        C::ShowDomain { name } => domain::show(ctx, &name).await,
        C::ListDomains { prefix } => domain::list(ctx, prefix).await,
        C::DeleteDomain { name } => domain::delete(ctx, &name).await,
        C::SetDomainSystemMeta {
            domain,
            attribute,
            value,
        } => domain::set_system_meta(ctx, &domain, &attribute, &value).await,
        C::AuditLog { domain, limit } => domain::audit_log(ctx, &domain, limit).await,
        C::AddRole {
            domain,
            role,
            members,
        } => role::add(ctx, &domain, &role, &members).await,
        C::AddDelegatedRole {
            domain,
            role,
            trust_domain,
        } => role::add_delegated(ctx, &domain, &role, &trust_domain).await,
        C::DeleteRole { domain, role } => role::delete(ctx, &domain, &role).await,
        C::AddMember {
            domain,
            role,
            member,
            expiration,
        } => role::add_member(ctx, &domain, &role, &member, expiration.as_deref()).await,
        C::DeleteMember {
            domain,
            role,
            member,
        } => role::delete_member(ctx, &domain, &role, &member).await,
        C::ShowRole { domain, role } => role::show(ctx, &domain, &role).await,
        C::AddGroup {
            domain,
            group,
            members,
        } => group::add(ctx, &domain, &group, &members).await,
        C::AddGroupMember {
            domain,
            group,
            member,
        } => group::add_member(ctx, &domain, &group, &member).await,
        C::DeleteGroupMember {
            domain,
            group,
            member,
        } => group::delete_member(ctx, &domain, &group, &member).await,
        C::DeleteGroup { domain, group } => group::delete(ctx, &domain, &group).await,
        C::ShowGroup { domain, group } => group::show(ctx, &domain, &group).await,
        C::AddPolicy {
            domain,
            policy,
            assertions,
        } => policy::add(ctx, &domain, &policy, &assertions).await,
        C::AddAssertion {
            domain,
            policy,
            words,
        } => policy::add_assertion(ctx, &domain, &policy, &words.join(" ")).await,
        C::DeleteAssertion { domain, policy, id } => {
            policy::delete_assertion(ctx, &domain, &policy, id).await
        }
        C::DeletePolicy { domain, policy } => policy::delete(ctx, &domain, &policy).await,
        C::ShowPolicy { domain, policy } => policy::show(ctx, &domain, &policy).await,
        C::AddService {
            domain,
            service,
            key_id,
            public_key,
        } => service::add(ctx, &domain, &service, key_id, public_key.as_deref()).await,
        C::AddPublicKey {
            domain,
            service,
            key_id,
            file,
        } => service::add_public_key(ctx, &domain, &service, &key_id, &file).await,
        C::SetProviderEndpoint {
            domain,
            service,
            url,
        } => service::set_provider_endpoint(ctx, &domain, &service, &url).await,
        C::DeleteService { domain, service } => service::delete(ctx, &domain, &service).await,
        C::ShowService { domain, service } => service::show(ctx, &domain, &service).await,
        C::CheckAccess {
            action,
            resource,
            principal,
            trust_domain,
        } => access::check(ctx, &action, &resource, principal, trust_domain).await,
    }
}
