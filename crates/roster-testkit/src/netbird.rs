//! A stateful emulator of the NetBird management API (users and groups).
//!
//! It follows the live server's rules as `specs/netbird/SOURCE.md` records
//! them:
//!
//! - routes live under `/api`; requests carry `Authorization: Token <PAT>`
//!   (or `Bearer <JWT>` when [`NetbirdModel::with_jwt`] set one); a wrong
//!   token answers `401 {"message": "token invalid", "code": 401}`, a
//!   missing or unknown scheme `401 {"message": "no valid authentication
//!   provided", "code": 401}`;
//! - every error body is `{"message": "...", "code": <status>}`;
//! - there is no `GET /api/users/{id}` (it answers 405, as the router does
//!   for a path that exists with other methods);
//! - `POST /api/users` invites a regular user (status `invited`, 412 when no
//!   IdP is configured, 409 for an email that already has an account) or
//!   creates a service user (active, no email, a name required); `owner`
//!   cannot be created, and an unknown role answers 422;
//! - `PUT /api/users/{id}` replaces role, `auto_groups` and `is_blocked`
//!   together, decoding like Go: a missing `auto_groups` is empty and a
//!   missing `is_blocked` is `false`; an unknown group, or `All`, in
//!   `auto_groups` answers 422;
//! - unknown users and groups answer 404; a duplicate group name answers
//!   409; `GET /api/groups?name=` answers 404 when no group has that name;
//! - deleting the `All` group, or a group in some user's `auto_groups`,
//!   answers 422 with a message naming what uses it;
//! - deletes and the invitation resend answer `200 {}`; a body that is not
//!   JSON answers `400 {"message": "couldn't parse JSON request"}`;
//! - `POST /api/users/{id}/approve` approves a user waiting for approval
//!   (unblocks them, clears `pending_approval`) and answers the user;
//!   `DELETE /api/users/{id}/reject` removes such a user and answers
//!   `200 {}`; for a user who is not waiting both answer
//!   `422 {"message": "user <id> is not pending approval"}`, for an unknown
//!   user 404. Users waiting for approval are reported as NetBird does:
//!   `status: "blocked"`, `is_blocked: true`, `pending_approval: true`.
//!
//! [`NetbirdModel::faithful`] switches on everything else the published
//! spec documents: `last_login` on every user (Go's zero time,
//! `0001-01-01T00:00:00Z`, for one who never signed in), `permissions` on
//! the current user (as `GET /api/users/current` sends them), a generated
//! `password` in the answer to a regular user's create (as NetBird's
//! embedded identity provider sends; [`NetbirdModel::issued_passwords`]
//! lists them), and three more users ([`PENDING_ID`], waiting for approval;
//! [`UNKNOWN_ROLE_ID`], with a role this emulator does not otherwise know;
//! [`UNKNOWN_STATUS_ID`], with a status word a newer server might send).
//! One simplification: a real embedded IdP creates the user `active`, while
//! the emulator keeps the invitation flow (`invited`) of the other IdPs,
//! so the contract suite's rule for invitations holds in both modes.

// Handlers return the error response itself as `Err`; it is large, but this
// is an emulator answering one request at a time, not a hot path.
#![allow(clippy::result_large_err)]

use roster_core::Email;
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::{Request, ResponseTemplate};

use crate::emulator::{
    EntryCache, Model, auth_credentials, json as reply, json_body, json_text, route_segments,
    same_ignoring_case,
};
use roster_core::state::{DirectoryState, MembershipState, TenantState, UserState};

/// The personal access token [`NetbirdModel::default`] accepts.
pub const NETBIRD_TOKEN: &str = "nbp_RosterEmulatorTokenAbCdEfGhIjKlMnOpQr";

/// The id of the built-in `All` group every account has.
pub const ALL_GROUP_ID: &str = "cjl9lnt6lnnc73d5cn60";

/// The id of the account owner, the identity behind the token.
pub const OWNER_ID: &str = "google-oauth2|100000000000000000001";

/// The owner's `last_login` in faithful mode.
pub const OWNER_LAST_LOGIN: &str = "2023-05-05T09:00:35.477782Z";

/// What Go sends as `last_login` for a user who never signed in.
pub const NEVER: &str = "0001-01-01T00:00:00Z";

/// The faithful account's user waiting for approval
/// (`pending@example.com`).
pub const PENDING_ID: &str = "google-oauth2|100000000000000000901";

/// The faithful account's user whose role (`policy_admin`) this emulator
/// does not otherwise know (`newrole@example.com`).
pub const UNKNOWN_ROLE_ID: &str = "google-oauth2|100000000000000000902";

/// The faithful account's user whose status word (`dormant`) no published
/// spec names (`dormant@example.com`).
pub const UNKNOWN_STATUS_ID: &str = "google-oauth2|100000000000000000903";

const ROLES: [&str; 6] = [
    "owner",
    "admin",
    "user",
    "billing_admin",
    "auditor",
    "network_admin",
];

/// A user as the emulator stores it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct NetbirdUser {
    /// The id, such as `google-oauth2|100000000000000000002` (regular users)
    /// or a UUID (service users).
    pub id: String,
    /// The email; empty for service users.
    pub email: String,
    /// The name.
    pub name: String,
    /// The role, in NetBird's lower-case spelling.
    pub role: String,
    /// Whether the user was invited and has not signed in yet.
    pub invited: bool,
    /// The groups auto-assigned to the user's peers.
    pub auto_groups: Vec<String>,
    /// Whether this is a service user.
    pub is_service_user: bool,
    /// Whether the user is blocked.
    pub is_blocked: bool,
    /// How many invitations were sent (the first one included).
    pub invitations_sent: u32,
    /// Whether the user waits for an administrator's approval; such a user
    /// is reported blocked, as NetBird blocks them until approved.
    pub pending_approval: bool,
    /// When the user last signed in (RFC 3339); reported in faithful mode,
    /// as [`NEVER`] when `None`.
    pub last_login: Option<String>,
    /// A status word to report instead of the one the flags give (test
    /// setup: a word a newer server might send).
    pub status_word: Option<String>,
}

impl NetbirdUser {
    fn new(id: String, email: &str, role: &str) -> Self {
        NetbirdUser {
            id,
            email: email.into(),
            name: String::new(),
            role: role.into(),
            invited: false,
            auto_groups: Vec::new(),
            is_service_user: false,
            is_blocked: false,
            invitations_sent: 0,
            pending_approval: false,
            last_login: None,
            status_word: None,
        }
    }
}

/// A peer (a machine) the emulator knows, so groups can hold some.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetbirdPeer {
    /// The peer id.
    pub id: String,
    /// Its host name.
    pub name: String,
}

/// A group as the emulator stores it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetbirdGroup {
    /// The group id.
    pub id: String,
    /// Its name, unique in the account.
    pub name: String,
    /// The ids of its peers.
    pub peers: Vec<String>,
    /// Its resources, as sent.
    pub resources: Vec<Value>,
}

/// The NetBird management API's state and rules.
#[derive(Debug, Clone, Serialize)]
pub struct NetbirdModel {
    #[serde(skip)]
    token: String,
    #[serde(skip)]
    jwt: Option<String>,
    /// Whether an identity provider is configured; without one, invitations
    /// answer 412.
    pub idp_configured: bool,
    /// Every user, the owner first.
    pub users: Vec<NetbirdUser>,
    /// Every group, `All` first.
    pub groups: Vec<NetbirdGroup>,
    /// Every peer.
    pub peers: Vec<NetbirdPeer>,
    /// Whether the answers carry every field the published spec documents
    /// ([`NetbirdModel::faithful`]).
    pub faithful: bool,
    /// The passwords handed out in create answers (faithful mode).
    #[serde(skip)]
    issued_passwords: Vec<String>,
    /// Users that [`NetbirdModel::faithful`] added, left out of dumps.
    #[serde(skip)]
    fixtures: Vec<String>,
    next_id: u64,
    #[serde(skip)]
    listed: EntryCache,
}

impl Default for NetbirdModel {
    fn default() -> Self {
        NetbirdModel::new(NETBIRD_TOKEN)
    }
}

impl NetbirdModel {
    /// An account that accepts the personal access token `token`, with an
    /// IdP configured, its owner (`owner@example.com`, [`OWNER_ID`]) and the
    /// `All` group.
    pub fn new(token: impl Into<String>) -> Self {
        NetbirdModel {
            token: token.into(),
            jwt: None,
            idp_configured: true,
            users: vec![NetbirdUser {
                name: "Account Owner".into(),
                ..NetbirdUser::new(OWNER_ID.into(), "owner@example.com", "owner")
            }],
            groups: vec![NetbirdGroup {
                id: ALL_GROUP_ID.into(),
                name: "All".into(),
                peers: Vec::new(),
                resources: Vec::new(),
            }],
            peers: Vec::new(),
            faithful: false,
            issued_passwords: Vec::new(),
            fixtures: Vec::new(),
            next_id: 2,
            listed: EntryCache::default(),
        }
    }

    /// Emits every field and value the published spec documents (see the
    /// module docs): `last_login`, the current user's `permissions`, a
    /// `password` in create answers, and three more users: one waiting for
    /// approval ([`PENDING_ID`]), one with an unknown role
    /// ([`UNKNOWN_ROLE_ID`]) and one with an unknown status word
    /// ([`UNKNOWN_STATUS_ID`]). Those three are left out of dumps, like the
    /// owner.
    pub fn faithful(mut self) -> Self {
        self.faithful = true;
        if let Some(owner) = self.user_mut(OWNER_ID) {
            owner.last_login = Some(OWNER_LAST_LOGIN.into());
        }
        let fixtures = [
            NetbirdUser {
                name: "Pat Pending".into(),
                is_blocked: true,
                pending_approval: true,
                ..NetbirdUser::new(PENDING_ID.into(), "pending@example.com", "user")
            },
            NetbirdUser {
                name: "Nora Newrole".into(),
                last_login: Some("2024-02-01T10:00:00Z".into()),
                ..NetbirdUser::new(
                    UNKNOWN_ROLE_ID.into(),
                    "newrole@example.com",
                    "policy_admin",
                )
            },
            NetbirdUser {
                name: "Dora Dormant".into(),
                status_word: Some("dormant".into()),
                ..NetbirdUser::new(UNKNOWN_STATUS_ID.into(), "dormant@example.com", "user")
            },
        ];
        for user in fixtures {
            if self.user(&user.id).is_none() {
                self.fixtures.push(user.id.clone());
                self.users.push(user);
            }
        }
        self
    }

    /// Adds a regular user who signed up through domain matching and waits
    /// for approval (test setup), and returns its id.
    pub fn add_pending_user(&mut self, email: &str) -> String {
        let id = self.add_user(email, "user");
        if let Some(user) = self.user_mut(&id) {
            user.pending_approval = true;
            user.is_blocked = true;
        }
        id
    }

    /// The passwords create answers handed out (faithful mode), oldest
    /// first.
    pub fn issued_passwords(&self) -> &[String] {
        &self.issued_passwords
    }

    /// Also accepts `Authorization: Bearer <jwt>`, as a server set up with
    /// an OAuth IdP does.
    pub fn with_jwt(mut self, jwt: impl Into<String>) -> Self {
        self.jwt = Some(jwt.into());
        self
    }

    /// A server with no IdP configured: invitations answer 412.
    pub fn without_idp(mut self) -> Self {
        self.idp_configured = false;
        self
    }

    fn next(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn new_user_id(&mut self) -> String {
        format!(
            "google-oauth2|{}",
            100_000_000_000_000_000_000u128 + u128::from(self.next())
        )
    }

    fn new_group_id(&mut self) -> String {
        format!("ch8i4ug6lnn4g9hq{:04}", self.next())
    }

    /// Adds an active regular user directly (test setup) and returns its id.
    pub fn add_user(&mut self, email: &str, role: &str) -> String {
        let id = self.new_user_id();
        self.users.push(NetbirdUser::new(id.clone(), email, role));
        id
    }

    /// Adds a group directly (test setup) and returns its id.
    pub fn add_group(&mut self, name: &str) -> String {
        let id = self.new_group_id();
        self.groups.push(NetbirdGroup {
            id: id.clone(),
            name: name.into(),
            peers: Vec::new(),
            resources: Vec::new(),
        });
        id
    }

    /// Adds a peer directly (test setup) and returns its id.
    pub fn add_peer(&mut self, name: &str) -> String {
        let id = format!("chacbco6lnnbn6cg{:04}", self.next());
        self.peers.push(NetbirdPeer {
            id: id.clone(),
            name: name.into(),
        });
        id
    }

    /// The user with this id.
    pub fn user(&self, id: &str) -> Option<&NetbirdUser> {
        self.users.iter().find(|u| u.id == id)
    }

    /// The user with this id, to change in test setup.
    pub fn user_mut(&mut self, id: &str) -> Option<&mut NetbirdUser> {
        self.users.iter_mut().find(|u| u.id == id)
    }

    /// The user with this email, ignoring case.
    pub fn user_by_email(&self, email: &str) -> Option<&NetbirdUser> {
        self.users
            .iter()
            .find(|u| !u.email.is_empty() && same_ignoring_case(&u.email, email))
    }

    /// The group with this id.
    pub fn group(&self, id: &str) -> Option<&NetbirdGroup> {
        self.groups.iter().find(|g| g.id == id)
    }

    /// The group with this id, to change in test setup.
    pub fn group_mut(&mut self, id: &str) -> Option<&mut NetbirdGroup> {
        self.groups.iter_mut().find(|g| g.id == id)
    }

    /// The group with exactly this name.
    pub fn group_by_name(&self, name: &str) -> Option<&NetbirdGroup> {
        self.groups.iter().find(|g| g.name == name)
    }

    fn user_json(&self, user: &NetbirdUser) -> Value {
        let status = if let Some(word) = &user.status_word {
            word.as_str()
        } else if user.is_blocked {
            "blocked"
        } else if user.invited {
            "invited"
        } else {
            "active"
        };
        let mut json = json!({
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "role": user.role,
            "status": status,
            "auto_groups": user.auto_groups,
            "is_current": user.id == OWNER_ID,
            "is_service_user": user.is_service_user,
            "is_blocked": user.is_blocked,
            "pending_approval": user.pending_approval,
            "issued": "api",
        });
        if self.faithful {
            json["last_login"] = json!(user.last_login.as_deref().unwrap_or(NEVER));
        }
        json
    }

    /// `GET /api/users/current`: in faithful mode with `permissions`.
    fn current_user_json(&self, user: &NetbirdUser) -> Value {
        let mut json = self.user_json(user);
        if self.faithful {
            let all = json!({"read": true, "create": true, "update": true, "delete": true});
            json["permissions"] = json!({
                "is_restricted": false,
                "modules": {"users": all, "groups": all, "peers": all, "networks": all},
            });
        }
        json
    }

    fn group_json(&self, group: &NetbirdGroup) -> Value {
        let peers: Vec<Value> = group
            .peers
            .iter()
            .filter_map(|id| self.peers.iter().find(|p| &p.id == id))
            .map(|p| json!({"id": p.id, "name": p.name}))
            .collect();
        json!({
            "id": group.id,
            "name": group.name,
            "peers_count": peers.len(),
            "resources_count": group.resources.len(),
            "issued": "api",
            "peers": peers,
            "resources": group.resources,
        })
    }

    fn list_users(&self, request: &Request) -> ResponseTemplate {
        // The server compares the raw text: any value but "true" or
        // "false" matches nobody.
        let filter = request
            .url
            .query_pairs()
            .find(|(key, _)| key == "service_user")
            .map(|(_, value)| value.into_owned());
        let users = self.listed.array(
            self.users
                .iter()
                .filter(|u| match filter.as_deref() {
                    None | Some("") => true,
                    Some("true") => u.is_service_user,
                    Some("false") => !u.is_service_user,
                    Some(_) => false,
                })
                .map(|u| ((u, self.faithful), || self.user_json(u))),
        );
        json_text(200, users)
    }

    /// Checks `auto_groups` names existing groups other than `All`.
    fn check_auto_groups(&self, groups: &[String]) -> Result<(), ResponseTemplate> {
        for id in groups {
            if id == ALL_GROUP_ID {
                return Err(error(
                    422,
                    "can't add All group to the user's auto-groups list",
                ));
            }
            if self.group(id).is_none() {
                return Err(error(422, &format!("group: {id} doesn't exist")));
            }
        }
        Ok(())
    }

    fn create_user(&mut self, request: &Request) -> ResponseTemplate {
        let body = match object_body(request) {
            Ok(body) => body,
            Err(response) => return response,
        };
        let role = match role_field(&body) {
            Ok(role) => role,
            Err(response) => return response,
        };
        if role == "owner" {
            return error(422, "can't create a user with owner role");
        }
        let auto_groups = match string_list(&body, "auto_groups") {
            Ok(groups) => groups,
            Err(response) => return response,
        };
        if let Err(response) = self.check_auto_groups(&auto_groups) {
            return response;
        }
        let is_service_user = body
            .get("is_service_user")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let name = body
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let user = if is_service_user {
            if name.trim().is_empty() {
                return error(422, "service user name can't be empty");
            }
            NetbirdUser {
                name,
                auto_groups,
                is_service_user: true,
                ..NetbirdUser::new(Uuid::new_v4().to_string(), "", &role)
            }
        } else {
            let email = body
                .get("email")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if Email::parse(email).is_err() {
                return error(422, "provided email is not valid");
            }
            if !self.idp_configured {
                return error(412, "IdP manager must be enabled to send user invites");
            }
            if self.user_by_email(email).is_some() {
                return error(409, "can't invite a user with an existing NetBird account");
            }
            NetbirdUser {
                name,
                invited: true,
                auto_groups,
                invitations_sent: 1,
                ..NetbirdUser::new(self.new_user_id(), email, &role)
            }
        };
        let mut answer = self.user_json(&user);
        if self.faithful && !user.is_service_user {
            let password = format!("Nb-{}!", Uuid::new_v4().simple());
            answer["password"] = json!(password);
            self.issued_passwords.push(password);
        }
        self.users.push(user);
        reply(200, answer)
    }

    fn update_user(&mut self, id: &str, request: &Request) -> ResponseTemplate {
        let body = match object_body(request) {
            Ok(body) => body,
            Err(response) => return response,
        };
        let role = match role_field(&body) {
            Ok(role) => role,
            Err(response) => return response,
        };
        // Go decodes a missing list as empty and a missing bool as false.
        let auto_groups = match string_list(&body, "auto_groups") {
            Ok(groups) => groups,
            Err(response) => return response,
        };
        let is_blocked = match body.get("is_blocked") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(blocked)) => *blocked,
            Some(_) => return error(400, "couldn't parse JSON request"),
        };
        if self.user(id).is_none() {
            return error(404, &format!("user: {id} not found"));
        }
        if let Err(response) = self.check_auto_groups(&auto_groups) {
            return response;
        }
        let Some(user) = self.user_mut(id) else {
            return error(404, &format!("user: {id} not found"));
        };
        user.role = role;
        user.auto_groups = auto_groups;
        user.is_blocked = is_blocked;
        let user = user.clone();
        reply(200, self.user_json(&user))
    }

    fn delete_user(&mut self, id: &str) -> ResponseTemplate {
        let before = self.users.len();
        self.users.retain(|u| u.id != id);
        self.fixtures.retain(|f| f != id);
        if self.users.len() == before {
            return error(404, &format!("user: {id} not found"));
        }
        reply(200, json!({}))
    }

    /// The user `id` if they wait for approval, else the error NetBird
    /// answers.
    fn pending(&self, id: &str) -> Result<(), ResponseTemplate> {
        match self.user(id) {
            None => Err(error(404, &format!("user: {id} not found"))),
            Some(user) if !user.pending_approval => {
                Err(error(422, &format!("user {id} is not pending approval")))
            }
            Some(_) => Ok(()),
        }
    }

    fn approve_user(&mut self, id: &str) -> ResponseTemplate {
        if let Err(response) = self.pending(id) {
            return response;
        }
        let Some(user) = self.user_mut(id) else {
            return error(404, &format!("user: {id} not found"));
        };
        user.pending_approval = false;
        user.is_blocked = false;
        let user = user.clone();
        reply(200, self.user_json(&user))
    }

    fn reject_user(&mut self, id: &str) -> ResponseTemplate {
        if let Err(response) = self.pending(id) {
            return response;
        }
        self.users.retain(|u| u.id != id);
        self.fixtures.retain(|f| f != id);
        reply(200, json!({}))
    }

    fn resend_invite(&mut self, id: &str) -> ResponseTemplate {
        let idp_configured = self.idp_configured;
        let Some(user) = self.user_mut(id) else {
            return error(404, &format!("user: {id} not found"));
        };
        if !idp_configured {
            return error(412, "IdP manager must be enabled to send user invites");
        }
        if user.is_service_user || !user.invited {
            return error(412, "can't invite a user with an activated NetBird account");
        }
        user.invitations_sent += 1;
        reply(200, json!({}))
    }

    fn list_groups(&self, request: &Request) -> ResponseTemplate {
        let name = request
            .url
            .query_pairs()
            .find(|(key, _)| key == "name")
            .map(|(_, value)| value.into_owned());
        match name {
            Some(name) if !name.is_empty() => match self.group_by_name(&name) {
                Some(group) => reply(200, json!([self.group_json(group)])),
                None => error(404, &format!("group with name {name} not found")),
            },
            _ => reply(
                200,
                self.groups.iter().map(|g| self.group_json(g)).collect(),
            ),
        }
    }

    /// Reads a group body: a non-empty name, existing peers, any resources.
    fn group_body(&self, request: &Request) -> Result<NetbirdGroup, ResponseTemplate> {
        let body = object_body(request)?;
        let name = match body.get("name") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(name)) => name.clone(),
            Some(_) => return Err(error(400, "couldn't parse JSON request")),
        };
        if name.trim().is_empty() {
            return Err(error(422, "group name shouldn't be empty"));
        }
        let peers = string_list(&body, "peers")?;
        if let Some(missing) = peers
            .iter()
            .find(|id| !self.peers.iter().any(|p| &p.id == *id))
        {
            return Err(error(422, &format!("peer: {missing} not found")));
        }
        let resources = match body.get("resources") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items.clone(),
            Some(_) => return Err(error(400, "couldn't parse JSON request")),
        };
        Ok(NetbirdGroup {
            id: String::new(),
            name,
            peers,
            resources,
        })
    }

    fn create_group(&mut self, request: &Request) -> ResponseTemplate {
        let mut group = match self.group_body(request) {
            Ok(group) => group,
            Err(response) => return response,
        };
        if self.group_by_name(&group.name).is_some() {
            return error(
                409,
                &format!("group with name {} already exists", group.name),
            );
        }
        group.id = self.new_group_id();
        let answer = self.group_json(&group);
        self.groups.push(group);
        reply(200, answer)
    }

    fn get_group(&self, id: &str) -> ResponseTemplate {
        match self.group(id) {
            Some(group) => reply(200, self.group_json(group)),
            None => error(404, &format!("group: {id} not found")),
        }
    }

    fn update_group(&mut self, id: &str, request: &Request) -> ResponseTemplate {
        if self.group(id).is_none() {
            return error(404, &format!("group: {id} not found"));
        }
        let mut group = match self.group_body(request) {
            Ok(group) => group,
            Err(response) => return response,
        };
        if id == ALL_GROUP_ID {
            return error(422, "updating group ALL is not allowed");
        }
        if self
            .group_by_name(&group.name)
            .is_some_and(|other| other.id != id)
        {
            return error(
                409,
                &format!("group with name {} already exists", group.name),
            );
        }
        group.id = id.to_owned();
        let answer = self.group_json(&group);
        if let Some(stored) = self.group_mut(id) {
            *stored = group;
        }
        reply(200, answer)
    }

    fn delete_group(&mut self, id: &str) -> ResponseTemplate {
        if self.group(id).is_none() {
            return error(404, &format!("group: {id} not found"));
        }
        if id == ALL_GROUP_ID {
            return error(422, "deleting group ALL is not allowed");
        }
        if let Some(user) = self
            .users
            .iter()
            .find(|u| u.auto_groups.iter().any(|g| g == id))
        {
            let who = if user.email.is_empty() {
                &user.name
            } else {
                &user.email
            };
            return error(422, &format!("group has been linked to user: {who}"));
        }
        self.groups.retain(|g| g.id != id);
        reply(200, json!({}))
    }

    fn authenticate(&self, request: &Request) -> Result<(), ResponseTemplate> {
        if let Some(token) = auth_credentials(request, "Token") {
            return if token == self.token {
                Ok(())
            } else {
                Err(error(401, "token invalid"))
            };
        }
        if let Some(jwt) = auth_credentials(request, "Bearer") {
            return if self.jwt.as_deref() == Some(jwt) {
                Ok(())
            } else {
                Err(error(401, "token invalid"))
            };
        }
        Err(error(401, "no valid authentication provided"))
    }
}

/// A snapshot role in NetBird's spelling: the neutral names (`member` is
/// NetBird's `user`) or NetBird's own, ignoring case; none is `user`.
fn seed_role(email: &Email, role: Option<&str>) -> Result<String, String> {
    let Some(role) = role else {
        return Ok("user".to_owned());
    };
    let lower = role.to_ascii_lowercase();
    let netbird = if lower == "member" {
        "user"
    } else {
        lower.as_str()
    };
    if ROLES.contains(&netbird) {
        Ok(netbird.to_owned())
    } else {
        Err(format!("{email}: NetBird has no role {role:?}"))
    }
}

impl Model for NetbirdModel {
    /// Users are seeded as active regular users (service users have no
    /// email, so a snapshot cannot name them), tenants as groups, and
    /// memberships as `auto_groups`, which carry no role and no key. The
    /// built-in owner and `All` group are always there and are left out of
    /// dumps, so a dump seeds the next run.
    fn seed(&mut self, snapshot: &DirectoryState) -> Result<(), String> {
        snapshot.check().map_err(|e| e.to_string())?;
        for user in &snapshot.users {
            if self.user_by_email(user.email.as_str()).is_some() {
                return Err(format!("{} is listed twice", user.email));
            }
            let role = seed_role(&user.email, user.role.as_deref())?;
            let id = self.add_user(user.email.as_str(), &role);
            if let (Some(name), Some(stored)) = (&user.display_name, self.user_mut(&id)) {
                stored.name = name.clone();
            }
        }
        for tenant in &snapshot.tenants {
            if self.group_by_name(&tenant.name).is_some() {
                return Err(format!("group {:?} is listed twice", tenant.name));
            }
            self.add_group(&tenant.name);
        }
        for membership in &snapshot.memberships {
            if membership.role.is_some() {
                return Err(format!("{}: NetBird groups have no roles", membership.user));
            }
            if membership.wireguard_key.is_some() {
                return Err(format!(
                    "{}: NetBird memberships take no WireGuard key",
                    membership.user
                ));
            }
            let group = self
                .group_by_name(&membership.tenant)
                .map(|g| g.id.clone())
                .ok_or_else(|| format!("no group {:?}", membership.tenant))?;
            let user = self
                .user_by_email(membership.user.as_str())
                .map(|u| u.id.clone())
                .ok_or_else(|| format!("no user {}", membership.user))?;
            if let Some(stored) = self.user_mut(&user)
                && !stored.auto_groups.contains(&group)
            {
                stored.auto_groups.push(group);
            }
        }
        Ok(())
    }

    /// The passwords create answers handed out, so the secrets check looks
    /// for them too.
    fn issued_secrets(&self) -> Vec<String> {
        self.issued_passwords.clone()
    }

    fn snapshot(&self) -> Result<DirectoryState, String> {
        let people: Vec<&NetbirdUser> = self
            .users
            .iter()
            .filter(|u| u.id != OWNER_ID && !u.is_service_user && !self.fixtures.contains(&u.id))
            .collect();
        let groups: Vec<&NetbirdGroup> = self
            .groups
            .iter()
            .filter(|g| g.id != ALL_GROUP_ID)
            .collect();
        let mut users = Vec::new();
        let mut memberships = Vec::new();
        for user in people {
            let email = Email::parse(user.email.as_str()).map_err(|e| e.to_string())?;
            users.push(UserState {
                email: email.clone(),
                role: Some(match user.role.as_str() {
                    "user" => "member".to_owned(),
                    other => other.to_owned(),
                }),
                display_name: (!user.name.is_empty()).then(|| user.name.clone()),
            });
            for group in user
                .auto_groups
                .iter()
                .filter_map(|id| groups.iter().find(|g| &g.id == id))
            {
                memberships.push(MembershipState {
                    tenant: group.name.clone(),
                    user: email.clone(),
                    role: None,
                    wireguard_key: None,
                });
            }
        }
        Ok(DirectoryState {
            users,
            tenants: groups
                .iter()
                .map(|g| TenantState {
                    name: g.name.clone(),
                })
                .collect(),
            memberships,
        })
    }

    fn handle(&mut self, request: &Request) -> ResponseTemplate {
        let Some(segments) = route_segments(request, "") else {
            return not_found_page();
        };
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        if segments.first() != Some(&"api") {
            return not_found_page();
        }
        if let Err(response) = self.authenticate(request) {
            return response;
        }
        let method = request.method.as_str();
        match (method, &segments[1..]) {
            ("GET", ["users"]) => self.list_users(request),
            ("POST", ["users"]) => self.create_user(request),
            ("GET", ["users", "current"]) => match self.user(OWNER_ID) {
                Some(me) => reply(200, self.current_user_json(me)),
                None => error(404, "user not found"),
            },
            ("PUT", ["users", id]) => self.update_user(id, request),
            ("DELETE", ["users", id]) => self.delete_user(id),
            ("POST", ["users", id, "invite"]) => self.resend_invite(id),
            ("POST", ["users", id, "approve"]) => self.approve_user(id),
            ("DELETE", ["users", id, "reject"]) => self.reject_user(id),
            ("GET", ["groups"]) => self.list_groups(request),
            ("POST", ["groups"]) => self.create_group(request),
            ("GET", ["groups", id]) => self.get_group(id),
            ("PUT", ["groups", id]) => self.update_group(id, request),
            ("DELETE", ["groups", id]) => self.delete_group(id),
            (
                _,
                ["users"]
                | ["users", _]
                | ["users", _, "invite" | "approve" | "reject"]
                | ["groups"]
                | ["groups", _],
            ) => ResponseTemplate::new(405),
            _ => not_found_page(),
        }
    }
}

/// NetBird's error body.
fn error(status: u16, message: &str) -> ResponseTemplate {
    reply(status, json!({"message": message, "code": status}))
}

/// What the router answers for a path it does not know.
fn not_found_page() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_raw("404 page not found\n", "text/plain; charset=utf-8")
}

fn object_body(request: &Request) -> Result<serde_json::Map<String, Value>, ResponseTemplate> {
    match json_body(request) {
        Ok(Value::Object(body)) => Ok(body),
        _ => Err(error(400, "couldn't parse JSON request")),
    }
}

/// The `role` field in NetBird's spelling; the server matches it
/// case-insensitively.
fn role_field(body: &serde_json::Map<String, Value>) -> Result<String, ResponseTemplate> {
    let role = match body.get("role") {
        None | Some(Value::Null) => "",
        Some(Value::String(role)) => role.as_str(),
        Some(_) => return Err(error(400, "couldn't parse JSON request")),
    };
    let lower = role.to_ascii_lowercase();
    if ROLES.contains(&lower.as_str()) {
        Ok(lower)
    } else {
        Err(error(422, &format!("invalid user role: {role:?}")))
    }
}

fn string_list(
    body: &serde_json::Map<String, Value>, field: &str,
) -> Result<Vec<String>, ResponseTemplate> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| error(400, "couldn't parse JSON request"))
            })
            .collect(),
        Some(_) => Err(error(400, "couldn't parse JSON request")),
    }
}
