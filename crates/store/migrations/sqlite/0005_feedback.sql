-- Feedback, recommendations and initiatives from citizens, businesses and scientists.

CREATE TABLE feedback_categories (
    code     TEXT PRIMARY KEY,
    name_vi  TEXT NOT NULL,
    name_en  TEXT NOT NULL,
    name_fr  TEXT NOT NULL,
    position INTEGER NOT NULL
);

-- Routing rules are data; a changed rule is retired, never deleted, so history stays readable.
CREATE TABLE feedback_routes (
    id             INTEGER PRIMARY KEY,
    category       TEXT,
    unit_id        BIGINT REFERENCES org_units(id),
    target_unit_id BIGINT NOT NULL REFERENCES org_units(id),
    created_at     TEXT NOT NULL,
    retired_at     TEXT
);

-- One row per day: the day's sequence for tracking codes.
CREATE TABLE feedback_counters (
    day TEXT PRIMARY KEY,
    n   INTEGER NOT NULL
);

CREATE TABLE feedback_items (
    id                INTEGER PRIMARY KEY,
    code              TEXT NOT NULL UNIQUE,
    secret_hash       TEXT NOT NULL,
    kind              TEXT NOT NULL,
    category          TEXT NOT NULL,
    title             TEXT NOT NULL,
    body              TEXT NOT NULL,
    -- What the public sees: a moderator may edit or hide it; the original above is kept.
    public_title      TEXT NOT NULL,
    public_body       TEXT NOT NULL,
    hidden            BOOLEAN NOT NULL DEFAULT FALSE,
    moderation_note   TEXT,
    concerned_unit_id BIGINT REFERENCES org_units(id),
    unit_id           BIGINT NOT NULL REFERENCES org_units(id),
    state             TEXT NOT NULL,
    before_wait       TEXT,
    submitter_kind    TEXT NOT NULL,
    name              TEXT,
    email             TEXT,
    phone             TEXT,
    publish_name      BOOLEAN NOT NULL DEFAULT FALSE,
    user_id           BIGINT REFERENCES users(id),
    submitted_at      TEXT NOT NULL,
    submitted_on      TEXT NOT NULL,
    -- The answer clock: from this day (the submission, or an appeal), working days allowed, and
    -- what stopped or extended it.
    clock_from        TEXT NOT NULL,
    allowed_days      INTEGER NOT NULL,
    extension_days    INTEGER NOT NULL DEFAULT 0,
    extensions        INTEGER NOT NULL DEFAULT 0,
    paused_days       INTEGER NOT NULL DEFAULT 0,
    paused_since      TEXT,
    deadline_on       TEXT,
    answer            TEXT,
    answered_on       TEXT,
    closed_on         TEXT,
    rating            INTEGER,
    rating_comment    TEXT,
    rated_on          TEXT,
    appeal_of         BIGINT REFERENCES feedback_items(id),
    merged_into       BIGINT REFERENCES feedback_items(id),
    supports          INTEGER NOT NULL DEFAULT 0,
    -- Initiatives and recommendations: the unit's decision (adopted, adopted_in_part, declined),
    -- published with its reason, and the task it became.
    decision          TEXT,
    decision_reason   TEXT,
    decided_on        TEXT,
    task_id           BIGINT REFERENCES tasks(id)
);
CREATE INDEX feedback_inbox ON feedback_items(unit_id, state, submitted_on);
CREATE INDEX feedback_day ON feedback_items(submitted_on);
CREATE INDEX feedback_email ON feedback_items(email);

-- The history of each item: every move, who made it, and whether the submitter sees it.
CREATE TABLE feedback_events (
    id            INTEGER PRIMARY KEY,
    item_id       BIGINT NOT NULL REFERENCES feedback_items(id),
    at            TEXT NOT NULL,
    action        TEXT NOT NULL,
    from_state    TEXT,
    to_state      TEXT NOT NULL,
    from_unit     BIGINT,
    to_unit       BIGINT,
    actor_user_id BIGINT REFERENCES users(id),
    note          TEXT,
    public        BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX feedback_events_item ON feedback_events(item_id);

CREATE TABLE feedback_files (
    id           INTEGER PRIMARY KEY,
    item_id      BIGINT NOT NULL REFERENCES feedback_items(id),
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    stored_as    TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX feedback_files_item ON feedback_files(item_id);

CREATE TABLE feedback_supports (
    item_id    BIGINT NOT NULL REFERENCES feedback_items(id),
    supporter  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (item_id, supporter)
);

-- Public holidays and official days off (and make-up working days), editable.
CREATE TABLE holidays (
    day     TEXT PRIMARY KEY,
    kind    TEXT NOT NULL,
    name_vi TEXT NOT NULL
);

-- The sheet reviewers score initiatives on (configurable); each criterion 1 to 5, weighted.
CREATE TABLE review_criteria (
    code     TEXT PRIMARY KEY,
    name_vi  TEXT NOT NULL,
    name_en  TEXT NOT NULL,
    name_fr  TEXT NOT NULL,
    weight   INTEGER NOT NULL,
    position INTEGER NOT NULL
);

CREATE TABLE feedback_reviews (
    id          INTEGER PRIMARY KEY,
    item_id     BIGINT NOT NULL REFERENCES feedback_items(id),
    reviewer_id BIGINT NOT NULL REFERENCES users(id),
    scores      TEXT NOT NULL,
    total       INTEGER NOT NULL,
    comment     TEXT,
    created_at  TEXT NOT NULL,
    UNIQUE (item_id, reviewer_id)
);

-- A task created from an adopted initiative points back at it.
ALTER TABLE tasks ADD COLUMN source_feedback_id BIGINT REFERENCES feedback_items(id);

-- Bumped in every transaction that changes an item, for the exact statistics cache.
CREATE TABLE feedback_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    v  BIGINT NOT NULL
);
INSERT INTO feedback_version (id, v) VALUES (1, 0);
CREATE TRIGGER feedback_ins AFTER INSERT ON feedback_items BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER feedback_upd AFTER UPDATE ON feedback_items BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER feedback_del AFTER DELETE ON feedback_items BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
