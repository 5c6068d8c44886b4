//! End-to-end use cases against the stateful emulator, checking the
//! server's state after each: onboarding, suspension, offboarding,
//! concurrent membership changes, and both list forms across pages.

use std::time::Duration;

use futures::TryStreamExt;
use roster_adverity::{AdverityClient, AdverityConfig, WorkspaceOptions};
use roster_core::{
    Email, MembershipDirectory, MembershipDirectoryExt, MembershipRequest, NewTenant, NewUser,
    TenantDirectory, TenantDirectoryExt, UserDirectory, UserDirectoryExt, UserId, UserStatus,
    UserUpdate,
};
use roster_http::SecretString;
use roster_testkit::Emulator;
use roster_testkit::adverity::{ADVERITY_DATALAKE_ID, ADVERITY_TOKEN, AdverityModel, UserListForm};

async fn start(model: AdverityModel) -> (Emulator<AdverityModel>, AdverityClient) {
    let emulator = Emulator::start(model).await;
    let config = AdverityConfig::new(
        emulator.base_url(),
        SecretString::from(ADVERITY_TOKEN.to_owned()),
    )
    .with_datalake_id(ADVERITY_DATALAKE_ID as u64);
    (emulator, AdverityClient::new(config).expect("client"))
}

fn email(s: &str) -> Email {
    Email::parse(s).expect("email")
}

fn number(id: &UserId) -> i64 {
    id.as_str().parse().expect("numeric id")
}

#[tokio::test]
async fn onboard_a_new_colleague_into_an_existing_workspace() {
    let (emulator, client) = start(AdverityModel::default()).await;
    let (workspace_id, slug) = emulator.with_model(|m| m.add_workspace("Marketing EMEA"));
    assert_eq!(slug, "marketing-emea");

    let ada = client
        .ensure_user(&NewUser::new(email("ada@example.com")).with_display_name("Ada King Lovelace"))
        .await
        .expect("create");
    let workspace = client
        .find_tenant_by_name("Marketing EMEA")
        .await
        .expect("list")
        .expect("exists");
    assert_eq!(workspace.id.as_str(), "marketing-emea");
    client
        .add_member(&workspace.id, &ada.id, &MembershipRequest::new())
        .await
        .expect("add");

    emulator.with_model(|m| {
        let stored = m.user(number(&ada.id)).expect("stored");
        assert_eq!(
            (stored.first_name.as_str(), stored.last_name.as_str()),
            ("Ada", "King Lovelace")
        );
        assert_eq!(stored.workspaces, [workspace_id]);
        assert!(stored.active);
    });
    assert!(
        client
            .is_member(&workspace.id, &ada.id)
            .await
            .expect("check")
    );
    let again = client
        .ensure_user(&NewUser::new(email("ADA@example.com")))
        .await
        .expect("ensure again");
    assert_eq!(again.id, ada.id, "found by email, ignoring case");
}

#[tokio::test]
async fn suspend_and_reactivate_touch_only_active() {
    let (emulator, client) = start(AdverityModel::default()).await;
    let (workspace_id, _) = emulator.with_model(|m| m.add_workspace("Sales"));
    let id = emulator.with_model(|m| {
        let id = m.add_user("grace@example.com", "Grace", "Hopper");
        m.assign(id, workspace_id);
        id
    });
    let user = UserId::new(id.to_string()).expect("id");
    let suspended = client
        .update_user(&user, &UserUpdate::new().status(UserStatus::Suspended))
        .await
        .expect("suspend");
    assert_eq!(suspended.status, UserStatus::Suspended);
    emulator.with_model(|m| {
        let stored = m.user(id).expect("stored");
        assert!(!stored.active);
        assert_eq!(stored.workspaces, [workspace_id], "memberships kept");
        assert_eq!(stored.first_name, "Grace", "names kept");
    });
    let back = client
        .update_user(&user, &UserUpdate::new().status(UserStatus::Active))
        .await
        .expect("reactivate");
    assert_eq!(back.status, UserStatus::Active);
    assert!(emulator.with_model(|m| m.user(id).expect("stored").active));
}

#[tokio::test]
async fn offboard_remove_from_every_workspace_then_delete() {
    let (emulator, client) = start(AdverityModel::default()).await;
    let (a, _) = emulator.with_model(|m| m.add_workspace("Alpha"));
    let (b, _) = emulator.with_model(|m| m.add_workspace("Beta"));
    let id = emulator.with_model(|m| {
        let id = m.add_user("leaver@example.com", "Lee", "Ver");
        m.assign(id, a);
        m.assign(id, b);
        id
    });
    let user = UserId::new(id.to_string()).expect("id");
    let memberships = client.list_user_memberships(&user).await.expect("list");
    let slugs: Vec<&str> = memberships.iter().map(|m| m.tenant.as_str()).collect();
    assert_eq!(slugs, ["alpha", "beta"]);
    for membership in &memberships {
        client
            .remove_member(&membership.tenant, &user)
            .await
            .expect("remove");
    }
    assert!(emulator.with_model(|m| m.user(id).expect("stored").workspaces.is_empty()));
    client.delete_user(&user).await.expect("delete");
    assert!(emulator.with_model(|m| m.user(id).is_none()));
}

#[tokio::test]
async fn move_between_workspaces_and_create_a_child_workspace() {
    let (emulator, client) = start(AdverityModel::default()).await;
    let parent = client
        .create_tenant(&NewTenant::new("Marketing").expect("name"))
        .await
        .expect("parent");
    let child = client
        .create_workspace(
            &NewTenant::new("Marketing DACH").expect("name"),
            &WorkspaceOptions::new().with_parent(parent.id.clone()),
        )
        .await
        .expect("child");
    assert_eq!(child.id.as_str(), "marketing-dach");
    let parent_id = emulator.with_model(|m| m.stack_by_slug("marketing").expect("parent").id);
    assert_eq!(
        emulator.with_model(|m| m.stack_by_slug("marketing-dach").expect("child").parent_id),
        Some(parent_id)
    );
    let user = client
        .create_user(&NewUser::new(email("mover@example.com")))
        .await
        .expect("user")
        .into_inner();
    client
        .add_member(&parent.id, &user.id, &MembershipRequest::new())
        .await
        .expect("add");
    client
        .move_user(&user.id, &parent.id, &child.id, &MembershipRequest::new())
        .await
        .expect("move");
    let members = client.list_members(&child.id).await.expect("members");
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].user, user.id);
    assert!(
        client
            .list_members(&parent.id)
            .await
            .expect("members")
            .is_empty()
    );
}

#[tokio::test]
async fn two_concurrent_adds_to_one_user_both_survive() {
    // Every answer is held back, so without the per-user lock both adds
    // would read the user before either wrote, and the second PATCH would
    // drop the first workspace.
    let model = AdverityModel::default().with_latency(Duration::from_millis(150));
    let (emulator, client) = start(model).await;
    let (a, _) = emulator.with_model(|m| m.add_workspace("Alpha"));
    let (b, _) = emulator.with_model(|m| m.add_workspace("Beta"));
    let id = emulator.with_model(|m| m.add_user("busy@example.com", "", ""));
    let user = UserId::new(id.to_string()).expect("id");
    let alpha = roster_core::TenantId::new("alpha").expect("slug");
    let beta = roster_core::TenantId::new("beta").expect("slug");
    let other = client.clone();
    let request = MembershipRequest::new();
    let (first, second) = tokio::join!(
        client.add_member(&alpha, &user, &request),
        other.add_member(&beta, &user, &request),
    );
    first.expect("add alpha");
    second.expect("add beta");

    let mut stored = emulator.with_model(|m| m.user(id).expect("stored").workspaces.clone());
    stored.sort_unstable();
    assert_eq!(stored, [a, b], "neither add was lost");
    // The reads and writes of the user alternate: each change read the
    // other's result.
    let user_path = format!("/api/v1/users/{id}/");
    let on_user: Vec<String> = emulator
        .requests()
        .await
        .iter()
        .filter(|r| r.url.path() == user_path)
        .map(|r| r.method.to_string())
        .collect();
    assert_eq!(on_user, ["GET", "PATCH", "GET", "PATCH"]);
}

#[tokio::test]
async fn both_user_list_forms_stream_every_user_across_pages() {
    for form in [UserListForm::Envelope, UserListForm::BareArray] {
        let (emulator, client) = start(AdverityModel::default().with_user_list_form(form)).await;
        emulator.with_model(|m| {
            for n in 0..120 {
                m.add_user(&format!("user{n}@example.com"), "", "");
            }
        });
        let all: Vec<_> = client.list_users().try_collect().await.expect("all");
        assert_eq!(all.len(), 120, "{form:?}");
        assert_eq!(emulator.request_count().await, 3, "{form:?}: 50 + 50 + 20");
    }
}

#[tokio::test]
async fn a_server_capping_page_size_is_still_read_to_the_end() {
    let mut model = AdverityModel::default();
    model.max_page_size = 3;
    let (emulator, client) = start(model).await;
    emulator.with_model(|m| {
        for n in 0..7 {
            m.add_user(&format!("capped{n}@example.com"), "", "");
        }
    });
    let all: Vec<_> = client.list_users().try_collect().await.expect("all");
    assert_eq!(all.len(), 7, "short pages with a next link are followed");
    assert_eq!(emulator.request_count().await, 3);
}

#[tokio::test]
async fn a_full_last_bare_page_ends_at_drfs_invalid_page() {
    let (emulator, client) =
        start(AdverityModel::default().with_user_list_form(UserListForm::BareArray)).await;
    emulator.with_model(|m| {
        for n in 0..100 {
            m.add_user(&format!("exact{n}@example.com"), "", "");
        }
    });
    let all: Vec<_> = client.list_users().try_collect().await.expect("all");
    assert_eq!(all.len(), 100);
    assert_eq!(
        emulator.request_count().await,
        3,
        "page 3 answered 404 Invalid page."
    );
}

#[tokio::test]
async fn deleting_a_workspace_removes_it_from_its_members() {
    let (emulator, client) = start(AdverityModel::default()).await;
    let tenant = client
        .create_tenant(&NewTenant::new("Temporary").expect("name"))
        .await
        .expect("create");
    let user = client
        .create_user(&NewUser::new(email("temp@example.com")))
        .await
        .expect("user");
    client
        .add_member(&tenant.id, &user.id, &MembershipRequest::new())
        .await
        .expect("add");
    client.delete_tenant(&tenant.id).await.expect("delete");
    assert!(
        client
            .list_user_memberships(&user.id)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(emulator.with_model(|m| {
        m.user(number(&user.id))
            .expect("user")
            .workspaces
            .is_empty()
    }));
}

#[tokio::test]
async fn onboard_into_groups_then_move_groups_keeping_everything_else() {
    let (emulator, client) =
        start(AdverityModel::default().faithful().with_groups([2, 5, 9])).await;
    let (workspace_id, slug) = emulator.with_model(|m| m.add_workspace("Marketing"));
    let ada = client
        .create_user(
            &NewUser::new(email("ada@example.com"))
                .with_display_name("Ada Lovelace")
                .with_field("groups", serde_json::json!([2, 5]))
                .expect("field"),
        )
        .await
        .expect("create");
    let data = ada.provider_data.as_ref().expect("provider data");
    assert_eq!(data.field("groups"), Some(serde_json::json!([2, 5])));
    assert!(
        data.field("profile").is_some(),
        "undocumented keys are kept"
    );
    client
        .add_member(
            &roster_core::TenantId::new(slug.as_str()).expect("slug"),
            &ada.id,
            &MembershipRequest::new(),
        )
        .await
        .expect("add");

    let moved = client
        .update_user(
            &ada.id,
            &UserUpdate::new()
                .field("groups", serde_json::json!([9]))
                .expect("field"),
        )
        .await
        .expect("move groups");
    assert_eq!(
        moved.provider_data.as_ref().expect("data").field("groups"),
        Some(serde_json::json!([9]))
    );
    emulator.with_model(|m| {
        let stored = m.user(number(&ada.id)).expect("stored");
        assert_eq!(stored.groups, [9]);
        assert_eq!(stored.workspaces, [workspace_id], "memberships kept");
        assert_eq!(
            (
                stored.first_name.as_str(),
                stored.last_name.as_str(),
                stored.active
            ),
            ("Ada", "Lovelace", true)
        );
    });

    let suspended = client
        .create_user(
            &NewUser::new(email("grace@example.com"))
                .with_field("active", false)
                .expect("field"),
        )
        .await
        .expect("create suspended");
    assert_eq!(suspended.status, UserStatus::Suspended);
    emulator.with_model(|m| {
        let stored = m.user(number(&suspended.id)).expect("stored");
        assert!(!stored.active);
        assert!(stored.groups.is_empty(), "the documented default");
    });
    let members = client
        .list_members(&roster_core::TenantId::new(slug.as_str()).expect("slug"))
        .await
        .expect("members");
    assert_eq!(members.len(), 1);
    assert_eq!(
        members[0]
            .provider_data
            .as_ref()
            .expect("the user's entry")
            .field("groups"),
        Some(serde_json::json!([9]))
    );
}
