//! Small statistics and process measurements: medians, percentiles, ratios,
//! thread CPU time and peak RSS, all without `unsafe` or extra crates.

use std::time::Duration;

/// The median of `values` (the mean of the two middle values for an even
/// count); `None` when there are none. NaNs sort last.
pub fn median(values: &[f64]) -> Option<f64> {
    percentile(values, 50.0)
}

/// The `p`th percentile (0–100) of `values` by linear interpolation between
/// the closest ranks; `None` when there are none.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (p.clamp(0.0, 100.0) / 100.0) * (sorted.len() - 1) as f64;
    let low = rank.floor() as usize;
    let high = rank.ceil() as usize;
    let weight = rank - low as f64;
    Some(sorted[low] * (1.0 - weight) + sorted[high] * weight)
}

/// The arithmetic mean of `values`; `None` when there are none.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        None
    } else {
        Some(values.iter().sum::<f64>() / values.len() as f64)
    }
}

/// How many rounds each ratio scenario runs; its figure is the median.
pub const ROUNDS: usize = 5;

/// The median of a scenario's rounds, with the lowest and highest beside it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rounds {
    /// The median round: the figure a target is judged on.
    pub median: f64,
    /// The lowest round.
    pub min: f64,
    /// The highest round.
    pub max: f64,
}

impl Rounds {
    /// The median, min and max of `values` (NaN for none).
    pub fn of(values: &[f64]) -> Rounds {
        Rounds {
            median: median(values).unwrap_or(f64::NAN),
            min: values.iter().copied().fold(f64::NAN, f64::min),
            max: values.iter().copied().fold(f64::NAN, f64::max),
        }
    }
}

/// `value / baseline`, or NaN when the baseline is zero.
pub fn ratio(value: f64, baseline: f64) -> f64 {
    if baseline == 0.0 {
        f64::NAN
    } else {
        value / baseline
    }
}

/// CPU time the calling OS thread has used so far, in nanoseconds, from
/// the first field of `/proc/thread-self/schedstat` (the scheduler's
/// nanosecond run-time counter). `None` off Linux or without schedstat.
pub fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// CPU time (user + system) the whole process has used so far, from
/// `/proc/self/stat` (clock ticks, assumed 100 per second as on every
/// mainstream Linux build).
pub fn process_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may contain spaces; fields after the
    // closing parenthesis are space-separated. utime and stime are fields
    // 14 and 15, i.e. the 12th and 13th after the parenthesis.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// A `kB` field of `/proc/self/status`, in KiB.
fn status_kib(field: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_status_kib(&text, field)
}

/// Reads `field:   1234 kB` out of the text of `/proc/<pid>/status`.
pub fn parse_status_kib(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let value = line.strip_prefix(field)?.strip_prefix(':')?;
        value.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// Peak resident set size of this process so far (`VmHWM`), in KiB.
pub fn peak_rss_kib() -> Option<u64> {
    status_kib("VmHWM")
}

/// Current resident set size of this process (`VmRSS`), in KiB.
pub fn rss_kib() -> Option<u64> {
    status_kib("VmRSS")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[7.0]), Some(7.0));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn percentiles_interpolate_between_ranks() {
        let values: Vec<f64> = (1..=11).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.0), Some(1.0));
        assert_eq!(percentile(&values, 100.0), Some(11.0));
        assert_eq!(percentile(&values, 90.0), Some(10.0));
        assert_eq!(percentile(&[1.0, 2.0], 25.0), Some(1.25));
        assert_eq!(percentile(&[5.0, 1.0], 150.0), Some(5.0), "clamped");
    }

    #[test]
    fn rounds_give_median_min_and_max() {
        let rounds = Rounds::of(&[1.04, 1.01, 1.09, 1.02, 1.03]);
        assert_eq!((rounds.median, rounds.min, rounds.max), (1.03, 1.01, 1.09));
        assert!(Rounds::of(&[]).median.is_nan());
    }

    #[test]
    fn mean_and_ratio() {
        assert_eq!(mean(&[1.0, 2.0, 6.0]), Some(3.0));
        assert_eq!(mean(&[]), None);
        assert_eq!(ratio(105.0, 100.0), 1.05);
        assert!(ratio(1.0, 0.0).is_nan());
    }

    #[test]
    fn status_fields_parse() {
        let status = "Name:\troster-bench\nVmHWM:\t   41236 kB\nVmRSS:\t   30000 kB\n";
        assert_eq!(parse_status_kib(status, "VmHWM"), Some(41236));
        assert_eq!(parse_status_kib(status, "VmRSS"), Some(30000));
        assert_eq!(parse_status_kib(status, "VmPeak"), None);
    }

    #[test]
    fn process_measurements_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(peak_rss_kib().expect("VmHWM") > 0);
            assert!(rss_kib().expect("VmRSS") > 0);
            assert!(process_cpu().is_some());
            let before = thread_cpu_ns().expect("schedstat");
            let mut x = 0u64;
            for i in 0..200_000u64 {
                x = x.wrapping_add(i * i);
            }
            std::hint::black_box(x);
            assert!(thread_cpu_ns().expect("schedstat") >= before);
        }
    }
}
