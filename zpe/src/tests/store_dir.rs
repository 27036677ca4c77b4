//! The directory store: initial load, reload on mtime change, refused files reported and
//! retried, removed files, and decisions running while reloads swap domains.

use super::*;
use crate::Reason;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

fn write(dir: &Path, name: &str, bytes: &[u8], mtime_secs: u64) {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let f = std::fs::File::options().write(true).open(&path).unwrap();
    f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(mtime_secs))
        .unwrap();
}

fn data(domain: &str, action: &str) -> SignedPolicyData {
    let role = format!("{domain}:role.r");
    signed_data(domain, vec![allow(&role, action, "*")], now_ms() + HOUR_MS)
}

#[test]
fn loads_reloads_and_reports() {
    let k = key();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "sports.pol",
        &legacy_file(&data("sports", "read"), &k, "0"),
        1000,
    );
    let jws = jws_file(&data("weather", "read"), &k, "0", JwsSignatureFormat::P1363);
    write(dir.path(), "weather.pol", &jws, 1000);
    write(dir.path(), "bad.pol", b"{}", 1000);
    write(dir.path(), "ignored.txt", b"{}", 1000);

    let (store, report) = PolicyStore::open(dir.path(), keys_with("0", &k), ZpeConfig::default());
    assert_eq!(store.dir(), Some(dir.path()));
    assert_eq!(report.loaded.len(), 2);
    assert_eq!(report.failed.len(), 1);
    assert!(report.failed[0].0.ends_with("bad.pol"));
    assert_eq!(
        store.domains(),
        vec![("sports".into(), 1), ("weather".into(), 1)]
    );
    assert_eq!(
        store.allow_roles("sports", &["r"], "read", "sports:x").1,
        Reason::Allow
    );

    // unchanged files are not reloaded; the bad one is retried (it may have been half-written)
    let report = store.reload();
    assert!(report.loaded.is_empty());
    assert_eq!(report.failed.len(), 1);

    // a changed mtime reloads the file
    write(
        dir.path(),
        "sports.pol",
        &legacy_file(&data("sports", "write"), &k, "0"),
        2000,
    );
    let report = store.reload();
    assert_eq!(report.loaded.len(), 1);
    assert_eq!(
        store.allow_roles("sports", &["r"], "read", "sports:x").1,
        Reason::DenyNoMatch
    );
    assert_eq!(
        store.allow_roles("sports", &["r"], "write", "sports:x").1,
        Reason::Allow
    );

    // a refused new version keeps the old data
    write(
        dir.path(),
        "sports.pol",
        &legacy_file(&data("sports", "read"), &key(), "0"),
        3000,
    );
    let report = store.reload();
    assert_eq!(report.failed.len(), 2);
    assert_eq!(
        store.allow_roles("sports", &["r"], "write", "sports:x").1,
        Reason::Allow
    );

    // a removed file leaves its domain empty (Java `loadDb`)
    std::fs::remove_file(dir.path().join("weather.pol")).unwrap();
    let report = store.reload();
    assert_eq!(report.removed.len(), 1);
    assert_eq!(
        store.allow_roles("weather", &["r"], "read", "weather:x").1,
        Reason::DenyDomainEmpty
    );
}

#[test]
fn missing_directory_is_reported() {
    let (store, report) =
        PolicyStore::open("/nonexistent/zpe", KeyStore::new(), ZpeConfig::default());
    assert_eq!(report.failed.len(), 1);
    assert!(store.domains().is_empty());
}

#[test]
fn decisions_continue_during_reloads() {
    let k = key();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "sports.pol",
        &legacy_file(&data("sports", "read"), &k, "0"),
        1000,
    );
    let (store, _) = PolicyStore::open(dir.path(), keys_with("0", &k), ZpeConfig::default());
    let store = Arc::new(store);
    let reader = {
        let store = Arc::clone(&store);
        std::thread::spawn(move || {
            for _ in 0..20_000 {
                // every version of the file allows read
                assert_eq!(
                    store.allow_roles("sports", &["r"], "read", "sports:x").1,
                    Reason::Allow
                );
            }
        })
    };
    for i in 0..20 {
        write(
            dir.path(),
            "sports.pol",
            &legacy_file(&data("sports", "read"), &k, "0"),
            2000 + i,
        );
        assert_eq!(store.reload().loaded.len(), 1);
    }
    reader.join().unwrap();
}

#[test]
fn the_monitor_picks_up_a_replaced_file_and_stops() {
    let k = key();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "sports.pol",
        &legacy_file(&data("sports", "read"), &k, "0"),
        1000,
    );
    let (store, _) = PolicyStore::open(dir.path(), keys_with("0", &k), ZpeConfig::default());
    let store = Arc::new(store);
    let (tx, rx) = std::sync::mpsc::channel();
    let monitor = crate::Monitor::start(&store, Duration::from_millis(20), move |r| {
        let _ = tx.send(r.loaded.len());
    })
    .unwrap();
    assert_eq!(
        store.allow_roles("sports", &["r"], "write", "sports:x").1,
        Reason::DenyNoMatch
    );
    // zpu replaces the file: the monitor reloads it without any call from the service.
    write(
        dir.path(),
        "sports.pol",
        &legacy_file(&data("sports", "write"), &k, "0"),
        2000,
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while store.allow_roles("sports", &["r"], "write", "sports:x").1 != Reason::Allow {
        assert!(
            std::time::Instant::now() < deadline,
            "the monitor never reloaded"
        );
        let _ = rx.recv_timeout(Duration::from_millis(50));
    }
    monitor.stop();
    // Stopped: no more reports arrive.
    while rx.try_recv().is_ok() {}
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        rx.try_recv().is_err(),
        "the monitor kept running after stop"
    );
}
