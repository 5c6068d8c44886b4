//! The PostgreSQL store, where `.ci/run` started one
//! (`ROSTER_SCIM_POSTGRES_URL`); elsewhere these tests say why they skip.

use std::collections::BTreeSet;

use roster::layers::Stack;
use roster_examples::Sandbox;
use roster_scim::store::{Operation, Store};

use crate::harness::{Harness, accounts};

fn url() -> Option<String> {
    match std::env::var("ROSTER_SCIM_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            // On the process's real stderr: libtest captures println! and
            // eprintln! of a passing test, which would hide why it skipped.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: ROSTER_SCIM_POSTGRES_URL is not set (.ci/run starts a local PostgreSQL and sets it)"
            );
            None
        }
    }
}

async fn fresh(url: &str, schema: &str) -> String {
    // Each test works in a schema of its own, so they can run side by side.
    use sqlx::Executor;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url)
        .await
        .expect("connect to PostgreSQL");
    pool.execute(format!("DROP SCHEMA IF EXISTS {schema} CASCADE").as_str())
        .await
        .expect("drop");
    pool.execute(format!("CREATE SCHEMA {schema}").as_str())
        .await
        .expect("create");
    pool.close().await;
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-csearch_path%3D{schema}")
}

#[tokio::test]
async fn postgres_store_serves_the_same_end_to_end_path() {
    let Some(url) = url() else { return };
    let url = fresh(&url, "scim_e2e").await;
    let h = Harness::start_with(Sandbox::start().await, &url, Stack::none()).await;
    let ada = h.create_user("ada@example.com", "Ada", "L").await;
    h.settle().await;
    let all = accounts(&h.sandbox).await;
    assert!(
        all.values()
            .all(|l| l.iter().filter(|(e, _)| e == "ada@example.com").count() == 1),
        "{all:?}"
    );
    assert_eq!(h.store.accounts_of(&ada).await.expect("ids").len(), 5);
}

#[tokio::test]
async fn postgres_claims_never_hand_one_row_to_two_instances() {
    let Some(url) = url() else { return };
    let url = fresh(&url, "scim_claims").await;
    let a = Store::open(&url).await.expect("a");
    let b = Store::open(&url).await.expect("b");
    let mut tx = a.begin().await.expect("tx");
    for i in 0..200 {
        let op = Operation::DeleteUser {
            user_id: format!("u{i}"),
        };
        tx.enqueue("iaas", &op).await.expect("enqueue");
    }
    tx.commit().await.expect("commit");
    let mut seen = BTreeSet::new();
    loop {
        let (x, y) = tokio::join!(a.claim("a", 7, 60_000, &[]), b.claim("b", 7, 60_000, &[]));
        let (x, y) = (x.expect("claim a"), y.expect("claim b"));
        if x.is_empty() && y.is_empty() {
            break;
        }
        for (row, by) in x.iter().map(|r| (r, "a")).chain(y.iter().map(|r| (r, "b"))) {
            assert!(seen.insert(row.id), "row {} claimed twice", row.id);
            assert!(a.finish(row.id, by, None).await.expect("finish"));
        }
    }
    assert_eq!(seen.len(), 200);

    // One person's operations: only the oldest unfinished one is ever
    // claimable, whichever instance asks.
    let mut tx = a.begin().await.expect("tx");
    for _ in 0..3 {
        tx.enqueue(
            "iaas",
            &Operation::DeleteUser {
                user_id: "same".into(),
            },
        )
        .await
        .expect("enqueue");
    }
    tx.commit().await.expect("commit");
    let mut order = Vec::new();
    for _ in 0..3 {
        let (x, y) = tokio::join!(a.claim("a", 5, 60_000, &[]), b.claim("b", 5, 60_000, &[]));
        let rows: Vec<_> = x
            .expect("a")
            .into_iter()
            .map(|r| (r, "a"))
            .chain(y.expect("b").into_iter().map(|r| (r, "b")))
            .collect();
        assert_eq!(rows.len(), 1, "one at a time: {rows:?}");
        order.push(rows[0].0.id);
        assert!(
            a.finish(rows[0].0.id, rows[0].1, None)
                .await
                .expect("finish")
        );
    }
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "in acceptance order");
}

#[tokio::test]
async fn postgres_concurrent_patches_of_one_group_keep_every_member() {
    let Some(url) = url() else { return };
    let url = fresh(&url, "scim_races").await;
    let h = Harness::start_with(Sandbox::start().await, &url, Stack::none()).await;
    for round in 0..5 {
        let a = h
            .create_user(&format!("a{round}@example.com"), "A", "L")
            .await;
        let b = h
            .create_user(&format!("b{round}@example.com"), "B", "L")
            .await;
        let (status, group) = h
            .post(
                "/Groups",
                serde_json::json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                    "displayName": format!("G{round}"),
                }),
            )
            .await;
        assert_eq!(status, 201, "{group}");
        let path = format!("/Groups/{}", group["id"].as_str().expect("id"));
        let add = |id: &str| serde_json::json!([{"op": "add", "path": "members", "value": [{"value": id}]}]);
        let ((sa, ba), (sb, bb)) = tokio::join!(h.patch(&path, add(&a)), h.patch(&path, add(&b)));
        assert_eq!((sa, sb), (200, 200), "{ba} {bb}");
        let (_, group) = h.get(&path).await;
        let members: BTreeSet<&str> = group["members"]
            .as_array()
            .expect("members")
            .iter()
            .filter_map(|m| m["value"].as_str())
            .collect();
        assert_eq!(members, BTreeSet::from([a.as_str(), b.as_str()]), "{group}");
    }
}

#[tokio::test]
async fn postgres_a_delivery_longer_than_the_lease_keeps_its_claim_and_runs_once() {
    let Some(url) = url() else { return };
    let url = fresh(&url, "scim_lease_renew").await;
    crate::lease::a_delivery_longer_than_the_lease_keeps_its_claim(&url).await;
}

#[tokio::test]
async fn postgres_a_dead_instances_claim_lapses_and_another_instance_delivers_it() {
    let Some(url) = url() else { return };
    let url = fresh(&url, "scim_lease_lapse").await;
    crate::lease::a_dead_instances_claim_lapses_and_another_takes_it_over(&url).await;
}

#[tokio::test]
async fn postgres_a_provider_that_is_down_waits_in_the_outbox_and_the_others_are_not_held_up() {
    let Some(url) = url() else { return };
    let url = fresh(&url, "scim_outage").await;
    crate::recovery::a_provider_down_waits_and_lands_when_back(&url).await;
}

#[tokio::test]
async fn postgres_sigkill_mid_fan_out_then_restart_converges_without_duplicates() {
    let Some(url) = url() else { return };
    let url = fresh(&url, "scim_crash").await;
    // Nothing releases a dead process's claims on PostgreSQL (other
    // instances may be running): the restarted one takes them over when
    // their lease lapses.
    crate::recovery::sigkill_mid_fan_out_then_restart(&url, Some(2)).await;
}
