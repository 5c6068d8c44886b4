//! A stateful emulator of the DataStax Astra DevOps API (organization users
//! and roles).
//!
//! It answers the way the live service does, which differs from the
//! published spec:
//!
//! - bodies use **PascalCase** keys: `{"OrgID", "OrgName", "Users": [{"UserID",
//!   "Email", "Status", "Roles": [{"ID", "Name"}]}]}`, and a role's `Policy`
//!   is a JSON-encoded string;
//! - `PUT /v2/organizations/users` (an invitation, with role **ids**) answers
//!   `200` with an empty body and no user id; the user is then listed with
//!   status `invited`. Inviting an address that is already invited re-sends
//!   the invitation (and takes the new roles); [`AstraModel::invitations`]
//!   records every one sent;
//! - `DELETE /v2/organizations/users/{id}` and `PUT .../{id}/roles` answer
//!   `204`; `GET /v2/currentOrg` answers `{"id", "name"}`;
//! - every route needs `Authorization: Bearer <application token>`; anything
//!   else answers `401`. Errors are `{"errors": [{"ID": n, "message": "..."}]}`.
//!
//! - custom roles are created (`POST /v2/organizations/roles`, `201` with
//!   the role), replaced (`PUT …/roles/{id}`, `200` with no body) and
//!   deleted (`DELETE …/roles/{id}`, `204`), with the published request
//!   body `{name, policy: {description, resources, actions, effect}}`.
//!
//! Which status an invitation of an active member, an invitation to another
//! organization and a bad role id get (409, 403, 400), and that built-in
//! roles cannot be changed or deleted (403) nor a role still held by a user
//! deleted (409), are our assumptions; see `specs/astra-devops/SOURCE.md`.
//!
//! ## The faithful switch
//!
//! [`AstraModel::faithful`] makes the emulator send everything the
//! published spec and the live service allow, not only what the adapter
//! expects:
//!
//! - answers alternate between the live PascalCase form and the spec's
//!   camelCase form (where a role's `policy` is an object), one answer
//!   each;
//! - every other active user comes without `Status`, the rest with
//!   `Active`; users and lists carry keys nobody asked for (`IdpType`,
//!   `OrgType`);
//! - a user's custom roles come with an id but no name;
//! - it starts with a custom role and [`FAITHFUL_USERS`]: users with
//!   statuses it has never seen, no status or no email, and several roles,
//!   one of them without an id and one without either.

// Handlers return the error response itself as `Err`; it is large, but this
// is an emulator answering one request at a time, not a hot path.
#![allow(clippy::result_large_err)]

use roster_core::Email;
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::{Request, ResponseTemplate};

use crate::emulator::{
    EntryCache, Model, auth_credentials, json as reply, json_body, json_text, no_content,
    route_segments, same_ignoring_case, with_json_field,
};
use roster_core::state::{DirectoryState, MembershipState, TenantState, UserState};

/// The token [`AstraModel::default`] accepts.
pub const ASTRA_TOKEN: &str = "AstraCS:emulator:0123456789abcdef0123456789abcdef";

/// The built-in roles every emulated organization starts with.
pub const BUILT_IN_ROLES: [&str; 6] = [
    "Organization Administrator",
    "Database Administrator",
    "User Administrator",
    "Billing Administrator",
    "R/W User",
    "Read Only User",
];

/// The custom role a faithful emulator starts with.
pub const FAITHFUL_ROLE: &str = "Service Reader";

/// The users a faithful emulator starts with, as `(email, status)`; an empty
/// email or status is left out of the answers. They hold several roles.
pub const FAITHFUL_USERS: [(&str, &str); 3] = [
    ("", ""),
    ("frozen@faithful.example", "deactivated"),
    ("sso@faithful.example", "pending_sso_link"),
];

/// A role as the emulator stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AstraRole {
    /// Its UUID.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Whether it is one of [`BUILT_IN_ROLES`] (which cannot be changed).
    pub built_in: bool,
    /// Its policy: `{description, resources, actions, effect}`.
    pub policy: Value,
}

/// A user of the organization as the emulator stores it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct AstraUser {
    /// Their id.
    pub id: String,
    /// Their email.
    pub email: String,
    /// `active` or `invited`.
    pub status: String,
    /// The ids of their roles.
    pub role_ids: Vec<String>,
}

/// The Astra organization's state and rules.
#[derive(Debug, Clone, Serialize)]
pub struct AstraModel {
    #[serde(skip)]
    token: String,
    /// The organization's UUID: the token's organization.
    pub org_id: String,
    /// Its name.
    pub org_name: String,
    /// Every role, built-in first.
    pub roles: Vec<AstraRole>,
    /// Every user, active or invited, in the order they were added.
    pub users: Vec<AstraUser>,
    /// Every invitation email sent (first ones and re-sends), in order.
    pub invitations: Vec<String>,
    /// Whether the faithful switch is on ([`AstraModel::faithful`]).
    pub faithful: bool,
    /// JSON answers sent so far (the faithful casing alternates on it).
    #[serde(skip)]
    answers: usize,
    #[serde(skip)]
    listed: EntryCache,
}

impl Default for AstraModel {
    fn default() -> Self {
        AstraModel::new(ASTRA_TOKEN)
    }
}

impl AstraModel {
    /// An organization named `Emulated Org` with the built-in roles and no
    /// users, reachable with `token`.
    pub fn new(token: impl Into<String>) -> Self {
        let mut model = AstraModel {
            token: token.into(),
            org_id: Uuid::new_v4().to_string(),
            org_name: "Emulated Org".into(),
            roles: Vec::new(),
            users: Vec::new(),
            invitations: Vec::new(),
            faithful: false,
            answers: 0,
            listed: EntryCache::default(),
        };
        for name in BUILT_IN_ROLES {
            model.add_role(name);
            if let Some(role) = model.roles.last_mut() {
                role.built_in = true;
            }
        }
        model
    }

    /// Turns the faithful switch on (see the module docs): both casings,
    /// missing and unknown statuses, nameless roles, extra keys, and the
    /// [`FAITHFUL_USERS`] holding several roles each, among them
    /// [`FAITHFUL_ROLE`].
    pub fn faithful(mut self) -> Self {
        self.faithful = true;
        let custom = self.add_role(FAITHFUL_ROLE);
        let read_only = self.role_id("Read Only User").unwrap_or_default();
        for (email, status) in FAITHFUL_USERS {
            let mut role_ids = vec![custom.clone(), read_only.clone()];
            if status.is_empty() {
                // Stored as dangling ids: answered without an id, or with
                // neither id nor name (see `role_entry`).
                role_ids.push(NAME_ONLY.to_owned());
                role_ids.push(NOTHING.to_owned());
            }
            self.users.push(AstraUser {
                id: Uuid::new_v4().to_string(),
                email: email.into(),
                status: status.into(),
                role_ids,
            });
        }
        self
    }

    /// Adds a (custom) role with a small policy and returns its id.
    pub fn add_role(&mut self, name: &str) -> String {
        let id = Uuid::new_v4().to_string();
        let policy = json!({
            "description": name,
            "resources": [format!("drn:astra:org:{}", self.org_id)],
            "actions": ["org-read"],
            "effect": "allow",
        });
        self.roles.push(AstraRole {
            id: id.clone(),
            name: name.into(),
            built_in: false,
            policy,
        });
        id
    }

    /// The role with this id.
    pub fn role(&self, id: &str) -> Option<&AstraRole> {
        self.roles.iter().find(|r| r.id == id)
    }

    /// The id of the role with this exact name.
    pub fn role_id(&self, name: &str) -> Option<String> {
        self.roles
            .iter()
            .find(|r| r.name == name)
            .map(|r| r.id.clone())
    }

    /// Adds a user directly (test setup) with these role names, and
    /// returns their id. Unknown role names are skipped.
    pub fn add_user(&mut self, email: &str, status: &str, roles: &[&str]) -> String {
        let id = Uuid::new_v4().to_string();
        let role_ids = roles.iter().filter_map(|n| self.role_id(n)).collect();
        self.users.push(AstraUser {
            id: id.clone(),
            email: email.into(),
            status: status.into(),
            role_ids,
        });
        id
    }

    /// The user with this email, ignoring case.
    pub fn user_by_email(&self, email: &str) -> Option<&AstraUser> {
        self.users
            .iter()
            .find(|u| same_ignoring_case(&u.email, email))
    }

    /// The names of a user's roles.
    pub fn role_names(&self, user: &AstraUser) -> Vec<String> {
        user.role_ids
            .iter()
            .filter_map(|id| self.roles.iter().find(|r| &r.id == id))
            .map(|r| r.name.clone())
            .collect()
    }

    /// Marks an invitation as accepted: the user becomes `active`.
    pub fn accept_invitation(&mut self, email: &str) -> bool {
        match self
            .users
            .iter_mut()
            .find(|u| same_ignoring_case(&u.email, email))
        {
            Some(user) => {
                user.status = "active".into();
                true
            }
            None => false,
        }
    }

    /// Whether this answer goes out in the spec's camelCase (faithful mode
    /// alternates; otherwise never). Counts the answer.
    fn camel_case(&mut self) -> bool {
        let camel = self.faithful && !self.answers.is_multiple_of(2);
        self.answers += 1;
        camel
    }

    fn role_json(&self, role: &AstraRole, camel: bool) -> Value {
        if camel {
            return json!({
                "id": role.id,
                "name": role.name,
                "policy": role.policy,
                "last_update_datetime": "2024-01-01T00:00:00Z",
                "last_update_userid": "",
            });
        }
        json!({
            "OrgID": self.org_id,
            "ID": role.id,
            "Name": role.name,
            "Policy": role.policy.to_string(),
            "LastUpdateDateTime": "",
            "LastUpdateUserID": "",
        })
    }

    /// One role inside a user. Faithful: a custom role has no name, and
    /// the dangling markers stand for a role without an id, or with neither.
    fn role_entry(&self, id: &str, camel: bool) -> Option<Value> {
        let (id_key, name_key) = if camel {
            ("id", "name")
        } else {
            ("ID", "Name")
        };
        match id {
            NAME_ONLY => return Some(json!({ name_key: "Legacy Viewer" })),
            NOTHING => return Some(json!({})),
            _ => {}
        }
        let role = self.role(id)?;
        Some(if self.faithful && !role.built_in {
            json!({ id_key: role.id })
        } else {
            json!({ id_key: role.id, name_key: role.name })
        })
    }

    fn user_json(&self, user: &AstraUser, position: usize, camel: bool) -> Value {
        let roles: Vec<Value> = user
            .role_ids
            .iter()
            .filter_map(|id| self.role_entry(id, camel))
            .collect();
        if !self.faithful {
            return json!({"UserID": user.id, "Email": user.email, "Status": user.status, "Roles": roles});
        }
        let key = |pascal: &'static str, camel_key: &'static str| {
            if camel { camel_key } else { pascal }
        };
        let mut entry = serde_json::Map::new();
        entry.insert(key("UserID", "userID").into(), json!(user.id));
        if !user.email.is_empty() {
            entry.insert(key("Email", "email").into(), json!(user.email));
        }
        let status = match user.status.as_str() {
            "active" if position.is_multiple_of(2) => None,
            "active" => Some(if camel { "active" } else { "Active" }),
            "" => None,
            other => Some(other),
        };
        if let Some(status) = status {
            entry.insert(key("Status", "status").into(), json!(status));
        }
        entry.insert(key("Roles", "roles").into(), Value::Array(roles));
        entry.insert(key("IdpType", "idpType").into(), json!("password"));
        Value::Object(entry)
    }

    fn list_users(&mut self) -> ResponseTemplate {
        let camel = self.camel_case();
        let this = &*self;
        let users = this
            .listed
            .array(this.users.iter().enumerate().map(|(i, u)| {
                // Everything user_json reads: the user, its place (every
                // other active user omits its status), the casing and the
                // roles it names.
                let roles: Vec<Option<(&str, &str, bool)>> = u
                    .role_ids
                    .iter()
                    .map(|id| {
                        this.role(id)
                            .map(|r| (r.id.as_str(), r.name.as_str(), r.built_in))
                    })
                    .collect();
                let key = (u, i % 2, camel, this.faithful, roles);
                (key, move || this.user_json(u, i, camel))
            }));
        let (org, key) = match (self.faithful, camel) {
            (false, _) => (
                json!({"OrgID": self.org_id, "OrgName": self.org_name}),
                "Users",
            ),
            (true, false) => (
                json!({"OrgID": self.org_id, "OrgName": self.org_name, "OrgType": "enterprise"}),
                "Users",
            ),
            (true, true) => (
                json!({"orgID": self.org_id, "orgName": self.org_name, "orgType": "enterprise"}),
                "users",
            ),
        };
        json_text(200, with_json_field(org, key, &users))
    }

    fn current_org(&mut self) -> ResponseTemplate {
        let body = if self.faithful && !self.camel_case() {
            json!({"ID": self.org_id, "Name": self.org_name, "Type": "enterprise"})
        } else {
            json!({"id": self.org_id, "name": self.org_name})
        };
        reply(200, body)
    }

    fn list_roles(&mut self) -> ResponseTemplate {
        let camel = self.camel_case();
        reply(
            200,
            self.roles
                .iter()
                .map(|r| self.role_json(r, camel))
                .collect(),
        )
    }

    fn get_role(&mut self, id: &str) -> ResponseTemplate {
        let camel = self.camel_case();
        match self.role(id) {
            Some(role) => reply(200, self.role_json(role, camel)),
            None => errors(404, "role not found"),
        }
    }

    /// `{name, policy: {description, resources, actions, effect}}`, as
    /// published: every part required, `effect` only `allow`.
    fn role_body(
        &self, request: &Request, except: Option<&str>,
    ) -> Result<(String, Value), ResponseTemplate> {
        let body = json_body(request).map_err(|_| errors(400, "invalid request body"))?;
        let name = match body.get("name").and_then(Value::as_str) {
            Some(name) if !name.trim().is_empty() => name.to_owned(),
            _ => return Err(errors(400, "name is required")),
        };
        let Some(policy) = body.get("policy").and_then(Value::as_object) else {
            return Err(errors(400, "policy is required"));
        };
        let strings = |key: &str| {
            policy
                .get(key)
                .and_then(Value::as_array)
                .is_some_and(|items| items.iter().all(Value::is_string))
        };
        if !policy.get("description").is_some_and(Value::is_string)
            || !strings("resources")
            || !strings("actions")
        {
            return Err(errors(
                400,
                "policy needs a description, resources and actions",
            ));
        }
        if policy.get("effect").and_then(Value::as_str) != Some("allow") {
            return Err(errors(400, "policy effect must be allow"));
        }
        let lowered = name.to_lowercase();
        if self
            .roles
            .iter()
            .any(|r| r.name.to_lowercase() == lowered && Some(r.id.as_str()) != except)
        {
            return Err(errors(409, "a role with that name already exists"));
        }
        Ok((name, Value::Object(policy.clone())))
    }

    fn create_role(&mut self, request: &Request) -> ResponseTemplate {
        let (name, policy) = match self.role_body(request, None) {
            Ok(parts) => parts,
            Err(response) => return response,
        };
        let id = self.add_role(&name);
        let camel = self.camel_case();
        let Some(role) = self.roles.iter_mut().find(|r| r.id == id) else {
            return errors(500, "role vanished");
        };
        role.policy = policy;
        let role = role.clone();
        reply(201, self.role_json(&role, camel))
    }

    fn update_role(&mut self, id: &str, request: &Request) -> ResponseTemplate {
        match self.role(id) {
            None => return errors(404, "role not found"),
            Some(role) if role.built_in => return errors(403, "built-in roles cannot be changed"),
            Some(_) => {}
        }
        let (name, policy) = match self.role_body(request, Some(id)) {
            Ok(parts) => parts,
            Err(response) => return response,
        };
        if let Some(role) = self.roles.iter_mut().find(|r| r.id == id) {
            role.name = name;
            role.policy = policy;
        }
        ResponseTemplate::new(200)
    }

    fn delete_role(&mut self, id: &str) -> ResponseTemplate {
        match self.role(id) {
            None => return errors(404, "role not found"),
            Some(role) if role.built_in => return errors(403, "built-in roles cannot be deleted"),
            Some(_) => {}
        }
        if self
            .users
            .iter()
            .any(|u| u.role_ids.iter().any(|r| r == id))
        {
            return errors(409, "the role is assigned to users");
        }
        self.roles.retain(|r| r.id != id);
        no_content()
    }

    /// The role ids in `body["roles"]`, all known and at least one.
    fn role_ids(&self, body: &Value) -> Result<Vec<String>, ResponseTemplate> {
        let Some(items) = body.get("roles").and_then(Value::as_array) else {
            return Err(errors(400, "roles is required"));
        };
        if items.is_empty() {
            return Err(errors(400, "at least one role is required"));
        }
        let mut ids = Vec::with_capacity(items.len());
        for item in items {
            match item.as_str() {
                Some(id) if self.roles.iter().any(|r| r.id == id) => ids.push(id.to_owned()),
                Some(id) => return Err(errors(400, &format!("role {id} not found"))),
                None => return Err(errors(400, "roles must be role ids")),
            }
        }
        Ok(ids)
    }

    fn invite(&mut self, request: &Request) -> ResponseTemplate {
        let Ok(body) = json_body(request) else {
            return errors(400, "invalid request body");
        };
        let email = match body.get("email").and_then(Value::as_str) {
            Some(email) if Email::parse(email).is_ok() => email.to_owned(),
            _ => return errors(400, "a valid email is required"),
        };
        match body.get("orgID").and_then(Value::as_str) {
            Some(org) if org == self.org_id => {}
            Some(_) => return errors(403, "the token cannot invite users to that organization"),
            None => return errors(400, "orgID is required"),
        }
        let role_ids = match self.role_ids(&body) {
            Ok(ids) => ids,
            Err(response) => return response,
        };
        match self
            .users
            .iter_mut()
            .find(|u| same_ignoring_case(&u.email, &email))
        {
            Some(user) if user.status == "invited" => user.role_ids = role_ids,
            Some(_) => return errors(409, "the user is already a member of the organization"),
            None => self.users.push(AstraUser {
                id: Uuid::new_v4().to_string(),
                email: email.clone(),
                status: "invited".into(),
                role_ids,
            }),
        }
        self.invitations.push(email);
        ResponseTemplate::new(200)
    }

    fn get_user(&mut self, id: &str) -> ResponseTemplate {
        let camel = self.camel_case();
        match self.users.iter().position(|u| u.id == id) {
            Some(position) => reply(200, self.user_json(&self.users[position], position, camel)),
            None => errors(404, "user not found"),
        }
    }

    fn delete_user(&mut self, id: &str) -> ResponseTemplate {
        let before = self.users.len();
        self.users.retain(|u| u.id != id);
        if self.users.len() == before {
            return errors(404, "user not found");
        }
        no_content()
    }

    fn update_roles(&mut self, id: &str, request: &Request) -> ResponseTemplate {
        let Ok(body) = json_body(request) else {
            return errors(400, "invalid request body");
        };
        if !self.users.iter().any(|u| u.id == id) {
            return errors(404, "user not found");
        }
        let role_ids = match self.role_ids(&body) {
            Ok(ids) => ids,
            Err(response) => return response,
        };
        if let Some(user) = self.users.iter_mut().find(|u| u.id == id) {
            user.role_ids = role_ids;
        }
        no_content()
    }
}

/// Dangling role ids a faithful emulator stores on its [`FAITHFUL_USERS`]:
/// answered as a role with a name but no id, and as a role with neither.
const NAME_ONLY: &str = "faithful:name-only";
const NOTHING: &str = "faithful:nothing";

/// Neutral role names and the built-in roles they stand for, as the
/// adapter maps them.
const NEUTRAL_ROLES: [(&str, &str); 4] = [
    ("admin", "Organization Administrator"),
    ("member", "R/W User"),
    ("auditor", "Read Only User"),
    ("billing_admin", "Billing Administrator"),
];

impl Model for AstraModel {
    /// The one tenant is the organization: a snapshot tenant renames it,
    /// and every user is its member. Users are seeded as active; a role is
    /// a neutral name or a role's own name (none is `Read Only User`).
    fn seed(&mut self, snapshot: &DirectoryState) -> Result<(), String> {
        snapshot.check().map_err(|e| e.to_string())?;
        match snapshot.tenants.as_slice() {
            [] => {}
            [org] => self.org_name = org.name.clone(),
            _ => {
                return Err("an Astra token sees one organization: give at most one tenant".into());
            }
        }
        for membership in &snapshot.memberships {
            if membership.role.is_some() || membership.wireguard_key.is_some() {
                return Err(format!(
                    "{}: Astra memberships carry no tenant role or WireGuard key; give user roles",
                    membership.user
                ));
            }
        }
        for user in &snapshot.users {
            if self.user_by_email(user.email.as_str()).is_some() {
                return Err(format!("{} is listed twice", user.email));
            }
            if user.display_name.is_some() {
                return Err(format!("{}: Astra keeps no display name", user.email));
            }
            let role = match user.role.as_deref() {
                None => "Read Only User".to_owned(),
                Some(name) => NEUTRAL_ROLES
                    .iter()
                    .find(|(neutral, _)| neutral.eq_ignore_ascii_case(name))
                    .map(|(_, role)| role.to_string())
                    .or_else(|| {
                        self.roles
                            .iter()
                            .find(|r| r.name == name)
                            .map(|r| r.name.clone())
                    })
                    .ok_or_else(|| format!("{}: no Astra role {name:?}", user.email))?,
            };
            self.add_user(user.email.as_str(), "active", &[role.as_str()]);
        }
        Ok(())
    }

    fn snapshot(&self) -> Result<DirectoryState, String> {
        let mut snapshot = DirectoryState {
            tenants: vec![TenantState {
                name: self.org_name.clone(),
            }],
            ..DirectoryState::default()
        };
        // A faithful emulator's user without an email has no neutral shape.
        for user in self.users.iter().filter(|u| !u.email.is_empty()) {
            let email = Email::parse(&user.email).map_err(|e| e.to_string())?;
            let role = self.role_names(user).into_iter().next().map(|name| {
                NEUTRAL_ROLES
                    .iter()
                    .find(|(_, role)| *role == name)
                    .map_or(name, |(neutral, _)| neutral.to_string())
            });
            snapshot.users.push(UserState {
                email: email.clone(),
                role,
                display_name: None,
            });
            snapshot.memberships.push(MembershipState {
                tenant: self.org_name.clone(),
                user: email,
                role: None,
                wireguard_key: None,
            });
        }
        Ok(snapshot)
    }

    fn handle(&mut self, request: &Request) -> ResponseTemplate {
        let Some(segments) = route_segments(request, "") else {
            return errors(404, "not found");
        };
        if auth_credentials(request, "Bearer") != Some(self.token.as_str()) {
            return errors(401, "The user is unauthorized to perform the operation");
        }
        let method = request.method.as_str();
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        match (method, segments.as_slice()) {
            ("GET", ["v2", "currentOrg"]) => self.current_org(),
            ("GET", ["v2", "organizations", "roles"]) => self.list_roles(),
            ("POST", ["v2", "organizations", "roles"]) => self.create_role(request),
            ("GET", ["v2", "organizations", "roles", id]) => self.get_role(id),
            ("PUT", ["v2", "organizations", "roles", id]) => self.update_role(id, request),
            ("DELETE", ["v2", "organizations", "roles", id]) => self.delete_role(id),
            ("GET", ["v2", "organizations", "users"]) => self.list_users(),
            ("PUT", ["v2", "organizations", "users"]) => self.invite(request),
            ("GET", ["v2", "organizations", "users", id]) => self.get_user(id),
            ("DELETE", ["v2", "organizations", "users", id]) => self.delete_user(id),
            ("PUT", ["v2", "organizations", "users", id, "roles"]) => {
                self.update_roles(id, request)
            }
            (
                _,
                ["v2", "currentOrg"]
                | ["v2", "organizations", "roles"]
                | ["v2", "organizations", "roles", _]
                | ["v2", "organizations", "users"]
                | ["v2", "organizations", "users", _]
                | ["v2", "organizations", "users", _, "roles"],
            ) => errors(405, "method not allowed"),
            _ => errors(404, "not found"),
        }
    }
}

/// Astra's error body: `{"errors": [{"ID": <status>, "message": ...}]}`.
fn errors(status: u16, message: &str) -> ResponseTemplate {
    reply(
        status,
        json!({"errors": [{"ID": status, "message": message}]}),
    )
}
