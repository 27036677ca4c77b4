//! The conformance cases, each an `async fn(url)` taking the URL of a fresh,
//! empty database, the helpers they share, and the reference model of the
//! refresh state machine the concurrency cases check outcomes against.

mod concurrency;
mod records;
mod refresh;

use std::sync::Arc;

use zts_store::{CertKey, CertRecord, CertStore, Issued, REVOKED_SERIAL, RefreshOutcome, open};

pub use concurrency::*;
pub use records::*;
pub use refresh::*;

const PROVIDER: &str = "sys.auth.zts";
const SERVICE: &str = "sports.api";

async fn fresh(url: &str) -> Arc<dyn CertStore> {
    open(url).await.expect("open store")
}

/// The key of instance `instance_id` of `sports.api` launched by `sys.auth.zts`.
fn key(instance_id: &str) -> CertKey {
    CertKey::new(PROVIDER, instance_id, SERVICE)
}

/// A certificate with serial `serial` issued at `t` ms; ip, expiry and
/// hostname derive from `t`, so every field tells which issue it came from.
fn issued(serial: &str, t: i64) -> Issued {
    Issued {
        serial: serial.to_owned(),
        time_ms: t,
        ip: format!("10.{}.{}.{}", (t >> 16) & 0xff, (t >> 8) & 0xff, t & 0xff),
        expiry_time_ms: t + 30 * 24 * 3_600_000,
        hostname: Some(format!("host-{t}.sports.example.com")),
    }
}

/// The record a register of `issued` must produce, spelled out field by field.
fn registered(
    key: &CertKey,
    issued: &Issued,
    client_cert: bool,
    sia_provider: Option<&str>,
) -> CertRecord {
    CertRecord {
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

/// Registers `issued` under `key` (client_cert false, SIA provider `aws`) and
/// returns the record that must now be stored.
async fn register(store: &dyn CertStore, key: &CertKey, issued: &Issued) -> CertRecord {
    store
        .insert(key, issued, false, Some("aws"))
        .await
        .expect("insert");
    let expected = registered(key, issued, false, Some("aws"));
    assert_eq!(store.get(key).await.unwrap(), Some(expected.clone()));
    expected
}

/// Refreshes and asserts the outcome.
async fn refresh_expect(
    store: &dyn CertStore,
    key: &CertKey,
    presented: &str,
    issued: &Issued,
    expected: RefreshOutcome,
) {
    let outcome = store
        .refresh(key, presented, issued)
        .await
        .expect("refresh");
    assert_eq!(
        outcome, expected,
        "refresh presenting {presented:?}, issuing {:?}",
        issued.serial
    );
}

/// The reference model: the refresh state machine of the `CertStore::refresh`
/// documentation, written independently of the crate's implementation.
/// Returns the outcome and the record afterwards.
fn model_refresh(
    record: &CertRecord,
    presented: &str,
    issued: &Issued,
) -> (RefreshOutcome, CertRecord) {
    let mut next = record.clone();
    let take_issued = |next: &mut CertRecord| {
        next.current_serial = issued.serial.clone();
        next.current_time_ms = issued.time_ms;
        next.current_ip = issued.ip.clone();
        next.expiry_time_ms = issued.expiry_time_ms;
        next.hostname = issued.hostname.clone();
    };
    if record.current_serial != REVOKED_SERIAL && presented == record.current_serial {
        next.prev_serial = record.current_serial.clone();
        next.prev_time_ms = record.current_time_ms;
        next.prev_ip = record.current_ip.clone();
        next.prev_used = false;
        take_issued(&mut next);
        (RefreshOutcome::Current, next)
    } else if record.prev_serial != REVOKED_SERIAL
        && presented == record.prev_serial
        && !record.prev_used
    {
        next.prev_used = true;
        take_issued(&mut next);
        (RefreshOutcome::Previous, next)
    } else {
        next.current_serial = REVOKED_SERIAL.to_owned();
        next.prev_serial = REVOKED_SERIAL.to_owned();
        (RefreshOutcome::Revoked, next)
    }
}

/// `record` as it must be after revocation: only the serials change.
fn revoked(record: &CertRecord) -> CertRecord {
    CertRecord {
        current_serial: REVOKED_SERIAL.to_owned(),
        prev_serial: REVOKED_SERIAL.to_owned(),
        ..record.clone()
    }
}
