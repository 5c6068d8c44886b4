//! Scenario 3: streaming memory.
//!
//! Lists 1,000,000 users through the **Adverity** adapter (the paginating
//! one: `page`/`page_size`, a `next` link) inside `Stack::default()`, and
//! counts them from the lazy `list_users()` stream. The canned server makes
//! every page on the fly (100 users each, whatever `page_size` asks), so
//! the server holds no list. Peak RSS is the process's own `VmHWM`, server
//! included; run this scenario in a process of its own (`all` does).

use std::error::Error;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use hyper::Method;
use roster_adverity::{AdverityClient, AdverityConfig};
use roster_core::UserDirectoryExt;
use roster_http::{HttpSettings, SecretString};
use roster_layers::Stack;
use serde_json::json;

use crate::overhead::TOKEN;
use crate::report::{Goal, Report};
use crate::server::{CannedServer, Reply, block_on_current_thread};
use crate::stats::{peak_rss_kib, rss_kib};

/// Users per page the server sends.
pub const PAGE: u64 = 100;

/// One page of Adverity's paginated user envelope: users
/// `first..first + count`, with a `next` link unless it is the last.
pub fn users_page(base: &str, page: u64, total: u64) -> String {
    let first = (page - 1) * PAGE;
    let last = (first + PAGE).min(total);
    let mut body = String::with_capacity(256 * PAGE as usize);
    let next = if last < total {
        format!(
            "\"{base}/api/v1/users/?page={}&page_size={PAGE}\"",
            page + 1
        )
    } else {
        "null".to_owned()
    };
    let _ = write!(
        body,
        "{{\"count\":{total},\"next\":{next},\"previous\":null,\"results\":["
    );
    for id in first..last {
        if id > first {
            body.push(',');
        }
        let _ = write!(
            body,
            "{{\"id\":{id},\"email\":\"user{id}@example.com\",\"first_name\":\"User\",\
             \"last_name\":\"Number {id}\",\"active\":true,\"groups\":[2],\"workspaces\":[3],\
             \"workspace_names\":[\"Main\"],\"created\":\"2024-03-01T09:15:22.123456Z\",\
             \"last_login\":null,\"last_modified\":\"2024-06-11T17:02:45.000000Z\"}}"
        );
    }
    body.push_str("]}");
    body
}

/// Runs the scenario over `total` users.
pub fn run(total: u64) -> Result<Report, Box<dyn Error>> {
    let asked_page_size = Arc::new(AtomicU64::new(0));
    let asked = asked_page_size.clone();
    let base_cell: Arc<std::sync::OnceLock<String>> = Arc::new(std::sync::OnceLock::new());
    let base_for_server = base_cell.clone();
    let server = CannedServer::start(
        Arc::new(move |seen| {
            if seen.method != Method::GET || seen.path != "/api/v1/users/" {
                return Reply::not_found();
            }
            if let Some(size) = seen.query_param("page_size").and_then(|s| s.parse().ok()) {
                asked.store(size, Ordering::Relaxed);
            }
            let page: u64 = seen
                .query_param("page")
                .and_then(|p| p.parse().ok())
                .unwrap_or(1);
            if page == 0 || (page - 1) * PAGE >= total.max(1) {
                return Reply::not_found();
            }
            let base = base_for_server.get().map_or("", String::as_str);
            Reply::ok(users_page(base, page, total))
        }),
        Duration::ZERO,
    )?;
    let _ = base_cell.set(server.url());
    let rss_before = rss_kib().unwrap_or(0);

    let started = Instant::now();
    let counted = block_on_current_thread(async {
        let client = AdverityClient::new(
            AdverityConfig::new(server.url(), SecretString::from(TOKEN.to_owned()))
                .with_http(HttpSettings::new()),
        )?;
        let directory = Stack::default().apply(client);
        let mut users = directory.list_users();
        let mut counted = 0u64;
        while let Some(user) = users.try_next().await? {
            counted += 1;
            std::hint::black_box(user);
        }
        Ok::<_, Box<dyn Error>>(counted)
    })?;
    let elapsed = started.elapsed();
    let peak_kib = peak_rss_kib().unwrap_or(0);
    let peak_mib = peak_kib as f64 / 1024.0;
    if counted != total {
        return Err(format!("counted {counted} users, expected {total}").into());
    }

    let mut report = Report::new(
        "memory",
        format!(
            "streaming memory: list_users() over {total} users in pages of {PAGE}, \
             Adverity adapter + Stack::default()"
        ),
    );
    report.absolute(
        "peak RSS (VmHWM, whole process incl. server)",
        format!("{peak_mib:.1} MiB ({counted} users counted)"),
        (peak_mib * 10.0).round() / 10.0,
        "MiB",
        Goal::AtMost(64.0),
    );
    report.absolute(
        "time to stream every user",
        format!(
            "{:.1} s ({:.0} users/s, {} requests)",
            elapsed.as_secs_f64(),
            counted as f64 / elapsed.as_secs_f64(),
            server.counters().requests()
        ),
        (elapsed.as_secs_f64() * 10.0).round() / 10.0,
        "s",
        Goal::Info,
    );
    report.note(format!(
        "the adapter asked for page_size={} (its default through list_users()); the canned \
         server answers {PAGE} per page with a `next` link, as a server with a fixed page size \
         does",
        asked_page_size.load(Ordering::Relaxed)
    ));
    report.note(format!(
        "RSS before listing: {:.1} MiB",
        rss_before as f64 / 1024.0
    ));
    report.raw = json!({
        "users": counted,
        "page_size_served": PAGE,
        "page_size_asked": asked_page_size.load(Ordering::Relaxed),
        "requests": server.counters().requests(),
        "connections_accepted": server.counters().accepted(),
        "peak_rss_kib": peak_kib,
        "rss_before_kib": rss_before,
        "elapsed_s": elapsed.as_secs_f64(),
    });
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_valid_json_with_a_next_link_until_the_last() {
        let first: serde_json::Value =
            serde_json::from_str(&users_page("http://h", 1, 250)).expect("json");
        assert_eq!(first["results"].as_array().expect("results").len(), 100);
        assert_eq!(first["results"][0]["id"], 0);
        assert_eq!(first["next"], "http://h/api/v1/users/?page=2&page_size=100");
        let last: serde_json::Value =
            serde_json::from_str(&users_page("http://h", 3, 250)).expect("json");
        assert_eq!(last["results"].as_array().expect("results").len(), 50);
        assert_eq!(last["results"][49]["id"], 249);
        assert!(last["next"].is_null());
    }
}
