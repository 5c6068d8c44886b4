//! A stateful emulator of Medium One's Accounts & Users API.
//!
//! It follows the public docs (see `specs/medium-one/SOURCE.md`):
//!
//! - routes live under `/v2`; `POST /v2/login/` takes
//!   `{login_id, password, api_key}` and answers `true` with a
//!   `sessionid` cookie, or, with `no_cookies` (in the body or the query),
//!   the session token as a JSON string; every other route wants the cookie
//!   or `?token=` and answers `401` without a live session
//!   ([`MediumOneModel::expire_sessions`] ends them all);
//! - a wrong password or API key answers 400, an unknown login 403, and
//!   after [`MAX_BAD_LOGINS`] failures in a row every login answers
//!   `400 {"errors": ["Exceeded bad login count"]}`;
//! - every data endpoint is a `GET` with query parameters; `/user_list` and
//!   `/tenant_create` are SA-only (403 for a tenant admin), and a tenant
//!   admin's `tenant_id` is implied;
//! - `/user_create` answers 400 for a user who exists; `/user_list` answers a
//!   bare array and `/user_list_in_tenant` a `{"user_list": [...]}` object,
//!   as the docs' samples do;
//! - removing a user removes their tenant roles;
//! - `/tenant_add_user` with a `full_name` creates a user it does not know
//!   and links them (the create-and-link form); without one, an unknown
//!   user is 404;
//! - `/user_update` stores every `param_list` field it accepts.
//!
//! Error bodies are `{"errors": ["..."]}`; their shape and texts, and the
//! 404s for unknown users and tenants, are our assumptions.
//!
//! ## Faithful mode
//!
//! [`MediumOneModel::faithful`] (or [`MediumOneModel::set_faithful`]) makes
//! the answers as varied as the docs allow, so that an adapter cannot lean
//! on this emulator's habits:
//!
//! - every documented field is emitted (a tenant's `api_basic_user` too),
//!   together with keys the docs never name: `x_emulator_extra` on users,
//!   tenants and tenant-role entries, and each profile field stored through
//!   `/user_update` (`user_phone`, `street`…) and the `language` given to
//!   `/user_create`, on the user. Whether the live lists show those is not
//!   documented; an adapter must keep unknown keys either way;
//! - the server starts with a resident tenant ([`RESIDENT_TENANT`]) and
//!   user ([`RESIDENT_USER`]) whose role there is [`RESIDENT_ROLE`], a
//!   tenant-role name the docs do not list;
//! - `/user_create` and the create-and-link form of `/tenant_add_user`
//!   refuse a blank `full_name` (400 `full_name is required`), as a
//!   required parameter.

// Handlers return the error response itself as `Err`; it is large, but this
// is an emulator answering one request at a time, not a hot path.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, HashMap};

use roster_core::{Email, TenantRole};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::{Request, ResponseTemplate};

use crate::emulator::{
    EntryCache, Model, json as reply, json_body, json_text, route_segments, same_ignoring_case,
};
use roster_core::state::{DirectoryState, MembershipState, TenantState, UserState};

/// The system admin login [`MediumOneModel::default`] accepts.
pub const MEDIUMONE_LOGIN: &str = "sa@example.com";
/// Its password.
pub const MEDIUMONE_PASSWORD: &str = "sa-test-password-1";
/// The project's API key.
pub const MEDIUMONE_API_KEY: &str = "MEDIUMONEtestAPIKEY0123456789abcdef";
/// The session cookie's name.
pub const SESSION_COOKIE: &str = "sessionid";
/// Failed logins in a row after which every login is refused.
pub const MAX_BAD_LOGINS: u32 = 5;
/// The tenant a faithful server starts with.
pub const RESIDENT_TENANT: &str = "resident-tenant";
/// The user a faithful server starts with, a member of [`RESIDENT_TENANT`].
pub const RESIDENT_USER: &str = "resident@example.com";
/// The resident user's role in the resident tenant: a name the docs do not
/// list (they name `tenant-admin` and `tenant-user`).
pub const RESIDENT_ROLE: &str = "tenant-observer";
/// The unknown key faithful answers add to users, tenants and tenant-role
/// entries.
pub const EXTRA_KEY: &str = "x_emulator_extra";

/// The tenant roles, as the API spells them.
const ROLES: [&str; 2] = ["tenant-admin", "tenant-user"];
/// Fields `/user_update` accepts in a `param_list` entry.
const UPDATABLE: [&str; 9] = [
    "full_name",
    "user_phone",
    "street",
    "street2",
    "city",
    "state",
    "zip",
    "country",
    "language",
];

/// Who an account is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum AccountKind {
    /// A system admin.
    SystemAdmin,
    /// A tenant admin of this tenant.
    TenantAdmin(Uuid),
}

#[derive(Debug, Clone)]
struct Account {
    login_id: String,
    password: String,
    kind: AccountKind,
}

/// A user as the emulator stores it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct MediumOneUser {
    /// The user's UUID.
    pub user_id: Uuid,
    /// Their login, an email.
    pub user_name: String,
    /// Their name.
    pub full_name: String,
    /// Other profile fields set through `/user_update`.
    pub fields: BTreeMap<String, String>,
    /// Their role in each tenant: `(tenant id, tenant-admin | tenant-user)`.
    pub tenant_roles: Vec<(Uuid, String)>,
}

/// A tenant as the emulator stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MediumOneTenant {
    /// The tenant's UUID.
    pub tenant_id: Uuid,
    /// Its name.
    pub tenant_name: String,
}

/// Medium One's state and rules.
#[derive(Debug, Clone, Serialize)]
pub struct MediumOneModel {
    #[serde(skip)]
    api_key: String,
    #[serde(skip)]
    accounts: Vec<Account>,
    /// Live sessions: token to login id.
    #[serde(skip)]
    sessions: HashMap<String, String>,
    #[serde(skip)]
    bad_logins: u32,
    /// Faithful mode (see the module docs).
    #[serde(skip)]
    faithful: bool,
    /// Successful logins so far.
    pub logins: u32,
    /// Every user, in creation order.
    pub users: Vec<MediumOneUser>,
    /// Every tenant, in creation order.
    pub tenants: Vec<MediumOneTenant>,
    #[serde(skip)]
    listed: EntryCache,
}

impl Default for MediumOneModel {
    fn default() -> Self {
        MediumOneModel::new()
    }
}

impl MediumOneModel {
    /// An empty server with one system admin ([`MEDIUMONE_LOGIN`] /
    /// [`MEDIUMONE_PASSWORD`]) and the API key [`MEDIUMONE_API_KEY`].
    pub fn new() -> Self {
        MediumOneModel::with_credentials(MEDIUMONE_LOGIN, MEDIUMONE_PASSWORD, MEDIUMONE_API_KEY)
    }

    /// An empty server with one system admin and this API key.
    pub fn with_credentials(login_id: &str, password: &str, api_key: &str) -> Self {
        MediumOneModel {
            api_key: api_key.to_owned(),
            accounts: vec![Account {
                login_id: login_id.to_owned(),
                password: password.to_owned(),
                kind: AccountKind::SystemAdmin,
            }],
            sessions: HashMap::new(),
            bad_logins: 0,
            faithful: false,
            logins: 0,
            users: Vec::new(),
            tenants: Vec::new(),
            listed: EntryCache::default(),
        }
    }

    /// A server in faithful mode (see the module docs), with its resident
    /// tenant and user, and the default credentials.
    pub fn faithful() -> Self {
        MediumOneModel::new().into_faithful()
    }

    /// This server in faithful mode, with its resident tenant and user
    /// added, whatever credentials it was built with (as `roster-emulator
    /// --faithful --login …` serves it). A second call adds nothing.
    pub fn into_faithful(mut self) -> Self {
        if !self.faithful {
            self.set_faithful(true);
            let tenant = self.add_tenant(RESIDENT_TENANT);
            let user = self.add_user(RESIDENT_USER, "Resident");
            self.set_role(tenant, user, RESIDENT_ROLE);
        }
        self
    }

    /// Switches faithful mode on or off; it adds no resident (see
    /// [`MediumOneModel::faithful`]).
    pub fn set_faithful(&mut self, on: bool) {
        self.faithful = on;
    }

    /// Whether faithful mode is on.
    pub fn is_faithful(&self) -> bool {
        self.faithful
    }

    /// Adds a tenant admin account for `tenant` (test setup).
    pub fn add_tenant_admin(&mut self, login_id: &str, password: &str, tenant: Uuid) {
        self.accounts.push(Account {
            login_id: login_id.to_owned(),
            password: password.to_owned(),
            kind: AccountKind::TenantAdmin(tenant),
        });
    }

    /// Adds a user directly (test setup) and returns their id.
    pub fn add_user(&mut self, user_name: &str, full_name: &str) -> Uuid {
        let user_id = Uuid::new_v4();
        self.users.push(MediumOneUser {
            user_id,
            user_name: user_name.to_owned(),
            full_name: full_name.to_owned(),
            fields: BTreeMap::new(),
            tenant_roles: Vec::new(),
        });
        user_id
    }

    /// Adds a tenant directly (test setup) and returns its id.
    pub fn add_tenant(&mut self, tenant_name: &str) -> Uuid {
        let tenant_id = Uuid::new_v4();
        self.tenants.push(MediumOneTenant {
            tenant_id,
            tenant_name: tenant_name.to_owned(),
        });
        tenant_id
    }

    /// Gives a user a role in a tenant directly (test setup). Any name is
    /// stored, including ones the API does not hand out.
    pub fn set_role(&mut self, tenant: Uuid, user: Uuid, role: &str) {
        if let Some(user) = self.users.iter_mut().find(|u| u.user_id == user) {
            user.tenant_roles.retain(|(t, _)| *t != tenant);
            user.tenant_roles.push((tenant, role.to_owned()));
        }
    }

    /// Ends every session, as 24 hours passing would.
    pub fn expire_sessions(&mut self) {
        self.sessions.clear();
    }

    /// How many sessions are live.
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// The live session tokens (the cookie values too), so tests can check
    /// that they never leak.
    pub fn session_tokens(&self) -> Vec<String> {
        self.sessions.keys().cloned().collect()
    }

    /// Failed logins in a row so far.
    pub fn bad_logins(&self) -> u32 {
        self.bad_logins
    }

    /// The user with this login, ignoring case.
    pub fn user_by_name(&self, user_name: &str) -> Option<&MediumOneUser> {
        self.users
            .iter()
            .find(|u| same_ignoring_case(&u.user_name, user_name))
    }

    /// The tenant with this name.
    pub fn tenant_by_name(&self, name: &str) -> Option<&MediumOneTenant> {
        self.tenants.iter().find(|t| t.tenant_name == name)
    }

    /// A user's role in a tenant.
    pub fn role_of(&self, tenant: Uuid, user_name: &str) -> Option<&str> {
        self.user_by_name(user_name)?
            .tenant_roles
            .iter()
            .find(|(t, _)| *t == tenant)
            .map(|(_, role)| role.as_str())
    }

    fn tenant_name(&self, tenant: Uuid) -> String {
        self.tenants
            .iter()
            .find(|t| t.tenant_id == tenant)
            .map(|t| t.tenant_name.clone())
            .unwrap_or_default()
    }

    /// Each tenant's name by id, built once per answer: a user list names
    /// the tenant of every role, and a scan of the tenants per role made a
    /// list of 10,000 users in 500 tenants cost millions of comparisons.
    fn tenant_names(&self) -> HashMap<Uuid, &str> {
        self.tenants
            .iter()
            .map(|t| (t.tenant_id, t.tenant_name.as_str()))
            .collect()
    }

    /// The names of the tenants a user has roles in, as an entry shows
    /// them (part of its [`EntryCache`] key).
    fn role_tenant_names<'a>(
        &self, user: &MediumOneUser, names: &HashMap<Uuid, &'a str>,
    ) -> Vec<&'a str> {
        user.tenant_roles
            .iter()
            .map(|(t, _)| names.get(t).copied().unwrap_or_default())
            .collect()
    }

    /// A user as the lists show them, with the roles in `only` or all.
    fn user_json(
        &self, user: &MediumOneUser, only: Option<Uuid>, names: &HashMap<Uuid, &str>,
    ) -> Value {
        let roles: Vec<Value> = user
            .tenant_roles
            .iter()
            .filter(|(t, _)| only.is_none_or(|o| o == *t))
            .map(|(t, role)| {
                let mut entry = json!({"tenant_role": role, "tenant_id": t,
                    "tenant_name": names.get(t).copied().unwrap_or_default()});
                if self.faithful {
                    entry[EXTRA_KEY] = json!({"granted_by": "emulator", "flags": [1, true, null]});
                }
                entry
            })
            .collect();
        let mut entry = json!({
            "full_name": user.full_name,
            "user_name": user.user_name,
            "user_id": user.user_id,
            "api_basic_user": format!("u_{}", user.user_id),
            "tenant_roles": roles,
        });
        if self.faithful {
            for (field, value) in &user.fields {
                entry[field.as_str()] = json!(value);
            }
            entry[EXTRA_KEY] = json!({"last_login": null, "nested": {"list": [1, "two"]}});
        }
        entry
    }

    /// A tenant as `/tenant_list` shows it.
    fn tenant_json(&self, tenant: &MediumOneTenant) -> Value {
        let mut entry = json!({"tenant_id": tenant.tenant_id, "tenant_name": tenant.tenant_name});
        if self.faithful {
            entry["api_basic_user"] = json!(format!("t_{}", tenant.tenant_id));
            entry[EXTRA_KEY] = json!({"plan": "emulated", "seats": 5});
        }
        entry
    }

    fn login(&mut self, request: &Request) -> ResponseTemplate {
        if self.bad_logins >= MAX_BAD_LOGINS {
            return errors(400, "Exceeded bad login count");
        }
        let Ok(body) = json_body(request) else {
            return errors(400, "Missing login_id, password or api_key");
        };
        let field = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_owned);
        let (Some(login_id), Some(password), Some(api_key)) =
            (field("login_id"), field("password"), field("api_key"))
        else {
            return errors(400, "Missing login_id, password or api_key");
        };
        let Some(account) = self
            .accounts
            .iter()
            .find(|a| same_ignoring_case(&a.login_id, &login_id))
        else {
            self.bad_logins += 1;
            return errors(403, "No user matching login_id");
        };
        if account.password != password || api_key != self.api_key {
            self.bad_logins += 1;
            return errors(400, "Invalid login");
        }
        let login_id = account.login_id.clone();
        self.bad_logins = 0;
        self.logins += 1;
        let token = Uuid::new_v4().simple().to_string();
        self.sessions.insert(token.clone(), login_id);
        let no_cookies = body.get("no_cookies").is_some()
            || query(request).iter().any(|(k, _)| k == "no_cookies");
        if no_cookies {
            reply(200, json!(token))
        } else {
            reply(200, json!(true)).insert_header(
                "set-cookie",
                format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; Max-Age=86400").as_str(),
            )
        }
    }

    /// The account behind the request's cookie or `token`, if its session
    /// is live.
    fn caller(&self, request: &Request) -> Option<AccountKind> {
        let from_query = query(request)
            .into_iter()
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v);
        let from_cookie = request
            .headers
            .get("cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|cookies| {
                cookies.split(';').find_map(|pair| {
                    let (name, value) = pair.trim().split_once('=')?;
                    (name == SESSION_COOKIE).then(|| value.to_owned())
                })
            });
        let token = from_query.or(from_cookie)?;
        let login_id = self.sessions.get(&token)?;
        self.accounts
            .iter()
            .find(|a| &a.login_id == login_id)
            .map(|a| a.kind.clone())
    }

    /// The tenant a request is about: the `tenant_id` a system admin must
    /// give, or the tenant admin's own.
    fn target_tenant(
        &self, caller: &AccountKind, params: &Params,
    ) -> Result<Uuid, ResponseTemplate> {
        let given = params.one("tenant_id");
        let tenant = match (caller, given) {
            (AccountKind::SystemAdmin, None) => return Err(errors(400, "tenant_id is required")),
            (AccountKind::SystemAdmin, Some(id)) => {
                Uuid::parse_str(id).map_err(|_| errors(400, "tenant_id is not a valid UUID"))?
            }
            (AccountKind::TenantAdmin(own), None) => *own,
            (AccountKind::TenantAdmin(own), Some(id)) => match Uuid::parse_str(id) {
                Ok(id) if id == *own => id,
                _ => return Err(errors(403, "Permission denied")),
            },
        };
        if !self.tenants.iter().any(|t| t.tenant_id == tenant) {
            return Err(errors(404, "Tenant not found"));
        }
        Ok(tenant)
    }

    /// The user a request names by `user_name`; a tenant admin may only
    /// touch users of their tenant.
    fn target_user(
        &self, caller: &AccountKind, params: &Params,
    ) -> Result<usize, ResponseTemplate> {
        let name = params
            .one("user_name")
            .ok_or_else(|| errors(400, "user_name is required"))?;
        let index = self
            .users
            .iter()
            .position(|u| same_ignoring_case(&u.user_name, name))
            .ok_or_else(|| errors(404, "User not found"))?;
        if let AccountKind::TenantAdmin(own) = caller
            && !self.users[index].tenant_roles.iter().any(|(t, _)| t == own)
        {
            return Err(errors(403, "Permission denied"));
        }
        Ok(index)
    }

    fn user_create(&mut self, params: &Params) -> ResponseTemplate {
        let Some(user_name) = params.one("user_name") else {
            return errors(400, "user_name is required");
        };
        if Email::parse(user_name).is_err() {
            return errors(400, "user_name must be an email address");
        }
        let Some(full_name) = params.one("full_name") else {
            return errors(400, "full_name is required");
        };
        if self.faithful && full_name.trim().is_empty() {
            return errors(400, "full_name is required");
        }
        if self.user_by_name(user_name).is_some() {
            return errors(400, "User already exists");
        }
        let id = self.add_user(user_name, full_name);
        if let Some(language) = params.one("language") {
            let user = self.users.last_mut().expect("just added");
            user.fields
                .insert("language".to_owned(), language.to_owned());
        }
        reply(200, json!(id))
    }

    fn user_list(&self, caller: &AccountKind) -> ResponseTemplate {
        if *caller != AccountKind::SystemAdmin {
            return errors(403, "Permission denied");
        }
        let names = self.tenant_names();
        json_text(
            200,
            self.listed.array(self.users.iter().map(|u| {
                let key = (u, self.faithful, self.role_tenant_names(u, &names));
                (key, || self.user_json(u, None, &names))
            })),
        )
    }

    fn user_list_in_tenant(&self, caller: &AccountKind, params: &Params) -> ResponseTemplate {
        let tenant = match self.target_tenant(caller, params) {
            Ok(tenant) => tenant,
            Err(response) => return response,
        };
        let names = self.tenant_names();
        let users: Vec<Value> = self
            .users
            .iter()
            .filter(|u| u.tenant_roles.iter().any(|(t, _)| *t == tenant))
            .map(|u| self.user_json(u, Some(tenant), &names))
            .collect();
        reply(200, json!({"user_list": users}))
    }

    fn user_update(&mut self, caller: &AccountKind, params: &Params) -> ResponseTemplate {
        let index = match self.target_user(caller, params) {
            Ok(index) => index,
            Err(response) => return response,
        };
        let mut changes = Vec::new();
        for text in params.all("param_list") {
            let Ok(Value::Object(entry)) = serde_json::from_str::<Value>(text) else {
                return errors(400, "param_list must be a JSON object");
            };
            let Some(field) = entry.get("field").and_then(Value::as_str) else {
                return errors(400, "param_list needs a field");
            };
            if !UPDATABLE.contains(&field) {
                return errors(400, &format!("Unknown field {field}"));
            }
            let value = match entry.get("value") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => return errors(400, "param_list needs a value"),
            };
            changes.push((field.to_owned(), value));
        }
        let user = &mut self.users[index];
        for (field, value) in changes {
            if field == "full_name" {
                user.full_name = value;
            } else {
                user.fields.insert(field, value);
            }
        }
        reply(200, Value::Null)
    }

    fn user_remove(&mut self, caller: &AccountKind, params: &Params) -> ResponseTemplate {
        match self.target_user(caller, params) {
            Ok(index) => {
                self.users.remove(index);
                reply(200, Value::Null)
            }
            Err(response) => response,
        }
    }

    fn tenant_create(&mut self, caller: &AccountKind, params: &Params) -> ResponseTemplate {
        if *caller != AccountKind::SystemAdmin {
            return errors(403, "Permission denied");
        }
        match params.one("tenant_name") {
            Some(name) if !name.trim().is_empty() => {
                let id = self.add_tenant(name);
                reply(200, json!(id))
            }
            _ => errors(400, "tenant_name is required"),
        }
    }

    fn tenant_list(&self, caller: &AccountKind) -> ResponseTemplate {
        let visible = self.tenants.iter().filter(|t| match caller {
            AccountKind::SystemAdmin => true,
            AccountKind::TenantAdmin(own) => t.tenant_id == *own,
        });
        reply(200, visible.map(|t| self.tenant_json(t)).collect())
    }

    fn tenant_add_user(&mut self, caller: &AccountKind, params: &Params) -> ResponseTemplate {
        let tenant = match self.target_tenant(caller, params) {
            Ok(tenant) => tenant,
            Err(response) => return response,
        };
        let role = match params.one("role") {
            Some(role) if ROLES.contains(&role) => role.to_owned(),
            Some(_) => return errors(400, "role must be tenant-admin or tenant-user"),
            None => return errors(400, "role is required"),
        };
        let Some(user_name) = params.one("user_name") else {
            return errors(400, "user_name is required");
        };
        if Email::parse(user_name).is_err() {
            return errors(400, "user_name must be an email address");
        }
        let full_name = params.one("full_name");
        if matches!(caller, AccountKind::TenantAdmin(_)) && full_name.is_none() {
            return errors(400, "full_name is required");
        }
        let user_id = match (self.user_by_name(user_name), full_name) {
            (Some(user), _) => user.user_id,
            (None, Some(full_name)) if self.faithful && full_name.trim().is_empty() => {
                return errors(400, "full_name is required");
            }
            (None, Some(full_name)) => self.add_user(user_name, full_name),
            (None, None) => return errors(404, "User not found"),
        };
        self.set_role(tenant, user_id, &role);
        reply(200, Value::Null)
    }

    fn tenant_remove_user(&mut self, caller: &AccountKind, params: &Params) -> ResponseTemplate {
        let tenant = match self.target_tenant(caller, params) {
            Ok(tenant) => tenant,
            Err(response) => return response,
        };
        let Some(user_name) = params.one("user_name") else {
            return errors(400, "user_name is required");
        };
        let Some(user) = self
            .users
            .iter_mut()
            .find(|u| same_ignoring_case(&u.user_name, user_name))
        else {
            return errors(404, "User not found");
        };
        let before = user.tenant_roles.len();
        user.tenant_roles.retain(|(t, _)| *t != tenant);
        if user.tenant_roles.len() == before {
            return errors(404, "User is not in this tenant");
        }
        reply(200, Value::Null)
    }
}

impl Model for MediumOneModel {
    fn base_path(&self) -> &str {
        "/v2"
    }

    fn issued_secrets(&self) -> Vec<String> {
        self.session_tokens()
    }

    /// Every call is a GET here; the writes are the calls that change
    /// users, tenants or memberships (a login changes none).
    fn is_write(&self, request: &Request) -> bool {
        const WRITES: [&str; 6] = [
            "user_create",
            "user_update",
            "user_remove",
            "tenant_create",
            "tenant_add_user",
            "tenant_remove_user",
        ];
        request
            .url
            .path_segments()
            .and_then(|mut segments| segments.next_back())
            .is_some_and(|last| WRITES.contains(&last))
    }

    /// Users have no account-wide role, so a user role is refused; a
    /// display name is the `full_name`; a membership's role is
    /// `tenant-admin` for admin and `tenant-user` otherwise.
    fn seed(&mut self, snapshot: &DirectoryState) -> Result<(), String> {
        snapshot.check().map_err(|e| e.to_string())?;
        for user in &snapshot.users {
            if user.role.is_some() {
                return Err(format!(
                    "{}: Medium One users have no account-wide role; give membership roles",
                    user.email
                ));
            }
            if self.user_by_name(user.email.as_str()).is_some() {
                return Err(format!("{} is listed twice", user.email));
            }
            self.add_user(
                user.email.as_str(),
                user.display_name.as_deref().unwrap_or_default(),
            );
        }
        for tenant in &snapshot.tenants {
            if self.tenant_by_name(&tenant.name).is_some() {
                return Err(format!("tenant {} is listed twice", tenant.name));
            }
            self.add_tenant(&tenant.name);
        }
        for membership in &snapshot.memberships {
            if membership.wireguard_key.is_some() {
                return Err(format!(
                    "{}: Medium One memberships carry no WireGuard key",
                    membership.user
                ));
            }
            let tenant = self
                .tenant_by_name(&membership.tenant)
                .map(|t| t.tenant_id)
                .ok_or_else(|| format!("no tenant {}", membership.tenant))?;
            let user = self
                .user_by_name(membership.user.as_str())
                .map(|u| u.user_id)
                .ok_or_else(|| format!("no user {}", membership.user))?;
            let role = match membership.role {
                Some(TenantRole::Admin) => "tenant-admin",
                _ => "tenant-user",
            };
            self.set_role(tenant, user, role);
        }
        Ok(())
    }

    fn snapshot(&self) -> Result<DirectoryState, String> {
        let mut snapshot = DirectoryState::default();
        for tenant in &self.tenants {
            snapshot.tenants.push(TenantState {
                name: tenant.tenant_name.clone(),
            });
        }
        for user in &self.users {
            let email = Email::parse(user.user_name.as_str()).map_err(|e| e.to_string())?;
            for (tenant, role) in &user.tenant_roles {
                snapshot.memberships.push(MembershipState {
                    tenant: self.tenant_name(*tenant),
                    user: email.clone(),
                    role: match role.as_str() {
                        "tenant-admin" => Some(TenantRole::Admin),
                        _ => Some(TenantRole::Member),
                    },
                    wireguard_key: None,
                });
            }
            snapshot.users.push(UserState {
                email,
                role: None,
                display_name: Some(user.full_name.clone()).filter(|n| !n.is_empty()),
            });
        }
        Ok(snapshot)
    }

    fn handle(&mut self, request: &Request) -> ResponseTemplate {
        let Some(segments) = route_segments(request, "/v2") else {
            return errors(404, "Not Found");
        };
        let method = request.method.as_str();
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        let route = match segments.as_slice() {
            [route] => *route,
            _ => return errors(404, "Not Found"),
        };
        if route == "login" {
            return match method {
                "POST" => self.login(request),
                _ => errors(405, "Method Not Allowed"),
            };
        }
        const ROUTES: [&str; 9] = [
            "user_create",
            "user_list",
            "user_list_in_tenant",
            "user_update",
            "user_remove",
            "tenant_create",
            "tenant_list",
            "tenant_add_user",
            "tenant_remove_user",
        ];
        if !ROUTES.contains(&route) {
            return errors(404, "Not Found");
        }
        if method != "GET" {
            return errors(405, "Method Not Allowed");
        }
        let Some(caller) = self.caller(request) else {
            return errors(401, "Not logged in");
        };
        let params = Params(query(request));
        match route {
            "user_create" => self.user_create(&params),
            "user_list" => self.user_list(&caller),
            "user_list_in_tenant" => self.user_list_in_tenant(&caller, &params),
            "user_update" => self.user_update(&caller, &params),
            "user_remove" => self.user_remove(&caller, &params),
            "tenant_create" => self.tenant_create(&caller, &params),
            "tenant_list" => self.tenant_list(&caller),
            "tenant_add_user" => self.tenant_add_user(&caller, &params),
            _ => self.tenant_remove_user(&caller, &params),
        }
    }
}

/// The decoded query pairs, in order, repeated keys kept.
fn query(request: &Request) -> Vec<(String, String)> {
    request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

struct Params(Vec<(String, String)>);

impl Params {
    fn one(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

fn errors(status: u16, message: &str) -> ResponseTemplate {
    reply(status, json!({"errors": [message]}))
}
