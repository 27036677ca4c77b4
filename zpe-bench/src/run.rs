//! The bench's steps: generate, load ZPE (memory), build the other engines, check every
//! engine on the corpus, time each one, print the report.

use crate::Args;
use crate::corpus::{self, Expected, Request};
use crate::engines::Engine;
use crate::engines::casbin_engine::Casbin;
use crate::engines::cedar_engine::{CedarFull, CedarSliced, Common};
use crate::engines::rego_engine::Regorus;
use crate::engines::zpe_engine::Zpe;
use crate::measure::{self, Checked};
use crate::policy::{PolicySet, Shape};
use crate::report::{self, Row, thousands};
use anyhow::{Result, bail};
use std::time::{Duration, Instant};
use zpe::Reason;

const KNOWN: [&str; 4] = ["cedar", "cedar-sliced", "casbin", "regorus"];

/// Requests in ZPE's cache-warm row.
const HOT_REQUESTS: usize = 256;

/// An engine under test with its label and notes.
struct Entry<E> {
    name: &'static str,
    engine: E,
    notes: String,
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// Builds an engine, timing it; logs progress.
fn build<E>(name: &'static str, f: impl FnOnce() -> Result<E>) -> Result<(E, Duration)> {
    eprintln!("building {name}…");
    let start = Instant::now();
    let engine = f()?;
    let took = start.elapsed();
    eprintln!("  {name} built in {}", secs(took));
    Ok((engine, took))
}

fn check_entry<E: Engine>(
    entry: &mut Entry<E>,
    requests: &[Request],
    log: &mut Vec<String>,
) -> Result<()> {
    eprintln!("checking {} on {} requests…", entry.name, requests.len());
    let Checked {
        requests: n,
        elapsed,
    } = measure::check(entry.name, &mut entry.engine, requests)?;
    let per = elapsed / u32::try_from(n.max(1)).unwrap_or(u32::MAX);
    eprintln!(
        "  {} agreed on all {n} in {} ({} each)",
        entry.name,
        secs(elapsed),
        report::duration(per.as_nanos() as u64)
    );
    log.push(format!(
        "{} {} in {}",
        entry.name,
        thousands(n as u64),
        secs(elapsed)
    ));
    Ok(())
}

fn time_entry<E: Engine>(
    entry: &mut Entry<E>,
    requests: &[Request],
    budget: Duration,
) -> Result<Row> {
    eprintln!("timing {} for {}…", entry.name, secs(budget));
    let stats = measure::measure(&mut entry.engine, requests, budget)?;
    eprintln!(
        "  {}: {:.0}/s, p50 {}, p99 {} ({} timed)",
        entry.name,
        stats.decisions_per_sec,
        report::duration(stats.p50_ns),
        report::duration(stats.p99_ns),
        stats.timed
    );
    Ok(Row {
        engine: entry.name.to_string(),
        stats: Some(stats),
        notes: format!(
            "{}; {} decisions timed one by one, {} in the throughput loop",
            entry.notes,
            thousands(stats.timed as u64),
            thousands(stats.untimed)
        ),
    })
}

/// ZPE against the reference, reason code included (ALLOW, DENY, DENY_NO_MATCH).
fn check_zpe_reasons(zpe: &Zpe, requests: &[Request]) -> Result<()> {
    for (i, r) in requests.iter().enumerate() {
        let want = match r.expected {
            Expected::Allow => Reason::Allow,
            Expected::DenyRule => Reason::Deny,
            Expected::NoMatch => Reason::DenyNoMatch,
        };
        let got = zpe.reason(r);
        if got != want {
            bail!(
                "DISAGREEMENT: ZPE answers {got} but the reference expects {want} for request \
                 #{i}: principal {} action {:?} resource {:?}",
                r.principal,
                r.action,
                r.resource
            );
        }
    }
    Ok(())
}

/// The whole run.
pub fn run(args: &Args) -> Result<()> {
    for e in args.engines.iter().filter(|e| !e.is_empty()) {
        if !KNOWN.contains(&e.as_str()) {
            bail!("unknown engine {e:?}; known: {}", KNOWN.join(", "));
        }
    }
    let wants = |name: &str| args.engines.iter().any(|e| e == name);
    let budget = Duration::from_secs_f64(args.seconds.max(0.1));
    let load_before = measure::load_average();
    let shape = Shape {
        roles: args.roles,
        assertions: args.assertions,
        principals: args.principals,
        roles_per_principal: args.roles_per_principal,
        deny_percent: args.deny_percent,
    };
    eprintln!("generating the policy set (seed {})…", args.seed);
    let set = PolicySet::generate(args.seed, shape)?;

    // ZPE first, so that its RSS delta is measured before the other engines fill the heap.
    let ((zpe, memory), zpe_took) = build("ZPE", || Zpe::build(&set))?;
    let requests = corpus::generate(&set, args.seed, args.requests)?;
    let (allow, deny, none) = corpus::mix(&requests);
    eprintln!("corpus: {allow} allow, {deny} denied by a DENY rule, {none} no match");
    check_zpe_reasons(&zpe, &requests)?;

    let mut zpe = Entry {
        name: "ZPE",
        engine: zpe,
        notes: format!(
            "`PolicyStore::allow_roles` + principal→roles `FxHashMap`; file verified and compiled in {}",
            secs(zpe_took)
        ),
    };
    let common = if wants("cedar") || wants("cedar-sliced") {
        Some(build("cedar policies and entities", || Common::build(&set))?.0)
    } else {
        None
    };
    let questions = set.question_count();
    let mut cedar = match &common {
        Some(c) if wants("cedar") => {
            let (engine, took) = build("cedar", || CedarFull::build(c.clone()))?;
            Some(Entry {
                name: "cedar-policy 4 (as is)",
                engine,
                notes: format!(
                    "one `PolicySet` of {} policies ({questions} with `?` spelled as 41 `like` alternatives); set built in {}",
                    thousands(set.rules.len() as u64),
                    secs(took)
                ),
            })
        }
        _ => None,
    };
    let mut sliced = match &common {
        Some(c) if wants("cedar-sliced") => {
            let (engine, took) = build("cedar sliced", || CedarSliced::build(c.clone(), &set))?;
            Some(Entry {
                name: "cedar-policy 4 (sliced)",
                engine,
                notes: format!(
                    "a `PolicySet` per principal with its {} roles' policies, looked up by name; {} sets built in {}",
                    args.roles_per_principal,
                    thousands(set.principals.len() as u64),
                    secs(took)
                ),
            })
        }
        _ => None,
    };
    let mut casbin = if wants("casbin") {
        let (engine, took) = build("casbin", || Casbin::build(&set))?;
        Some(Entry {
            name: "casbin 2",
            engine,
            notes: format!(
                "RBAC `g` + custom `athenzMatch`, deny effect; {} `p` and {} `g` rows, built in {}",
                thousands(set.rules.len() as u64),
                thousands((set.principals.len() * args.roles_per_principal) as u64),
                secs(took)
            ),
        })
    } else {
        None
    };
    let mut rego = if wants("regorus") {
        match build("regorus", || Regorus::build(&set)) {
            Ok((engine, took)) => Some(Entry {
                name: "regorus 0.14 (Rego)",
                engine,
                notes: format!(
                    "data indexed by role, `glob.match(p, null, r)`; loaded in {}",
                    secs(took)
                ),
            }),
            Err(e) => {
                eprintln!("regorus could not load the policy: {e:#}");
                None
            }
        }
    } else {
        None
    };

    // Same decisions first: every engine against the reference on the corpus.
    let checked = &requests[..args
        .check_requests
        .unwrap_or(usize::MAX)
        .min(requests.len())];
    let mut checks = Vec::new();
    check_entry(&mut zpe, checked, &mut checks)?;
    if let Some(e) = cedar.as_mut() {
        check_entry(e, checked, &mut checks)?;
    }
    if let Some(e) = sliced.as_mut() {
        check_entry(e, checked, &mut checks)?;
    }
    if let Some(e) = casbin.as_mut() {
        check_entry(e, checked, &mut checks)?;
    }
    if let Some(e) = rego.as_mut() {
        check_entry(e, checked, &mut checks)?;
    }

    // Then the timing, one engine at a time on this one thread.
    let timer = measure::timer_overhead_ns();
    let mut rows = vec![time_entry(&mut zpe, &requests, budget)?];
    // The same engine on a cache-warm working set: what the decision costs when the
    // principal, its roles and their rules are already in cache.
    let hot = &requests[..requests.len().min(HOT_REQUESTS)];
    let mut hot_row = time_entry(&mut zpe, hot, budget)?;
    hot_row.engine = format!("ZPE, hot set ({} requests cycled)", hot.len());
    hot_row.notes = format!("same engine, cache-warm; {}", hot_row.notes);
    rows.push(hot_row);
    if let Some(e) = cedar.as_mut() {
        rows.push(time_entry(e, &requests, budget)?);
    }
    if let Some(e) = sliced.as_mut() {
        rows.push(time_entry(e, &requests, budget)?);
    }
    if let Some(e) = casbin.as_mut() {
        rows.push(time_entry(e, &requests, budget)?);
    }
    match rego.as_mut() {
        Some(e) => rows.push(time_entry(e, &requests, budget)?),
        None if wants("regorus") => rows.push(Row {
            engine: "regorus 0.14 (Rego)".into(),
            stats: None,
            notes: "did not load (see stderr)".into(),
        }),
        None => {}
    }
    let load_after = measure::load_average();

    let fmt_load = |l: Option<f64>| l.map_or("?".to_string(), |l| format!("{l:.2}"));
    println!(
        "zpe-bench, {} (UTC), seed {}",
        model::Timestamp::now(),
        args.seed
    );
    println!();
    println!(
        "Set: {} roles, {} assertions ({} DENY, {questions} with `?`) in domain `bench`, {} principals × {} roles; signed policy file {} bytes.",
        thousands(set.roles.len() as u64),
        thousands(set.rules.len() as u64),
        thousands(set.deny_count() as u64),
        thousands(set.principals.len() as u64),
        args.roles_per_principal,
        thousands(memory.file_bytes as u64),
    );
    println!(
        "Corpus: {} requests ({} allow, {} denied by a DENY rule, {} no match), checked and then cycled for timing. Check: every engine gave the reference's allow/deny on {} (ZPE also the reference's reason code, on all): {}.",
        thousands(requests.len() as u64),
        thousands(allow as u64),
        thousands(deny as u64),
        thousands(none as u64),
        if checked.len() == requests.len() {
            "all of them".to_string()
        } else {
            format!("the first {}", thousands(checked.len() as u64))
        },
        checks.join(", ")
    );
    println!(
        "Timing: one thread, {} per engine (half timing each decision with `Instant`, p50/p99 including ~{timer} ns of clock reads; half an un-instrumented loop for decisions/s). Load average (1 min) {} before, {} after, on {} CPUs.",
        secs(budget),
        fmt_load(load_before),
        fmt_load(load_after),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    println!();
    print!("{}", report::table(&rows));
    println!();
    println!("{}", report::memory_line(&memory, set.rules.len()));
    println!();
    if let Some(stats) = rows.first().and_then(|r| r.stats.as_ref()) {
        print!("{}", report::goals(stats, &memory));
    }
    Ok(())
}
