//! `siad-bench`: what `siad` costs on a booting instance. Against a local world (real
//! `zms-server` and `zts-server`, moto, the fake IMDS) it runs `siad -cmd init` and
//! `siad -cmd refresh` many times under GNU time, and reports wall time from start to certificate
//! on disk, the agent's own CPU time (user + system: what it spends itself, excluding the time it
//! waits on IMDS, STS and ZTS), and peak RSS. Beside them, in the same run: the same register done
//! in-process by this bench over one fresh HTTPS connection (the latency of ZTS, its STS proof and
//! liveness check, which any agent waits for), and `/bin/true` under the same GNU time (the floor
//! of starting any process).
//!
//! Usage: `cargo build --release --workspace --bins && target/release/siad-bench [RUNS]`
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "bench binary")]

use localstack_tests::world::{EC2_PROVIDER, Options, REGION, World};
use serde_json::json;
use std::time::{Duration, Instant};

struct Sample {
    wall: Duration,
    cpu: Duration,
    rss_kb: u64,
}

/// CPU time of all waited-for descendants so far (microsecond resolution, unlike GNU time's).
fn children_cpu() -> Duration {
    use nix::sys::resource::{UsageWho, getrusage};
    let u = getrusage(UsageWho::RUSAGE_CHILDREN).unwrap();
    let tv = |t: nix::sys::time::TimeVal| {
        Duration::from_secs(t.tv_sec() as u64) + Duration::from_micros(t.tv_usec() as u64)
    };
    tv(u.user_time()) + tv(u.system_time())
}

fn parse_time(stderr: &str) -> Sample {
    let line = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("BENCH "))
        .unwrap_or_else(|| panic!("no GNU time line in:\n{stderr}"));
    let f: Vec<&str> = line.split_whitespace().collect();
    let secs = |s: &str| Duration::from_secs_f64(s.parse::<f64>().unwrap());
    Sample {
        wall: secs(f[1]),
        cpu: secs(f[2]) + secs(f[3]),
        rss_kb: f[4].parse().unwrap(),
    }
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn row(name: &str, samples: &[Sample], wall_override: Option<Vec<Duration>>) {
    let mut wall: Vec<Duration> =
        wall_override.unwrap_or_else(|| samples.iter().map(|s| s.wall).collect());
    let mut cpu: Vec<Duration> = samples.iter().map(|s| s.cpu).collect();
    let rss = samples.iter().map(|s| s.rss_kb).max().unwrap_or(0);
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    let cpu_txt = if samples.is_empty() {
        "–".to_string()
    } else {
        format!("{} / {}", ms(pct(&mut cpu, 0.5)), ms(pct(&mut cpu, 1.0)))
    };
    let rss_txt = if samples.is_empty() {
        "–".to_string()
    } else {
        format!("{:.1} MB", rss as f64 / 1024.0)
    };
    println!(
        "| {name} | {} | {} | {} | {cpu_txt} | {rss_txt} |",
        wall.len(),
        ms(pct(&mut wall, 0.5)),
        ms(pct(&mut wall, 0.9)),
    );
}

async fn timed_siad(w: &World, agent: &localstack_tests::siad::Agent, cmd: &str) -> Sample {
    let inner = w.siad_command(agent, localstack_tests::world::DNS_SUFFIX, &["-cmd", cmd]);
    let std_cmd = inner.as_std();
    let mut timed = tokio::process::Command::new("/usr/bin/time");
    timed
        .args(["-f", "BENCH %e %U %S %M"])
        .arg(std_cmd.get_program())
        .args(std_cmd.get_args());
    for (k, v) in std_cmd.get_envs() {
        match v {
            Some(v) => timed.env(k, v),
            None => timed.env_remove(k),
        };
    }
    let cpu0 = children_cpu();
    let t0 = Instant::now();
    let out = timed.output().await.unwrap();
    let wall = t0.elapsed();
    let cpu = children_cpu() - cpu0;
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "siad -cmd {cmd} failed:\n{err}");
    Sample {
        wall,
        cpu,
        ..parse_time(&err)
    }
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
    let w = World::start(Options::default()).await.unwrap();
    eprintln!("siad-bench: world up (zms, zts with liveness, moto, imds); {runs} runs each");
    let mut init = Vec::new();
    let mut refresh = Vec::new();
    for n in 0..runs {
        let agent = w.agent(&format!("bench-{n}"), json!({}));
        init.push(timed_siad(&w, &agent, "init").await);
        refresh.push(timed_siad(&w, &agent, "refresh").await);
    }
    // The same register, in-process, over a fresh HTTPS connection each: what ZTS + STS + EC2
    // take, which any agent waits for.
    let i = &w.aws.instance;
    let doc = localstack_tests::awskeys::document(
        &w.aws.account,
        REGION,
        &i.az,
        &i.id,
        &i.ip,
        time::OffsetDateTime::now_utc(),
    );
    let sig = w.signer.pkcs7(&doc).unwrap();
    let mut raw = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let (s, v) = w
            .register_raw(EC2_PROVIDER, Some(&doc), Some(&sig), &w.aws.api_role, &i.id)
            .await;
        assert_eq!(s, 201, "{v}");
        raw.push(t.elapsed());
    }
    let mut floor = Vec::new();
    for _ in 0..runs {
        let cpu0 = children_cpu();
        let t0 = Instant::now();
        let out = tokio::process::Command::new("/usr/bin/time")
            .args(["-f", "BENCH %e %U %S %M", "/bin/true"])
            .output()
            .await
            .unwrap();
        let (wall, cpu) = (t0.elapsed(), children_cpu() - cpu0);
        floor.push(Sample {
            wall,
            cpu,
            ..parse_time(&String::from_utf8_lossy(&out.stderr))
        });
    }
    println!("| measurement | runs | wall p50 | wall p90 | agent CPU p50 / max | peak RSS (max) |");
    println!("|---|---:|---:|---:|---:|---:|");
    row(
        "`siad -cmd init` (first boot: IMDS, STS AssumeRole, key, CSR, register, files)",
        &init,
        None,
    );
    row(
        "`siad -cmd refresh` (IMDS, STS AssumeRole, CSR, mTLS refresh, files)",
        &refresh,
        None,
    );
    row(
        "register by this bench in-process, fresh HTTPS connection (ZTS + STS + EC2 latency)",
        &[],
        Some(raw),
    );
    row(
        "`/bin/true` under the same GNU time (process start floor)",
        &floor,
        None,
    );
}
