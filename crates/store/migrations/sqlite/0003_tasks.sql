-- Task monitoring: documents, programmes, task groups, tasks and their per-unit assignments.
CREATE TABLE documents (
    id         INTEGER PRIMARY KEY,
    number     TEXT NOT NULL UNIQUE,
    doc_type   TEXT NOT NULL,
    issuer     TEXT,
    issued_on  TEXT,
    title      TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE programmes (
    id                       INTEGER PRIMARY KEY,
    code                     TEXT NOT NULL UNIQUE,
    name                     TEXT NOT NULL,
    document_id              BIGINT REFERENCES documents(id),
    implements_id            BIGINT REFERENCES programmes(id),
    owner_unit_id            BIGINT NOT NULL REFERENCES org_units(id),
    extension_counts_on_time BOOLEAN NOT NULL DEFAULT TRUE,
    stale_after_days         INTEGER NOT NULL DEFAULT 30,
    created_at               TEXT NOT NULL
);

CREATE TABLE task_groups (
    id           INTEGER PRIMARY KEY,
    programme_id BIGINT NOT NULL REFERENCES programmes(id),
    code         TEXT NOT NULL,
    title        TEXT NOT NULL,
    position     INTEGER NOT NULL,
    UNIQUE (programme_id, code)
);

CREATE TABLE tasks (
    id                INTEGER PRIMARY KEY,
    programme_id      BIGINT NOT NULL REFERENCES programmes(id),
    group_id          BIGINT REFERENCES task_groups(id),
    code              TEXT NOT NULL,
    title             TEXT NOT NULL,
    result_text       TEXT,
    deadline_text     TEXT NOT NULL,
    deadline_json     TEXT NOT NULL,
    due_on            TEXT,
    visibility        TEXT NOT NULL DEFAULT 'public',
    lead_text         TEXT,
    coordinating_text TEXT,
    created_at        TEXT NOT NULL,
    UNIQUE (programme_id, code)
);

CREATE TABLE assignments (
    id                    INTEGER PRIMARY KEY,
    task_id               BIGINT NOT NULL REFERENCES tasks(id),
    unit_id               BIGINT NOT NULL REFERENCES org_units(id),
    is_lead               BOOLEAN NOT NULL,
    assigned_on           TEXT NOT NULL,
    original_due          TEXT,
    extension_due         TEXT,
    extension_approved_on TEXT,
    claimed_on            TEXT,
    verified_on           TEXT,
    cancelled_on          TEXT,
    last_report_on        TEXT,
    last_percent          INTEGER,
    UNIQUE (task_id, unit_id)
);
CREATE INDEX assignments_unit ON assignments(unit_id);
CREATE INDEX assignments_due ON assignments(original_due);

-- Progress reports are never overwritten: each one is a row.
CREATE TABLE reports (
    id                INTEGER PRIMARY KEY,
    assignment_id     BIGINT NOT NULL REFERENCES assignments(id),
    reported_on       TEXT NOT NULL,
    percent           INTEGER NOT NULL CHECK (percent BETWEEN 0 AND 100),
    narrative         TEXT NOT NULL,
    results           TEXT,
    difficulties      TEXT,
    needs_steering    BOOLEAN NOT NULL DEFAULT FALSE,
    proposals         TEXT,
    claims_completion BOOLEAN NOT NULL DEFAULT FALSE,
    author_user_id    BIGINT NOT NULL REFERENCES users(id),
    created_at        TEXT NOT NULL
);
CREATE INDEX reports_assignment ON reports(assignment_id, reported_on);

-- Decisions of the assigning level on completion claims.
CREATE TABLE verifications (
    id             INTEGER PRIMARY KEY,
    assignment_id  BIGINT NOT NULL REFERENCES assignments(id),
    report_id      BIGINT NOT NULL REFERENCES reports(id),
    approved       BOOLEAN NOT NULL,
    comment        TEXT,
    decided_on     TEXT NOT NULL,
    decided_by     BIGINT NOT NULL REFERENCES users(id),
    created_at     TEXT NOT NULL
);
CREATE INDEX verifications_assignment ON verifications(assignment_id);

-- Deadline extensions: requested by the assigned unit, decided by the assigning level. The original
-- deadline stays on the assignment; an approved extension is recorded beside it.
CREATE TABLE extensions (
    id            INTEGER PRIMARY KEY,
    assignment_id BIGINT NOT NULL REFERENCES assignments(id),
    requested_due TEXT NOT NULL,
    reason        TEXT NOT NULL,
    requested_by  BIGINT NOT NULL REFERENCES users(id),
    requested_on  TEXT NOT NULL,
    approved      BOOLEAN,
    decided_by    BIGINT REFERENCES users(id),
    decided_on    TEXT,
    comment       TEXT
);
CREATE INDEX extensions_assignment ON extensions(assignment_id);
