-- Resources as the IdP sent them (normalized), one row per SCIM id.
CREATE TABLE resources (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    -- userName (Users) or displayName (Groups), lower-cased: unique per kind.
    name_key TEXT NOT NULL,
    external_id TEXT,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    created BIGINT NOT NULL,
    modified BIGINT NOT NULL
);
CREATE UNIQUE INDEX resources_name ON resources (kind, name_key);
CREATE INDEX resources_external ON resources (kind, external_id);
CREATE INDEX resources_order ON resources (kind, created, id);

CREATE TABLE group_members (
    group_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

-- Each provider's own id for a person.
CREATE TABLE accounts (
    user_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    provider_user_id TEXT NOT NULL,
    -- The account-level facts (email, name, status, role) last applied,
    -- so a membership-only change need not read the account first.
    applied TEXT,
    PRIMARY KEY (user_id, provider)
);
-- One provider account belongs to one SCIM user at most.
CREATE UNIQUE INDEX accounts_provider_account ON accounts (provider, provider_user_id);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_by TEXT,
    claimed_until BIGINT,
    last_error TEXT,
    note TEXT,
    created BIGINT NOT NULL,
    finished BIGINT
);
-- Only open rows: a claim walks them in acceptance order without visiting
-- the delivered ones.
CREATE INDEX outbox_open ON outbox (id) WHERE state IN ('pending', 'running');
CREATE INDEX outbox_subject ON outbox (provider, subject, id);

-- The memberships the workers made, by tenant name: with the tenants the
-- config maps, the only ones a membership is ever removed from.
CREATE TABLE managed_memberships (
    user_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    tenant TEXT NOT NULL,
    PRIMARY KEY (user_id, provider, tenant)
);
