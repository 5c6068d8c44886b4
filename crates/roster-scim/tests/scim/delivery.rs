//! Delivery to the five emulators: accounts, tenants, memberships, roles,
//! deactivation and reactivation, email changes, and what is reported.

use roster::UserStatus;
use serde_json::json;

use crate::harness::{Harness, accounts, memberships_of, okta_user};

const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PROVIDERS: [&str; 5] = ["adverity", "astra", "iaas", "medium-one", "netbird"];

fn has(list: &[(String, UserStatus)], email: &str) -> Option<UserStatus> {
    list.iter().find(|(e, _)| e == email).map(|(_, s)| *s)
}

#[tokio::test]
async fn a_user_appears_everywhere_and_a_group_becomes_tenants_with_members() {
    let h = Harness::start().await;
    let ada = h.create_user("ada@example.com", "Ada", "Lovelace").await;
    h.settle().await;
    let all = accounts(&h.sandbox).await;
    for provider in PROVIDERS {
        assert!(
            has(&all[provider], "ada@example.com").is_some(),
            "{provider}: {all:?}"
        );
    }
    // Each provider's id for the person is kept.
    let ids = h.store.accounts_of(&ada).await.expect("accounts");
    assert_eq!(
        ids.keys().map(String::as_str).collect::<Vec<_>>(),
        PROVIDERS
    );

    let (status, group) = h
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "Engineering", "members": [{"value": ada}]}),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    h.settle().await;
    let m = memberships_of(&h.sandbox, "ada@example.com").await;
    for provider in ["adverity", "iaas", "medium-one", "netbird"] {
        assert_eq!(m[provider], ["alpha"], "{provider}: {m:?}");
    }
    assert_eq!(m["astra"], ["Emulated Org"]);

    // A second group on IaaS (one tenant per user): the priority places
    // the person in beta, and the status reports the conflict.
    let (status, ops) = h
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "Ops", "members": [{"value": ada}]}),
        )
        .await;
    assert_eq!(status, 201, "{ops}");
    h.settle().await;
    let m = memberships_of(&h.sandbox, "ada@example.com").await;
    assert_eq!(m["iaas"], ["beta"], "{m:?}");
    assert_eq!(m["netbird"], ["alpha", "beta"], "{m:?}");
    let status = h.store.status().await.expect("status");
    assert!(
        status.providers["iaas"]
            .notes
            .iter()
            .any(|n| n.contains("one tenant per user")),
        "{status:?}"
    );

    // Member removal leaves the mapped tenant, and nothing else.
    let gid = group["id"].as_str().expect("gid");
    let (status, _) = h
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "remove", "path": format!("members[value eq \"{ada}\"]")}]),
        )
        .await;
    assert_eq!(status, 200);
    h.settle().await;
    let m = memberships_of(&h.sandbox, "ada@example.com").await;
    assert_eq!(m["netbird"], ["beta"], "{m:?}");
    assert_eq!(m["adverity"], Vec::<String>::new(), "{m:?}");
    assert_eq!(m["iaas"], ["beta"], "{m:?}");
    let before = accounts(&h.sandbox).await;
    assert!(has(&before["netbird"], "ada@example.com").is_some());
    assert!(h.store.status().await.expect("status").failed.is_empty());
}

#[tokio::test]
async fn deactivation_blocks_or_offboards_everywhere_and_reactivation_restores() {
    let h = Harness::start().await;
    let ada = h.create_user("ada@example.com", "Ada", "Lovelace").await;
    h.settle().await;
    let (status, _) = h
        .patch(
            &format!("/Users/{ada}"),
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )
        .await;
    assert_eq!(status, 200);
    h.settle().await;
    let all = accounts(&h.sandbox).await;
    assert_eq!(
        has(&all["netbird"], "ada@example.com"),
        Some(UserStatus::Blocked),
        "{all:?}"
    );
    assert_eq!(
        has(&all["adverity"], "ada@example.com"),
        Some(UserStatus::Suspended),
        "{all:?}"
    );
    for provider in ["astra", "iaas", "medium-one"] {
        assert_eq!(
            has(&all[provider], "ada@example.com"),
            None,
            "{provider} offboards: {all:?}"
        );
    }
    let (status, _) = h
        .patch(
            &format!("/Users/{ada}"),
            json!([{"op": "replace", "value": {"active": true}}]),
        )
        .await;
    assert_eq!(status, 200);
    h.settle().await;
    let all = accounts(&h.sandbox).await;
    for provider in PROVIDERS {
        let s = has(&all[provider], "ada@example.com");
        assert!(
            s.is_some() && s != Some(UserStatus::Blocked) && s != Some(UserStatus::Suspended),
            "{provider}: {all:?}"
        );
    }
    assert!(h.store.status().await.expect("status").failed.is_empty());
}

#[tokio::test]
async fn an_email_change_updates_the_person_and_never_makes_a_second_account() {
    let h = Harness::start().await;
    let ada = h.create_user("ada@example.com", "Ada", "Lovelace").await;
    h.settle().await;
    let before: Vec<usize> = accounts(&h.sandbox).await.values().map(Vec::len).collect();
    let (status, body) = h
        .patch(&format!("/Users/{ada}"), json!([
            {"op": "replace", "path": "userName", "value": "ada.king@example.com"},
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "ada.king@example.com"}
        ]))
        .await;
    assert_eq!(status, 200, "{body}");
    h.settle().await;
    let after = accounts(&h.sandbox).await;
    assert_eq!(
        after.values().map(Vec::len).collect::<Vec<_>>(),
        before,
        "{after:?}"
    );
    // Where the provider can change an email, it did.
    for provider in ["adverity", "iaas"] {
        assert!(
            has(&after[provider], "ada.king@example.com").is_some(),
            "{provider}: {after:?}"
        );
    }
    // Where it cannot, the status says so.
    let status = h.store.status().await.expect("status");
    for provider in ["netbird", "astra", "medium-one"] {
        assert!(
            status.providers[provider]
                .notes
                .iter()
                .any(|n| n.contains("cannot change an email")),
            "{provider}: {status:?}"
        );
    }
    // Another change later still finds the same account by its stored id.
    let (status, _) = h
        .patch(
            &format!("/Users/{ada}"),
            json!([{"op": "replace", "path": "displayName", "value": "Ada King"}]),
        )
        .await;
    assert_eq!(status, 200);
    h.settle().await;
    assert_eq!(
        accounts(&h.sandbox)
            .await
            .values()
            .map(Vec::len)
            .collect::<Vec<_>>(),
        before
    );
}

#[tokio::test]
async fn an_existing_account_with_the_same_email_is_adopted() {
    use roster::{Email, NewUser, UserDirectory};
    let h = Harness::start().await;
    let clients = h.sandbox.clients();
    let (_, adverity) = clients
        .iter()
        .find(|(n, _)| *n == "adverity")
        .expect("adverity");
    adverity
        .create_user(&NewUser::new(
            Email::parse("grace@example.com").expect("email"),
        ))
        .await
        .expect("seed account");
    let before = accounts(&h.sandbox).await["adverity"].len();
    let grace = h.create_user("grace@example.com", "Grace", "Hopper").await;
    h.settle().await;
    assert_eq!(accounts(&h.sandbox).await["adverity"].len(), before);
    let status = h.store.status().await.expect("status");
    assert!(
        status.providers["adverity"]
            .notes
            .iter()
            .any(|n| n.contains("adopted")),
        "{status:?}"
    );
    assert!(
        h.store
            .accounts_of(&grace)
            .await
            .expect("ids")
            .contains_key("adverity")
    );
}

#[tokio::test]
async fn an_account_another_scim_user_holds_is_not_adopted() {
    let h = Harness::start().await;
    let ada = h.create_user("ada@example.com", "Ada", "L").await;
    h.settle().await;
    let held = h.store.accounts_of(&ada).await.expect("ids");
    assert_eq!(held.len(), 5);
    // A second SCIM user whose primary email is Ada's.
    let mut twin = okta_user("ada.twin@example.com", "Ada", "Twin");
    twin["emails"] = json!([{"value": "ada@example.com", "primary": true, "type": "work"}]);
    let (status, body) = h.post("/Users", twin).await;
    assert_eq!(status, 201, "{body}");
    let twin = body["id"].as_str().expect("id").to_owned();
    h.settle().await;
    let twins = h.store.accounts_of(&twin).await.expect("ids");
    for (provider, id) in &held {
        assert_ne!(twins.get(provider), Some(id), "{provider}: linked twice");
    }
    let ops = h.store.operations().await.expect("ops");
    assert!(
        ops.iter().any(|o| o.state == "failed"
            && o.last_error
                .as_deref()
                .is_some_and(|e| e.contains("not adopted"))),
        "{ops:?}"
    );
    assert_eq!(h.store.accounts_of(&ada).await.expect("ids"), held);
}

#[tokio::test]
async fn missing_key_blocks_one_membership_and_missing_tenants_are_reported() {
    let h = Harness::start().await;
    let mut user = okta_user("nokey@example.com", "No", "Key");
    user.as_object_mut()
        .expect("object")
        .remove(crate::harness::ROSTER_EXT);
    user["schemas"] = json!(["urn:ietf:params:scim:schemas:core:2.0:User"]);
    let (status, created) = h.post("/Users", user).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id");
    let (status, _) = h
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "Engineering", "members": [{"value": id}]}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = h
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "Research", "members": [{"value": id}]}),
        )
        .await;
    assert_eq!(status, 201);
    h.settle().await;
    let m = memberships_of(&h.sandbox, "nokey@example.com").await;
    assert_eq!(
        m["iaas"],
        Vec::<String>::new(),
        "no key, no IaaS membership"
    );
    assert_eq!(m["netbird"], ["alpha"], "the rest proceeds");
    // Adverity creates the tenant Research maps to; Astra cannot.
    assert_eq!(m["adverity"], ["alpha", "research"], "{m:?}");
    let status = h.store.status().await.expect("status");
    assert!(
        status.providers["iaas"]
            .notes
            .iter()
            .any(|n| n.contains("blocked: no WireGuard key")),
        "{status:?}"
    );
    assert!(
        status.providers["astra"]
            .notes
            .iter()
            .any(|n| n.contains("\"No Such Org\" is missing")),
        "{status:?}"
    );
    assert!(status.failed.is_empty(), "{status:?}");
}

#[tokio::test]
async fn a_group_role_grants_the_provider_role() {
    use futures::TryStreamExt;
    use roster::UserDirectoryExt;
    let h = Harness::start().await;
    let ada = h.create_user("ada@example.com", "Ada", "L").await;
    let (status, _) = h
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "Admins", "members": [{"value": ada}]}),
        )
        .await;
    assert_eq!(status, 201);
    h.settle().await;
    let clients = h.sandbox.clients();
    let (_, netbird) = clients
        .iter()
        .find(|(n, _)| *n == "netbird")
        .expect("netbird");
    let users: Vec<roster::User> = netbird.list_users().try_collect().await.expect("users");
    let ada_nb = users
        .iter()
        .find(|u| {
            u.email
                .as_ref()
                .is_some_and(|e| e.as_str() == "ada@example.com")
        })
        .expect("ada");
    assert_eq!(ada_nb.role, Some(roster::Role::Admin), "{ada_nb:?}");
}

#[tokio::test]
async fn deleting_a_user_removes_the_accounts_and_the_personal_data() {
    let h = Harness::start().await;
    let ada = h.create_user("ada@example.com", "Ada", "Lovelace").await;
    h.settle().await;
    assert_eq!(h.delete(&format!("/Users/{ada}")).await, 204);
    h.settle().await;
    let all = accounts(&h.sandbox).await;
    for provider in PROVIDERS {
        assert!(
            has(&all[provider], "ada@example.com").is_none(),
            "{provider}: {all:?}"
        );
    }
    assert!(h.store.accounts_of(&ada).await.expect("ids").is_empty());
    let dump = format!(
        "{:?} {:?}",
        h.store.operations().await.expect("ops"),
        h.store.payloads().await.expect("payloads")
    );
    assert!(
        !dump.contains("ada@example.com") && !dump.contains("Lovelace"),
        "{dump}"
    );
    let (_, list) = h.get("/Users").await;
    assert_eq!(list["totalResults"], 0);
}

#[tokio::test]
async fn groups_as_tenants_memberships_follow_the_group_and_its_deletion() {
    let dir = crate::harness::temp_dir("gat");
    let mut config = crate::harness::config(&format!("sqlite://{}", dir.join("s.db").display()));
    config
        .providers
        .entry("netbird".into())
        .or_default()
        .groups_as_tenants = true;
    let h = Harness::start_with_config(
        roster_examples::Sandbox::start().await,
        config,
        roster::layers::Stack::none(),
    )
    .await;
    let ada = h.create_user("ada@example.com", "Ada", "L").await;
    let (status, group) = h
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "Temp", "members": [{"value": ada}]}),
        )
        .await;
    assert_eq!(status, 201);
    let gid = group["id"].as_str().expect("gid").to_owned();
    h.settle().await;
    assert_eq!(
        memberships_of(&h.sandbox, "ada@example.com").await["netbird"],
        ["Temp"]
    );
    let (status, _) = h
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "remove", "path": format!("members[value eq \"{ada}\"]")}]),
        )
        .await;
    assert_eq!(status, 200);
    h.settle().await;
    assert!(memberships_of(&h.sandbox, "ada@example.com").await["netbird"].is_empty());
    let (status, _) = h
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "add", "path": "members", "value": [{"value": ada}]}]),
        )
        .await;
    assert_eq!(status, 200);
    h.settle().await;
    assert_eq!(
        memberships_of(&h.sandbox, "ada@example.com").await["netbird"],
        ["Temp"]
    );
    assert_eq!(h.delete(&format!("/Groups/{gid}")).await, 204);
    h.settle().await;
    assert!(
        memberships_of(&h.sandbox, "ada@example.com").await["netbird"].is_empty(),
        "a deleted group's memberships go"
    );
    // Other providers never mapped Temp: nothing there changed.
    assert!(memberships_of(&h.sandbox, "ada@example.com").await["adverity"].is_empty());
}

#[tokio::test]
async fn an_account_deleted_behind_our_back_is_made_again_on_the_next_change() {
    use roster::{UserDirectory, UserId};
    let h = Harness::start().await;
    let ada = h.create_user("ada@example.com", "Ada", "L").await;
    h.settle().await;
    let ids = h.store.accounts_of(&ada).await.expect("ids");
    let clients = h.sandbox.clients();
    let (_, adverity) = clients
        .iter()
        .find(|(n, _)| *n == "adverity")
        .expect("adverity");
    adverity
        .delete_user(&UserId::new(ids["adverity"].clone()).expect("id"))
        .await
        .expect("delete out of band");
    // A membership-only change: the account is not read first, the add
    // finds it gone, and the next attempt makes it again.
    let (status, _) = h
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "Engineering", "members": [{"value": ada}]}),
        )
        .await;
    assert_eq!(status, 201);
    h.settle().await;
    let all = accounts(&h.sandbox).await;
    assert!(
        has(&all["adverity"], "ada@example.com").is_some(),
        "{all:?}"
    );
    assert_eq!(
        memberships_of(&h.sandbox, "ada@example.com").await["adverity"],
        ["alpha"]
    );
    assert!(h.store.status().await.expect("status").failed.is_empty());
}
