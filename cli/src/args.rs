//! Command-line syntax: global flags and one subcommand per operation.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Command-line client for an Athenz-compatible ZMS server.
#[derive(Debug, Parser)]
#[command(name = "zms-cli", version, about)]
pub struct Cli {
    /// ZMS server URL; `/zms/v1` is appended unless present.
    #[arg(
        long,
        env = "ZMS_URL",
        default_value = "https://localhost:4443",
        global = true
    )]
    pub zms: String,
    /// Client certificate (PEM) naming the caller.
    #[arg(long, env = "ZMS_CERT", value_name = "FILE", global = true)]
    pub cert: Option<PathBuf>,
    /// Private key (PEM) of the client certificate.
    #[arg(long, env = "ZMS_KEY", value_name = "FILE", global = true)]
    pub key: Option<PathBuf>,
    /// CA bundle (PEM) to trust for the server instead of the built-in roots.
    #[arg(long, env = "ZMS_CA", value_name = "FILE", global = true)]
    pub ca: Option<PathBuf>,
    /// Print the server's JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// Audit reference sent as `Y-Audit-Ref` with every request.
    #[arg(long, value_name = "TEXT", global = true)]
    pub audit_ref: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The operations.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a domain; a dotted name creates a subdomain of its parent.
    AddDomain {
        /// Domain name (`sports` or `sports.api`).
        name: String,
        /// Member of the new domain's admin role (repeatable).
        #[arg(long = "admin", value_name = "PRINCIPAL", required = true)]
        admins: Vec<String>,
    },
    /// Show a domain with its roles, groups, policies and services.
    ShowDomain {
        /// Domain name.
        name: String,
    },
    /// List domain names.
    ListDomains {
        /// Only names starting with this.
        #[arg(long)]
        prefix: Option<String>,
    },
    /// Delete a domain (or subdomain).
    DeleteDomain {
        /// Domain name.
        name: String,
    },
    /// Set one system attribute of a domain (account, certdnsdomain, ypmid, productid, org, …).
    SetDomainSystemMeta {
        /// Domain name.
        domain: String,
        /// Attribute name, e.g. `account`.
        attribute: String,
        /// New value.
        value: String,
    },
    /// Create or replace a role with these members.
    AddRole {
        /// Domain name.
        domain: String,
        /// Role name.
        role: String,
        /// Members (`user.joe`, `sports.api`, `sports:group.devs`, `user.*`).
        members: Vec<String>,
    },
    /// Create or replace a role whose membership is decided by another domain.
    AddDelegatedRole {
        /// Domain name.
        domain: String,
        /// Role name.
        role: String,
        /// The domain trusted to decide membership.
        trust_domain: String,
    },
    /// Delete a role.
    DeleteRole {
        /// Domain name.
        domain: String,
        /// Role name.
        role: String,
    },
    /// Add a member to a role.
    AddMember {
        /// Domain name.
        domain: String,
        /// Role name.
        role: String,
        /// Member name.
        member: String,
        /// When the membership ends (RFC 3339, e.g. `2030-01-01T00:00:00Z`).
        #[arg(long, value_name = "RFC3339")]
        expiration: Option<String>,
    },
    /// Remove a member from a role.
    DeleteMember {
        /// Domain name.
        domain: String,
        /// Role name.
        role: String,
        /// Member name.
        member: String,
    },
    /// Show a role and its members.
    ShowRole {
        /// Domain name.
        domain: String,
        /// Role name.
        role: String,
    },
    /// Create or replace a group with these members.
    AddGroup {
        /// Domain name.
        domain: String,
        /// Group name.
        group: String,
        /// Members (users and services).
        members: Vec<String>,
    },
    /// Add a member to a group.
    AddGroupMember {
        /// Domain name.
        domain: String,
        /// Group name.
        group: String,
        /// Member name.
        member: String,
    },
    /// Remove a member from a group.
    DeleteGroupMember {
        /// Domain name.
        domain: String,
        /// Group name.
        group: String,
        /// Member name.
        member: String,
    },
    /// Delete a group.
    DeleteGroup {
        /// Domain name.
        domain: String,
        /// Group name.
        group: String,
    },
    /// Show a group and its members.
    ShowGroup {
        /// Domain name.
        domain: String,
        /// Group name.
        group: String,
    },
    /// Create or replace a policy with these assertions.
    AddPolicy {
        /// Domain name.
        domain: String,
        /// Policy name.
        policy: String,
        /// `grant|deny ACTION to ROLE on RESOURCE` (repeatable).
        #[arg(long = "assertion", value_name = "ASSERTION")]
        assertions: Vec<String>,
    },
    /// Add one assertion to a policy and print its id.
    AddAssertion {
        /// Domain name.
        domain: String,
        /// Policy name.
        policy: String,
        /// `grant|deny ACTION to ROLE on RESOURCE`.
        #[arg(value_name = "ASSERTION", required = true, num_args = 1..)]
        words: Vec<String>,
    },
    /// Delete one assertion of a policy by id.
    DeleteAssertion {
        /// Domain name.
        domain: String,
        /// Policy name.
        policy: String,
        /// Assertion id.
        id: i64,
    },
    /// Delete a policy.
    DeletePolicy {
        /// Domain name.
        domain: String,
        /// Policy name.
        policy: String,
    },
    /// Show a policy and its assertions.
    ShowPolicy {
        /// Domain name.
        domain: String,
        /// Policy name.
        policy: String,
    },
    /// Create or replace a service, optionally with one public key.
    AddService {
        /// Domain name.
        domain: String,
        /// Service name.
        service: String,
        /// Id of the public key (default `0`).
        #[arg(long, value_name = "ID", requires = "public_key")]
        key_id: Option<String>,
        /// PEM public key file.
        #[arg(long, value_name = "FILE")]
        public_key: Option<PathBuf>,
    },
    /// Add or replace a public key of a service.
    AddPublicKey {
        /// Domain name.
        domain: String,
        /// Service name.
        service: String,
        /// Key id.
        key_id: String,
        /// PEM public key file.
        file: PathBuf,
    },
    /// Set the provider endpoint of a service (a system attribute).
    SetProviderEndpoint {
        /// Domain name.
        domain: String,
        /// Service name.
        service: String,
        /// `https://…` or `class://…`.
        url: String,
    },
    /// Delete a service.
    DeleteService {
        /// Domain name.
        domain: String,
        /// Service name.
        service: String,
    },
    /// Show a service and its key ids.
    ShowService {
        /// Domain name.
        domain: String,
        /// Service name.
        service: String,
    },
    /// Ask whether a principal (default: the caller) may do ACTION on RESOURCE.
    CheckAccess {
        /// Action, e.g. `read`.
        action: String,
        /// Resource, `domain:entity`.
        resource: String,
        /// Principal to check instead of the caller.
        #[arg(long)]
        principal: Option<String>,
        /// Trust domain for a delegated role.
        #[arg(long, value_name = "DOMAIN")]
        trust_domain: Option<String>,
    },
    /// Show a domain's recent changes.
    AuditLog {
        /// Domain name.
        domain: String,
        /// Most entries to show.
        #[arg(long, value_name = "N")]
        limit: Option<u32>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_go_before_or_after_the_subcommand() {
        let c = Cli::try_parse_from([
            "zms-cli",
            "show-role",
            "d",
            "r",
            "--json",
            "--zms",
            "https://x",
        ])
        .unwrap();
        assert!(c.json);
        assert_eq!(c.zms, "https://x");
        let c = Cli::try_parse_from([
            "zms-cli",
            "--audit-ref",
            "t-1",
            "add-assertion",
            "d",
            "p",
            "grant",
            "read",
            "to",
            "r",
            "on",
            "x",
        ])
        .unwrap();
        assert_eq!(c.audit_ref.as_deref(), Some("t-1"));
        assert!(matches!(c.command, Command::AddAssertion { ref words, .. } if words.len() == 6));
    }

    #[test]
    fn add_domain_needs_an_admin() {
        assert!(Cli::try_parse_from(["zms-cli", "add-domain", "d"]).is_err());
        let c = Cli::try_parse_from([
            "zms-cli",
            "add-domain",
            "d",
            "--admin",
            "user.a",
            "--admin",
            "user.b",
        ])
        .unwrap();
        assert!(matches!(c.command, Command::AddDomain { ref admins, .. } if admins.len() == 2));
    }
}
