//! The operator guide's five use cases, end to end against the stateful
//! emulator, checking the server's state after each.

use roster_core::{
    Email, MembershipDirectory, MembershipDirectoryExt, MembershipRequest, NewTenant, NewUser,
    Role, TenantDirectory, TenantDirectoryExt, TenantId, UserDirectory, UserDirectoryExt, UserId,
    UserUpdate, WireGuardKey,
};
use roster_http::SecretString;
use roster_iaas::{IaasClient, IaasConfig};
use roster_testkit::Emulator;
use roster_testkit::contract::random_wireguard_key;
use roster_testkit::iaas::{IAAS_TOKEN, IaasApi, IaasModel, random_ssh_public_key};
use uuid::Uuid;

async fn setup() -> (Emulator<IaasModel>, IaasClient) {
    serve(IaasModel::default()).await
}

async fn serve(model: IaasModel) -> (Emulator<IaasModel>, IaasClient) {
    let emulator = Emulator::start(model).await;
    let config = IaasConfig::new(
        emulator.base_url(),
        SecretString::from(IAAS_TOKEN.to_owned()),
    );
    (emulator, IaasClient::new(config).expect("client"))
}

fn email(s: &str) -> Email {
    Email::parse(s).expect("email")
}

fn with_key(key: &WireGuardKey) -> MembershipRequest {
    MembershipRequest::new().with_wireguard_key(key.clone())
}

fn uuid_of(id: &UserId) -> Uuid {
    Uuid::parse_str(id.as_str()).expect("uuid")
}

/// Use case 1: a new employee joins an existing project.
#[tokio::test]
async fn onboard_into_an_existing_tenant() {
    let (emulator, client) = setup().await;
    let tenant_id = emulator.with_model(|m| m.add_tenant("development-team"));

    let alice = client
        .ensure_user(&NewUser::new(email("alice.smith@company.com")).with_role(Role::Member))
        .await
        .expect("create");
    let tenant = client
        .find_tenant_by_name("development-team")
        .await
        .expect("list")
        .expect("tenant exists");
    assert_eq!(tenant.id.as_str(), tenant_id);
    let key = random_wireguard_key();
    client
        .add_member(&tenant.id, &alice.id, &with_key(&key))
        .await
        .expect("add");

    emulator.with_model(|m| {
        let user = m.user_by_email("alice.smith@company.com").expect("stored");
        assert_eq!(user.role, "member");
        let tenant = m.tenant_of(user.id).expect("in a tenant");
        assert_eq!(tenant.id, tenant_id);
        assert_eq!(tenant.members[0].pubkey, key.as_str());
    });
}

/// Use case 2: move a user between tenants, keeping their key.
#[tokio::test]
async fn move_between_tenants() {
    let (emulator, client) = setup().await;
    let key = random_wireguard_key();
    let (old, new, user) = emulator.with_model(|m| {
        let user = m.add_user("bob@company.com", "member");
        let old = m.add_tenant("old-project");
        let new = m.add_tenant("new-project");
        m.assign(&old, user, key.as_str());
        (old, new, user)
    });
    let user_id = UserId::new(user.to_string()).expect("id");
    let old_id = TenantId::new(old.clone()).expect("id");
    let new_id = TenantId::new(new.clone()).expect("id");

    // The plain add is refused: one tenant per user.
    let refused = client
        .add_member(&new_id, &user_id, &with_key(&key))
        .await
        .expect_err("still in the old tenant");
    assert_eq!(refused.kind(), roster_core::ErrorKind::Conflict);

    let moved = client
        .move_user(&user_id, &old_id, &new_id, &with_key(&key))
        .await
        .expect("move");
    assert_eq!(moved.tenant, new_id);
    emulator.with_model(|m| {
        let tenant = m.tenant_of(user).expect("in a tenant");
        assert_eq!(tenant.id, new);
        assert_eq!(tenant.members[0].pubkey, key.as_str(), "key kept");
        let old = m.tenants.iter().find(|t| t.id == old).expect("old tenant");
        assert!(old.members.is_empty());
    });
}

/// Use case 3: create a project together with its team, on a server of
/// the current guide and on one of the 2025-11 API, which ignores `users`.
#[tokio::test]
async fn create_a_project_with_its_team() {
    for api in [IaasApi::Current, IaasApi::V2025_11] {
        create_a_project_with_its_team_on(api).await;
    }
}

async fn create_a_project_with_its_team_on(api: IaasApi) {
    let (emulator, client) = serve(IaasModel::default().with_api(api)).await;
    let mut team = Vec::new();
    for name in ["dev1@company.com", "dev2@company.com"] {
        let user = client
            .create_user(&NewUser::new(email(name)))
            .await
            .expect("create");
        team.push((user.id.clone(), random_wireguard_key()));
    }
    let mut request = NewTenant::new("project-alpha").expect("name");
    for (id, key) in &team {
        request = request.with_member(id.clone(), with_key(key));
    }
    let project = client.create_tenant(&request).await.expect("create tenant");

    let members = client.list_members(&project.id).await.expect("members");
    let ids: Vec<&UserId> = members.iter().map(|m| &m.user).collect();
    assert_eq!(
        ids,
        team.iter().map(|(id, _)| id).collect::<Vec<_>>(),
        "{api:?}"
    );
    emulator.with_model(|m| {
        let tenant = m.tenant_by_name("project-alpha").expect("stored");
        for (member, (id, key)) in tenant.members.iter().zip(&team) {
            assert_eq!(member.user_id, uuid_of(id));
            if api == IaasApi::Current {
                assert_eq!(member.pubkey, key.as_str());
            }
        }
    });
    // On the 2025-11 API each member was added with the membership call,
    // carrying their key.
    let puts: Vec<serde_json::Value> = emulator
        .requests()
        .await
        .iter()
        .filter(|r| r.method.as_str() == "PUT")
        .map(|r| serde_json::from_slice(&r.body).expect("json"))
        .collect();
    let expected: Vec<serde_json::Value> = match api {
        IaasApi::Current => Vec::new(),
        _ => team
            .iter()
            .map(|(_, key)| serde_json::json!({"pubkey": key.as_str()}))
            .collect(),
    };
    assert_eq!(puts, expected, "{api:?}");
}

/// Use case 4: offboard an employee; deleting the user removes them from
/// their tenant.
#[tokio::test]
async fn offboard_deletes_and_cascades() {
    let (emulator, client) = setup().await;
    let user = emulator.with_model(|m| {
        let user = m.add_user("leaver@company.com", "member");
        let tenant = m.add_tenant("team");
        m.assign(&tenant, user, random_wireguard_key().as_str());
        user
    });
    let found = client
        .find_user_by_email(&email("LEAVER@company.com"))
        .await
        .expect("lookup")
        .expect("found ignoring case");
    assert_eq!(
        client
            .list_user_memberships(&found.id)
            .await
            .expect("tenants")
            .len(),
        1
    );

    client.delete_user(&found.id).await.expect("delete");

    assert!(
        client
            .find_user_by_email(&email("leaver@company.com"))
            .await
            .expect("lookup")
            .is_none()
    );
    emulator.with_model(|m| {
        assert!(m.users.iter().all(|u| u.id != user));
        assert!(
            m.tenant_of(user).is_none(),
            "membership removed with the user"
        );
        assert_eq!(m.tenants.len(), 1, "the tenant stays");
    });
}

/// Use case 5: promote a member to operator.
#[tokio::test]
async fn promote_to_operator() {
    let (emulator, client) = setup().await;
    let (user, ssh_key) = emulator.with_model(|m| {
        let user = m.add_user("user@company.com", "member");
        let key = m.add_ssh_key(&random_ssh_public_key("user@laptop"));
        m.users[0].ssh_key_id = Some(key);
        (user, key)
    });
    let id = UserId::new(user.to_string()).expect("id");
    let before = client.get_user(&id).await.expect("get");
    assert_eq!(before.role, Some(Role::Member));

    let promoted = client
        .update_user(&id, &UserUpdate::new().role(Role::Admin))
        .await
        .expect("promote");
    assert_eq!(promoted.role, Some(Role::Admin));
    assert_eq!(promoted.raw_role.as_deref(), Some("operator"));
    emulator.with_model(|m| {
        assert_eq!(m.users[0].role, "operator");
        assert_eq!(m.users[0].ssh_key_id, Some(ssh_key), "SSH key kept");
        assert_eq!(m.users[0].email, "user@company.com", "email kept");
    });
}

/// The guide's note on use case 1: SSH keys are assigned before the VMs
/// are created. Upload, assign, unassign, delete.
#[tokio::test]
async fn give_a_user_an_ssh_key_and_take_it_back() {
    let (emulator, client) = setup().await;
    let user = emulator.with_model(|m| m.add_user("dev@company.com", "operator"));
    let id = UserId::new(user.to_string()).expect("id");
    let public_key = random_ssh_public_key("dev@laptop");

    let key = client
        .create_ssh_key(&format!("{public_key}\n"))
        .await
        .expect("upload")
        .into_inner();
    assert_eq!(key.public_key, public_key);
    assert_eq!(
        client.list_ssh_keys().await.expect("list"),
        vec![key.clone()]
    );

    let assigned = client.assign_ssh_key(&id, &key.id).await.expect("assign");
    assert_eq!(assigned.role, Some(Role::Admin), "role kept");
    emulator.with_model(|m| {
        let stored = m.user_by_email("dev@company.com").expect("user");
        assert_eq!(
            stored.ssh_key_id.map(|k| k.to_string()).as_deref(),
            Some(key.id.as_str())
        );
        assert_eq!(stored.role, "operator");
    });

    // A normal update never unassigns it.
    client
        .update_user(
            &id,
            &UserUpdate::new().email(email("dev.renamed@company.com")),
        )
        .await
        .expect("rename");
    let err = client.delete_ssh_key(&key.id).await.expect_err("assigned");
    assert_eq!(err.kind(), roster_core::ErrorKind::Conflict);
    assert!(err.message().contains("dev.renamed@company.com"), "{err}");

    client.unassign_ssh_key(&id).await.expect("unassign");
    client.delete_ssh_key(&key.id).await.expect("delete");
    assert!(client.list_ssh_keys().await.expect("list").is_empty());
    emulator.with_model(|m| {
        let stored = m.user_by_email("dev.renamed@company.com").expect("user");
        assert_eq!(stored.ssh_key_id, None);
        assert_eq!(stored.role, "operator", "role kept throughout");
    });
}
