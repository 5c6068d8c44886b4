//! The durable store: resources, each provider's id for a person, and the
//! outbox of provider operations, in SQLite (embedded, the default) or
//! PostgreSQL (several instances behind a load balancer).
//!
//! Every accepted SCIM request is one transaction: the resource and the
//! outbox rows it causes are committed together, before the answer. Queries
//! are built at run time (sqlx without its compile-time macros), so the
//! build needs no database; the same SQL serves both engines, apart from the
//! claim's `FOR UPDATE SKIP LOCKED`, which only PostgreSQL has (SQLite
//! serializes writers instead).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::{Any, AnyPool, Executor, Row, Transaction};

use crate::error::ScimError;
use crate::resource::Kind;

/// Milliseconds since the epoch.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A store failure. It never holds the store URL (which may hold a
/// password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError {
    message: String,
    unique_violation: bool,
}

impl StoreError {
    fn new(message: impl Into<String>) -> Self {
        StoreError {
            message: message.into(),
            unique_violation: false,
        }
    }

    /// Whether a unique index refused the write (a concurrent duplicate).
    pub fn is_unique_violation(&self) -> bool {
        self.unique_violation
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "store: {}", self.message)
    }
}

impl std::error::Error for StoreError {}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        let unique_violation = err
            .as_database_error()
            .is_some_and(|e| e.is_unique_violation());
        let message = match &err {
            // Connection options can hold a password: never print them.
            sqlx::Error::Configuration(_) => "the store URL is not valid".to_owned(),
            other => other.to_string(),
        };
        StoreError {
            message,
            unique_violation,
        }
    }
}

impl From<StoreError> for ScimError {
    fn from(err: StoreError) -> Self {
        if err.unique_violation {
            ScimError::uniqueness("the name is already in use")
        } else {
            ScimError::internal(err.to_string())
        }
    }
}

/// Which engine the store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite, embedded.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A stored SCIM resource.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResource {
    /// The SCIM id.
    pub id: String,
    /// User or Group.
    pub kind: Kind,
    /// The version, counted from 1; `meta.version` is `W/"<version>"`.
    pub version: i64,
    /// The normalized document (without `id` and `meta`).
    pub body: Map<String, Value>,
    /// When it was created, in milliseconds since the epoch.
    pub created: i64,
    /// When it last changed.
    pub modified: i64,
}

/// One operation of the outbox, on one provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operation {
    /// Bring the person's account, status and memberships on the provider
    /// to this snapshot (taken when the request was accepted).
    SyncUser {
        /// The person as the IdP last described them.
        user: PersonSnapshot,
    },
    /// Remove the person's account (the SCIM user was deleted).
    DeleteUser {
        /// The SCIM id.
        user_id: String,
    },
    /// Make sure the tenants a group maps to exist.
    SyncGroup {
        /// The SCIM id.
        group_id: String,
        /// The group's `displayName`.
        display_name: String,
    },
}

impl Operation {
    /// A short name for the status: `sync_user`, `delete_user`, `sync_group`.
    pub fn kind(&self) -> &'static str {
        match self {
            Operation::SyncUser { .. } => "sync_user",
            Operation::DeleteUser { .. } => "delete_user",
            Operation::SyncGroup { .. } => "sync_group",
        }
    }

    /// The ordering key: operations with the same subject on one provider
    /// run one at a time, in the order they were accepted.
    pub fn subject(&self) -> String {
        match self {
            Operation::SyncUser { user } => format!("user:{}", user.id),
            Operation::DeleteUser { user_id } => format!("user:{user_id}"),
            Operation::SyncGroup { group_id, .. } => format!("group:{group_id}"),
        }
    }
}

/// A person as one provider should see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonSnapshot {
    /// The SCIM id: the identity, never the email.
    pub id: String,
    /// `externalId` (Entra's objectId, Okta's id), kept for the status.
    pub external_id: Option<String>,
    /// The email the provider account should have.
    pub email: String,
    /// The display name.
    pub display_name: Option<String>,
    /// Whether the person may sign in.
    pub active: bool,
    /// The WireGuard key from the configured attribute, where the provider
    /// needs one.
    pub wireguard_key: Option<String>,
    /// The `displayName`s of the groups the person is in.
    pub groups: Vec<String>,
}

/// A claimed outbox row.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    /// Its id, in acceptance order.
    pub id: i64,
    /// The provider's name in the fleet.
    pub provider: String,
    /// The ordering key.
    pub subject: String,
    /// The operation.
    pub operation: Operation,
    /// How many times it was claimed, this time included.
    pub attempts: i64,
}

/// An outbox row as the status lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationSummary {
    /// The row's id (what `retry` takes).
    pub id: i64,
    /// The provider.
    pub provider: String,
    /// The ordering key (`user:<id>`, `group:<id>`).
    pub subject: String,
    /// `sync_user`, `delete_user` or `sync_group`.
    pub kind: String,
    /// `pending`, `running`, `done`, `failed` or `superseded`.
    pub state: String,
    /// How many attempts were made.
    pub attempts: i64,
    /// The last error, if any.
    pub last_error: Option<String>,
    /// What was done differently from what the IdP asked (an email a
    /// provider cannot change, a missing tenant, a blocked membership).
    pub note: Option<String>,
}

/// Per provider: operations by state, the last error, and notes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderStatus {
    /// Waiting or running.
    pub pending: i64,
    /// Delivered.
    pub done: i64,
    /// Failed with an error that retrying cannot fix; `retry` puts them back.
    pub failed: i64,
    /// Failed, then replaced by a later operation on the same person.
    pub superseded: i64,
    /// The most recent error, with the operation's id.
    pub last_error: Option<(i64, String)>,
    /// The most recent distinct notes (newest first).
    pub notes: Vec<String>,
}

/// The whole status: every provider with operations, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// Per provider.
    pub providers: BTreeMap<String, ProviderStatus>,
    /// The failed operations, oldest first.
    pub failed: Vec<OperationSummary>,
}

/// The embedded migrations, per dialect.
#[derive(Debug)]
struct Embedded(Dialect);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(self) -> BoxFuture<'s, Result<Vec<Migration>, sqlx::error::BoxDynError>> {
        let sql = match self.0 {
            Dialect::Sqlite => include_str!("../migrations/sqlite/0001_init.sql"),
            Dialect::Postgres => include_str!("../migrations/postgres/0001_init.sql"),
        };
        Box::pin(async move {
            Ok(vec![Migration::new(
                1,
                Cow::Borrowed("init"),
                MigrationType::Simple,
                Cow::Borrowed(sql),
                false,
            )])
        })
    }
}

/// The store. Cheap to clone (a connection pool).
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    /// The workers' own bookkeeping (claims, outcomes, provider ids). On
    /// SQLite its commits do not wait for the disk (`synchronous =
    /// NORMAL`): after a power loss the newest of them may be gone, which
    /// only means an operation is delivered again, and every delivery is
    /// idempotent. Accepted requests always commit through `pool`, with
    /// `synchronous = FULL`. On PostgreSQL both are the same pool.
    worker_pool: AnyPool,
    dialect: Dialect,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("dialect", &self.dialect)
            .finish_non_exhaustive()
    }
}

fn row_resource(row: &AnyRow) -> Result<StoredResource, StoreError> {
    let kind = match row.try_get::<String, _>("kind")?.as_str() {
        "User" => Kind::User,
        _ => Kind::Group,
    };
    let body: String = row.try_get("body")?;
    let body = match serde_json::from_str(&body) {
        Ok(Value::Object(map)) => map,
        _ => return Err(StoreError::new("a stored resource is not a JSON object")),
    };
    Ok(StoredResource {
        id: row.try_get("id")?,
        kind,
        version: row.try_get("version")?,
        body,
        created: row.try_get("created")?,
        modified: row.try_get("modified")?,
    })
}

const RESOURCE_COLUMNS: &str = "id, kind, version, body, created, modified";

impl Store {
    /// Opens (and migrates) the store at `url`: `sqlite://FILE` (created if
    /// missing), `sqlite::memory:` or `postgres://…`.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (dialect, url) = if url.starts_with("sqlite:") {
            let url = if url.contains('?') || url.contains(":memory:") {
                url.to_owned()
            } else {
                format!("{url}?mode=rwc")
            };
            (Dialect::Sqlite, url)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Dialect::Postgres, url.to_owned())
        } else {
            return Err(StoreError::new(
                "the store URL must start with sqlite:// or postgres://",
            ));
        };
        let connect = |synchronous: &'static str| {
            AnyPoolOptions::new()
                .max_connections(if dialect == Dialect::Sqlite { 4 } else { 8 })
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        if dialect == Dialect::Sqlite {
                            // WAL lets readers run beside the one writer; a
                            // writer waits for the lock instead of failing.
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA busy_timeout = 30000").await?;
                            conn.execute(synchronous).await?;
                        }
                        Ok(())
                    })
                })
        };
        let pool = connect("PRAGMA synchronous = FULL").connect(&url).await?;
        let migrator = Migrator::new(Embedded(dialect))
            .await
            .map_err(|e| StoreError::new(format!("migrations: {e}")))?;
        migrator
            .run(&pool)
            .await
            .map_err(|e| StoreError::new(format!("migrations: {e}")))?;
        let worker_pool = match dialect {
            Dialect::Sqlite => connect("PRAGMA synchronous = NORMAL").connect(&url).await?,
            Dialect::Postgres => pool.clone(),
        };
        let store = Store {
            pool,
            worker_pool,
            dialect,
        };
        Ok(store)
    }

    /// Which engine this is.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Whether the store answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Starts a write transaction that holds the store's one write lock
    /// until it ends: `BEGIN IMMEDIATE` on SQLite, a transaction-scoped
    /// advisory lock on PostgreSQL. Writes therefore run one at a time, so
    /// a read-then-write never works from a stale read (two PATCHes of one
    /// group each adding a member both keep theirs), and outbox ids commit
    /// in id order; claims take the same lock, so a claim never sees row
    /// 11 while row 10 of the same person is still uncommitted.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        self.begin_on(&self.pool).await
    }

    async fn begin_on(&self, pool: &AnyPool) -> Result<Tx, StoreError> {
        let tx = match self.dialect {
            Dialect::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
            Dialect::Postgres => {
                let mut tx = pool.begin().await?;
                sqlx::query(&format!("SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})"))
                    .execute(&mut *tx)
                    .await?;
                tx
            }
        };
        Ok(Tx {
            tx,
            dialect: self.dialect,
        })
    }

    /// One resource.
    pub async fn get(&self, kind: Kind, id: &str) -> Result<Option<StoredResource>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {RESOURCE_COLUMNS} FROM resources WHERE kind = $1 AND id = $2"
        ))
        .bind(kind.as_str())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(row_resource).transpose()
    }

    /// The resources whose indexed column equals `value`: `name` (the
    /// lower-cased userName or displayName), `external_id` or `id`.
    pub async fn find(
        &self, kind: Kind, column: IndexedColumn, value: &str,
    ) -> Result<Vec<StoredResource>, StoreError> {
        let (column, value) = match column {
            IndexedColumn::Name => ("name_key", value.to_lowercase()),
            IndexedColumn::ExternalId => ("external_id", value.to_owned()),
            IndexedColumn::Id => ("id", value.to_owned()),
        };
        let rows = sqlx::query(&format!(
            "SELECT {RESOURCE_COLUMNS} FROM resources WHERE kind = $1 AND {column} = $2 ORDER BY created, id"
        ))
        .bind(kind.as_str())
        .bind(value)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row_resource).collect()
    }

    /// Every resource of `kind`, in creation order.
    pub async fn all(&self, kind: Kind) -> Result<Vec<StoredResource>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {RESOURCE_COLUMNS} FROM resources WHERE kind = $1 ORDER BY created, id"
        ))
        .bind(kind.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row_resource).collect()
    }

    /// One page of `kind` (offset from 0) and the total count.
    pub async fn page(
        &self, kind: Kind, offset: i64, limit: i64,
    ) -> Result<(Vec<StoredResource>, i64), StoreError> {
        let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM resources WHERE kind = $1")
            .bind(kind.as_str())
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        let rows = sqlx::query(&format!(
            "SELECT {RESOURCE_COLUMNS} FROM resources WHERE kind = $1 ORDER BY created, id LIMIT $2 OFFSET $3"
        ))
        .bind(kind.as_str())
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        Ok((
            rows.iter().map(row_resource).collect::<Result<_, _>>()?,
            total,
        ))
    }

    /// The provider's id for a person, as a worker recorded it.
    pub async fn account(
        &self, user_id: &str, provider: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT provider_user_id FROM accounts WHERE user_id = $1 AND provider = $2",
        )
        .bind(user_id)
        .bind(provider)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get("provider_user_id")).transpose()?)
    }

    /// The SCIM user a provider account is recorded for, if any.
    pub async fn account_holder(
        &self, provider: &str, provider_user_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT user_id FROM accounts WHERE provider = $1 AND provider_user_id = $2",
        )
        .bind(provider)
        .bind(provider_user_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get("user_id")).transpose()?)
    }

    /// The account-level facts last applied to the person's account on
    /// `provider` (see [`Store::set_applied`]).
    pub async fn applied(
        &self, user_id: &str, provider: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT applied FROM accounts WHERE user_id = $1 AND provider = $2")
            .bind(user_id)
            .bind(provider)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row
            .map(|r| r.try_get::<Option<String>, _>("applied"))
            .transpose()?
            .flatten())
    }

    /// Records the account-level facts just applied (or `None` to make the
    /// next delivery read the account again).
    pub async fn set_applied(
        &self, user_id: &str, provider: &str, applied: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE accounts SET applied = $3 WHERE user_id = $1 AND provider = $2")
            .bind(user_id)
            .bind(provider)
            .bind(applied)
            .execute(&self.worker_pool)
            .await?;
        Ok(())
    }

    /// Every recorded provider id for a person, by provider.
    pub async fn accounts_of(&self, user_id: &str) -> Result<BTreeMap<String, String>, StoreError> {
        let rows =
            sqlx::query("SELECT provider, provider_user_id FROM accounts WHERE user_id = $1")
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("provider")?, r.try_get("provider_user_id")?)))
            .collect()
    }

    /// Records (or replaces) the provider's id for a person.
    pub async fn set_account(
        &self, user_id: &str, provider: &str, provider_user_id: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_on(&self.worker_pool).await?;
        sqlx::query("DELETE FROM accounts WHERE user_id = $1 AND provider = $2")
            .bind(user_id)
            .bind(provider)
            .execute(&mut *tx.tx)
            .await?;
        sqlx::query(
            "INSERT INTO accounts (user_id, provider, provider_user_id) VALUES ($1, $2, $3)",
        )
        .bind(user_id)
        .bind(provider)
        .bind(provider_user_id)
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await
    }

    /// The tenants (by name) a worker put the person in on `provider`.
    pub async fn managed_memberships(
        &self, user_id: &str, provider: &str,
    ) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT tenant FROM managed_memberships WHERE user_id = $1 AND provider = $2 ORDER BY tenant")
            .bind(user_id)
            .bind(provider)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("tenant")?)).collect()
    }

    /// Records (`true`) or forgets (`false`) that a worker put the person
    /// in `tenant` on `provider`.
    pub async fn set_managed_membership(
        &self, user_id: &str, provider: &str, tenant: &str, present: bool,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM managed_memberships WHERE user_id = $1 AND provider = $2 AND tenant = $3",
        )
        .bind(user_id)
        .bind(provider)
        .bind(tenant)
        .execute(&self.worker_pool)
        .await?;
        if present {
            sqlx::query(
                "INSERT INTO managed_memberships (user_id, provider, tenant) VALUES ($1, $2, $3)",
            )
            .bind(user_id)
            .bind(provider)
            .bind(tenant)
            .execute(&self.worker_pool)
            .await?;
        }
        Ok(())
    }

    /// Forgets the provider's id for a person (the account was deleted).
    pub async fn forget_account(&self, user_id: &str, provider: &str) -> Result<(), StoreError> {
        for sql in [
            "DELETE FROM accounts WHERE user_id = $1 AND provider = $2",
            "DELETE FROM managed_memberships WHERE user_id = $1 AND provider = $2",
        ] {
            sqlx::query(sql)
                .bind(user_id)
                .bind(provider)
                .execute(&self.worker_pool)
                .await?;
        }
        Ok(())
    }

    /// Claims up to `limit` runnable outbox rows for `instance`, skipping
    /// `busy` providers: pending rows that are due, and rows whose claim
    /// lapsed. A row is runnable only when no earlier row of the same
    /// provider and subject is still pending or running, so one person's
    /// operations run one at a time, in order, across every worker and
    /// instance. On PostgreSQL the rows are locked with
    /// `FOR UPDATE SKIP LOCKED`, so two instances never claim one row.
    pub async fn claim(
        &self, instance: &str, limit: usize, lease_ms: i64, busy: &[String],
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let now = now_millis();
        let mut skip = String::new();
        for i in 0..busy.len() {
            skip.push_str(&format!(" AND o.provider <> ${}", i + 5));
        }
        let lock = match self.dialect {
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        let sql = format!(
            "UPDATE outbox SET state = 'running', claimed_by = $1, claimed_until = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT o.id FROM outbox o \
               WHERE o.state IN ('pending', 'running') \
               AND ((o.state = 'pending' AND o.next_attempt_at <= $3) OR (o.state = 'running' AND o.claimed_until < $3)){skip} \
               AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.provider = o.provider AND e.subject = o.subject \
                 AND e.id < o.id AND e.state IN ('pending', 'running')) \
               ORDER BY o.id LIMIT $4{lock}) \
             RETURNING id, provider, subject, payload, attempts"
        );
        let mut query = sqlx::query(&sql)
            .bind(instance)
            .bind(now + lease_ms)
            .bind(now)
            .bind(limit as i64);
        for provider in busy {
            query = query.bind(provider.as_str());
        }
        let mut tx = self.begin_on(&self.worker_pool).await?;
        let rows = query.fetch_all(&mut *tx.tx).await?;
        tx.commit().await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in rows {
            let payload: String = row.try_get("payload")?;
            let operation = serde_json::from_str(&payload)
                .map_err(|e| StoreError::new(format!("an outbox payload does not decode: {e}")))?;
            claimed.push(OutboxRow {
                id: row.try_get("id")?,
                provider: row.try_get("provider")?,
                subject: row.try_get("subject")?,
                operation,
                attempts: row.try_get("attempts")?,
            });
        }
        claimed.sort_by_key(|r| r.id);
        Ok(claimed)
    }

    /// Gives back every row `instance` claimed and did not finish (a
    /// clean stop), or, with `None`, every running row (SQLite at start:
    /// one instance owns the file, so nothing else can be running them).
    pub async fn release_claims(&self, instance: Option<&str>) -> Result<u64, StoreError> {
        let result = match instance {
            Some(instance) => {
                sqlx::query("UPDATE outbox SET state = 'pending', claimed_by = NULL, attempts = attempts - 1 WHERE state = 'running' AND claimed_by = $1")
                    .bind(instance)
                    .execute(&self.worker_pool)
                    .await?
            }
            None => {
                sqlx::query("UPDATE outbox SET state = 'pending', claimed_by = NULL WHERE state = 'running'")
                    .execute(&self.worker_pool)
                    .await?
            }
        };
        Ok(result.rows_affected())
    }

    /// Keeps `instance`'s claim on a row it is still delivering for another
    /// `lease_ms`, so a slow delivery is not taken over by another instance.
    /// `false` when the claim is no longer this instance's.
    pub async fn renew(&self, id: i64, instance: &str, lease_ms: i64) -> Result<bool, StoreError> {
        let result = sqlx::query("UPDATE outbox SET claimed_until = $3 WHERE id = $1 AND claimed_by = $2 AND state = 'running'")
            .bind(id)
            .bind(instance)
            .bind(now_millis() + lease_ms)
            .execute(&self.worker_pool)
            .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Marks a row `instance` claimed delivered, with an optional note.
    /// This and the other outcomes apply only while the claim is still
    /// `instance`'s: `false` (nothing changed) when its lease lapsed and
    /// another instance took the row over, whose outcome then stands.
    pub async fn finish(
        &self, id: i64, instance: &str, note: Option<&str>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query("UPDATE outbox SET state = 'done', note = $2, finished = $3, claimed_by = NULL WHERE id = $1 AND claimed_by = $4")
            .bind(id)
            .bind(note)
            .bind(now_millis())
            .bind(instance)
            .execute(&self.worker_pool)
            .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Puts a row `instance` claimed back for another attempt at
    /// `next_attempt_at`; `false` as for [`Store::finish`].
    pub async fn postpone(
        &self, id: i64, instance: &str, error: &str, next_attempt_at: i64,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query("UPDATE outbox SET state = 'pending', last_error = $2, next_attempt_at = $3, claimed_by = NULL WHERE id = $1 AND claimed_by = $4")
            .bind(id)
            .bind(error)
            .bind(next_attempt_at)
            .bind(instance)
            .execute(&self.worker_pool)
            .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Marks a row `instance` claimed failed (an error retrying cannot
    /// fix), unless a later operation on the same person and provider
    /// already replaces it; `false` as for [`Store::finish`].
    pub async fn fail(&self, id: i64, instance: &str, error: &str) -> Result<bool, StoreError> {
        let mut tx = self.begin_on(&self.worker_pool).await?;
        let later: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM outbox o, outbox me WHERE me.id = $1 AND o.provider = me.provider \
             AND o.subject = me.subject AND o.id > me.id",
        )
        .bind(id)
        .fetch_one(&mut *tx.tx)
        .await?
        .try_get("n")?;
        let state = if later > 0 { "superseded" } else { "failed" };
        let result = sqlx::query("UPDATE outbox SET state = $2, last_error = $3, finished = $4, claimed_by = NULL WHERE id = $1 AND claimed_by = $5")
            .bind(id)
            .bind(state)
            .bind(error)
            .bind(now_millis())
            .bind(instance)
            .execute(&mut *tx.tx)
            .await?;
        tx.commit().await?;
        Ok(result.rows_affected() == 1)
    }

    /// Puts a failed row back in the queue, now: `roster scim retry`.
    /// `false` when there is no failed row with that id.
    pub async fn retry(&self, id: i64) -> Result<bool, StoreError> {
        let result = sqlx::query("UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $2, finished = NULL WHERE id = $1 AND state = 'failed'")
            .bind(id)
            .bind(now_millis())
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Retries every failed row; how many there were.
    pub async fn retry_all_failed(&self) -> Result<u64, StoreError> {
        let result = sqlx::query("UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $1, finished = NULL WHERE state = 'failed'")
            .bind(now_millis())
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected())
    }

    /// Removes the personal data of a deleted person's delivered
    /// operations: their payloads (email, name) and notes.
    pub async fn scrub_subject(&self, provider: &str, subject: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox SET payload = $3, note = NULL, last_error = NULL WHERE provider = $1 AND subject = $2 AND state IN ('done', 'superseded', 'failed')")
            .bind(provider)
            .bind(subject)
            .bind(r#"{"op":"scrubbed"}"#)
            .execute(&self.worker_pool)
            .await?;
        Ok(())
    }

    /// Deletes delivered rows finished before `before` (the journal's
    /// retention); how many.
    pub async fn purge(&self, before: i64) -> Result<u64, StoreError> {
        let result = sqlx::query(
            "DELETE FROM outbox WHERE state IN ('done', 'superseded') AND finished < $1",
        )
        .bind(before)
        .execute(&self.worker_pool)
        .await?;
        Ok(result.rows_affected())
    }

    /// Whether any row is pending or running.
    pub async fn has_pending(&self) -> Result<bool, StoreError> {
        let n: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE state IN ('pending', 'running')")
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?;
        Ok(n > 0)
    }

    /// Every row, oldest first (for tests and `status --all`).
    pub async fn operations(&self) -> Result<Vec<OperationSummary>, StoreError> {
        let rows = sqlx::query("SELECT id, provider, subject, kind, state, attempts, last_error, note FROM outbox ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(summary).collect()
    }

    /// Every row's id and stored payload, oldest first: what the store
    /// still holds about people (audits, and the tests that check a
    /// deletion leaves nothing behind).
    pub async fn payloads(&self) -> Result<Vec<(i64, String)>, StoreError> {
        let rows = sqlx::query("SELECT id, payload FROM outbox ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("payload")?)))
            .collect()
    }

    /// Per provider: counts by state, the last error and recent notes; and
    /// the failed operations.
    pub async fn status(&self) -> Result<Status, StoreError> {
        let mut status = Status::default();
        let rows = sqlx::query(
            "SELECT provider, state, COUNT(*) AS n FROM outbox GROUP BY provider, state",
        )
        .fetch_all(&self.pool)
        .await?;
        for row in rows {
            let provider: String = row.try_get("provider")?;
            let state: String = row.try_get("state")?;
            let n: i64 = row.try_get("n")?;
            let entry = status.providers.entry(provider).or_default();
            match state.as_str() {
                "pending" | "running" => entry.pending += n,
                "done" => entry.done += n,
                "failed" => entry.failed += n,
                _ => entry.superseded += n,
            }
        }
        let names: Vec<String> = status.providers.keys().cloned().collect();
        for provider in names {
            let last = sqlx::query("SELECT id, last_error FROM outbox WHERE provider = $1 AND last_error IS NOT NULL ORDER BY id DESC LIMIT 1")
                .bind(&provider)
                .fetch_optional(&self.pool)
                .await?;
            let notes = sqlx::query("SELECT note FROM outbox WHERE provider = $1 AND note IS NOT NULL ORDER BY id DESC LIMIT 200")
                .bind(&provider)
                .fetch_all(&self.pool)
                .await?;
            let entry = status.providers.entry(provider).or_default();
            if let Some(row) = last {
                entry.last_error = Some((row.try_get("id")?, row.try_get("last_error")?));
            }
            for row in notes {
                let note: String = row.try_get("note")?;
                if !entry.notes.contains(&note) && entry.notes.len() < 10 {
                    entry.notes.push(note);
                }
            }
        }
        let failed = sqlx::query("SELECT id, provider, subject, kind, state, attempts, last_error, note FROM outbox WHERE state = 'failed' ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        status.failed = failed.iter().map(summary).collect::<Result<_, _>>()?;
        Ok(status)
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.worker_pool.close().await;
        self.pool.close().await;
    }
}

fn summary(row: &AnyRow) -> Result<OperationSummary, StoreError> {
    Ok(OperationSummary {
        id: row.try_get("id")?,
        provider: row.try_get("provider")?,
        subject: row.try_get("subject")?,
        kind: row.try_get("kind")?,
        state: row.try_get("state")?,
        attempts: row.try_get("attempts")?,
        last_error: row.try_get("last_error")?,
        note: row.try_get("note")?,
    })
}

/// The PostgreSQL advisory lock key every write transaction takes (an
/// arbitrary constant: "roster-scim" squeezed into 63 bits).
const WRITE_LOCK_KEY: i64 = 0x726f_7374_6572_5343;

/// The columns a lookup can use an index for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexedColumn {
    /// `userName` (Users) or `displayName` (Groups), ignoring case.
    Name,
    /// `externalId`, exactly.
    ExternalId,
    /// `id`, exactly.
    Id,
}

/// A write transaction: a SCIM request's resource changes and the outbox
/// rows they cause, committed together.
pub struct Tx {
    tx: Transaction<'static, Any>,
    dialect: Dialect,
}

impl fmt::Debug for Tx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tx")
            .field("dialect", &self.dialect)
            .finish_non_exhaustive()
    }
}

impl Tx {
    /// Reads a resource inside the transaction.
    pub async fn get(
        &mut self, kind: Kind, id: &str,
    ) -> Result<Option<StoredResource>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {RESOURCE_COLUMNS} FROM resources WHERE kind = $1 AND id = $2"
        ))
        .bind(kind.as_str())
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.as_ref().map(row_resource).transpose()
    }

    /// The id of the resource of `kind` named `name` (ignoring case), if any.
    pub async fn id_by_name(
        &mut self, kind: Kind, name: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT id FROM resources WHERE kind = $1 AND name_key = $2")
            .bind(kind.as_str())
            .bind(name.to_lowercase())
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(row.map(|r| r.try_get("id")).transpose()?)
    }

    /// The id of a resource of `kind` with this `externalId` (exactly), if any.
    pub async fn id_by_external_id(
        &mut self, kind: Kind, external_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT id FROM resources WHERE kind = $1 AND external_id = $2")
            .bind(kind.as_str())
            .bind(external_id)
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(row.map(|r| r.try_get("id")).transpose()?)
    }

    /// Inserts or replaces a resource (the caller bumped the version).
    pub async fn put(
        &mut self, resource: &StoredResource, name: &str, external_id: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM resources WHERE id = $1")
            .bind(&resource.id)
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("INSERT INTO resources (id, kind, name_key, external_id, version, body, created, modified) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&resource.id)
            .bind(resource.kind.as_str())
            .bind(name.to_lowercase())
            .bind(external_id)
            .bind(resource.version)
            .bind(Value::Object(resource.body.clone()).to_string())
            .bind(resource.created)
            .bind(resource.modified)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Deletes a resource, its group memberships and (for a person) the
    /// provider ids.
    pub async fn delete(&mut self, id: &str) -> Result<(), StoreError> {
        for sql in [
            "DELETE FROM resources WHERE id = $1",
            "DELETE FROM group_members WHERE group_id = $1 OR user_id = $1",
        ] {
            sqlx::query(sql).bind(id).execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Sets a group's members.
    pub async fn set_members(
        &mut self, group_id: &str, members: &[String],
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM group_members WHERE group_id = $1")
            .bind(group_id)
            .execute(&mut *self.tx)
            .await?;
        for member in members {
            sqlx::query("INSERT INTO group_members (group_id, user_id) VALUES ($1, $2)")
                .bind(group_id)
                .bind(member)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    /// The groups a person is in, by id.
    pub async fn group_ids_of(&mut self, user_id: &str) -> Result<Vec<String>, StoreError> {
        let rows =
            sqlx::query("SELECT group_id FROM group_members WHERE user_id = $1 ORDER BY group_id")
                .bind(user_id)
                .fetch_all(&mut *self.tx)
                .await?;
        rows.iter().map(|r| Ok(r.try_get("group_id")?)).collect()
    }

    /// The members of a group.
    pub async fn members(&mut self, group_id: &str) -> Result<Vec<String>, StoreError> {
        let rows =
            sqlx::query("SELECT user_id FROM group_members WHERE group_id = $1 ORDER BY user_id")
                .bind(group_id)
                .fetch_all(&mut *self.tx)
                .await?;
        rows.iter().map(|r| Ok(r.try_get("user_id")?)).collect()
    }

    /// The `displayName`s of the groups a person is in.
    pub async fn groups_of(&mut self, user_id: &str) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT r.body FROM group_members m JOIN resources r ON r.id = m.group_id WHERE m.user_id = $1 ORDER BY r.created, r.id")
            .bind(user_id)
            .fetch_all(&mut *self.tx)
            .await?;
        let mut names = Vec::new();
        for row in rows {
            let body: String = row.try_get("body")?;
            if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&body)
                && let Ok(facts) = crate::resource::group_facts(&map)
            {
                names.push(facts.display_name);
            }
        }
        Ok(names)
    }

    /// The ids among `ids` that are not stored Users.
    pub async fn missing_users(&mut self, ids: &[String]) -> Result<Vec<String>, StoreError> {
        let mut missing = Vec::new();
        for id in ids {
            let row = sqlx::query("SELECT id FROM resources WHERE kind = 'User' AND id = $1")
                .bind(id)
                .fetch_optional(&mut *self.tx)
                .await?;
            if row.is_none() {
                missing.push(id.clone());
            }
        }
        Ok(missing)
    }

    /// Appends an operation to the outbox. An earlier failed operation on
    /// the same person and provider is superseded: every operation carries
    /// the whole desired state, so the new one does what the old one could
    /// not.
    pub async fn enqueue(
        &mut self, provider: &str, operation: &Operation,
    ) -> Result<(), StoreError> {
        let now = now_millis();
        let subject = operation.subject();
        sqlx::query("UPDATE outbox SET state = 'superseded' WHERE provider = $1 AND subject = $2 AND state = 'failed'")
            .bind(provider)
            .bind(&subject)
            .execute(&mut *self.tx)
            .await?;
        let payload = serde_json::to_string(operation)
            .map_err(|e| StoreError::new(format!("encoding an operation: {e}")))?;
        sqlx::query("INSERT INTO outbox (provider, subject, kind, payload, state, attempts, next_attempt_at, created) VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)")
            .bind(provider)
            .bind(&subject)
            .bind(operation.kind())
            .bind(payload)
            .bind(now)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Forgets every provider id of a person.
    pub async fn forget_accounts(&mut self, user_id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM accounts WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Commits.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}
