//! The load path `roster-bench scim` measures, at 200 users: every account,
//! tenant and membership lands, once.

use roster::layers::Stack;
use roster_examples::Sandbox;
use roster_scim::config::ScimConfig;
use roster_scim::load::{LOAD_MAPPING, LoadPlan, load_email, load_group, provision};

use crate::harness::{Harness, TOKEN, accounts, memberships_of, temp_dir};

#[tokio::test]
async fn two_hundred_users_and_ten_groups_through_scim() {
    let dir = temp_dir("load");
    let mut config = ScimConfig::parse(LOAD_MAPPING).expect("load mapping");
    config.store.url = format!("sqlite://{}", dir.join("scim.db").display());
    let h = Harness::start_with_config(Sandbox::start().await, config, Stack::default()).await;
    let plan = LoadPlan {
        users: 200,
        groups: 10,
        concurrency: 16,
    };
    let report = provision(&h.url(""), TOKEN, plan).await.expect("provision");
    assert_eq!((report.user_ids.len(), report.group_ids.len()), (200, 10));
    let started = std::time::Instant::now();
    h.settle().await;
    println!(
        "accepted in {:?}, delivered {:?} later; requests {:?}",
        report.accepted_in,
        started.elapsed(),
        h.sandbox.request_counts().await
    );
    let status = h.store.status().await.expect("status");
    assert!(status.failed.is_empty(), "{status:?}");
    let all = accounts(&h.sandbox).await;
    for (provider, list) in &all {
        let load: Vec<_> = list
            .iter()
            .filter(|(e, _)| e.ends_with("@load.example"))
            .collect();
        assert_eq!(load.len(), 200, "{provider}");
    }
    for i in [0, 37, 199] {
        let m = memberships_of(&h.sandbox, &load_email(i)).await;
        for provider in ["adverity", "iaas", "medium-one", "netbird"] {
            assert_eq!(
                m[provider],
                [load_group(i % 10)],
                "user {i} on {provider}: {m:?}"
            );
        }
    }
}
