//! Cases with concurrent refreshes: every set of outcomes must be explained by
//! some serial order of the same refreshes run through the reference model
//! ([`model_refresh`]), and the stored record must be what that order leaves.
//!
//! Each case uses two stores on one database, as two ZTS instances (or
//! processes) would, and starts all refreshes of a round together.

use std::sync::Arc;

use tokio::sync::Barrier;
use tokio::task::JoinSet;

use super::*;

const ROUNDS: i64 = 20;
const TASKS: i64 = 16;

/// One refresh of a race and what the store answered.
#[derive(Clone, Debug)]
struct Request {
    presented: String,
    issued: Issued,
    outcome: RefreshOutcome,
}

/// Two stores on the database of `url`.
async fn two_stores(url: &str) -> [Arc<dyn CertStore>; 2] {
    [fresh(url).await, fresh(url).await]
}

/// Serial `n` in hex, as certificate serials are stored.
fn serial(n: i64) -> String {
    format!("{n:x}")
}

/// Refreshes `k` once per entry of `presented`, all at once, alternating
/// between the stores; request `i` issues serial `first + i` at time
/// `first + i`.
async fn race(
    stores: &[Arc<dyn CertStore>; 2],
    k: &CertKey,
    presented: &[String],
    first: i64,
) -> Vec<Request> {
    let barrier = Arc::new(Barrier::new(presented.len()));
    let mut tasks = JoinSet::new();
    for (n, presented) in (first..).zip(presented) {
        let store = Arc::clone(&stores[usize::from(n % 2 == 1)]);
        let barrier = Arc::clone(&barrier);
        let k = k.clone();
        let presented = presented.clone();
        let issued = issued(&serial(n), n);
        tasks.spawn(async move {
            barrier.wait().await;
            let outcome = store
                .refresh(&k, &presented, &issued)
                .await
                .unwrap_or_else(|e| panic!("refresh presenting {presented}: {e}"));
            Request {
                presented,
                issued,
                outcome,
            }
        });
    }
    let mut requests = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        requests.push(joined.unwrap());
    }
    requests.sort_by_key(|r| r.issued.time_ms);
    requests
}

/// Every record the store may hold after `requests` ran concurrently on
/// `start`: the final states of all orders of the requests in which the model
/// gives each request the outcome the store gave it. Empty when no serial
/// order explains the outcomes.
fn explanations(start: &CertRecord, requests: &[Request]) -> Vec<CertRecord> {
    let pending: Vec<&Request> = requests.iter().collect();
    let mut finals = Vec::new();
    explain(start, &pending, &mut finals);
    finals
}

fn explain(state: &CertRecord, pending: &[&Request], finals: &mut Vec<CertRecord>) {
    if pending.is_empty() {
        if !finals.contains(state) {
            finals.push(state.clone());
        }
        return;
    }
    // Revocation is absorbing in the model (every refresh of a revoked record
    // is Revoked and changes nothing), so the order of what is left does not
    // matter: replay it as it is.
    if state.current_serial == REVOKED_SERIAL && state.prev_serial == REVOKED_SERIAL {
        let mut state = state.clone();
        for request in pending {
            let (outcome, next) = model_refresh(&state, &request.presented, &request.issued);
            if outcome != request.outcome {
                return;
            }
            state = next;
        }
        explain(&state, &[], finals);
        return;
    }
    // Try each request as the next one. Revoked requests presenting the same
    // serial lead to the same state (a revocation ignores the issued
    // certificate), so one of them stands for all.
    let mut revoked_tried: Vec<&str> = Vec::new();
    for (i, request) in pending.iter().enumerate() {
        if request.outcome == RefreshOutcome::Revoked {
            if revoked_tried.contains(&request.presented.as_str()) {
                continue;
            }
            revoked_tried.push(&request.presented);
        }
        let (outcome, next) = model_refresh(state, &request.presented, &request.issued);
        if outcome != request.outcome {
            continue;
        }
        let rest: Vec<&Request> = pending
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .map(|(_, r)| *r)
            .collect();
        explain(&next, &rest, finals);
    }
}

/// Asserts that some serial order of `requests` explains their outcomes and
/// ends in the record the store holds.
async fn assert_serializable(
    store: &dyn CertStore,
    k: &CertKey,
    start: &CertRecord,
    requests: &[Request],
) -> CertRecord {
    let stored = store.get(k).await.unwrap().expect("record still there");
    let outcomes: Vec<_> = requests
        .iter()
        .map(|r| (r.presented.as_str(), r.issued.serial.as_str(), r.outcome))
        .collect();
    let finals = explanations(start, requests);
    assert!(
        !finals.is_empty(),
        "no serial order explains the outcomes {outcomes:?} from {start:?}"
    );
    assert!(
        finals.contains(&stored),
        "stored {stored:?} is not what an order explaining {outcomes:?} leaves: {finals:?}"
    );
    stored
}

fn count(requests: &[Request], presented: &str, outcome: RefreshOutcome) -> usize {
    requests
        .iter()
        .filter(|r| r.presented == presented && r.outcome == outcome)
        .count()
}

/// Registers `k` with serial `a` and refreshes it to `b`, so that `b` is
/// current and `a` an unused previous serial. Returns the record.
async fn current_with_fallback(store: &dyn CertStore, k: &CertKey, a: i64, b: i64) -> CertRecord {
    let registered = register(store, k, &issued(&serial(a), a)).await;
    refresh_expect(
        store,
        k,
        &serial(a),
        &issued(&serial(b), b),
        RefreshOutcome::Current,
    )
    .await;
    let (_, start) = model_refresh(&registered, &serial(a), &issued(&serial(b), b));
    assert!(!start.prev_used);
    assert_eq!(store.get(k).await.unwrap().as_ref(), Some(&start));
    start
}

pub async fn concurrent_current_and_previous_refreshes_serialize(url: String) {
    let stores = two_stores(&url).await;
    let mut tally = [0usize; 3];
    for round in 0..ROUNDS {
        let k = key(&format!("i-{round}"));
        let base = (round + 1) * 1000;
        let (a, b) = (serial(base + 1), serial(base + 2));
        let start = current_with_fallback(&*stores[0], &k, base + 1, base + 2).await;
        // Half present the current serial b, half the unused previous a.
        let presented: Vec<String> = (0..TASKS)
            .map(|i| if i % 2 == 0 { b.clone() } else { a.clone() })
            .collect();
        let requests = race(&stores, &k, &presented, base + 100).await;
        let outcomes: Vec<_> = requests.iter().map(|r| (&r.presented, r.outcome)).collect();

        // The invariants the state machine implies from this start:
        assert!(
            requests
                .iter()
                .all(|r| r.outcome != RefreshOutcome::NotFound),
            "{outcomes:?}"
        );
        let b_current = count(&requests, &b, RefreshOutcome::Current);
        let b_previous = count(&requests, &b, RefreshOutcome::Previous);
        let a_current = count(&requests, &a, RefreshOutcome::Current);
        let a_previous = count(&requests, &a, RefreshOutcome::Previous);
        // a is never current; b is current once at most.
        assert_eq!(a_current, 0, "{outcomes:?}");
        assert!(b_current <= 1, "{outcomes:?}");
        // Whoever gets the record first succeeds: b as Current or a as
        // Previous, and each excludes the other (after b's shift a is
        // unknown; after a's use b is unknown).
        assert_eq!(b_current + a_previous, 1, "{outcomes:?}");
        // The fallback is accepted once: a at most once, and b only as the
        // fallback that b's own Current created.
        assert!(b_previous <= b_current, "{outcomes:?}");
        // Everything else revoked, so the record ends revoked.
        let successes = b_current + b_previous + a_previous;
        assert_eq!(
            count(&requests, &a, RefreshOutcome::Revoked)
                + count(&requests, &b, RefreshOutcome::Revoked),
            requests.len() - successes,
            "{outcomes:?}"
        );
        tally[if a_previous == 1 {
            1
        } else if b_previous == 1 {
            2
        } else {
            0
        }] += 1;

        let stored = assert_serializable(&*stores[1], &k, &start, &requests).await;
        assert_eq!(stored, revoked(&stored));
        assert_eq!(stored.current_serial, REVOKED_SERIAL);
        assert_eq!(stored.prev_serial, REVOKED_SERIAL);
        // The last success's certificate is the one the record describes.
        let last = requests
            .iter()
            .find(|r| r.outcome == RefreshOutcome::Previous && r.presented == b)
            .or_else(|| {
                requests
                    .iter()
                    .find(|r| r.outcome != RefreshOutcome::Revoked)
            })
            .expect("one success");
        assert_eq!(stored.current_time_ms, last.issued.time_ms);
        assert_eq!(stored.current_ip, last.issued.ip);
        assert_eq!(stored.expiry_time_ms, last.issued.expiry_time_ms);
        assert_eq!(stored.hostname, last.issued.hostname);
        if a_previous == 1 {
            assert_eq!(
                (stored.prev_time_ms, stored.prev_used),
                (start.prev_time_ms, true)
            );
        } else {
            assert_eq!(stored.prev_time_ms, start.current_time_ms);
            assert_eq!(stored.prev_used, b_previous == 1);
        }
    }
    eprintln!(
        "rounds won by b alone: {}, by a: {}, by b then b as fallback: {}",
        tally[0], tally[1], tally[2]
    );
}

pub async fn concurrent_refreshes_with_current_serial(url: String) {
    // Everyone presents the current serial: the first shifts it to the
    // fallback, the second uses that fallback, everyone else is refused.
    let stores = two_stores(&url).await;
    for round in 0..ROUNDS / 2 {
        let k = key(&format!("i-{round}"));
        let base = (round + 1) * 1000;
        let start = current_with_fallback(&*stores[0], &k, base + 1, base + 2).await;
        let presented = vec![serial(base + 2); 16];
        let requests = race(&stores, &k, &presented, base + 100).await;
        let outcomes: Vec<_> = requests.iter().map(|r| r.outcome).collect();
        let of = |o: RefreshOutcome| outcomes.iter().filter(|&&x| x == o).count();
        assert_eq!(of(RefreshOutcome::Current), 1, "{outcomes:?}");
        assert_eq!(of(RefreshOutcome::Previous), 1, "{outcomes:?}");
        assert_eq!(of(RefreshOutcome::Revoked), 14, "{outcomes:?}");
        assert_serializable(&*stores[1], &k, &start, &requests).await;
    }
}

pub async fn concurrent_refreshes_with_previous_serial(url: String) {
    // Everyone presents the unused previous serial: exactly one gets it.
    let stores = two_stores(&url).await;
    for round in 0..ROUNDS / 2 {
        let k = key(&format!("i-{round}"));
        let base = (round + 1) * 1000;
        let start = current_with_fallback(&*stores[0], &k, base + 1, base + 2).await;
        let presented = vec![serial(base + 1); 16];
        let requests = race(&stores, &k, &presented, base + 100).await;
        let outcomes: Vec<_> = requests.iter().map(|r| r.outcome).collect();
        let previous = outcomes
            .iter()
            .filter(|&&o| o == RefreshOutcome::Previous)
            .count();
        let revoked_count = outcomes
            .iter()
            .filter(|&&o| o == RefreshOutcome::Revoked)
            .count();
        assert_eq!((previous, revoked_count), (1, 15), "{outcomes:?}");
        assert_serializable(&*stores[1], &k, &start, &requests).await;
    }
}

pub async fn concurrent_refreshes_of_different_records(url: String) {
    // Each task walks its own record through a chain of refreshes; the
    // records must not interfere (no lock or write crossing keys).
    const STEPS: i64 = 10;
    let stores = two_stores(&url).await;
    let barrier = Arc::new(Barrier::new(usize::try_from(TASKS).unwrap()));
    let mut tasks = JoinSet::new();
    for t in 0..TASKS {
        let store = Arc::clone(&stores[usize::from(t % 2 == 1)]);
        let barrier = Arc::clone(&barrier);
        tasks.spawn(async move {
            let k = key(&format!("i-{t}"));
            let base = (t + 1) * 1000;
            let mut expected = register(&*store, &k, &issued(&serial(base), base)).await;
            barrier.wait().await;
            for step in 1..=STEPS {
                let presented = expected.current_serial.clone();
                let next = issued(&serial(base + step), base + step);
                refresh_expect(&*store, &k, &presented, &next, RefreshOutcome::Current).await;
                expected = model_refresh(&expected, &presented, &next).1;
            }
            (k, base, expected)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        let (k, base, expected) = joined.unwrap();
        // The record the model predicts: the last serial current, the one
        // before it an unused fallback.
        assert_eq!(expected.current_serial, serial(base + STEPS));
        assert_eq!(expected.prev_serial, serial(base + STEPS - 1));
        assert!(!expected.prev_used);
        assert_eq!(stores[0].get(&k).await.unwrap().as_ref(), Some(&expected));
    }
}
