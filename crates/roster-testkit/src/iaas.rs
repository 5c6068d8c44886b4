//! A stateful emulator of the NTY Gridworks IaaS operator API.
//!
//! It follows the server's documented rules and FastAPI's conventions:
//!
//! - routes live under `/api`, authenticated with `Authorization: Bearer`;
//!   anything else answers `401 {"detail": "Not authenticated"}`;
//! - ids are UUIDs; a path `user_id` that is not one answers FastAPI's 422;
//! - a user belongs to at most one tenant: `PUT /tenants/{t}/users/{u}` for
//!   a user in another tenant answers 409, while `POST /tenants` reassigns
//!   the users it lists (as the server's own description says);
//! - deleting a user removes them from their tenant;
//! - unknown ids answer `404 {"detail": "... not found"}`, invalid bodies
//!   answer `422 {"detail": [{loc, msg, type}]}`, a duplicate email or
//!   tenant name answers 409;
//! - SSH keys (`/sshkeys`): list, upload (a malformed key answers 400), and
//!   delete, which answers 409 while a user's `ssh_key_id` names the key; a
//!   user's key is assigned and unassigned through `PUT /users/{id}`, and an
//!   unknown key id there answers 404.
//!
//! Two switches change what it serves:
//!
//! - [`IaasModel::with_api`]`(`[`IaasApi::V2025_11`]`)` behaves like a
//!   server on the published 2025-11 API: `POST /tenants` ignores `users`
//!   (it takes the older `user_ids`), and the membership `PUT` ignores its
//!   body (that operation had none, so no WireGuard key is stored);
//! - [`IaasModel::faithful`] emits everything the published spec allows:
//!   every optional field, fields the spec does not name (a newer server's),
//!   and a user whose role is neither `operator` nor `member`.
//!
//! The exact texts of the 404 and 409 details are our assumptions; see
//! `specs/iaas-operator/SOURCE.md`.

// Handlers return the error response itself as `Err`; it is large, but this
// is an emulator answering one request at a time, not a hot path.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;

use roster_core::{Email, WireGuardKey};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::{Request, ResponseTemplate};

use crate::emulator::{
    EntryCache, Model, auth_credentials, json as reply, json_body, json_text, no_content,
    route_segments, same_ignoring_case,
};
use roster_core::state::{DirectoryState, MembershipState, TenantState, UserState};

/// A user as the emulator stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IaasUser {
    /// The user's UUID.
    pub id: Uuid,
    /// Their email.
    pub email: String,
    /// `operator` or `member`.
    pub role: String,
    /// The SSH key assigned to them.
    pub ssh_key_id: Option<Uuid>,
}

/// A tenant member: a user and their WireGuard public key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct IaasMember {
    /// The user.
    pub user_id: Uuid,
    /// Their WireGuard public key.
    pub pubkey: String,
}

/// An SSH key as the emulator stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IaasSshKey {
    /// The key's UUID.
    pub id: Uuid,
    /// The public key, as uploaded.
    pub public_key: String,
}

/// Which version of the operator API the emulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IaasApi {
    /// The current operator guide: `POST /tenants` takes
    /// `users: [{user_id, pubkey}]` and the membership `PUT` needs
    /// `{"pubkey": ...}`.
    #[default]
    Current,
    /// The published 2025-11 document: `POST /tenants` ignores `users` and
    /// takes `user_ids`; the membership `PUT` has no body.
    V2025_11,
}

/// The role [`IaasModel::faithful`] gives its extra user: one the spec's
/// enum does not name, as a newer server could send.
pub const FAITHFUL_ROLE: &str = "auditor";

/// When [`IaasModel::faithful`] says objects were created: a field the
/// spec does not name.
const CREATED_AT: &str = "2025-11-03T09:00:00Z";

/// A tenant as the emulator stores it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct IaasTenant {
    /// The tenant id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its members, in the order they were added.
    pub members: Vec<IaasMember>,
}

/// The IaaS operator API's state and rules.
#[derive(Debug, Clone, Serialize)]
pub struct IaasModel {
    #[serde(skip)]
    token: String,
    /// The identity behind the token, answered by `GET /users/me`.
    pub me: IaasUser,
    /// Every user, in creation order.
    pub users: Vec<IaasUser>,
    /// Every tenant, in creation order.
    pub tenants: Vec<IaasTenant>,
    /// Every SSH key, in upload order.
    pub ssh_keys: Vec<IaasSshKey>,
    /// The API version served.
    pub api: IaasApi,
    /// Whether answers carry everything the spec allows.
    pub faithful: bool,
    #[serde(skip)]
    listed: EntryCache,
}

/// The token [`IaasModel::default`] accepts.
pub const IAAS_TOKEN: &str = "iaas-operator-test-token";

impl Default for IaasModel {
    fn default() -> Self {
        IaasModel::new(IAAS_TOKEN)
    }
}

impl IaasModel {
    /// An empty server that accepts `token`. The operator behind the token
    /// is `operator@example.com`.
    pub fn new(token: impl Into<String>) -> Self {
        IaasModel {
            token: token.into(),
            me: IaasUser {
                id: Uuid::new_v4(),
                email: "operator@example.com".into(),
                role: "operator".into(),
                ssh_key_id: None,
            },
            users: Vec::new(),
            tenants: Vec::new(),
            ssh_keys: Vec::new(),
            api: IaasApi::Current,
            faithful: false,
            listed: EntryCache::default(),
        }
    }

    /// Serves `api` instead of the current guide's API.
    pub fn with_api(mut self, api: IaasApi) -> Self {
        self.api = api;
        self
    }

    /// Makes every answer carry everything the published spec allows:
    /// every optional field (`ssh_key_id`, `users`, `name`, even when null
    /// or empty), fields the spec does not name (`created_at` on users and
    /// SSH keys, `project_id` on tenants, `pubkey` on a tenant's `users[]`
    /// entries, `id` on `/users/me`), and one more user,
    /// `auditor@example.com`, whose role is [`FAITHFUL_ROLE`] and who holds
    /// an SSH key.
    pub fn faithful(mut self) -> Self {
        if !self.faithful {
            self.faithful = true;
            let key = self.add_ssh_key(&random_ssh_public_key("auditor@example.com"));
            let auditor = self.add_user("auditor@example.com", FAITHFUL_ROLE);
            if let Some(user) = self.users.iter_mut().find(|u| u.id == auditor) {
                user.ssh_key_id = Some(key);
            }
        }
        self
    }

    /// Stores an SSH key directly (test setup) and returns its id.
    pub fn add_ssh_key(&mut self, public_key: &str) -> Uuid {
        let id = Uuid::new_v4();
        self.ssh_keys.push(IaasSshKey {
            id,
            public_key: public_key.into(),
        });
        id
    }

    /// The user whose `ssh_key_id` names `key`, if any.
    pub fn holder_of(&self, key: Uuid) -> Option<&IaasUser> {
        std::iter::once(&self.me)
            .chain(&self.users)
            .find(|u| u.ssh_key_id == Some(key))
    }

    /// Adds a user directly (test setup) and returns its id.
    pub fn add_user(&mut self, email: &str, role: &str) -> Uuid {
        let id = Uuid::new_v4();
        self.users.push(IaasUser {
            id,
            email: email.into(),
            role: role.into(),
            ssh_key_id: None,
        });
        id
    }

    /// Adds a tenant directly (test setup) and returns its id.
    pub fn add_tenant(&mut self, name: &str) -> String {
        let id = Uuid::new_v4().to_string();
        self.tenants.push(IaasTenant {
            id: id.clone(),
            name: name.into(),
            members: Vec::new(),
        });
        id
    }

    /// Puts a user in a tenant directly (test setup), leaving any other.
    pub fn assign(&mut self, tenant_id: &str, user_id: Uuid, pubkey: &str) {
        for tenant in &mut self.tenants {
            tenant.members.retain(|m| m.user_id != user_id);
        }
        if let Some(tenant) = self.tenants.iter_mut().find(|t| t.id == tenant_id) {
            tenant.members.push(IaasMember {
                user_id,
                pubkey: pubkey.into(),
            });
        }
    }

    /// The user with this email, ignoring case.
    pub fn user_by_email(&self, email: &str) -> Option<&IaasUser> {
        self.users
            .iter()
            .find(|u| same_ignoring_case(&u.email, email))
    }

    /// The tenant a user belongs to, if any.
    pub fn tenant_of(&self, user_id: Uuid) -> Option<&IaasTenant> {
        self.tenants
            .iter()
            .find(|t| t.members.iter().any(|m| m.user_id == user_id))
    }

    /// The tenant with this name.
    pub fn tenant_by_name(&self, name: &str) -> Option<&IaasTenant> {
        self.tenants.iter().find(|t| t.name == name)
    }

    fn user_json(&self, user: &IaasUser) -> Value {
        let mut json = json!({"email": user.email, "role": user.role, "ssh_key_id": user.ssh_key_id, "id": user.id});
        if self.faithful {
            json["created_at"] = json!(CREATED_AT);
        }
        json
    }

    /// Each user's email by id, built once per answer: a tenant list
    /// names every member's email, and a scan of the users per member made
    /// a list of 10,000 members cost 50 million comparisons.
    fn emails_by_id(&self) -> HashMap<Uuid, &str> {
        self.users
            .iter()
            .map(|u| (u.id, u.email.as_str()))
            .collect()
    }

    fn tenant_json(&self, tenant: &IaasTenant, emails: &HashMap<Uuid, &str>) -> Value {
        let users: Vec<Value> = tenant
            .members
            .iter()
            .filter_map(|m| Some((m, *emails.get(&m.user_id)?)))
            .map(|(member, email)| {
                let mut json = json!({"id": member.user_id, "email": email});
                if self.faithful {
                    json["pubkey"] = json!(member.pubkey);
                }
                json
            })
            .collect();
        let mut json = json!({"id": tenant.id, "name": tenant.name, "users": users});
        if self.faithful {
            json["project_id"] = json!(format!("project-{}", tenant.id));
        }
        json
    }

    fn ssh_key_json(&self, key: &IaasSshKey) -> Value {
        let mut json = json!({"id": key.id, "public_key": key.public_key});
        if self.faithful {
            json["created_at"] = json!(CREATED_AT);
        }
        json
    }

    fn me_json(&self) -> Value {
        if self.faithful {
            json!({"email": self.me.email, "name": null, "role": self.me.role, "id": self.me.id})
        } else {
            json!({"email": self.me.email, "name": "Operator", "role": self.me.role})
        }
    }

    fn list_users(&self) -> ResponseTemplate {
        reply(200, self.users.iter().map(|u| self.user_json(u)).collect())
    }

    /// 404 unless `key` names a stored SSH key.
    fn check_ssh_key(&self, key: Option<Uuid>) -> Result<(), ResponseTemplate> {
        match key {
            Some(key) if !self.ssh_keys.iter().any(|k| k.id == key) => {
                Err(detail(404, "SSH key not found"))
            }
            _ => Ok(()),
        }
    }

    fn create_user(&mut self, request: &Request) -> ResponseTemplate {
        let body = match user_body(request) {
            Ok(body) => body,
            Err(response) => return response,
        };
        if self.user_by_email(&body.email).is_some() {
            return detail(409, "User with this email already exists");
        }
        if let Err(response) = self.check_ssh_key(body.ssh_key_id) {
            return response;
        }
        let user = IaasUser {
            id: Uuid::new_v4(),
            email: body.email,
            role: body.role,
            ssh_key_id: body.ssh_key_id,
        };
        let answer = self.user_json(&user);
        self.users.push(user);
        reply(200, answer)
    }

    fn update_user(&mut self, user_id: &str, request: &Request) -> ResponseTemplate {
        let id = match path_uuid("user_id", user_id) {
            Ok(id) => id,
            Err(response) => return response,
        };
        let body = match user_body(request) {
            Ok(body) => body,
            Err(response) => return response,
        };
        if !self.users.iter().any(|u| u.id == id) {
            return detail(404, "User not found");
        }
        if self
            .user_by_email(&body.email)
            .is_some_and(|other| other.id != id)
        {
            return detail(409, "User with this email already exists");
        }
        if let Err(response) = self.check_ssh_key(body.ssh_key_id) {
            return response;
        }
        let Some(user) = self.users.iter_mut().find(|u| u.id == id) else {
            return detail(404, "User not found");
        };
        user.email = body.email;
        user.role = body.role;
        user.ssh_key_id = body.ssh_key_id;
        let user = user.clone();
        reply(200, self.user_json(&user))
    }

    fn delete_user(&mut self, user_id: &str) -> ResponseTemplate {
        let id = match path_uuid("user_id", user_id) {
            Ok(id) => id,
            Err(response) => return response,
        };
        let before = self.users.len();
        self.users.retain(|u| u.id != id);
        if self.users.len() == before {
            return detail(404, "User not found");
        }
        for tenant in &mut self.tenants {
            tenant.members.retain(|m| m.user_id != id);
        }
        no_content()
    }

    fn list_tenants(&self) -> ResponseTemplate {
        let emails = self.emails_by_id();
        json_text(
            200,
            self.listed.array(self.tenants.iter().map(|t| {
                // Everything tenant_json reads: the tenant and its
                // members' emails.
                let members: Vec<Option<&str>> = t
                    .members
                    .iter()
                    .map(|m| emails.get(&m.user_id).copied())
                    .collect();
                ((t, self.faithful, members), || self.tenant_json(t, &emails))
            })),
        )
    }

    fn create_tenant(&mut self, request: &Request) -> ResponseTemplate {
        let body = match json_body(request) {
            Ok(body) => body,
            Err(_) => return json_invalid(),
        };
        let mut errors = Vec::new();
        let name = match body.get("name") {
            Some(Value::String(name)) if !name.is_empty() => Some(name.clone()),
            Some(Value::String(_)) => {
                errors.push(validation(
                    json!(["body", "name"]),
                    "String should have at least 1 character",
                    "string_too_short",
                ));
                None
            }
            Some(_) => {
                errors.push(validation(
                    json!(["body", "name"]),
                    "Input should be a valid string",
                    "string_type",
                ));
                None
            }
            None => {
                errors.push(validation(
                    json!(["body", "name"]),
                    "Field required",
                    "missing",
                ));
                None
            }
        };
        let mut members = Vec::new();
        match (self.api, body.get("users")) {
            // The 2025-11 server predates `users` and drops it unread.
            (IaasApi::V2025_11, _) | (IaasApi::Current, None) => {}
            (IaasApi::Current, Some(Value::Array(users))) => {
                for (index, entry) in users.iter().enumerate() {
                    let user_id = entry
                        .get("user_id")
                        .and_then(Value::as_str)
                        .and_then(|s| Uuid::parse_str(s).ok());
                    let pubkey = entry.get("pubkey").and_then(Value::as_str);
                    match (user_id, pubkey) {
                        (Some(user_id), Some(pubkey)) if WireGuardKey::parse(pubkey).is_ok() => {
                            members.push(IaasMember {
                                user_id,
                                pubkey: pubkey.into(),
                            })
                        }
                        (None, _) => errors.push(validation(
                            json!(["body", "users", index, "user_id"]),
                            "Input should be a valid UUID",
                            "uuid_parsing",
                        )),
                        (_, _) => errors.push(validation(
                            json!(["body", "users", index, "pubkey"]),
                            "Value error, invalid WireGuard public key",
                            "value_error",
                        )),
                    }
                }
            }
            (IaasApi::Current, Some(_)) => errors.push(validation(
                json!(["body", "users"]),
                "Input should be a valid list",
                "list_type",
            )),
        }
        if self.api == IaasApi::V2025_11 {
            match body.get("user_ids") {
                None => {}
                Some(Value::Array(ids)) => {
                    for (index, id) in ids.iter().enumerate() {
                        match id.as_str().and_then(|s| Uuid::parse_str(s).ok()) {
                            Some(user_id) => members.push(IaasMember {
                                user_id,
                                pubkey: String::new(),
                            }),
                            None => errors.push(validation(
                                json!(["body", "user_ids", index]),
                                "Input should be a valid UUID",
                                "uuid_parsing",
                            )),
                        }
                    }
                }
                Some(_) => errors.push(validation(
                    json!(["body", "user_ids"]),
                    "Input should be a valid list",
                    "list_type",
                )),
            }
        }
        if !errors.is_empty() {
            return reply(422, json!({"detail": errors}));
        }
        let name = name.unwrap_or_default();
        if self.tenant_by_name(&name).is_some() {
            return detail(409, "Tenant with this name already exists");
        }
        if let Some(missing) = members
            .iter()
            .find(|m| !self.users.iter().any(|u| u.id == m.user_id))
        {
            return detail(404, &format!("User {} not found", missing.user_id));
        }
        // The server keeps one active tenant per user: listing a user here
        // moves them.
        for tenant in &mut self.tenants {
            tenant
                .members
                .retain(|m| !members.iter().any(|n| n.user_id == m.user_id));
        }
        let tenant = IaasTenant {
            id: Uuid::new_v4().to_string(),
            name,
            members,
        };
        let answer = self.tenant_json(&tenant, &self.emails_by_id());
        self.tenants.push(tenant);
        reply(200, answer)
    }

    fn delete_tenant(&mut self, tenant_id: &str) -> ResponseTemplate {
        let before = self.tenants.len();
        self.tenants.retain(|t| t.id != tenant_id);
        if self.tenants.len() == before {
            return detail(404, "Tenant not found");
        }
        no_content()
    }

    fn assign_user(
        &mut self, tenant_id: &str, user_id: &str, request: &Request,
    ) -> ResponseTemplate {
        let user_id = match path_uuid("user_id", user_id) {
            Ok(id) => id,
            Err(response) => return response,
        };
        let pubkey = match self.api {
            // The 2025-11 operation has no body: whatever is sent is ignored.
            IaasApi::V2025_11 => String::new(),
            IaasApi::Current => match member_pubkey(request) {
                Ok(pubkey) => pubkey,
                Err(response) => return response,
            },
        };
        if !self.tenants.iter().any(|t| t.id == tenant_id) {
            return detail(404, "Tenant not found");
        }
        if !self.users.iter().any(|u| u.id == user_id) {
            return detail(404, "User not found");
        }
        if let Some(current) = self.tenant_of(user_id)
            && current.id != tenant_id
        {
            let message = format!("User already belongs to tenant {}", current.id);
            return detail(409, &message);
        }
        let Some(tenant) = self.tenants.iter_mut().find(|t| t.id == tenant_id) else {
            return detail(404, "Tenant not found");
        };
        match tenant.members.iter_mut().find(|m| m.user_id == user_id) {
            Some(member) => member.pubkey = pubkey,
            None => tenant.members.push(IaasMember { user_id, pubkey }),
        }
        no_content()
    }

    fn remove_user(&mut self, tenant_id: &str, user_id: &str) -> ResponseTemplate {
        let user_id = match path_uuid("user_id", user_id) {
            Ok(id) => id,
            Err(response) => return response,
        };
        let Some(tenant) = self.tenants.iter_mut().find(|t| t.id == tenant_id) else {
            return detail(404, "Tenant not found");
        };
        let before = tenant.members.len();
        tenant.members.retain(|m| m.user_id != user_id);
        if tenant.members.len() == before {
            return detail(404, "User is not a member of this tenant");
        }
        no_content()
    }

    fn list_ssh_keys(&self) -> ResponseTemplate {
        reply(
            200,
            self.ssh_keys.iter().map(|k| self.ssh_key_json(k)).collect(),
        )
    }

    fn create_ssh_key(&mut self, request: &Request) -> ResponseTemplate {
        let body = match json_body(request) {
            Ok(body) => body,
            Err(_) => return json_invalid(),
        };
        let public_key = match body.get("public_key") {
            Some(Value::String(key)) => key.clone(),
            Some(_) => {
                return reply(
                    422,
                    json!({"detail": [validation(json!(["body", "public_key"]), "Input should be a valid string", "string_type")]}),
                );
            }
            None => {
                return reply(
                    422,
                    json!({"detail": [validation(json!(["body", "public_key"]), "Field required", "missing")]}),
                );
            }
        };
        if !is_ssh_public_key(&public_key) {
            return detail(400, "Invalid SSH public key format");
        }
        let key = IaasSshKey {
            id: Uuid::new_v4(),
            public_key,
        };
        let answer = self.ssh_key_json(&key);
        self.ssh_keys.push(key);
        reply(200, answer)
    }

    fn delete_ssh_key(&mut self, key_id: &str) -> ResponseTemplate {
        let id = match path_uuid("key_id", key_id) {
            Ok(id) => id,
            Err(response) => return response,
        };
        if !self.ssh_keys.iter().any(|k| k.id == id) {
            return detail(404, "SSH key not found");
        }
        if let Some(holder) = self.holder_of(id) {
            let message = format!(
                "SSH key is assigned to user {}; unassign it first",
                holder.email
            );
            return detail(409, &message);
        }
        self.ssh_keys.retain(|k| k.id != id);
        no_content()
    }
}

impl Model for IaasModel {
    fn base_path(&self) -> &str {
        "/api"
    }

    /// Neutral roles map as the adapter maps them: `admin` is `operator`;
    /// no role is `member`. Every membership needs a WireGuard key, and a
    /// user can be in one tenant only.
    fn seed(&mut self, snapshot: &DirectoryState) -> Result<(), String> {
        snapshot.check().map_err(|e| e.to_string())?;
        for user in &snapshot.users {
            if self.user_by_email(user.email.as_str()).is_some() {
                return Err(format!("{} is listed twice", user.email));
            }
            if user.display_name.is_some() {
                return Err(format!(
                    "{}: the IaaS API keeps no display name",
                    user.email
                ));
            }
            let role = match user.role.as_deref().map(str::to_ascii_lowercase).as_deref() {
                None | Some("member") => "member",
                Some("admin" | "operator") => "operator",
                Some(other) => {
                    return Err(format!(
                        "{}: the IaaS API has no role {other:?}",
                        user.email
                    ));
                }
            };
            self.add_user(user.email.as_str(), role);
        }
        for tenant in &snapshot.tenants {
            if self.tenant_by_name(&tenant.name).is_some() {
                return Err(format!("tenant {:?} is listed twice", tenant.name));
            }
            self.add_tenant(&tenant.name);
        }
        for membership in &snapshot.memberships {
            let user = self
                .user_by_email(membership.user.as_str())
                .map(|u| u.id)
                .ok_or_else(|| format!("no user {}", membership.user))?;
            if let Some(current) = self.tenant_of(user) {
                return Err(format!(
                    "{} is already in {:?}; an IaaS user is in one tenant only",
                    membership.user, current.name
                ));
            }
            if membership.role.is_some() {
                return Err(format!(
                    "{}: the IaaS API has no tenant roles",
                    membership.user
                ));
            }
            let key = membership.wireguard_key.as_ref().ok_or_else(|| {
                format!(
                    "{}: an IaaS membership needs a wireguard_key",
                    membership.user
                )
            })?;
            let tenant = self
                .tenant_by_name(&membership.tenant)
                .map(|t| t.id.clone())
                .ok_or_else(|| format!("no tenant {:?}", membership.tenant))?;
            self.assign(&tenant, user, key.as_str());
        }
        Ok(())
    }

    fn snapshot(&self) -> Result<DirectoryState, String> {
        let email = |id: Uuid| {
            self.users
                .iter()
                .find(|u| u.id == id)
                .and_then(|u| Email::parse(&u.email).ok())
        };
        Ok(DirectoryState {
            users: self
                .users
                .iter()
                .map(|user| {
                    Ok(UserState {
                        email: Email::parse(&user.email).map_err(|e| e.to_string())?,
                        role: Some(match user.role.as_str() {
                            "operator" => "admin".to_owned(),
                            other => other.to_owned(),
                        }),
                        display_name: None,
                    })
                })
                .collect::<Result<_, String>>()?,
            tenants: self
                .tenants
                .iter()
                .map(|t| TenantState {
                    name: t.name.clone(),
                })
                .collect(),
            memberships: self
                .tenants
                .iter()
                .flat_map(|tenant| {
                    tenant.members.iter().filter_map(move |member| {
                        Some(MembershipState {
                            tenant: tenant.name.clone(),
                            user: email(member.user_id)?,
                            role: None,
                            wireguard_key: WireGuardKey::parse(&member.pubkey).ok(),
                        })
                    })
                })
                .collect(),
        })
    }

    fn handle(&mut self, request: &Request) -> ResponseTemplate {
        let Some(segments) = route_segments(request, "/api") else {
            return detail(404, "Not Found");
        };
        if auth_credentials(request, "Bearer") != Some(self.token.as_str()) {
            return reply(401, json!({"detail": "Not authenticated"}))
                .insert_header("www-authenticate", "Bearer");
        }
        let method = request.method.as_str();
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        match (method, segments.as_slice()) {
            ("GET", ["users"]) => self.list_users(),
            ("POST", ["users"]) => self.create_user(request),
            ("GET", ["users", "me"]) => reply(200, self.me_json()),
            ("PUT", ["users", id]) => self.update_user(id, request),
            ("DELETE", ["users", id]) => self.delete_user(id),
            ("GET", ["tenants"]) => self.list_tenants(),
            ("POST", ["tenants"]) => self.create_tenant(request),
            ("DELETE", ["tenants", id]) => self.delete_tenant(id),
            ("PUT", ["tenants", tenant, "users", user]) => self.assign_user(tenant, user, request),
            ("DELETE", ["tenants", tenant, "users", user]) => self.remove_user(tenant, user),
            ("GET", ["sshkeys"]) => self.list_ssh_keys(),
            ("POST", ["sshkeys"]) => self.create_ssh_key(request),
            ("DELETE", ["sshkeys", id]) => self.delete_ssh_key(id),
            (
                _,
                ["users"]
                | ["users", _]
                | ["tenants"]
                | ["tenants", _]
                | ["tenants", _, "users", _]
                | ["sshkeys"]
                | ["sshkeys", _],
            ) => detail(405, "Method Not Allowed"),
            _ => detail(404, "Not Found"),
        }
    }
}

struct UserBody {
    email: String,
    role: String,
    ssh_key_id: Option<Uuid>,
}

fn user_body(request: &Request) -> Result<UserBody, ResponseTemplate> {
    let body = json_body(request).map_err(|_| json_invalid())?;
    let mut errors = Vec::new();
    let email = match body.get("email") {
        Some(Value::String(email)) if Email::parse(email.as_str()).is_ok() => Some(email.clone()),
        Some(_) => {
            errors.push(validation(
                json!(["body", "email"]),
                "value is not a valid email address: An email address must have an @-sign.",
                "value_error",
            ));
            None
        }
        None => {
            errors.push(validation(
                json!(["body", "email"]),
                "Field required",
                "missing",
            ));
            None
        }
    };
    let role = match body.get("role") {
        Some(Value::String(role)) if role == "operator" || role == "member" => Some(role.clone()),
        Some(_) => {
            errors.push(validation(
                json!(["body", "role"]),
                "Input should be 'operator' or 'member'",
                "enum",
            ));
            None
        }
        None => {
            errors.push(validation(
                json!(["body", "role"]),
                "Field required",
                "missing",
            ));
            None
        }
    };
    let ssh_key_id = match body.get("ssh_key_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => match Uuid::parse_str(s) {
            Ok(id) => Some(id),
            Err(_) => {
                errors.push(validation(
                    json!(["body", "ssh_key_id"]),
                    "Input should be a valid UUID",
                    "uuid_parsing",
                ));
                None
            }
        },
        Some(_) => {
            errors.push(validation(
                json!(["body", "ssh_key_id"]),
                "Input should be a valid UUID",
                "uuid_type",
            ));
            None
        }
    };
    match (email, role) {
        (Some(email), Some(role)) if errors.is_empty() => Ok(UserBody {
            email,
            role,
            ssh_key_id,
        }),
        _ => Err(reply(422, json!({"detail": errors}))),
    }
}

/// The membership `PUT`'s `{"pubkey": ...}`: a valid WireGuard key, or 422.
fn member_pubkey(request: &Request) -> Result<String, ResponseTemplate> {
    let body = json_body(request).map_err(|_| json_invalid())?;
    match body.get("pubkey") {
        Some(Value::String(key)) if WireGuardKey::parse(key.as_str()).is_ok() => Ok(key.clone()),
        Some(_) => Err(reply(
            422,
            json!({"detail": [validation(json!(["body", "pubkey"]), "Value error, invalid WireGuard public key", "value_error")]}),
        )),
        None => Err(reply(
            422,
            json!({"detail": [validation(json!(["body", "pubkey"]), "Field required", "missing")]}),
        )),
    }
}

fn path_uuid(name: &str, value: &str) -> Result<Uuid, ResponseTemplate> {
    Uuid::parse_str(value).map_err(|_| {
        reply(
            422,
            json!({"detail": [validation(json!(["path", name]), "Input should be a valid UUID", "uuid_parsing")]}),
        )
    })
}

/// The OpenSSH key types the emulator accepts.
const SSH_KEY_TYPES: &[&str] = &[
    "ssh-ed25519",
    "ssh-rsa",
    "ssh-dss",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
];

/// `<type> <base64> [comment]` on one line, with a known type: what the
/// server's 400 for "an invalid key format" is taken to mean.
fn is_ssh_public_key(key: &str) -> bool {
    if key.contains(['\n', '\r']) {
        return false;
    }
    let mut fields = key.split_ascii_whitespace();
    let (Some(kind), Some(blob)) = (fields.next(), fields.next()) else {
        return false;
    };
    SSH_KEY_TYPES.contains(&kind)
        && blob.len() % 4 == 0
        && blob.len() >= 8
        && blob
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

/// A fresh, well-formed `ssh-ed25519` public key line with this comment.
pub fn random_ssh_public_key(comment: &str) -> String {
    let mut blob = Vec::with_capacity(51);
    blob.extend_from_slice(&11u32.to_be_bytes());
    blob.extend_from_slice(b"ssh-ed25519");
    blob.extend_from_slice(&32u32.to_be_bytes());
    blob.extend_from_slice(Uuid::new_v4().as_bytes());
    blob.extend_from_slice(Uuid::new_v4().as_bytes());
    format!("ssh-ed25519 {} {comment}", base64(&blob))
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn validation(loc: Value, msg: &str, kind: &str) -> Value {
    json!({"loc": loc, "msg": msg, "type": kind})
}

fn detail(status: u16, message: &str) -> ResponseTemplate {
    reply(status, json!({"detail": message}))
}

fn json_invalid() -> ResponseTemplate {
    reply(
        422,
        json!({"detail": [validation(json!(["body"]), "JSON decode error", "json_invalid")]}),
    )
}
