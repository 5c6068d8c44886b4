//! Leases: a delivery that outlasts its claim's lease keeps the claim (the
//! worker renews it), and a claim whose instance died lapses and another
//! instance sharing the store takes the row over. Each scenario takes the
//! store URL; the PostgreSQL runs are in `postgres.rs`.

use std::sync::Arc;
use std::time::Duration;

use roster::layers::Stack;
use roster_examples::Sandbox;
use roster_scim::store::{Operation, OperationSummary, PersonSnapshot, Store};
use roster_scim::worker::{Delivery, WorkerSettings, Workers};
use tokio::sync::Notify;

use crate::harness::{self, accounts, sqlite_url, wait_until};

/// The shortest lease the config can give (`lease_secs`).
const LEASE: Duration = Duration::from_secs(1);

/// How late Adverity answers the create: three leases, so without renewal
/// the claim lapses twice over while the delivery still runs.
const SLOW_CREATE: Duration = Duration::from_secs(3);

const EMAIL: &str = "lease@example.com";

/// One roster-scim instance's worker pool on a runtime of its own, so a
/// test can kill it mid-delivery as a crash would: its tasks stop where
/// they are, and nothing is recorded or released.
pub struct Instance {
    runtime: Option<tokio::runtime::Runtime>,
    workers: Option<Workers>,
}

impl Instance {
    /// Starts a pool named `name` on its own connection to the store,
    /// delivering to the sandbox, with a lease of [`LEASE`].
    pub async fn start(name: &str, sandbox: &Sandbox, store_url: &str) -> Instance {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime for the instance");
        let mut config = harness::config(store_url);
        config.workers.lease_secs = LEASE.as_secs();
        let mut settings = WorkerSettings::from_config(&config);
        settings.instance = name.to_owned();
        let fleet = sandbox.fleet(&Stack::none());
        let url = store_url.to_owned();
        let workers = runtime
            .spawn(async move {
                let store = Store::open(&url).await.expect("the instance's store");
                let delivery = Arc::new(Delivery::new(fleet, Arc::new(config), store.clone()));
                Workers::start(delivery, store, settings, Arc::new(Notify::new()))
            })
            .await
            .expect("the instance starts");
        Instance {
            runtime: Some(runtime),
            workers: Some(workers),
        }
    }

    /// Stops it cleanly: it finishes what it claimed.
    pub async fn stop(mut self) {
        if let (Some(runtime), Some(workers)) = (&self.runtime, self.workers.take()) {
            runtime
                .spawn(workers.shutdown())
                .await
                .expect("the instance stops");
        }
    }

    /// Kills it: no renewal, no outcome, no release of its claims.
    pub fn kill(mut self) {
        self.workers = None;
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        // A runtime cannot be dropped inside the test's own; this one's
        // tasks are simply abandoned.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Queues one person's sync on Adverity alone; the row's id.
async fn enqueue_person(store: &Store) -> i64 {
    let person = PersonSnapshot {
        id: "lease-person".into(),
        external_id: None,
        email: EMAIL.into(),
        display_name: Some("Lease Person".into()),
        active: true,
        wireguard_key: None,
        groups: Vec::new(),
    };
    let mut tx = store.begin().await.expect("tx");
    tx.enqueue("adverity", &Operation::SyncUser { user: person })
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
    let ops = store.operations().await.expect("ops");
    assert_eq!(ops.len(), 1, "{ops:?}");
    ops[0].id
}

async fn row(store: &Store, id: i64) -> OperationSummary {
    store
        .operations()
        .await
        .expect("ops")
        .into_iter()
        .find(|o| o.id == id)
        .expect("the row")
}

/// Starts instance `a` and waits until it claimed the row and Adverity
/// received its (slow) create: `a` is mid-delivery.
async fn a_mid_delivery(sandbox: &Sandbox, store: &Store, store_url: &str, id: i64) -> Instance {
    let a = Instance::start("instance-a", sandbox, store_url).await;
    wait_until(Duration::from_secs(30), || async {
        sandbox.adverity.write_count().await == 1
    })
    .await;
    let claimed = row(store, id).await;
    assert_eq!(
        (claimed.state.as_str(), claimed.attempts),
        ("running", 1),
        "a claimed it: {claimed:?}"
    );
    a
}

/// Waits until the row is neither pending nor running.
async fn finished(store: &Store, id: i64) -> OperationSummary {
    wait_until(Duration::from_secs(30), || async {
        !matches!(row(store, id).await.state.as_str(), "pending" | "running")
    })
    .await;
    row(store, id).await
}

/// The accounts with [`EMAIL`] on Adverity.
async fn adverity_accounts(sandbox: &Sandbox) -> usize {
    accounts(sandbox).await["adverity"]
        .iter()
        .filter(|(e, _)| e == EMAIL)
        .count()
}

/// Instance `a`'s delivery takes three leases; `b`, on the same store,
/// polls all along and never takes the row over, because `a` renews the
/// claim: the row is claimed once (by `a`), delivered once, and done.
pub async fn a_delivery_longer_than_the_lease_keeps_its_claim(store_url: &str) {
    let sandbox = Sandbox::start().await;
    let store = Store::open(store_url).await.expect("store");
    sandbox
        .adverity
        .delay_responses(1, SLOW_CREATE, |r| r.method.as_str() == "POST");
    let id = enqueue_person(&store).await;
    let a = a_mid_delivery(&sandbox, &store, store_url, id).await;
    let b = Instance::start("instance-b", &sandbox, store_url).await;
    let during = row(&store, id).await;
    assert_eq!(
        during.state, "running",
        "b is up while a still delivers: {during:?}"
    );

    let done = finished(&store, id).await;
    assert_eq!(done.state, "done", "{done:?}");
    assert_eq!(
        done.attempts, 1,
        "claimed once, by a: b never took it over: {done:?}"
    );
    assert_eq!(done.note, None, "a created the account: {done:?}");
    assert_eq!(
        sandbox.adverity.write_count().await,
        1,
        "one create reached Adverity"
    );
    assert_eq!(adverity_accounts(&sandbox).await, 1);
    a.stop().await;
    b.stop().await;
}

/// The converse, with the same instances: `a` dies mid-delivery, so its
/// claim is no longer renewed; once the lease lapses `b` takes the row
/// over and delivers it, adopting the account `a`'s create made rather
/// than making a second one.
pub async fn a_dead_instances_claim_lapses_and_another_takes_it_over(store_url: &str) {
    let sandbox = Sandbox::start().await;
    let store = Store::open(store_url).await.expect("store");
    sandbox
        .adverity
        .delay_responses(1, SLOW_CREATE, |r| r.method.as_str() == "POST");
    let id = enqueue_person(&store).await;
    let a = a_mid_delivery(&sandbox, &store, store_url, id).await;
    let b = Instance::start("instance-b", &sandbox, store_url).await;
    a.kill();

    let done = finished(&store, id).await;
    assert_eq!(done.state, "done", "{done:?}");
    assert_eq!(
        done.attempts, 2,
        "claimed by a, then taken over by b: {done:?}"
    );
    assert!(
        done.note.as_deref().is_some_and(|n| n.contains("adopted")),
        "b delivered it, adopting a's account: {done:?}"
    );
    assert_eq!(sandbox.adverity.write_count().await, 1, "no second create");
    assert_eq!(adverity_accounts(&sandbox).await, 1);
    b.stop().await;
}

#[tokio::test]
async fn a_delivery_longer_than_the_lease_keeps_its_claim_and_runs_once() {
    a_delivery_longer_than_the_lease_keeps_its_claim(&sqlite_url("lease-renew")).await;
}

#[tokio::test]
async fn a_dead_instances_claim_lapses_and_another_instance_delivers_it() {
    a_dead_instances_claim_lapses_and_another_takes_it_over(&sqlite_url("lease-lapse")).await;
}

/// Dropping a pool's handle stops it claiming, as `shutdown` does: an
/// operation waiting in the outbox stays pending and reaches no provider.
/// (A dropped handle used to leave the pool polling in a tight loop, still
/// claiming and delivering.)
#[tokio::test]
async fn a_dropped_worker_pool_stops_claiming() {
    let store_url = sqlite_url("lease-dropped");
    let sandbox = Sandbox::start().await;
    let store = Store::open(&store_url).await.expect("store");
    let config = harness::config(&store_url);
    let settings = WorkerSettings::from_config(&config);
    let delivery = Arc::new(Delivery::new(
        sandbox.fleet(&Stack::none()),
        Arc::new(config),
        store.clone(),
    ));
    let id = enqueue_person(&store).await;
    // The test's runtime runs one task at a time, so the pool's task first
    // runs after the handle is gone: its first look at the stop channel
    // finds it closed, before any claim. (Before the fix it claimed and
    // delivered the row.)
    drop(Workers::start(
        delivery,
        store.clone(),
        settings,
        Arc::new(Notify::new()),
    ));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let still = row(&store, id).await;
    assert_eq!(
        (still.state.as_str(), still.attempts),
        ("pending", 0),
        "{still:?}"
    );
    assert_eq!(sandbox.adverity.write_count().await, 0);
}
