//! The daemon loop (Athenz `agent.go` `RunAgent`, made certificate-lifetime aware): start by
//! refreshing what is on disk (registering what is not), then refresh at a fraction of the
//! certificate lifetime or after `refresh_interval`, whichever is sooner; retry failures with
//! jittered exponential backoff; give up after `fail_count_for_exit` consecutive failures so the
//! service manager restarts the agent; stop cleanly when `shutdown` resolves.
//!
//! Role certificates and access tokens ride on the same loop. After every successful
//! register/refresh all of them are fetched again (the service key may be new, and Athenz's loop
//! does the same every `refresh_interval`). In between, a role certificate is fetched again at
//! `refresh_fraction` of its lifetime and a token when a quarter of its lifetime remains or
//! `TOKEN_REFRESH_PERIOD` has passed (Athenz's token ticker, `tokens.go`). Their failures are
//! retried with the same backoff, never count towards `fail_count_for_exit`, and leave the old
//! files in place; only `role_certs_required` makes missing role certificates fatal, after
//! `required_role_certs_timeout` (Athenz `GetRequiredRoleCertificates`), and holds back
//! readiness until they are on disk.

use crate::agent::{self, AgentConfig, Attestor, ZtsApi};
use crate::error::{Error, Result};
use crate::schedule::{refresh_delay, token_refresh_delay};
use crate::{roles, tokens};
use std::future::Future;
use std::time::{Duration, SystemTime};
use tokio::time::Instant;

/// When a job (the roles, or one token) runs next, and how many times in a row it failed.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    next: Option<Instant>,
    attempt: u32,
}

impl Slot {
    fn due(&self, now: Instant) -> bool {
        self.next.is_some_and(|t| t <= now)
    }

    /// Records an outcome: on success wait `normal`; on failure back off (never longer than
    /// `normal`).
    fn done(&mut self, now: Instant, ok: bool, normal: Duration, cfg: &AgentConfig) -> Duration {
        let wait = if ok {
            self.attempt = 0;
            normal
        } else {
            self.attempt += 1;
            cfg.timing.backoff.delay(self.attempt - 1).min(normal)
        };
        self.next = Some(now + wait);
        wait
    }
}

/// Runs until `shutdown` resolves (then `Ok`) or too many consecutive failures (then
/// [`Error::TooManyFailures`]), or required role certificates could not be had (then
/// [`Error::Credentials`]). `on_ready` is called once, after the first identity of every
/// service (and, with `role_certs_required`, every role certificate) is on disk (for systemd
/// `READY=1`).
pub async fn run(
    cfg: &AgentConfig,
    zts: &dyn ZtsApi,
    attestor: &dyn Attestor,
    shutdown: impl Future<Output = ()>,
    mut on_ready: impl FnMut(),
) -> Result<()> {
    tokio::pin!(shutdown);
    macro_rules! or_stop {
        ($fut:expr) => {
            tokio::select! {
                r = $fut => r,
                () = &mut shutdown => return Ok(()),
            }
        };
    }
    let t = &cfg.timing;
    let mut failures: u32 = 0;
    let mut identity = false;
    let mut ready = false;
    let mut svc_next = Instant::now();
    let mut roles_slot = Slot::default();
    let mut roles_forced = false;
    let mut roles_obtained = !cfg.role_certs_required || cfg.roles.is_empty();
    let mut roles_failing_since: Option<Instant> = None;
    let mut token_slots = vec![Slot::default(); cfg.access_tokens.len()];
    loop {
        let now = Instant::now();
        if now >= svc_next {
            match or_stop!(agent::refresh_or_register(cfg, zts, attestor)) {
                Ok(certs) => {
                    failures = 0;
                    identity = true;
                    let wall = SystemTime::now();
                    let next = certs
                        .iter()
                        .map(|c| {
                            refresh_delay(
                                c.not_before,
                                c.not_after,
                                t.refresh_fraction,
                                t.refresh_interval,
                                wall,
                            )
                        })
                        .min()
                        .unwrap_or(t.refresh_interval);
                    log::info!("next refresh in {}", human(next));
                    svc_next = now + next;
                    if !cfg.roles.is_empty() {
                        roles_slot.next = Some(now);
                        roles_forced = true;
                    }
                    for s in &mut token_slots {
                        s.next = Some(now);
                    }
                }
                Err(e) => {
                    failures += 1;
                    if failures >= t.fail_count_for_exit {
                        return Err(Error::TooManyFailures {
                            count: failures,
                            last: Box::new(e),
                        });
                    }
                    let d = t.backoff.delay(failures - 1);
                    log::warn!(
                        "attempt failed ({failures}/{}): {e}; retrying in {}",
                        t.fail_count_for_exit,
                        human(d)
                    );
                    svc_next = now + d;
                }
            }
        }
        if roles_slot.due(now) {
            let report = if roles_forced {
                or_stop!(roles::fetch_all(cfg, zts))
            } else {
                or_stop!(roles::fetch_due(cfg, zts, SystemTime::now()))
            };
            roles_forced = false;
            let normal = report
                .next_refresh(t, SystemTime::now())
                .unwrap_or(t.refresh_interval);
            let wait = roles_slot.done(now, report.is_ok(), normal, cfg);
            if report.is_ok() {
                roles_obtained = true;
                roles_failing_since = None;
            } else {
                log::warn!(
                    "{} role certificates failed; retrying in {}",
                    report.failed.len(),
                    human(wait)
                );
                if !roles_obtained {
                    let since = *roles_failing_since.get_or_insert(now);
                    if now.duration_since(since) >= t.required_role_certs_timeout {
                        report.into_result()?;
                    }
                }
            }
        }
        if !ready && identity && roles_obtained {
            ready = true;
            on_ready();
        }
        for (slot, target) in token_slots.iter_mut().zip(&cfg.access_tokens) {
            if !slot.due(now) {
                continue;
            }
            let outcome = or_stop!(tokens::fetch_one(cfg, zts, target));
            let lifetime = outcome
                .as_ref()
                .map_or(Duration::from_secs(target.expires_in), |f| f.lifetime);
            let normal = token_refresh_delay(lifetime, t.token_refresh);
            let wait = slot.done(now, outcome.is_ok(), normal, cfg);
            if outcome.is_err() {
                log::warn!("access token {}: retrying in {}", target.name, human(wait));
            }
        }
        let wake = token_slots
            .iter()
            .chain(std::iter::once(&roles_slot))
            .filter_map(|s| s.next)
            .fold(svc_next, Instant::min);
        tokio::select! {
            () = tokio::time::sleep_until(wake) => {}
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

#[cfg(test)]
mod tests;
