//! First start: the system domains and their admins (`ZMSImpl.initObjectStore`, reference §5.5).
//! `user` and `sys` are top-level, `sys.auth` below `sys`; each gets an `admin` role holding the
//! configured admin users and an `admin` policy. `sys.auth.zms` is registered with the public key
//! that signs domain data, so ZTS can verify the feed from ZMS data alone.

use crate::doc::DomainDoc;
use crate::state::{AppState, Change};
use model::zms::{Domain, PublicKeyEntry, ServiceIdentity};
use model::{MemberName, Timestamp};

/// The principal recorded in the audit log for bootstrap changes.
pub const SYSTEM_PRINCIPAL: &str = "sys.auth.zms";

/// Creates the system domains unless `sys.auth` already exists. All or nothing.
pub async fn ensure(state: &AppState) -> anyhow::Result<()> {
    if state.store().get("sys.auth").await?.is_some() {
        return Ok(());
    }
    let admins = state
        .config
        .admin_users
        .iter()
        .map(|u| MemberName::parse(u))
        .collect::<Result<Vec<_>, _>>()?;
    let now = Timestamp::now();
    let mk = |name: &str, description: &str| {
        let d = Domain {
            description: Some(description.into()),
            ..Domain::default()
        };
        DomainDoc::new(name, d, &admins, now)
    };
    let mut sys_auth = mk("sys.auth", "The Athenz system domain");
    let zms = ServiceIdentity {
        name: "sys.auth.zms".into(),
        description: Some("ZMS; its public key verifies signed domain data".into()),
        public_keys: Some(vec![PublicKeyEntry {
            key: model::ybase64::encode(state.signer.public_key_pem().as_bytes()),
            id: state.signer.key_id().to_string(),
        }]),
        modified: Some(now),
        ..ServiceIdentity::default()
    };
    sys_auth.services.insert(zms.name.clone(), zms);
    let docs = vec![
        mk("user", "Home of user principals"),
        mk("sys", "System domains"),
        sys_auth,
    ];
    let change = Change {
        principal: SYSTEM_PRINCIPAL,
        audit_ref: Some("bootstrap"),
        action: "bootstrap",
        object: "sys.auth".into(),
    };
    state.create_domains(change, docs, None).await?;
    tracing::info!(admins = ?state.config.admin_users, "bootstrapped system domains");
    Ok(())
}
