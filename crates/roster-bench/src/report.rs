//! One scenario's results: a printed table with ratios beside their
//! targets, and the same as JSON.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::stats::Rounds;

/// Which way a target points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// The figure must be at most the bound.
    AtMost(f64),
    /// The figure must be at least the bound.
    AtLeast(f64),
    /// The figure must lie between the two bounds, inclusive (a control).
    Between(f64, f64),
    /// The figure is reported without a target.
    Info,
}

impl Goal {
    /// Whether `value` meets the goal (`None` for [`Goal::Info`]).
    pub fn met(self, value: f64) -> Option<bool> {
        match self {
            Goal::AtMost(bound) => Some(value <= bound),
            Goal::AtLeast(bound) => Some(value >= bound),
            Goal::Between(low, high) => Some(value >= low && value <= high),
            Goal::Info => None,
        }
    }

    fn describe(self, unit: &str) -> String {
        match self {
            Goal::AtMost(bound) => format!("≤ {}{unit}", trim(bound)),
            Goal::AtLeast(bound) => format!("≥ {}{unit}", trim(bound)),
            Goal::Between(low, high) => format!("{}–{}{unit}", trim(low), trim(high)),
            Goal::Info => "-".to_owned(),
        }
    }
}

fn trim(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// One line of a scenario's table.
#[derive(Debug, Clone)]
pub struct Row {
    /// What is measured.
    pub metric: String,
    /// The measured figure, as printed (with its unit).
    pub measured: String,
    /// The figure the target applies to (a ratio, or an absolute value).
    pub value: f64,
    /// The unit of `value` when it is not a ratio (`""` for ratios, printed
    /// with a trailing `×`).
    pub unit: &'static str,
    /// The target.
    pub goal: Goal,
    /// The lowest and highest round, where the figure is a median of
    /// rounds.
    pub spread: Option<(f64, f64)>,
    /// Whether the row's target depends on the run's A/A control (a
    /// timing ratio): it counts as met only when the control held.
    pub controlled: bool,
}

/// A scenario's results.
#[derive(Debug, Clone)]
pub struct Report {
    /// The scenario's command-line name.
    pub scenario: &'static str,
    /// A one-line title.
    pub title: String,
    /// The table.
    pub rows: Vec<Row>,
    /// Free-form notes printed under the table.
    pub notes: Vec<String>,
    /// Raw figures for the JSON file.
    pub raw: Value,
    /// Whether the run's A/A control stayed within its bounds (`None`
    /// where the scenario has none).
    pub control_held: Option<bool>,
}

impl Report {
    /// An empty report for `scenario`.
    pub fn new(scenario: &'static str, title: impl Into<String>) -> Self {
        Report {
            scenario,
            title: title.into(),
            rows: Vec::new(),
            notes: Vec::new(),
            raw: json!({}),
            control_held: None,
        }
    }

    /// Adds a row whose figure is a ratio, printed as `1.03×`.
    pub fn ratio(&mut self, metric: impl Into<String>, measured: String, ratio: f64, goal: Goal) {
        self.rows.push(Row {
            metric: metric.into(),
            measured,
            value: ratio,
            unit: "×",
            goal,
            spread: None,
            controlled: false,
        });
    }

    /// Adds a row whose figure is the median of rounds, printed with the
    /// min and max beside it; `unit` is `"×"` for a ratio. A `controlled`
    /// row's target holds only if the run's A/A control did.
    pub fn rounds(
        &mut self, metric: impl Into<String>, measured: String, rounds: Rounds, unit: &'static str,
        goal: Goal, controlled: bool,
    ) {
        self.rows.push(Row {
            metric: metric.into(),
            measured,
            value: rounds.median,
            unit,
            goal,
            spread: Some((rounds.min, rounds.max)),
            controlled,
        });
    }

    /// Whether `row` meets its target in this run: its own figure, and for
    /// a controlled row, the A/A control too.
    pub fn met(&self, row: &Row) -> Option<bool> {
        let met = row.goal.met(row.value)?;
        Some(met && !(row.controlled && self.control_held == Some(false)))
    }

    /// Adds a row whose target applies to an absolute figure.
    pub fn absolute(
        &mut self, metric: impl Into<String>, measured: String, value: f64, unit: &'static str,
        goal: Goal,
    ) {
        self.rows.push(Row {
            metric: metric.into(),
            measured,
            value,
            unit,
            goal,
            spread: None,
            controlled: false,
        });
    }

    /// Adds a note.
    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// Whether every row with a target meets it.
    pub fn all_met(&self) -> bool {
        self.rows.iter().all(|row| self.met(row) != Some(false))
    }

    /// The table as text.
    pub fn table(&self) -> String {
        let headers = ["metric", "measured", "figure", "target", "met"];
        let cells: Vec<[String; 5]> = self
            .rows
            .iter()
            .map(|row| {
                let show = |value: f64| {
                    if row.unit == "×" {
                        format!("{value:.3}×")
                    } else {
                        format!("{} {}", trim(value), row.unit)
                    }
                };
                let figure = match row.spread {
                    Some((min, max)) => {
                        format!("{} ({}–{})", show(row.value), show(min), show(max))
                    }
                    None => show(row.value),
                };
                let unit = if row.unit == "×" {
                    "×".to_owned()
                } else {
                    format!(" {}", row.unit)
                };
                let met = match (self.met(row), row.goal.met(row.value)) {
                    (Some(true), _) => "yes",
                    (Some(false), Some(true)) => "NO (control)",
                    (Some(false), _) => "NO",
                    (None, _) => "",
                };
                [
                    row.metric.clone(),
                    row.measured.clone(),
                    figure,
                    row.goal.describe(&unit),
                    met.to_owned(),
                ]
            })
            .collect();
        let mut widths = headers.map(|h| h.chars().count());
        for line in &cells {
            for (width, cell) in widths.iter_mut().zip(line) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut out = format!("== {}: {}\n", self.scenario, self.title);
        let mut push_line = |line: &[String]| {
            for (i, (cell, width)) in line.iter().zip(widths).enumerate() {
                let pad = width - cell.chars().count();
                let sep = if i == 0 { "" } else { " | " };
                let _ = write!(out, "{sep}{cell}{}", " ".repeat(pad));
            }
            out.push('\n');
        };
        push_line(&headers.map(str::to_owned));
        push_line(&widths.map(|w| "-".repeat(w)));
        for line in &cells {
            push_line(line);
        }
        if self.control_held == Some(false) {
            let _ = writeln!(
                out,
                "  note: the A/A control left its bounds in this run, so no timing target counts \
                 as met"
            );
        }
        for note in &self.notes {
            let _ = writeln!(out, "  note: {note}");
        }
        out
    }

    /// The report as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "scenario": self.scenario,
            "title": self.title,
            "all_targets_met": self.all_met(),
            "control_held": self.control_held,
            "rows": self.rows.iter().map(|row| json!({
                "metric": row.metric,
                "measured": row.measured,
                "value": row.value,
                "unit": row.unit,
                "min": row.spread.map(|(min, _)| min),
                "max": row.spread.map(|(_, max)| max),
                "target": match row.goal {
                    Goal::AtMost(bound) => json!({"at_most": bound}),
                    Goal::AtLeast(bound) => json!({"at_least": bound}),
                    Goal::Between(low, high) => json!({"between": [low, high]}),
                    Goal::Info => Value::Null,
                },
                "met": self.met(row),
            })).collect::<Vec<_>>(),
            "notes": self.notes,
            "raw": self.raw,
            "machine": machine(),
        })
    }

    /// Prints the table and writes `<dir>/<scenario>.json`; returns the path.
    pub fn emit(&self) -> std::io::Result<PathBuf> {
        print!("{}", self.table());
        let dir = output_dir();
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{}.json", self.scenario));
        let text = serde_json::to_string_pretty(&self.to_json()).map_err(std::io::Error::other)?;
        std::fs::write(&path, text + "\n")?;
        println!("  wrote {}\n", path.display());
        Ok(path)
    }
}

/// Where JSON files go: `$ROSTER_BENCH_OUT`, or `roster-bench/` in the
/// cargo target directory the binary was built into.
pub fn output_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ROSTER_BENCH_OUT") {
        return PathBuf::from(dir);
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.to_path_buf()))
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("roster-bench")
}

/// The machine the figures come from: CPU count and model.
pub fn machine() -> Value {
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    json!({"cpus": cpus, "cpu_model": model, "os": std::env::consts::OS})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goals_and_table() {
        assert_eq!(Goal::AtMost(1.05).met(1.04), Some(true));
        assert_eq!(Goal::AtMost(1.05).met(1.06), Some(false));
        assert_eq!(Goal::AtLeast(0.9).met(0.95), Some(true));
        assert_eq!(Goal::Info.met(3.0), None);
        let mut report = Report::new("demo", "a demo");
        report.ratio("latency", "10 µs".into(), 1.02, Goal::AtMost(1.05));
        report.absolute("rss", "20 MiB".into(), 20.0, "MiB", Goal::AtMost(64.0));
        let table = report.table();
        assert!(table.contains("≤ 1.05×"), "{table}");
        assert!(table.contains("≤ 64 MiB"), "{table}");
        assert!(report.all_met());
        assert_eq!(report.to_json()["rows"][0]["met"], json!(true));

        // A timing row counts only while the run's A/A control held.
        let rounds = Rounds::of(&[1.01, 1.02, 1.03]);
        report.rounds(
            "ratio",
            String::new(),
            rounds,
            "×",
            Goal::AtMost(1.05),
            true,
        );
        assert!(report.table().contains("1.020× (1.010×–1.030×)"));
        assert!(report.all_met());
        report.control_held = Some(false);
        assert!(!report.all_met());
        assert!(report.table().contains("NO (control)"));
        assert_eq!(Goal::Between(0.98, 1.02).met(1.01), Some(true));
        assert_eq!(Goal::Between(0.98, 1.02).met(1.03), Some(false));
    }
}
