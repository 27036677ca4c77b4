//! Persistent storage for the ZTS server: instance certificate records.
//!
//! # What is stored and why
//!
//! When ZTS issues an X.509 identity certificate to an instance (Athenz
//! `postInstanceRegisterInformation`) it records, under the key
//! (provider, instance id, service), the serial of that certificate: Athenz's
//! `X509CertRecord`. On every refresh (`postInstanceRefreshInformation`) the
//! client presents its certificate, and ZTS only issues a new one if the
//! presented serial is the one it issued last ([`RefreshOutcome::Current`]).
//! The previous serial is also accepted, so an instance that lost the response
//! of its last refresh can retry with the certificate it still holds
//! ([`RefreshOutcome::Previous`]); unlike Athenz this fallback works only
//! once. Any other serial means a copy of the certificate is being refreshed
//! somewhere else: the record is revoked (both serials become
//! [`REVOKED_SERIAL`], `"-1"` as in Athenz) and every later refresh fails
//! until the instance is deleted and registers again.
//!
//! [`CertStore::refresh`] is the whole check-and-update as one atomic
//! compare-and-set, so two concurrent refreshes with the same certificate can
//! never both succeed, whichever ZTS instances they reach.
//!
//! # Backends
//!
//! [`open`] picks the backend from the URL: SQLite (`sqlite:/path/zts.db`,
//! `sqlite::memory:`) for single-instance deployments and tests, PostgreSQL
//! (`postgres://…`) for several ZTS instances sharing one database. Both run
//! their embedded migrations on open and pass the same conformance suite
//! (`tests/common/suite/`). Applied migrations are tracked in the table
//! `_zts_store_migrations` rather than sqlx's default `_sqlx_migrations`, so
//! the ZTS tables may live in the same database as another sqlx-migrated
//! schema (such as the ZMS store's) without their migration histories
//! clashing.

use std::sync::Arc;

pub use error::StoreError;

/// The serial stored as both current and previous serial of a revoked record.
pub const REVOKED_SERIAL: &str = "-1";

/// The table in which each backend tracks its applied migrations.
const MIGRATIONS_TABLE: &str = "_zts_store_migrations";

/// The columns of `cert_records`, in [`CertRecord`] field order, as a literal
/// for `concat!`.
macro_rules! columns {
    () => {
        "provider, instance_id, service, \
         current_serial, current_time_ms, current_ip, \
         prev_serial, prev_time_ms, prev_ip, \
         client_cert, expiry_time_ms, hostname, sia_provider, prev_used"
    };
}

mod error;
mod postgres;
mod sqlite;

/// Identifies a certificate record: which provider launched which instance
/// of which service.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CertKey {
    /// The provider service that vouched for the instance, e.g. `sys.auth.zts`.
    pub provider: String,
    /// The instance id the provider assigned.
    pub instance_id: String,
    /// The instance's service as `domain.service`, e.g. `sports.api`.
    pub service: String,
}

impl CertKey {
    /// A key from its three parts.
    pub fn new(
        provider: impl Into<String>,
        instance_id: impl Into<String>,
        service: impl Into<String>,
    ) -> Self {
        Self {
            provider: provider.into(),
            instance_id: instance_id.into(),
            service: service.into(),
        }
    }
}

/// A stored certificate record (Athenz `X509CertRecord`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertRecord {
    pub provider: String,
    pub instance_id: String,
    /// `domain.service`.
    pub service: String,
    /// Serial of the certificate issued last, as hex; [`REVOKED_SERIAL`] when revoked.
    pub current_serial: String,
    /// When it was issued, in milliseconds since the epoch.
    pub current_time_ms: i64,
    /// The client address it was issued to.
    pub current_ip: String,
    /// Serial of the certificate issued before it (right after a register:
    /// the register serial itself); [`REVOKED_SERIAL`] when revoked.
    pub prev_serial: String,
    pub prev_time_ms: i64,
    pub prev_ip: String,
    /// Whether the identity may only be used as a client certificate.
    pub client_cert: bool,
    /// Expiry of the certificate issued last, in milliseconds since the epoch.
    pub expiry_time_ms: i64,
    /// The hostname the certificate issued last was requested for.
    pub hostname: Option<String>,
    /// The SIA provider that registered the instance, when known.
    pub sia_provider: Option<String>,
    /// Whether `prev_serial` has already been accepted once by a refresh
    /// (or has no predecessor to fall back to, after a register): if so, it
    /// is not accepted again.
    pub prev_used: bool,
}

impl CertRecord {
    /// The key this record is stored under.
    pub fn key(&self) -> CertKey {
        CertKey::new(&self.provider, &self.instance_id, &self.service)
    }

    /// The record a register creates.
    fn registered(
        key: &CertKey,
        issued: &Issued,
        client_cert: bool,
        sia_provider: Option<&str>,
    ) -> Self {
        Self {
            provider: key.provider.clone(),
            instance_id: key.instance_id.clone(),
            service: key.service.clone(),
            current_serial: issued.serial.clone(),
            current_time_ms: issued.time_ms,
            current_ip: issued.ip.clone(),
            prev_serial: issued.serial.clone(),
            prev_time_ms: issued.time_ms,
            prev_ip: issued.ip.clone(),
            client_cert,
            expiry_time_ms: issued.expiry_time_ms,
            hostname: issued.hostname.clone(),
            sia_provider: sia_provider.map(str::to_owned),
            prev_used: true,
        }
    }
}

/// A certificate ZTS is about to hand out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issued {
    /// Its serial, as hex.
    pub serial: String,
    /// Issue time, in milliseconds since the epoch.
    pub time_ms: i64,
    /// The address of the client it is issued to.
    pub ip: String,
    /// Its expiry, in milliseconds since the epoch.
    pub expiry_time_ms: i64,
    /// The hostname it was requested for, if any.
    pub hostname: Option<String>,
}

/// What [`CertStore::refresh`] decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefreshOutcome {
    /// The presented serial was the current one: the record now has the
    /// issued certificate as current and the presented one as an unused
    /// previous. Issue the certificate.
    Current,
    /// The presented serial was the unused previous one: the issued
    /// certificate replaced the current one and the previous serial is now
    /// used up. Issue the certificate.
    Previous,
    /// The presented serial was neither (or the record was already revoked):
    /// the record is now revoked. Refuse, and log a possible key compromise.
    Revoked,
    /// There is no record under the key; nothing was written. Refuse.
    NotFound,
}

/// Storage of certificate records with an atomic refresh check.
#[async_trait::async_trait]
pub trait CertStore: Send + Sync + std::fmt::Debug {
    /// Register: creates the record with current = previous = the issued
    /// certificate and `prev_used = true` (the register serial has no
    /// predecessor to fall back to), replacing any record under the key
    /// (re-registration of the same instance).
    async fn insert(
        &self,
        key: &CertKey,
        issued: &Issued,
        client_cert: bool,
        sia_provider: Option<&str>,
    ) -> Result<(), StoreError>;

    /// The record under `key`, if any.
    async fn get(&self, key: &CertKey) -> Result<Option<CertRecord>, StoreError>;

    /// Refresh, as one atomic compare-and-set, given the serial of the
    /// certificate the client presented and the certificate about to be
    /// issued:
    ///
    /// - no record: [`RefreshOutcome::NotFound`], nothing written;
    /// - `presented` is the current serial (and that is not
    ///   [`REVOKED_SERIAL`]): the previous serial, time and ip become the
    ///   current ones, `prev_used` becomes false, the current ones and
    ///   `expiry_time_ms` and `hostname` become the issued certificate's:
    ///   [`RefreshOutcome::Current`];
    /// - `presented` is the previous serial, `prev_used` is false (and the
    ///   serial is not [`REVOKED_SERIAL`]): current serial, time, ip,
    ///   `expiry_time_ms` and `hostname` become the issued certificate's and
    ///   `prev_used` becomes true: [`RefreshOutcome::Previous`];
    /// - anything else: both serials become [`REVOKED_SERIAL`] (nothing else
    ///   changes) and every later refresh is revoked too, until
    ///   [`CertStore::delete`]: [`RefreshOutcome::Revoked`].
    async fn refresh(
        &self,
        key: &CertKey,
        presented_serial: &str,
        issued: &Issued,
    ) -> Result<RefreshOutcome, StoreError>;

    /// Removes the record (`DELETE /instance`); true when one existed.
    async fn delete(&self, key: &CertKey) -> Result<bool, StoreError>;
}

/// The refresh state machine: the outcome of presenting `presented` against
/// `record`, and the record to write back (`None`: nothing changes).
fn refreshed(
    record: &CertRecord,
    presented: &str,
    issued: &Issued,
) -> (RefreshOutcome, Option<CertRecord>) {
    let mut next = record.clone();
    if presented == record.current_serial && record.current_serial != REVOKED_SERIAL {
        next.prev_serial = record.current_serial.clone();
        next.prev_time_ms = record.current_time_ms;
        next.prev_ip = record.current_ip.clone();
        next.prev_used = false;
        set_current(&mut next, issued);
        (RefreshOutcome::Current, Some(next))
    } else if presented == record.prev_serial
        && !record.prev_used
        && record.prev_serial != REVOKED_SERIAL
    {
        next.prev_used = true;
        set_current(&mut next, issued);
        (RefreshOutcome::Previous, Some(next))
    } else {
        next.current_serial = REVOKED_SERIAL.to_owned();
        next.prev_serial = REVOKED_SERIAL.to_owned();
        let changed = next != *record;
        (RefreshOutcome::Revoked, changed.then_some(next))
    }
}

fn set_current(record: &mut CertRecord, issued: &Issued) {
    record.current_serial = issued.serial.clone();
    record.current_time_ms = issued.time_ms;
    record.current_ip = issued.ip.clone();
    record.expiry_time_ms = issued.expiry_time_ms;
    record.hostname = issued.hostname.clone();
}

/// Opens a store by URL and runs that backend's migrations.
///
/// Accepted: `sqlite:/path/to/file.db` (created if missing), `sqlite::memory:`
/// (private to this store, gone when it is dropped), `postgres://…` and
/// `postgresql://…`. Opening the same database again is fine: migrations
/// already applied are skipped.
pub async fn open(url: &str) -> Result<Arc<dyn CertStore>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteCertStore::open(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgCertStore::open(url).await?))
    } else {
        Err(StoreError::Url(format!(
            "{}: expected sqlite:…, postgres://… or postgresql://…",
            error::redact_url(url)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issued(serial: &str, t: i64) -> Issued {
        Issued {
            serial: serial.to_owned(),
            time_ms: t,
            ip: format!("10.0.0.{t}"),
            expiry_time_ms: t + 1000,
            hostname: Some(format!("host{t}")),
        }
    }

    fn registered() -> CertRecord {
        let key = CertKey::new("sys.auth.zts", "i-1", "sports.api");
        CertRecord::registered(&key, &issued("a", 1), true, Some("aws"))
    }

    #[test]
    fn register_serial_is_not_a_fallback() {
        let record = registered();
        assert_eq!(record.prev_serial, "a");
        assert!(record.prev_used);
        // Presenting the register serial matches current first.
        let (outcome, next) = refreshed(&record, "a", &issued("b", 2));
        assert_eq!(outcome, RefreshOutcome::Current);
        let next = next.unwrap();
        assert_eq!(
            (next.current_serial.as_str(), next.prev_serial.as_str()),
            ("b", "a")
        );
        assert!(!next.prev_used);
        assert_eq!((next.prev_time_ms, next.prev_ip.as_str()), (1, "10.0.0.1"));
        assert_eq!(next.hostname.as_deref(), Some("host2"));
        assert_eq!(next.expiry_time_ms, 1002);
        assert_eq!(next.sia_provider.as_deref(), Some("aws"));
        assert!(next.client_cert);
    }

    #[test]
    fn previous_once_then_revoked_forever() {
        let (_, after_current) = refreshed(&registered(), "a", &issued("b", 2));
        let record = after_current.unwrap();
        let (outcome, next) = refreshed(&record, "a", &issued("c", 3));
        assert_eq!(outcome, RefreshOutcome::Previous);
        let record = next.unwrap();
        assert_eq!(record.current_serial, "c");
        assert_eq!(record.prev_serial, "a");
        assert!(record.prev_used);
        let (outcome, next) = refreshed(&record, "a", &issued("d", 4));
        assert_eq!(outcome, RefreshOutcome::Revoked);
        let revoked = next.unwrap();
        assert_eq!(revoked.current_serial, REVOKED_SERIAL);
        assert_eq!(revoked.prev_serial, REVOKED_SERIAL);
        assert_eq!(revoked.current_time_ms, 3);
        for presented in ["c", "a", REVOKED_SERIAL] {
            let (outcome, next) = refreshed(&revoked, presented, &issued("e", 5));
            assert_eq!(outcome, RefreshOutcome::Revoked);
            assert_eq!(next, None, "nothing left to write");
        }
    }
}
