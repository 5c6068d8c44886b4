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
//! Which status an invitation of an active member, an invitation to another
//! organization and a bad role id get (409, 403, 400) are our assumptions;
//! see `specs/astra-devops/SOURCE.md`.

// Handlers return the error response itself as `Err`; it is large, but this
// is an emulator answering one request at a time, not a hot path.
#![allow(clippy::result_large_err)]

use roster_core::Email;
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::{Request, ResponseTemplate};

use crate::emulator::{
    Model, auth_credentials, json as reply, json_body, no_content, route_segments,
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

/// A role as the emulator stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AstraRole {
    /// Its UUID.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// A user of the organization as the emulator stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
        };
        for name in BUILT_IN_ROLES {
            model.add_role(name);
        }
        model
    }

    /// Adds a (custom) role and returns its id.
    pub fn add_role(&mut self, name: &str) -> String {
        let id = Uuid::new_v4().to_string();
        self.roles.push(AstraRole {
            id: id.clone(),
            name: name.into(),
        });
        id
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
            .find(|u| u.email.to_lowercase() == email.to_lowercase())
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
        let email = email.to_lowercase();
        match self
            .users
            .iter_mut()
            .find(|u| u.email.to_lowercase() == email)
        {
            Some(user) => {
                user.status = "active".into();
                true
            }
            None => false,
        }
    }

    fn role_json(&self, role: &AstraRole) -> Value {
        let policy = json!({
            "description": role.name,
            "resources": [format!("drn:astra:org:{}", self.org_id)],
            "actions": ["org-read"],
            "effect": "allow",
        });
        json!({
            "OrgID": self.org_id,
            "ID": role.id,
            "Name": role.name,
            "Policy": policy.to_string(),
            "LastUpdateDateTime": "",
            "LastUpdateUserID": "",
        })
    }

    fn user_json(&self, user: &AstraUser) -> Value {
        let roles: Vec<Value> = user
            .role_ids
            .iter()
            .filter_map(|id| self.roles.iter().find(|r| &r.id == id))
            .map(|r| json!({"ID": r.id, "Name": r.name}))
            .collect();
        json!({"UserID": user.id, "Email": user.email, "Status": user.status, "Roles": roles})
    }

    fn list_users(&self) -> ResponseTemplate {
        let users: Vec<Value> = self.users.iter().map(|u| self.user_json(u)).collect();
        reply(
            200,
            json!({"OrgID": self.org_id, "OrgName": self.org_name, "Users": users}),
        )
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
        let lowered = email.to_lowercase();
        match self
            .users
            .iter_mut()
            .find(|u| u.email.to_lowercase() == lowered)
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

    fn get_user(&self, id: &str) -> ResponseTemplate {
        match self.users.iter().find(|u| u.id == id) {
            Some(user) => reply(200, self.user_json(user)),
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
        for user in &self.users {
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
            ("GET", ["v2", "currentOrg"]) => {
                reply(200, json!({"id": self.org_id, "name": self.org_name}))
            }
            ("GET", ["v2", "organizations", "roles"]) => {
                reply(200, self.roles.iter().map(|r| self.role_json(r)).collect())
            }
            ("GET", ["v2", "organizations", "roles", id]) => {
                match self.roles.iter().find(|r| r.id == *id) {
                    Some(role) => reply(200, self.role_json(role)),
                    None => errors(404, "role not found"),
                }
            }
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
