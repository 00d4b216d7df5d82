-- Organisation units, their closure (ancestor/descendant pairs) and merge links.
CREATE TABLE org_units (
    id          INTEGER PRIMARY KEY,
    code        TEXT,
    kind        TEXT NOT NULL,
    name_vi     TEXT NOT NULL,
    name_en     TEXT,
    name_fr     TEXT,
    search_key  TEXT NOT NULL,
    parent_id   BIGINT REFERENCES org_units(id),
    depth       INTEGER NOT NULL,
    valid_from  TEXT,
    valid_to    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
-- Codes are unique among units in force; historical units keep the code they had.
CREATE UNIQUE INDEX org_units_code_current ON org_units(code) WHERE code IS NOT NULL AND valid_to IS NULL;
CREATE INDEX org_units_parent ON org_units(parent_id, name_vi);
CREATE INDEX org_units_kind ON org_units(kind, name_vi);

CREATE TABLE org_closure (
    ancestor_id   BIGINT NOT NULL REFERENCES org_units(id),
    descendant_id BIGINT NOT NULL REFERENCES org_units(id),
    depth         INTEGER NOT NULL,
    PRIMARY KEY (ancestor_id, descendant_id)
);
CREATE INDEX org_closure_descendant ON org_closure(descendant_id, depth);

CREATE TABLE org_links (
    predecessor_id BIGINT NOT NULL REFERENCES org_units(id),
    successor_id   BIGINT NOT NULL REFERENCES org_units(id),
    merge_type     TEXT NOT NULL CHECK (merge_type IN ('full', 'partial')),
    effective      TEXT NOT NULL,
    PRIMARY KEY (predecessor_id, successor_id)
);
CREATE INDEX org_links_successor ON org_links(successor_id);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    email         TEXT,
    unit_id       BIGINT NOT NULL REFERENCES org_units(id),
    role          TEXT NOT NULL,
    password_hash TEXT,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX users_unit ON users(unit_id);

-- Only a hash of the session id is stored: a database leak does not hand out sessions.
CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users(id),
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    role         TEXT NOT NULL,
    unit_id      BIGINT NOT NULL REFERENCES org_units(id),
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT,
    last_used_at TEXT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

-- Hash-chained audit trail; `at`, `before_json` and `after_json` are text because they are hashed as stored.
CREATE TABLE audit_log (
    seq          BIGINT PRIMARY KEY,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    actor_user_id BIGINT,
    actor_token_id BIGINT,
    action       TEXT NOT NULL,
    object_type  TEXT NOT NULL,
    object_id    TEXT NOT NULL,
    before_json  TEXT,
    after_json   TEXT,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX audit_log_object ON audit_log(object_type, object_id);
CREATE INDEX audit_log_action ON audit_log(action, seq);
CREATE INDEX audit_log_actor ON audit_log(actor_user_id, seq);

-- One row: the chain head. Updating it serialises concurrent appends (a row lock on PostgreSQL).
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
