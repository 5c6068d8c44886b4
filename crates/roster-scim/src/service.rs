//! The SCIM operations over the store, independent of HTTP: each accepted
//! write commits the resource and the outbox rows it causes in one
//! transaction before it answers.

use std::sync::Arc;

use serde_json::{Map, Value, json};
use tokio::sync::Notify;

use crate::config::ScimConfig;
use crate::error::ScimError;
use crate::filter::{AttrPath, Filter};
use crate::resource::{
    self, Kind, LIST_SCHEMA, UserFacts, apply_patch, group_facts, normalize, project, rfc3339,
    user_facts,
};
use crate::schemas::MAX_RESULTS;
use crate::store::{
    IndexedColumn, Operation, PersonSnapshot, Store, StoredResource, Tx, now_millis,
};

/// The SCIM service: the store, the mapping config, and the providers every
/// person is provisioned to.
#[derive(Debug, Clone)]
pub struct Scim {
    store: Store,
    config: Arc<ScimConfig>,
    providers: Vec<String>,
    wake: Arc<Notify>,
}

/// A list request's parameters (RFC 7644 §3.4.2).
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// `filter`.
    pub filter: Option<String>,
    /// `startIndex`, from 1.
    pub start_index: Option<i64>,
    /// `count`.
    pub count: Option<i64>,
    /// `attributes`.
    pub attributes: Vec<String>,
    /// `excludedAttributes`.
    pub excluded: Vec<String>,
}

/// `If-Match`: the version a write expects, or any (`*`).
fn check_version(current: &StoredResource, if_match: Option<&str>) -> Result<(), ScimError> {
    let Some(expected) = if_match else {
        return Ok(());
    };
    let matches = expected.split(',').map(str::trim).any(|tag| {
        tag == "*" || tag.trim_start_matches("W/").trim_matches('"') == current.version.to_string()
    });
    if matches {
        Ok(())
    } else {
        Err(ScimError::precondition_failed(format!(
            "the resource is at version W/\"{}\", not {expected}",
            current.version
        )))
    }
}

/// The `ETag` of a resource.
pub fn etag(resource: &StoredResource) -> String {
    format!("W/\"{}\"", resource.version)
}

impl Scim {
    /// A service over `store`, provisioning to `providers` (the fleet's
    /// names); `wake` is notified after each commit.
    pub fn new(
        store: Store, config: Arc<ScimConfig>, providers: Vec<String>, wake: Arc<Notify>,
    ) -> Self {
        Scim {
            store,
            config,
            providers,
            wake,
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A resource as the answer shows it: the document with `id` and `meta`.
    pub fn render(&self, resource: &StoredResource, base: &str) -> Map<String, Value> {
        let mut out = Map::new();
        out.insert("id".into(), json!(resource.id));
        for (k, v) in &resource.body {
            out.insert(k.clone(), v.clone());
        }
        out.insert(
            "meta".into(),
            json!({
                "resourceType": resource.kind.as_str(),
                "created": rfc3339(resource.created),
                "lastModified": rfc3339(resource.modified),
                "location": format!("{base}/{}/{}", resource.kind.endpoint(), resource.id),
                "version": etag(resource),
            }),
        );
        out
    }

    /// Reads one resource.
    pub async fn get(&self, kind: Kind, id: &str) -> Result<StoredResource, ScimError> {
        self.store
            .get(kind, id)
            .await?
            .ok_or_else(|| ScimError::not_found(format!("no {} {id}", kind.as_str())))
    }

    /// Lists resources (a SCIM ListResponse).
    pub async fn list(
        &self, kind: Kind, query: &ListQuery, base: &str,
    ) -> Result<Value, ScimError> {
        let filter = query.filter.as_deref().map(Filter::parse).transpose()?;
        let start = query.start_index.unwrap_or(1).max(1);
        let count = query.count.unwrap_or(100).clamp(0, MAX_RESULTS as i64);
        let (page, total) = match &filter {
            None => {
                let (rows, total) = self.store.page(kind, start - 1, count).await?;
                (
                    rows.iter()
                        .map(|r| self.render(r, base))
                        .collect::<Vec<_>>(),
                    total,
                )
            }
            Some(filter) => {
                let candidates = match filter.as_equality() {
                    Some((path, value)) => match index_for(kind, path) {
                        Some(column) => self.store.find(kind, column, value).await?,
                        None => self.store.all(kind).await?,
                    },
                    None => self.store.all(kind).await?,
                };
                let matching: Vec<Map<String, Value>> = candidates
                    .iter()
                    .map(|r| self.render(r, base))
                    .filter(|doc| filter.matches(&Value::Object(doc.clone())))
                    .collect();
                let total = matching.len() as i64;
                let page = matching
                    .into_iter()
                    .skip((start - 1) as usize)
                    .take(count as usize)
                    .collect();
                (page, total)
            }
        };
        let resources: Vec<Value> = page
            .into_iter()
            .map(|doc| Value::Object(project(doc, &query.attributes, &query.excluded)))
            .collect();
        Ok(json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }))
    }

    fn email_of(facts: &UserFacts) -> Result<String, ScimError> {
        [
            facts.primary_email.as_deref(),
            Some(facts.user_name.as_str()),
        ]
        .into_iter()
        .flatten()
        .find(|e| roster_core::Email::parse(*e).is_ok())
        .map(str::to_owned)
        .ok_or_else(|| {
            ScimError::invalid_value(
                "a User needs an email: a primary email, or a userName that is one",
            )
        })
    }

    async fn snapshots(
        &self, tx: &mut Tx, resource: &StoredResource,
    ) -> Result<Vec<(String, Operation)>, ScimError> {
        let facts = user_facts(&resource.body)?;
        let email = Self::email_of(&facts)?;
        let groups = tx.groups_of(&resource.id).await?;
        let doc = Value::Object(resource.body.clone());
        Ok(self
            .providers
            .iter()
            .map(|provider| {
                let mapping = self.config.mapping(provider);
                let wireguard_key = mapping
                    .wireguard_key_attribute
                    .as_deref()
                    .and_then(|a| AttrPath::parse(a).ok())
                    .and_then(|p| {
                        p.values(&doc)
                            .first()
                            .and_then(|v| v.as_str())
                            .map(str::to_owned)
                    });
                let user = PersonSnapshot {
                    id: resource.id.clone(),
                    external_id: facts.external_id.clone(),
                    email: email.clone(),
                    display_name: facts.display_name.clone(),
                    active: facts.active,
                    wireguard_key,
                    groups: groups.clone(),
                };
                (provider.clone(), Operation::SyncUser { user })
            })
            .collect())
    }

    async fn enqueue_user(&self, tx: &mut Tx, user_id: &str) -> Result<(), ScimError> {
        let Some(user) = tx.get(Kind::User, user_id).await? else {
            return Ok(());
        };
        for (provider, op) in self.snapshots(tx, &user).await? {
            tx.enqueue(&provider, &op).await?;
        }
        Ok(())
    }

    fn commit_done(&self) {
        self.wake.notify_one();
    }

    /// Creates a resource (POST).
    pub async fn create(
        &self, kind: Kind, body: Map<String, Value>,
    ) -> Result<StoredResource, ScimError> {
        let doc = normalize(kind, body, &self.config.server.extension_schemas)?;
        let now = now_millis();
        let resource = StoredResource {
            id: uuid::Uuid::new_v4().to_string(),
            kind,
            version: 1,
            body: doc,
            created: now,
            modified: now,
        };
        let mut tx = self.store.begin().await?;
        self.write(&mut tx, None, &resource).await?;
        tx.commit().await?;
        self.commit_done();
        Ok(resource)
    }

    /// Replaces a resource (PUT).
    pub async fn replace(
        &self, kind: Kind, id: &str, body: Map<String, Value>, if_match: Option<&str>,
    ) -> Result<StoredResource, ScimError> {
        let doc = normalize(kind, body, &self.config.server.extension_schemas)?;
        self.update(kind, id, if_match, move |_| Ok(doc)).await
    }

    /// Patches a resource (PATCH).
    pub async fn patch(
        &self, kind: Kind, id: &str, body: Map<String, Value>, if_match: Option<&str>,
    ) -> Result<StoredResource, ScimError> {
        let extra = self.config.server.extension_schemas.clone();
        self.update(kind, id, if_match, move |current| {
            let mut doc = current.clone();
            apply_patch(&mut doc, &body)?;
            normalize(kind, doc, &extra)
        })
        .await
    }

    async fn update(
        &self, kind: Kind, id: &str, if_match: Option<&str>,
        change: impl FnOnce(&Map<String, Value>) -> Result<Map<String, Value>, ScimError>,
    ) -> Result<StoredResource, ScimError> {
        let mut tx = self.store.begin().await?;
        let current = tx
            .get(kind, id)
            .await?
            .ok_or_else(|| ScimError::not_found(format!("no {} {id}", kind.as_str())))?;
        check_version(&current, if_match)?;
        let doc = change(&current.body)?;
        if doc == current.body {
            // Nothing changed: no new version, nothing to deliver.
            return Ok(current);
        }
        let resource = StoredResource {
            version: current.version + 1,
            body: doc,
            modified: now_millis().max(current.modified),
            ..current.clone()
        };
        self.write(&mut tx, Some(&current), &resource).await?;
        tx.commit().await?;
        self.commit_done();
        Ok(resource)
    }

    /// Stores `resource` (new, or replacing `old`) and enqueues what it causes.
    async fn write(
        &self, tx: &mut Tx, old: Option<&StoredResource>, resource: &StoredResource,
    ) -> Result<(), ScimError> {
        match resource.kind {
            Kind::User => {
                let facts = user_facts(&resource.body)?;
                Self::email_of(&facts)?;
                if let Some(holder) = tx.id_by_name(Kind::User, &facts.user_name).await?
                    && holder != resource.id
                {
                    return Err(ScimError::uniqueness(format!(
                        "the userName {:?} is already in use",
                        facts.user_name
                    )));
                }
                // The externalId is the IdP's stable id for the person: two
                // Users with one would be one person delivered twice.
                if let Some(external_id) = facts.external_id.as_deref()
                    && let Some(holder) = tx.id_by_external_id(Kind::User, external_id).await?
                    && holder != resource.id
                {
                    return Err(ScimError::uniqueness(format!(
                        "the externalId {external_id:?} is already in use"
                    )));
                }
                tx.put(resource, &facts.user_name, facts.external_id.as_deref())
                    .await?;
                self.enqueue_user(tx, &resource.id).await?;
            }
            Kind::Group => {
                let facts = group_facts(&resource.body)?;
                if let Some(holder) = tx.id_by_name(Kind::Group, &facts.display_name).await?
                    && holder != resource.id
                {
                    return Err(ScimError::uniqueness(format!(
                        "the group displayName {:?} is already in use",
                        facts.display_name
                    )));
                }
                let missing = tx.missing_users(&facts.members).await?;
                if !missing.is_empty() {
                    return Err(ScimError::invalid_value(format!(
                        "no User with the id {}",
                        missing.join(", ")
                    )));
                }
                let (old_members, renamed) = match old {
                    Some(old) => {
                        let old_facts = group_facts(&old.body)?;
                        let renamed = old_facts.display_name != facts.display_name;
                        (old_facts.members, renamed)
                    }
                    None => (Vec::new(), true),
                };
                tx.put(resource, &facts.display_name, facts.external_id.as_deref())
                    .await?;
                tx.set_members(&resource.id, &facts.members).await?;
                if renamed {
                    for provider in &self.providers {
                        let op = Operation::SyncGroup {
                            group_id: resource.id.clone(),
                            display_name: facts.display_name.clone(),
                        };
                        tx.enqueue(provider, &op).await?;
                    }
                }
                let mut affected: Vec<&String> = Vec::new();
                for m in facts.members.iter().chain(old_members.iter()) {
                    let changed =
                        renamed || !(facts.members.contains(m) && old_members.contains(m));
                    if changed && !affected.contains(&m) {
                        affected.push(m);
                    }
                }
                for user in affected {
                    self.enqueue_user(tx, user).await?;
                }
            }
        }
        Ok(())
    }

    /// Deletes a resource. A deleted user's personal data leaves the store:
    /// the resource now, the delivered operations' payloads once the
    /// providers' accounts are gone.
    pub async fn delete(
        &self, kind: Kind, id: &str, if_match: Option<&str>,
    ) -> Result<(), ScimError> {
        let mut tx = self.store.begin().await?;
        let current = tx
            .get(kind, id)
            .await?
            .ok_or_else(|| ScimError::not_found(format!("no {} {id}", kind.as_str())))?;
        check_version(&current, if_match)?;
        match kind {
            Kind::User => {
                // Take the person out of every group document too.
                for group_id in tx.group_ids_of(id).await? {
                    if let Some(group) = tx.get(Kind::Group, &group_id).await? {
                        let mut body = group.body.clone();
                        if let Some(Value::Array(members)) = body.get_mut("members") {
                            members.retain(|m| m.get("value").and_then(Value::as_str) != Some(id));
                        }
                        let facts = group_facts(&body)?;
                        let updated = StoredResource {
                            version: group.version + 1,
                            body,
                            modified: now_millis(),
                            ..group
                        };
                        tx.put(&updated, &facts.display_name, facts.external_id.as_deref())
                            .await?;
                    }
                }
                tx.delete(id).await?;
                for provider in &self.providers {
                    tx.enqueue(
                        provider,
                        &Operation::DeleteUser {
                            user_id: id.to_owned(),
                        },
                    )
                    .await?;
                }
            }
            Kind::Group => {
                let members = tx.members(id).await?;
                tx.delete(id).await?;
                for user in members {
                    self.enqueue_user(&mut tx, &user).await?;
                }
            }
        }
        tx.commit().await?;
        self.commit_done();
        Ok(())
    }
}

fn index_for(kind: Kind, path: &AttrPath) -> Option<IndexedColumn> {
    if path.sub.is_some() {
        return None;
    }
    let name = path.name.as_str();
    if name.eq_ignore_ascii_case("id") {
        Some(IndexedColumn::Id)
    } else if name.eq_ignore_ascii_case("externalId") {
        Some(IndexedColumn::ExternalId)
    } else if (kind == Kind::User && name.eq_ignore_ascii_case("userName"))
        || (kind == Kind::Group && name.eq_ignore_ascii_case("displayName"))
    {
        Some(IndexedColumn::Name)
    } else {
        None
    }
}

/// Splits a query string into the list parameters; names ignore case.
pub fn list_query(raw: Option<&str>) -> Result<ListQuery, ScimError> {
    let mut query = ListQuery::default();
    let Some(raw) = raw else { return Ok(query) };
    for (key, value) in url::form_urlencoded::parse(raw.as_bytes()) {
        let number = |v: &str| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| ScimError::invalid_value(format!("{key} must be a whole number")))
        };
        match key.to_ascii_lowercase().as_str() {
            "filter" => query.filter = Some(value.into_owned()),
            "startindex" => query.start_index = Some(number(&value)?),
            "count" => query.count = Some(number(&value)?),
            "attributes" => query.attributes = resource::attribute_list(Some(&value)),
            "excludedattributes" => query.excluded = resource::attribute_list(Some(&value)),
            _ => {}
        }
    }
    Ok(query)
}
