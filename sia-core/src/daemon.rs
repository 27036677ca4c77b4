//! The daemon loop (Athenz `agent.go` `RunAgent`, made certificate-lifetime aware): start by
//! refreshing what is on disk (registering what is not), then refresh at a fraction of the
//! certificate lifetime or after `refresh_interval`, whichever is sooner; retry failures with
//! jittered exponential backoff; give up after `fail_count_for_exit` consecutive failures so the
//! service manager restarts the agent; stop cleanly when `shutdown` resolves.

use crate::agent::{self, AgentConfig, Attestor, ZtsApi};
use crate::error::{Error, Result};
use crate::schedule::refresh_delay;
use std::future::Future;
use std::time::{Duration, SystemTime};

/// Runs until `shutdown` resolves (then `Ok`) or too many consecutive failures (then
/// [`Error::TooManyFailures`]). `on_ready` is called once, after the first identity of every
/// service is on disk (for systemd `READY=1`).
pub async fn run(
    cfg: &AgentConfig,
    zts: &dyn ZtsApi,
    attestor: &dyn Attestor,
    shutdown: impl Future<Output = ()>,
    mut on_ready: impl FnMut(),
) -> Result<()> {
    tokio::pin!(shutdown);
    let mut failures: u32 = 0;
    let mut ready = false;
    loop {
        let outcome = tokio::select! {
            r = agent::refresh_or_register(cfg, zts, attestor) => r,
            () = &mut shutdown => return Ok(()),
        };
        let delay = match outcome {
            Ok(certs) => {
                failures = 0;
                if !ready {
                    ready = true;
                    on_ready();
                }
                let now = SystemTime::now();
                let t = &cfg.timing;
                let next = certs
                    .iter()
                    .map(|c| {
                        refresh_delay(
                            c.not_before,
                            c.not_after,
                            t.refresh_fraction,
                            t.refresh_interval,
                            now,
                        )
                    })
                    .min()
                    .unwrap_or(t.refresh_interval);
                log::info!("next refresh in {}", human(next));
                next
            }
            Err(e) => {
                failures += 1;
                if failures >= cfg.timing.fail_count_for_exit {
                    return Err(Error::TooManyFailures {
                        count: failures,
                        last: Box::new(e),
                    });
                }
                let d = cfg.timing.backoff.delay(failures - 1);
                log::warn!(
                    "attempt failed ({failures}/{}): {e}; retrying in {}",
                    cfg.timing.fail_count_for_exit,
                    human(d)
                );
                d
            }
        };
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = &mut shutdown => return Ok(()),
        }
    }
}

/// Resolves on SIGTERM or SIGINT. If the handlers cannot be installed, it logs that and never
/// resolves (the process can still be killed).
pub async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => log::info!("SIGTERM received, stopping"),
                _ = int.recv() => log::info!("SIGINT received, stopping"),
            }
        }
        (Err(e), _) | (_, Err(e)) => {
            log::error!("unable to install signal handlers: {e}");
            std::future::pending::<()>().await;
        }
    }
}

fn human(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}
