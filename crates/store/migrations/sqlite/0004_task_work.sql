-- Task monitoring, second part: cascading, proposals, mergers, evidence, reminders and the job runner.

-- A province cascades its assignment to communes: the children point at it, and roll up into it.
ALTER TABLE assignments ADD COLUMN parent_id BIGINT REFERENCES assignments(id);
-- The unit that held the assignment before a merger handed it to its successor.
ALTER TABLE assignments ADD COLUMN handed_over_from BIGINT REFERENCES org_units(id);
-- Set when a merger hands the work to a successor that already held the same task.
ALTER TABLE assignments ADD COLUMN superseded_on TEXT;
CREATE INDEX assignments_parent ON assignments(parent_id);

-- 'active', or 'proposed' by a unit until the assigning level approves it ('declined' if refused).
ALTER TABLE tasks ADD COLUMN state TEXT NOT NULL DEFAULT 'active';
ALTER TABLE tasks ADD COLUMN proposed_by BIGINT REFERENCES org_units(id);
ALTER TABLE tasks ADD COLUMN description TEXT;
ALTER TABLE tasks ADD COLUMN priority TEXT NOT NULL DEFAULT 'normal';
-- Reporting period of ongoing and recurring tasks; NULL: the programme's.
ALTER TABLE tasks ADD COLUMN period TEXT;

ALTER TABLE programmes ADD COLUMN reporting_period TEXT NOT NULL DEFAULT 'quarterly';
-- Reminder schedule: days before the deadline, then every N days once overdue.
ALTER TABLE programmes ADD COLUMN remind_before TEXT NOT NULL DEFAULT '14,3';
ALTER TABLE programmes ADD COLUMN remind_overdue_every INTEGER NOT NULL DEFAULT 7;
-- Days overdue before the unit's leader, then the assigning level, are told.
ALTER TABLE programmes ADD COLUMN escalate_leader_after INTEGER NOT NULL DEFAULT 7;
ALTER TABLE programmes ADD COLUMN escalate_assigner_after INTEGER NOT NULL DEFAULT 21;
-- How assignments roll up to their task or parent: 'share' completed, or 'weighted' by percent.
ALTER TABLE programmes ADD COLUMN rollup TEXT NOT NULL DEFAULT 'share';

CREATE TABLE evidence (
    id           INTEGER PRIMARY KEY,
    report_id    BIGINT NOT NULL REFERENCES reports(id),
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    -- Path under the data directory; the content is addressed by its checksum.
    stored_as    TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX evidence_report ON evidence(report_id);

CREATE TABLE comments (
    id             INTEGER PRIMARY KEY,
    task_id        BIGINT NOT NULL REFERENCES tasks(id),
    author_user_id BIGINT NOT NULL REFERENCES users(id),
    body           TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX comments_task ON comments(task_id);

-- Background jobs. The dedupe key makes enqueueing idempotent; a job is claimed by setting
-- locked_until, so several instances never run the same job at once.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    dedupe_key   TEXT NOT NULL UNIQUE,
    payload      TEXT NOT NULL,
    run_after    TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending',
    attempts     INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    last_error   TEXT,
    created_at   TEXT NOT NULL,
    done_at      TEXT
);
CREATE INDEX jobs_pending ON jobs(state, run_after);

-- Every reminder and escalation sent, visible on the task.
CREATE TABLE reminders (
    id            INTEGER PRIMARY KEY,
    assignment_id BIGINT NOT NULL REFERENCES assignments(id),
    kind          TEXT NOT NULL,
    sent_on       TEXT NOT NULL,
    dedupe_key    TEXT NOT NULL UNIQUE,
    recipients    TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX reminders_assignment ON reminders(assignment_id);

CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    link       TEXT,
    created_at TEXT NOT NULL,
    read_at    TEXT
);
CREATE INDEX notifications_user ON notifications(user_id, read_at);

-- Bumped by triggers on every change to tasks, assignments and reports, in the writer's own
-- transaction: the in-memory read cache of overviews and worklists compares it on each request,
-- so nothing it serves is ever older than the last committed write.
CREATE TABLE task_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    v  BIGINT NOT NULL
);
INSERT INTO task_version (id, v) VALUES (1, 0);
CREATE TRIGGER tasks_ins AFTER INSERT ON tasks BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER tasks_upd AFTER UPDATE ON tasks BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER tasks_del AFTER DELETE ON tasks BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER assignments_ins AFTER INSERT ON assignments BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER assignments_upd AFTER UPDATE ON assignments BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER assignments_del AFTER DELETE ON assignments BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER reports_ins AFTER INSERT ON reports BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER reports_upd AFTER UPDATE ON reports BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER reports_del AFTER DELETE ON reports BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
