//! One time scale for the whole run. Every deadline the checker keeps (a
//! stage's watchdog, a read, a server's announcement, the timeouts passed
//! to a client's flags) is a base value multiplied by it, so a slow machine
//! or a loaded CI runner asks for more patience in one place:
//! `cargo grade --time-scale 3`, or `GRADE_TIME_SCALE=3` in the environment.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The environment variable read when `--time-scale` is not given.
pub const ENV: &str = "GRADE_TIME_SCALE";

/// The scale's bits (an f64); 0 means "not chosen yet: read the environment".
static SCALE: AtomicU64 = AtomicU64::new(0);

/// The time scale in force: set by [`set_scale`], else from [`ENV`], else 1.
pub fn scale() -> f64 {
    let bits = SCALE.load(Ordering::Relaxed);
    if bits != 0 {
        return f64::from_bits(bits);
    }
    let chosen = std::env::var(ENV)
        .ok()
        .and_then(|v| parse_scale(&v).ok())
        .unwrap_or(1.0);
    SCALE.store(chosen.to_bits(), Ordering::Relaxed);
    chosen
}

/// Sets the scale for the rest of the run.
pub fn set_scale(factor: f64) {
    SCALE.store(factor.to_bits(), Ordering::Relaxed);
}

/// Reads a scale such as `2` or `0.5`: a finite number from 0.1 to 100.
pub fn parse_scale(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(f) if (0.1..=100.0).contains(&f) => Ok(f),
        _ => Err(format!(
            "the time scale is a number from 0.1 to 100, such as 2 or 0.5; got {text:?}"
        )),
    }
}

/// A base duration, scaled.
pub fn scaled(base: Duration) -> Duration {
    base.mul_f64(scale())
}

/// `Duration::from_secs`, short enough for stage tables.
pub const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// `Duration::from_millis`, short enough for stage code.
pub const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// How long the checker waits for something that should come at once on
/// loopback (a reply, an echo, a close), before the scale. It is also how
/// long it takes to say that something never came, so it is short:
/// loopback answers in microseconds.
pub const PATIENCE: Duration = secs(2);

/// [`PATIENCE`], scaled.
pub fn patience() -> Duration {
    scaled(PATIENCE)
}

/// A duration as a command-line value in seconds: `0.3`, `2`.
pub fn flag(d: Duration) -> String {
    let s = format!("{:.3}", d.as_secs_f64());
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// "2s", "0.3s": for messages.
pub fn say(d: Duration) -> String {
    format!("{}s", flag(d))
}

/// A UTC date and time for file names, from seconds since 1970:
/// `2026-11-29-180512`.
pub fn utc_stamp(secs: u64) -> String {
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days, for days since 1970-01-01.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}-{:02}{:02}{:02}",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_as_short_decimals() {
        assert_eq!(flag(ms(300)), "0.3");
        assert_eq!(flag(secs(2)), "2");
        assert_eq!(say(ms(1500)), "1.5s");
    }

    #[test]
    fn a_scale_is_a_sane_positive_number() {
        assert_eq!(parse_scale("2"), Ok(2.0));
        assert_eq!(parse_scale(" 0.5 "), Ok(0.5));
        for bad in ["0", "-1", "abc", "inf", "NaN", "1000"] {
            assert!(parse_scale(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn stamps_are_utc_dates() {
        assert_eq!(utc_stamp(0), "1970-01-01-000000");
        // 2026-11-29 18:05:12 UTC
        assert_eq!(utc_stamp(1_795_975_512), "2026-11-29-180512");
        // a leap day
        assert_eq!(utc_stamp(951_782_400), "2000-02-29-000000");
    }
}
