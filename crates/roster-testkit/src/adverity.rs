//! A stateful emulator of the Adverity Management API (users and
//! workspaces).
//!
//! It follows the public guides and Django REST framework's conventions:
//!
//! - routes live under `/api/` at the instance root and end with a slash; a
//!   path without its trailing slash answers Django's `301` to the slashed
//!   path (which the adapter, never following redirects, must not need);
//! - every route needs `Authorization: Bearer <key>`: none answers
//!   `401 {"detail": "Authentication credentials were not provided."}`, a
//!   wrong one `401 {"detail": "Invalid token."}`, both with
//!   `WWW-Authenticate: Bearer realm="api"`;
//! - users have numeric ids; `GET`, `PATCH` and `DELETE
//!   /api/v1/users/{id}/` answer `404 {"detail": "Not found."}` for an
//!   unknown (or non-numeric) id; a `PATCH` changes only the fields sent;
//! - workspaces (stacks) are addressed by slug; the slug is made from the
//!   name when the workspace is created and never changes;
//! - a user's `workspaces` holds numeric workspace ids, each of which must
//!   exist (`400 {"workspaces": ["Invalid pk \"9\" - object does not
//!   exist."]}`); deleting a workspace removes it from every user and
//!   deletes its child workspaces;
//! - invalid bodies answer `400` with DRF field errors
//!   (`{"email": ["Enter a valid email address."]}`), a duplicate email
//!   `400 {"email": ["user with this email already exists."]}`, a duplicate
//!   workspace name under the same parent
//!   `400 {"name": ["stack with this name already exists."]}`;
//! - lists are paginated with `page` (from 1) and `page_size` (default 50,
//!   capped at [`AdverityModel::max_page_size`]); a page past the last
//!   answers `404 {"detail": "Invalid page."}`. Workspaces always come in the
//!   `{count, next, previous, results}` envelope; users come in it or as a
//!   bare array, per [`AdverityModel::user_list_form`], because the docs do
//!   not say which the server sends;
//! - a create takes `groups` (ids that must exist, see
//!   [`AdverityModel::with_groups`]) and `active`, and a `PATCH` changes
//!   `groups` when it names them.
//!
//! [`AdverityModel::faithful`] switches on what a real server sends beyond
//! the documented fields: every user and workspace object then carries
//! keys no doc lists (nested objects, lists and `null`s among them), and
//! `last_login` is a timestamp once a user has logged in
//! ([`AdverityModel::log_in`]) and `null` before, as the docs allow. An
//! adapter must decode all of it and keep it as provider data.
//!
//! What the docs leave open (status codes, messages, slug rules) follows
//! Django REST framework's defaults and is listed in
//! `specs/adverity/SOURCE.md`.

// Handlers return the error response itself as `Err`; it is large, but this
// is an emulator answering one request at a time, not a hot path.
#![allow(clippy::result_large_err)]

use std::time::Duration;

use roster_core::Email;
use serde::Serialize;
use serde_json::{Map, Value, json};
use wiremock::{Request, ResponseTemplate};

use crate::emulator::{
    Model, auth_credentials, json as reply, no_content, route_segments, same_ignoring_case,
};
use roster_core::state::{DirectoryState, MembershipState, TenantState, UserState};

/// The API key [`AdverityModel::default`] accepts.
pub const ADVERITY_TOKEN: &str = "adverity-test-api-key";

/// The datalake (storage) id [`AdverityModel::default`] has.
pub const ADVERITY_DATALAKE_ID: i64 = 1;

/// The page size when a request names none, as Adverity documents.
pub const DEFAULT_PAGE_SIZE: usize = 50;

const NAME_MAX_CHARS: usize = 150;

/// Which of the two list forms `GET /api/v1/users/` answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum UserListForm {
    /// `{count, next, previous, results}`, like the workspace list.
    Envelope,
    /// A bare JSON array holding one page of users.
    BareArray,
}

/// A user as the emulator stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdverityUserRecord {
    /// The numeric id.
    pub id: i64,
    /// The email address.
    pub email: String,
    /// The first name.
    pub first_name: String,
    /// The last name.
    pub last_name: String,
    /// `false` for a suspended user.
    pub active: bool,
    /// Group ids.
    pub groups: Vec<i64>,
    /// The numeric ids of the user's workspaces, in the order given.
    pub workspaces: Vec<i64>,
    /// Creation time.
    pub created: String,
    /// Last login, `None` if never.
    pub last_login: Option<String>,
    /// Last change.
    pub last_modified: String,
}

/// A workspace (stack) as the emulator stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdverityStack {
    /// The numeric id, as users' `workspaces` hold it.
    pub id: i64,
    /// The name.
    pub name: String,
    /// The slug its URLs use; made from the name at creation, never changed.
    pub slug: String,
    /// The parent workspace's id.
    pub parent_id: Option<i64>,
    /// The datalake (storage) it was created in.
    pub datalake_id: i64,
    /// The destination id, if one was given.
    pub destination: Option<i64>,
    /// Creation time.
    pub created: String,
    /// Last change.
    pub updated: String,
}

/// The Adverity Management API's state and rules.
#[derive(Debug, Clone, Serialize)]
pub struct AdverityModel {
    #[serde(skip)]
    token: String,
    /// Every user, in creation order.
    pub users: Vec<AdverityUserRecord>,
    /// Every workspace, in creation order.
    pub stacks: Vec<AdverityStack>,
    /// The datalake ids workspaces can be created in.
    pub datalakes: Vec<i64>,
    /// The group ids users can be put in.
    pub groups: Vec<i64>,
    /// The form of the user list.
    pub user_list_form: UserListForm,
    /// The largest page the server hands out, whatever `page_size` asks.
    pub max_page_size: usize,
    /// Whether answers carry keys no doc lists; see the module docs.
    pub faithful: bool,
    /// How long every answer is held back, to make concurrent clients
    /// overlap in tests. The state changes when the request arrives, as
    /// on a real server where the reply is slow to travel back.
    pub latency: Option<Duration>,
    next_user_id: i64,
    next_stack_id: i64,
    clock: u64,
}

impl Default for AdverityModel {
    fn default() -> Self {
        AdverityModel::new(ADVERITY_TOKEN)
    }
}

impl AdverityModel {
    /// An empty instance that accepts the API key `token`, with one
    /// datalake ([`ADVERITY_DATALAKE_ID`]), answering user lists in the
    /// envelope form.
    pub fn new(token: impl Into<String>) -> Self {
        AdverityModel {
            token: token.into(),
            users: Vec::new(),
            stacks: Vec::new(),
            datalakes: vec![ADVERITY_DATALAKE_ID],
            groups: Vec::new(),
            user_list_form: UserListForm::Envelope,
            max_page_size: 100,
            faithful: false,
            latency: None,
            next_user_id: 1,
            next_stack_id: 1,
            clock: 0,
        }
    }

    /// Answers user lists in `form`.
    pub fn with_user_list_form(mut self, form: UserListForm) -> Self {
        self.user_list_form = form;
        self
    }

    /// Answers as a real server would beyond the docs: unknown keys in
    /// every user and workspace object (see the module docs).
    pub fn faithful(mut self) -> Self {
        self.faithful = true;
        self
    }

    /// Lets users be put in these group ids (none by default: a create or
    /// `PATCH` naming any other group is DRF's `Invalid pk` error).
    pub fn with_groups(mut self, groups: impl IntoIterator<Item = i64>) -> Self {
        self.groups = groups.into_iter().collect();
        self
    }

    /// Records a login for the user (test setup): their `last_login`
    /// becomes the current time.
    pub fn log_in(&mut self, user_id: i64) {
        let now = self.tick();
        if let Some(user) = self.users.iter_mut().find(|u| u.id == user_id) {
            user.last_login = Some(now);
        }
    }

    /// Holds every answer back by `latency`.
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = Some(latency);
        self
    }

    fn tick(&mut self) -> String {
        self.clock += 1;
        let n = self.clock;
        format!(
            "2025-01-01T{:02}:{:02}:{:02}.000000Z",
            (n / 3600) % 24,
            (n / 60) % 60,
            n % 60
        )
    }

    /// Adds a user directly (test setup) and returns their id.
    pub fn add_user(&mut self, email: &str, first_name: &str, last_name: &str) -> i64 {
        let id = self.next_user_id;
        self.next_user_id += 1;
        let now = self.tick();
        self.users.push(AdverityUserRecord {
            id,
            email: email.into(),
            first_name: first_name.into(),
            last_name: last_name.into(),
            active: true,
            groups: Vec::new(),
            workspaces: Vec::new(),
            created: now.clone(),
            last_login: None,
            last_modified: now,
        });
        id
    }

    /// Adds a workspace directly (test setup) and returns its id and slug.
    pub fn add_workspace(&mut self, name: &str) -> (i64, String) {
        let id = self.next_stack_id;
        self.next_stack_id += 1;
        let slug = self.unique_slug(name);
        let now = self.tick();
        self.stacks.push(AdverityStack {
            id,
            name: name.into(),
            slug: slug.clone(),
            parent_id: None,
            datalake_id: ADVERITY_DATALAKE_ID,
            destination: None,
            created: now.clone(),
            updated: now,
        });
        (id, slug)
    }

    /// Puts a user in a workspace directly (test setup).
    pub fn assign(&mut self, user_id: i64, workspace_id: i64) {
        if let Some(user) = self.users.iter_mut().find(|u| u.id == user_id)
            && !user.workspaces.contains(&workspace_id)
        {
            user.workspaces.push(workspace_id);
        }
    }

    /// The user with this id.
    pub fn user(&self, id: i64) -> Option<&AdverityUserRecord> {
        self.users.iter().find(|u| u.id == id)
    }

    /// The user with this email, ignoring case.
    pub fn user_by_email(&self, email: &str) -> Option<&AdverityUserRecord> {
        self.users
            .iter()
            .find(|u| same_ignoring_case(&u.email, email))
    }

    /// The workspace with this slug.
    pub fn stack_by_slug(&self, slug: &str) -> Option<&AdverityStack> {
        self.stacks.iter().find(|s| s.slug == slug)
    }

    /// The workspace with this name.
    pub fn stack_by_name(&self, name: &str) -> Option<&AdverityStack> {
        self.stacks.iter().find(|s| s.name == name)
    }

    /// The ids of the users in the workspace with this slug.
    pub fn member_ids(&self, slug: &str) -> Vec<i64> {
        let Some(stack) = self.stack_by_slug(slug) else {
            return Vec::new();
        };
        self.users
            .iter()
            .filter(|u| u.workspaces.contains(&stack.id))
            .map(|u| u.id)
            .collect()
    }

    fn unique_slug(&self, name: &str) -> String {
        let base = slugify(name);
        let mut slug = base.clone();
        let mut n = 2;
        while self.stack_by_slug(&slug).is_some() {
            slug = format!("{base}-{n}");
            n += 1;
        }
        slug
    }

    fn user_json(&self, user: &AdverityUserRecord) -> Value {
        let names: Vec<&str> = user
            .workspaces
            .iter()
            .filter_map(|id| self.stacks.iter().find(|s| s.id == *id))
            .map(|s| s.name.as_str())
            .collect();
        let mut body = json!({
            "id": user.id,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "active": user.active,
            "groups": user.groups,
            "workspaces": user.workspaces,
            "workspace_names": names,
            "created": user.created,
            "last_login": user.last_login,
            "last_modified": user.last_modified,
        });
        if self.faithful {
            extend(
                &mut body,
                json!({
                    "username": user.email,
                    "is_superuser": false,
                    "date_joined": user.created,
                    "profile": {"language": "en", "timezone": null, "theme": {"dark": true}},
                    "permissions": ["view_datastream", "change_datastream"],
                    "sso_identity": null,
                }),
            );
        }
        body
    }

    fn stack_json(&self, stack: &AdverityStack) -> Value {
        let mut body = json!({
            "id": stack.id,
            "name": stack.name,
            "slug": stack.slug,
            "parent_id": stack.parent_id,
            "datalake": format!("/api/storage/{}/", stack.datalake_id),
            "destination": stack.destination,
            "created": stack.created,
            "updated": stack.updated,
        });
        if self.faithful {
            extend(
                &mut body,
                json!({
                    "url": format!("/api/stacks/{}/", stack.slug),
                    "color": null,
                    "permissions": {"isCreator": false, "isDatastreamManager": true},
                    "counts": {"datastreams": 0, "connections": 0},
                }),
            );
        }
        body
    }

    fn list_users(&self, request: &Request) -> ResponseTemplate {
        let items: Vec<Value> = self.users.iter().map(|u| self.user_json(u)).collect();
        let page = match paginate(request, &items, self.max_page_size) {
            Ok(page) => page,
            Err(response) => return response,
        };
        match self.user_list_form {
            UserListForm::Envelope => reply(200, page),
            UserListForm::BareArray => reply(200, page["results"].clone()),
        }
    }

    fn create_user(&mut self, request: &Request) -> ResponseTemplate {
        let body = match object_body(request) {
            Ok(body) => body,
            Err(response) => return response,
        };
        let mut errors = Map::new();
        let email = match body.get("email") {
            None => required(&mut errors, "email"),
            Some(value) => self.check_email(&mut errors, value, None),
        };
        let first_name = name_field(&mut errors, &body, "first_name").unwrap_or_default();
        let last_name = name_field(&mut errors, &body, "last_name").unwrap_or_default();
        let groups = self
            .id_list(&mut errors, &body, "groups", &self.groups)
            .unwrap_or_default();
        let stack_ids: Vec<i64> = self.stacks.iter().map(|s| s.id).collect();
        let workspaces = self
            .id_list(&mut errors, &body, "workspaces", &stack_ids)
            .unwrap_or_default();
        let active = bool_field(&mut errors, &body, "active").unwrap_or(true);
        if !errors.is_empty() {
            return reply(400, Value::Object(errors));
        }
        let Some(email) = email else {
            return field_error("email", "This field is required.");
        };
        let id = self.add_user(&email, &first_name, &last_name);
        let Some(user) = self.users.iter_mut().find(|u| u.id == id) else {
            return detail(500, "A server error occurred.");
        };
        user.groups = groups;
        user.workspaces = workspaces;
        user.active = active;
        let user = user.clone();
        reply(201, self.user_json(&user))
    }

    fn update_user(&mut self, id: i64, request: &Request) -> ResponseTemplate {
        if self.user(id).is_none() {
            return not_found();
        }
        let body = match object_body(request) {
            Ok(body) => body,
            Err(response) => return response,
        };
        let mut errors = Map::new();
        let email = match body.get("email") {
            None => None,
            Some(value) => self.check_email(&mut errors, value, Some(id)),
        };
        let first_name = name_field(&mut errors, &body, "first_name");
        let last_name = name_field(&mut errors, &body, "last_name");
        let groups = self.id_list(&mut errors, &body, "groups", &self.groups);
        let stack_ids: Vec<i64> = self.stacks.iter().map(|s| s.id).collect();
        let workspaces = self.id_list(&mut errors, &body, "workspaces", &stack_ids);
        let active = bool_field(&mut errors, &body, "active");
        if !errors.is_empty() {
            return reply(400, Value::Object(errors));
        }
        let now = self.tick();
        let Some(user) = self.users.iter_mut().find(|u| u.id == id) else {
            return not_found();
        };
        if let Some(email) = email {
            user.email = email;
        }
        if let Some(first_name) = first_name {
            user.first_name = first_name;
        }
        if let Some(last_name) = last_name {
            user.last_name = last_name;
        }
        if let Some(groups) = groups {
            user.groups = groups;
        }
        if let Some(workspaces) = workspaces {
            user.workspaces = workspaces;
        }
        if let Some(active) = active {
            user.active = active;
        }
        user.last_modified = now;
        let user = user.clone();
        reply(200, self.user_json(&user))
    }

    fn delete_user(&mut self, id: i64) -> ResponseTemplate {
        let before = self.users.len();
        self.users.retain(|u| u.id != id);
        if self.users.len() == before {
            return not_found();
        }
        no_content()
    }

    /// The email in `value`, if valid and not taken by a user other than
    /// `except`; otherwise records the field error.
    fn check_email(
        &self, errors: &mut Map<String, Value>, value: &Value, except: Option<i64>,
    ) -> Option<String> {
        let Some(email) = value.as_str().filter(|e| Email::parse(*e).is_ok()) else {
            errors.insert("email".into(), json!(["Enter a valid email address."]));
            return None;
        };
        if self
            .user_by_email(email)
            .is_some_and(|other| Some(other.id) != except)
        {
            errors.insert(
                "email".into(),
                json!(["user with this email already exists."]),
            );
            return None;
        }
        Some(email.to_owned())
    }

    /// A list of primary keys that must all be in `known`, as DRF's
    /// `PrimaryKeyRelatedField(many=True)` checks them.
    fn id_list(
        &self, errors: &mut Map<String, Value>, body: &Map<String, Value>, field: &str,
        known: &[i64],
    ) -> Option<Vec<i64>> {
        let value = body.get(field)?;
        let Value::Array(items) = value else {
            let kind = json_type(value);
            errors.insert(
                field.into(),
                json!([format!("Expected a list of items but got type \"{kind}\".")]),
            );
            return None;
        };
        let mut ids = Vec::with_capacity(items.len());
        for item in items {
            let Some(id) = item.as_i64() else {
                let kind = json_type(item);
                errors.insert(
                    field.into(),
                    json!([format!(
                        "Incorrect type. Expected pk value, received {kind}."
                    )]),
                );
                return None;
            };
            if !known.contains(&id) {
                errors.insert(
                    field.into(),
                    json!([format!("Invalid pk \"{id}\" - object does not exist.")]),
                );
                return None;
            }
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        Some(ids)
    }

    fn list_stacks(&self, request: &Request) -> ResponseTemplate {
        let items: Vec<Value> = self.stacks.iter().map(|s| self.stack_json(s)).collect();
        match paginate(request, &items, self.max_page_size) {
            Ok(page) => reply(200, page),
            Err(response) => response,
        }
    }

    fn create_stack(&mut self, request: &Request) -> ResponseTemplate {
        let body = match object_body(request) {
            Ok(body) => body,
            Err(response) => return response,
        };
        let mut errors = Map::new();
        let name = match body.get("name") {
            None => required(&mut errors, "name"),
            Some(Value::String(name)) if name.trim().is_empty() => {
                errors.insert("name".into(), json!(["This field may not be blank."]));
                None
            }
            Some(Value::String(name)) if name.chars().count() > NAME_MAX_CHARS => {
                errors.insert(
                    "name".into(),
                    json!(["Ensure this field has no more than 150 characters."]),
                );
                None
            }
            Some(Value::String(name)) => Some(name.clone()),
            Some(_) => {
                errors.insert("name".into(), json!(["Not a valid string."]));
                None
            }
        };
        let datalake_id = match body.get("datalake_id") {
            None => required(&mut errors, "datalake_id"),
            Some(value) => match value.as_i64() {
                Some(id) if self.datalakes.contains(&id) => Some(id),
                Some(id) => {
                    errors.insert(
                        "datalake_id".into(),
                        json!([format!("Invalid pk \"{id}\" - object does not exist.")]),
                    );
                    None
                }
                None => {
                    let kind = json_type(value);
                    errors.insert(
                        "datalake_id".into(),
                        json!([format!(
                            "Incorrect type. Expected pk value, received {kind}."
                        )]),
                    );
                    None
                }
            },
        };
        let parent_id = match body.get("parent_id") {
            None | Some(Value::Null) => None,
            Some(value) => match value.as_i64() {
                Some(id) if self.stacks.iter().any(|s| s.id == id) => Some(id),
                _ => {
                    errors.insert(
                        "parent_id".into(),
                        json!([format!("Invalid pk \"{value}\" - object does not exist.")]),
                    );
                    None
                }
            },
        };
        let destination = match body.get("destination") {
            None | Some(Value::Null) => None,
            Some(value) => match value.as_i64() {
                Some(id) => Some(id),
                None => {
                    errors.insert(
                        "destination".into(),
                        json!(["Incorrect type. Expected pk value."]),
                    );
                    None
                }
            },
        };
        if let Some(name) = &name
            && self
                .stacks
                .iter()
                .any(|s| &s.name == name && s.parent_id == parent_id)
        {
            errors.insert(
                "name".into(),
                json!(["stack with this name already exists."]),
            );
        }
        if !errors.is_empty() {
            return reply(400, Value::Object(errors));
        }
        let (Some(name), Some(datalake_id)) = (name, datalake_id) else {
            return detail(500, "A server error occurred.");
        };
        let (id, _) = self.add_workspace(&name);
        let Some(stack) = self.stacks.iter_mut().find(|s| s.id == id) else {
            return detail(500, "A server error occurred.");
        };
        stack.parent_id = parent_id;
        stack.datalake_id = datalake_id;
        stack.destination = destination;
        let stack = stack.clone();
        reply(201, self.stack_json(&stack))
    }

    fn get_stack(&self, slug: &str) -> ResponseTemplate {
        match self.stack_by_slug(slug) {
            Some(stack) => reply(200, self.stack_json(stack)),
            None => not_found(),
        }
    }

    /// Renames a workspace; its slug stays as it was.
    fn update_stack(&mut self, slug: &str, request: &Request) -> ResponseTemplate {
        if self.stack_by_slug(slug).is_none() {
            return not_found();
        }
        let body = match object_body(request) {
            Ok(body) => body,
            Err(response) => return response,
        };
        let name = match body.get("name") {
            None => None,
            Some(Value::String(name)) if !name.trim().is_empty() => Some(name.clone()),
            Some(_) => return field_error("name", "This field may not be blank."),
        };
        let now = self.tick();
        let Some(stack) = self.stacks.iter_mut().find(|s| s.slug == slug) else {
            return not_found();
        };
        if let Some(name) = name {
            stack.name = name;
        }
        stack.updated = now;
        let stack = stack.clone();
        reply(200, self.stack_json(&stack))
    }

    /// Deletes a workspace and, as a foreign key with `CASCADE` would, its
    /// descendants; their ids leave every user's `workspaces`.
    fn delete_stack(&mut self, slug: &str) -> ResponseTemplate {
        let Some(root) = self.stack_by_slug(slug).map(|s| s.id) else {
            return not_found();
        };
        let mut doomed = vec![root];
        let mut index = 0;
        while index < doomed.len() {
            let parent = doomed[index];
            doomed.extend(
                self.stacks
                    .iter()
                    .filter(|s| s.parent_id == Some(parent))
                    .map(|s| s.id),
            );
            index += 1;
        }
        self.stacks.retain(|s| !doomed.contains(&s.id));
        for user in &mut self.users {
            user.workspaces.retain(|id| !doomed.contains(id));
        }
        no_content()
    }

    fn route(&mut self, request: &Request, segments: &[&str]) -> ResponseTemplate {
        let method = request.method.as_str();
        match segments {
            ["api", "v1", "users"] => match method {
                "GET" => self.list_users(request),
                "POST" => self.create_user(request),
                _ => not_allowed(method, "GET, POST, HEAD, OPTIONS"),
            },
            ["api", "v1", "users", id] => {
                let Ok(id) = id.parse::<i64>() else {
                    return not_found();
                };
                match method {
                    "GET" => match self.user(id) {
                        Some(user) => reply(200, self.user_json(user)),
                        None => not_found(),
                    },
                    "PATCH" => self.update_user(id, request),
                    "DELETE" => self.delete_user(id),
                    _ => not_allowed(method, "GET, PATCH, DELETE, HEAD, OPTIONS"),
                }
            }
            ["api", "stacks"] => match method {
                "GET" => self.list_stacks(request),
                "POST" => self.create_stack(request),
                _ => not_allowed(method, "GET, POST, HEAD, OPTIONS"),
            },
            ["api", "stacks", slug] => match method {
                "GET" => self.get_stack(slug),
                "PATCH" => self.update_stack(slug, request),
                "DELETE" => self.delete_stack(slug),
                _ => not_allowed(method, "GET, PATCH, DELETE, HEAD, OPTIONS"),
            },
            _ => not_found(),
        }
    }
}

impl Model for AdverityModel {
    /// Adverity has no roles; a display name splits as the adapter splits
    /// it (the first word is the first name, the rest the last name).
    fn seed(&mut self, snapshot: &DirectoryState) -> Result<(), String> {
        snapshot.check().map_err(|e| e.to_string())?;
        let mut ids = std::collections::HashMap::new();
        for user in &snapshot.users {
            if self.user_by_email(user.email.as_str()).is_some() {
                return Err(format!("{} is listed twice", user.email));
            }
            if user.role.is_some() {
                return Err(format!("{}: Adverity users have no role", user.email));
            }
            let name = user.display_name.as_deref().unwrap_or("").trim();
            let (first, last) = name.split_once(' ').unwrap_or((name, ""));
            let id = self.add_user(user.email.as_str(), first, last.trim());
            ids.insert(user.email.as_str().to_owned(), id);
        }
        let mut stacks = std::collections::HashMap::new();
        for tenant in &snapshot.tenants {
            if self.stack_by_name(&tenant.name).is_some() {
                return Err(format!("workspace {:?} is listed twice", tenant.name));
            }
            let (id, _slug) = self.add_workspace(&tenant.name);
            stacks.insert(tenant.name.clone(), id);
        }
        for membership in &snapshot.memberships {
            if membership.role.is_some() || membership.wireguard_key.is_some() {
                return Err(format!(
                    "{}: Adverity memberships carry no role or WireGuard key",
                    membership.user
                ));
            }
            let user = ids[membership.user.as_str()];
            let stack = stacks[&membership.tenant];
            self.assign(user, stack);
        }
        Ok(())
    }

    fn snapshot(&self) -> Result<DirectoryState, String> {
        let mut snapshot = DirectoryState::default();
        for stack in &self.stacks {
            snapshot.tenants.push(TenantState {
                name: stack.name.clone(),
            });
        }
        for user in &self.users {
            let email = Email::parse(&user.email).map_err(|e| e.to_string())?;
            let name = format!("{} {}", user.first_name, user.last_name);
            let name = name.trim();
            snapshot.users.push(UserState {
                email: email.clone(),
                role: None,
                display_name: (!name.is_empty()).then(|| name.to_owned()),
            });
            for workspace in &user.workspaces {
                if let Some(stack) = self.stacks.iter().find(|s| s.id == *workspace) {
                    snapshot.memberships.push(MembershipState {
                        tenant: stack.name.clone(),
                        user: email.clone(),
                        role: None,
                        wireguard_key: None,
                    });
                }
            }
        }
        Ok(snapshot)
    }

    fn handle(&mut self, request: &Request) -> ResponseTemplate {
        let response = self.answer(request);
        match self.latency {
            Some(latency) => response.set_delay(latency),
            None => response,
        }
    }
}

impl AdverityModel {
    fn answer(&mut self, request: &Request) -> ResponseTemplate {
        let Some(segments) = route_segments(request, "") else {
            return not_found();
        };
        let path = request.url.path();
        if !path.ends_with('/') {
            // Django's APPEND_SLASH: a permanent redirect to the slashed path.
            let mut target = format!("{path}/");
            if let Some(query) = request.url.query() {
                target = format!("{target}?{query}");
            }
            return ResponseTemplate::new(301).insert_header("location", target.as_str());
        }
        // DRF's authentication classes skip a header with another scheme,
        // which then reads as no credentials at all.
        match auth_credentials(request, "Bearer") {
            None => return unauthorized("Authentication credentials were not provided."),
            Some(key) if key != self.token => return unauthorized("Invalid token."),
            Some(_) => {}
        }
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        self.route(request, &segments)
    }
}

/// One page of `items` as DRF's `PageNumberPagination` serves it, or its
/// `404 Invalid page.`.
fn paginate(
    request: &Request, items: &[Value], max_page_size: usize,
) -> Result<Value, ResponseTemplate> {
    let param = |name: &str| {
        request
            .url
            .query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    // DRF ignores a page_size it cannot read and uses the default.
    let size = param("page_size")
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .min(max_page_size.max(1));
    let pages = items.len().div_ceil(size).max(1);
    let number = match param("page") {
        None => 1,
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=pages).contains(&n) => n,
            _ => return Err(detail(404, "Invalid page.")),
        },
    };
    let start = (number - 1) * size;
    let results: Vec<Value> = items.iter().skip(start).take(size).cloned().collect();
    let link = |page: usize| {
        let mut url = request.url.clone();
        url.set_query(Some(&format!("page={page}&page_size={size}")));
        url.to_string()
    };
    Ok(json!({
        "count": items.len(),
        "next": (number < pages).then(|| link(number + 1)),
        "previous": (number > 1).then(|| link(number - 1)),
        "results": results,
    }))
}

/// Lower-case ASCII letters and digits, with every other run of characters
/// turned into one `-`, as Django's `slugify` does for ASCII names.
fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "workspace".to_owned()
    } else {
        slug.to_owned()
    }
}

/// Adds `extra`'s keys to the object `body`.
fn extend(body: &mut Value, extra: Value) {
    if let (Value::Object(body), Value::Object(extra)) = (body, extra) {
        body.extend(extra);
    }
}

fn object_body(request: &Request) -> Result<Map<String, Value>, ResponseTemplate> {
    match serde_json::from_slice::<Value>(&request.body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(reply(
            400,
            json!({"non_field_errors": [format!("Invalid data. Expected a dictionary, but got {}.", json_type(&other))]}),
        )),
        Err(err) => Err(detail(400, &format!("JSON parse error - {err}"))),
    }
}

fn name_field(
    errors: &mut Map<String, Value>, body: &Map<String, Value>, field: &str,
) -> Option<String> {
    match body.get(field)? {
        Value::String(name) if name.chars().count() > NAME_MAX_CHARS => {
            errors.insert(
                field.into(),
                json!(["Ensure this field has no more than 150 characters."]),
            );
            None
        }
        Value::String(name) => Some(name.clone()),
        _ => {
            errors.insert(field.into(), json!(["Not a valid string."]));
            None
        }
    }
}

fn bool_field(
    errors: &mut Map<String, Value>, body: &Map<String, Value>, field: &str,
) -> Option<bool> {
    match body.get(field)? {
        Value::Bool(value) => Some(*value),
        _ => {
            errors.insert(field.into(), json!(["Must be a valid boolean."]));
            None
        }
    }
}

fn required<T>(errors: &mut Map<String, Value>, field: &str) -> Option<T> {
    errors.insert(field.into(), json!(["This field is required."]));
    None
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

fn detail(status: u16, message: &str) -> ResponseTemplate {
    reply(status, json!({"detail": message}))
}

fn field_error(field: &str, message: &str) -> ResponseTemplate {
    reply(400, json!({field: [message]}))
}

fn not_found() -> ResponseTemplate {
    detail(404, "Not found.")
}

fn not_allowed(method: &str, allow: &str) -> ResponseTemplate {
    detail(405, &format!("Method \"{method}\" not allowed.")).insert_header("allow", allow)
}

fn unauthorized(message: &str) -> ResponseTemplate {
    detail(401, message).insert_header("www-authenticate", "Bearer realm=\"api\"")
}
