//! When to refresh and how to back off. A certificate is refreshed at a fraction of its lifetime
//! (linkerd's `refresh_in`), or after Athenz's `refresh_interval` when that comes first
//! (`libs/go/sia/aws/options/options.go`, default 1440 min). Failures retry with jittered
//! exponential backoff (Athenz's token fetcher: initial 5 s, ×2,
//! `libs/go/sia/access/tokens/tokens.go`), and the agent exits after `fail_count_for_exit`
//! consecutive failures (default 2, `libs/go/sia/agent/agent.go`) so systemd restarts it.

use crate::error::{Error, Result};
use std::time::{Duration, SystemTime};

/// Athenz's default `refresh_interval` (minutes).
pub const DEFAULT_REFRESH_INTERVAL_MINS: u64 = 1440;
/// Athenz's default `fail_count_for_exit`.
pub const DEFAULT_FAIL_COUNT_FOR_EXIT: u32 = 2;
/// Default fraction of the certificate lifetime after which to refresh.
pub const DEFAULT_REFRESH_FRACTION: f64 = 0.5;
/// The shortest wait between two refreshes, so a very short-lived cert cannot spin the loop.
pub const MIN_REFRESH_DELAY: Duration = Duration::from_secs(1);

/// Exponential backoff with jitter: attempt `n` waits a uniformly random time in
/// `[d/2, d]` where `d = min(initial × 2ⁿ, max)` ("equal jitter": never zero, never above max).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
}

impl Backoff {
    /// Validates `initial > 0` and `max >= initial`.
    pub fn try_new(initial: Duration, max: Duration) -> Result<Self> {
        if initial.is_zero() {
            return Err(Error::Config(vec!["retry_initial_ms must be > 0".into()]));
        }
        if max < initial {
            return Err(Error::Config(vec![
                "retry_max_ms must be >= retry_initial_ms".into(),
            ]));
        }
        Ok(Self { initial, max })
    }

    /// The upper bound of the wait before retry number `attempt` (0-based).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.initial
            .checked_mul(factor)
            .map_or(self.max, |d| d.min(self.max))
    }

    /// The wait before retry `attempt`, with `unit` a random number in `[0, 1)`.
    pub fn delay_with(&self, attempt: u32, unit: f64) -> Duration {
        let ceiling = self.ceiling(attempt);
        let unit = unit.clamp(0.0, 1.0);
        ceiling / 2 + (ceiling / 2).mul_f64(unit)
    }

    /// The wait before retry `attempt`, jittered from the system RNG.
    pub fn delay(&self, attempt: u32) -> Duration {
        self.delay_with(attempt, random_unit())
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(5),
            max: Duration::from_secs(300),
        }
    }
}

/// A uniformly distributed number in `[0, 1)` (53 random bits; 0.5 if the RNG fails, which only
/// removes the jitter).
fn random_unit() -> f64 {
    let mut b = [0u8; 8];
    if aws_lc_rs::rand::fill(&mut b).is_err() {
        return 0.5;
    }
    (u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64
}

/// How long to wait from `now` before refreshing a certificate valid from `not_before` to
/// `not_after`: until `not_before + fraction × lifetime`, or `interval` if that is sooner, but at
/// least [`MIN_REFRESH_DELAY`].
pub fn refresh_delay(
    not_before: SystemTime,
    not_after: SystemTime,
    fraction: f64,
    interval: Duration,
    now: SystemTime,
) -> Duration {
    let lifetime = not_after
        .duration_since(not_before)
        .unwrap_or(Duration::ZERO);
    let at = not_before + lifetime.mul_f64(fraction.clamp(0.0, 1.0));
    let until = at.duration_since(now).unwrap_or(Duration::ZERO);
    until.min(interval).max(MIN_REFRESH_DELAY)
}

/// Whether a certificate valid from `not_before` to `not_after` should be fetched again at
/// `now`: once `fraction` of its lifetime has passed (the point [`refresh_delay`] schedules), or
/// when it has expired or has no usable validity. Used for role certificates found on disk.
pub fn needs_refresh(
    not_before: SystemTime,
    not_after: SystemTime,
    fraction: f64,
    now: SystemTime,
) -> bool {
    let lifetime = not_after
        .duration_since(not_before)
        .unwrap_or(Duration::ZERO);
    if lifetime.is_zero() || now >= not_after {
        return true;
    }
    now >= not_before + lifetime.mul_f64(fraction.clamp(0.0, 1.0))
}

/// Athenz's default `TOKEN_REFRESH_PERIOD` (`libs/go/sia/access/tokens/tokens.go`, `1.5h`).
pub const DEFAULT_TOKEN_REFRESH_PERIOD: Duration = Duration::from_secs(5400);

/// How long after fetching a token that lives `lifetime` to fetch it again: when a quarter of
/// its lifetime remains, or after `period` (`TOKEN_REFRESH_PERIOD`, Athenz's ticker) if that is
/// sooner; a zero `period` disables the ticker, as in Athenz. At least [`MIN_REFRESH_DELAY`].
pub fn token_refresh_delay(lifetime: Duration, period: Duration) -> Duration {
    let by_lifetime = lifetime.mul_f64(0.75);
    let d = if period.is_zero() {
        by_lifetime
    } else {
        by_lifetime.min(period)
    };
    d.max(MIN_REFRESH_DELAY)
}

/// Parses a Go `time.ParseDuration` string (`1.5h`, `90m`, `1h30m`, `300s`, `500ms`), the
/// format of Athenz's `TOKEN_REFRESH_PERIOD`. Negative durations are refused.
pub fn parse_go_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration {text:?} (use e.g. 1.5h, 90m, 300s)");
    let s = text.trim();
    let s = s.strip_prefix('+').unwrap_or(s);
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() || s.starts_with('-') {
        return Err(bad());
    }
    let mut rest = s;
    let mut total = 0f64;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let value: f64 = rest[..n].parse().map_err(|_| bad())?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let secs = match &rest[..u] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        rest = &rest[u..];
        total += value * secs;
    }
    Duration::try_from_secs_f64(total).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_cert_refresh_decision() {
        let nb = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let na = nb + Duration::from_secs(1000);
        let at = |s| nb + Duration::from_secs(s);
        assert!(!needs_refresh(nb, na, 0.5, at(0)));
        assert!(!needs_refresh(nb, na, 0.5, at(499)));
        assert!(needs_refresh(nb, na, 0.5, at(500)));
        assert!(!needs_refresh(nb, na, 0.8, at(700)));
        assert!(needs_refresh(nb, na, 0.8, at(800)));
        // Expired, inverted or empty validity: always due.
        assert!(needs_refresh(nb, na, 1.0, at(1000)));
        assert!(needs_refresh(na, nb, 0.5, at(0)));
        assert!(needs_refresh(nb, nb, 0.5, at(0)));
        // Not yet valid (clock skew) but early in its life: not due.
        assert!(!needs_refresh(nb, na, 0.5, nb - Duration::from_secs(5)));
    }

    #[test]
    fn token_refresh_at_three_quarters_or_period() {
        let h = |x: f64| Duration::from_secs_f64(x * 3600.0);
        // 8 h token, 1.5 h period: the period wins.
        assert_eq!(token_refresh_delay(h(8.0), h(1.5)), h(1.5));
        // 1 h token: refresh when 15 min remain.
        assert_eq!(token_refresh_delay(h(1.0), h(1.5)), h(0.75));
        assert_eq!(token_refresh_delay(h(1.0), Duration::ZERO), h(0.75));
        assert_eq!(
            token_refresh_delay(Duration::ZERO, h(1.0)),
            MIN_REFRESH_DELAY
        );
    }

    #[test]
    fn go_durations_parse() {
        let s = Duration::from_secs;
        assert_eq!(parse_go_duration("1.5h").unwrap(), s(5400));
        assert_eq!(parse_go_duration("90m").unwrap(), s(5400));
        assert_eq!(parse_go_duration("1h30m").unwrap(), s(5400));
        assert_eq!(parse_go_duration(" 300s ").unwrap(), s(300));
        assert_eq!(
            parse_go_duration("500ms").unwrap(),
            Duration::from_millis(500)
        );
        assert_eq!(parse_go_duration("0").unwrap(), Duration::ZERO);
        for bad in ["", "10", "-1h", "1d", "h", "1.2.3s", "abc"] {
            assert!(parse_go_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn backoff_doubles_caps_and_jitters_within_bounds() {
        let b = Backoff::try_new(Duration::from_millis(200), Duration::from_secs(1)).unwrap();
        assert_eq!(b.ceiling(0), Duration::from_millis(200));
        assert_eq!(b.ceiling(1), Duration::from_millis(400));
        assert_eq!(b.ceiling(2), Duration::from_millis(800));
        assert_eq!(b.ceiling(3), Duration::from_secs(1));
        assert_eq!(b.ceiling(100), Duration::from_secs(1));
        assert_eq!(b.delay_with(1, 0.0), Duration::from_millis(200));
        assert_eq!(b.delay_with(1, 1.0), Duration::from_millis(400));
        assert_eq!(b.delay_with(1, 0.5), Duration::from_millis(300));
        let mut seen = std::collections::BTreeSet::new();
        for attempt in 0..6 {
            for _ in 0..50 {
                let d = b.delay(attempt);
                assert!(
                    d >= b.ceiling(attempt) / 2 && d <= b.ceiling(attempt),
                    "{d:?}"
                );
                seen.insert(d);
            }
        }
        assert!(seen.len() > 10, "delays are jittered: {seen:?}");
    }

    #[test]
    fn backoff_validates() {
        assert!(Backoff::try_new(Duration::ZERO, Duration::from_secs(1)).is_err());
        assert!(Backoff::try_new(Duration::from_secs(2), Duration::from_secs(1)).is_err());
        let d = Backoff::default();
        assert_eq!(d.ceiling(0), Duration::from_secs(5));
    }

    #[test]
    fn refresh_at_fraction_of_lifetime_or_interval() {
        let nb = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let na = nb + Duration::from_secs(3600);
        let day = Duration::from_secs(86_400);
        // Half of one hour, measured from notBefore.
        assert_eq!(
            refresh_delay(nb, na, 0.5, day, nb),
            Duration::from_secs(1800)
        );
        assert_eq!(
            refresh_delay(nb, na, 0.5, day, nb + Duration::from_secs(600)),
            Duration::from_secs(1200)
        );
        assert_eq!(
            refresh_delay(nb, na, 0.8, day, nb),
            Duration::from_secs(2880)
        );
        // The interval wins when smaller.
        assert_eq!(
            refresh_delay(nb, na, 0.5, Duration::from_secs(60), nb),
            Duration::from_secs(60)
        );
        // Past the refresh point (or an inverted validity): the minimum, not zero.
        assert_eq!(refresh_delay(nb, na, 0.5, day, na + day), MIN_REFRESH_DELAY);
        assert_eq!(refresh_delay(na, nb, 0.5, day, na), MIN_REFRESH_DELAY);
    }
}
