//! Scenario 9: scaling. The bulk-offboard and fleet-plan scenarios at 1×,
//! 2× and 4× their size, once each: requests and records read at each size
//! beside the 1× figures, divided by the size factor, so super-linear
//! growth shows as a number above 1. Wall time is reported, not judged.

use std::error::Error;

use serde_json::json;

use crate::report::{Goal, Report};
use crate::{bulk_offboard, fleet_plan};

const SIZES: [usize; 3] = [1, 2, 4];

/// Growth between sizes, divided by the size factor.
fn per_size(value: u64, base: u64, factor: usize) -> f64 {
    value as f64 / base as f64 / factor as f64
}

/// Runs the scenario.
pub fn run() -> Result<Report, Box<dyn Error>> {
    let mut report = Report::new(
        "scaling",
        "bulk offboard and large-fleet plan at 1×, 2× and 4× size: growth ÷ size (1 is linear)",
    );
    let mut raw_offboard = Vec::new();
    let base = bulk_offboard::measure(bulk_offboard::USERS, bulk_offboard::LEAVERS)?;
    for factor in SIZES {
        let (users, leavers) = (
            bulk_offboard::USERS * factor,
            bulk_offboard::LEAVERS * factor,
        );
        let cost = if factor == 1 {
            base
        } else {
            bulk_offboard::measure(users, leavers)?
        };
        raw_offboard.push(json!({
            "factor": factor, "users": users, "leavers": leavers,
            "requests": cost.requests, "records": cost.records, "wall_s": cost.wall.as_secs_f64(),
        }));
        if factor == 1 {
            continue;
        }
        report.absolute(
            format!("bulk offboard {factor}× ({users} users, {leavers} leavers): requests ÷ size"),
            format!("{} vs {} at 1×", cost.requests, base.requests),
            round3(per_size(cost.requests, base.requests, factor)),
            "",
            Goal::Between(0.9, 1.1),
        );
        report.absolute(
            format!("bulk offboard {factor}×: records read ÷ size"),
            format!("{} vs {} at 1×", cost.records, base.records),
            round3(per_size(cost.records, base.records, factor)),
            "",
            Goal::Between(0.9, 1.1),
        );
        report.absolute(
            format!("bulk offboard {factor}×: wall time"),
            format!(
                "{:.0} ms vs {:.0} ms at 1×",
                cost.wall.as_secs_f64() * 1e3,
                base.wall.as_secs_f64() * 1e3
            ),
            (cost.wall.as_secs_f64() * 1e3).round(),
            "ms",
            Goal::Info,
        );
    }
    let mut raw_plan = Vec::new();
    let plan_base = fleet_plan::measure(fleet_plan::USERS, fleet_plan::TENANTS, 1)?;
    for factor in SIZES {
        let (users, tenants) = (fleet_plan::USERS * factor, fleet_plan::TENANTS * factor);
        let measured = if factor == 1 {
            plan_base.clone()
        } else {
            fleet_plan::measure(users, tenants, 1)?
        };
        raw_plan.push(json!({
            "factor": factor, "users": users, "tenants": tenants,
            "requests": measured.requests, "records": measured.records,
            "plan_s": measured.plan[0].as_secs_f64(),
        }));
        if factor == 1 {
            continue;
        }
        // A provider that does not page reads the same number of times at
        // any size: requests may stay flat, and must not grow faster.
        report.absolute(
            format!(
                "fleet plan {factor}× ({users} users, {tenants} tenants per provider): requests ÷ size"
            ),
            format!("{} vs {} at 1×", measured.requests, plan_base.requests),
            round3(per_size(measured.requests, plan_base.requests, factor)),
            "",
            Goal::AtMost(1.1),
        );
        report.absolute(
            format!("fleet plan {factor}×: records read ÷ size"),
            format!("{} vs {} at 1×", measured.records, plan_base.records),
            round3(per_size(measured.records, plan_base.records, factor)),
            "",
            Goal::Between(0.9, 1.1),
        );
        report.absolute(
            format!("fleet plan {factor}×: wall time"),
            format!(
                "{:.0} ms vs {:.0} ms at 1×",
                measured.plan[0].as_secs_f64() * 1e3,
                plan_base.plan[0].as_secs_f64() * 1e3
            ),
            (measured.plan[0].as_secs_f64() * 1e3).round(),
            "ms",
            Goal::Info,
        );
    }
    report.note("counts are the servers' own: requests answered and records sent");
    report.raw = json!({"bulk_offboard": raw_offboard, "fleet_plan": raw_plan});
    Ok(report)
}

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}
