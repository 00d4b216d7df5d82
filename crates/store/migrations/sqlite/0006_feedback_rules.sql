-- Answers held for the unit leader's approval, per-unit feedback settings, the deadline rules per
-- kind of item, and supports confirmed by email.

ALTER TABLE feedback_items ADD COLUMN draft_answer TEXT;
-- When a moderator last reviewed the public text; published items not yet reviewed form the queue.
ALTER TABLE feedback_items ADD COLUMN moderated_on TEXT;

CREATE TABLE feedback_unit_settings (
    unit_id         BIGINT PRIMARY KEY REFERENCES org_units(id),
    approve_answers BOOLEAN NOT NULL,
    updated_at      TEXT NOT NULL
);

-- Working days to accept and to answer, days to appeal, and whether a transfer restarts the
-- answer clock at the receiving unit ('restart') or lets it run on ('continue'). Editable.
CREATE TABLE feedback_kind_rules (
    kind           TEXT PRIMARY KEY,
    accept_days    INTEGER NOT NULL,
    answer_days    INTEGER NOT NULL,
    appeal_days    INTEGER NOT NULL,
    transfer_clock TEXT NOT NULL
);
INSERT INTO feedback_kind_rules (kind, accept_days, answer_days, appeal_days, transfer_clock) VALUES
    ('report', 3, 15, 30, 'restart'),
    ('recommendation', 3, 15, 30, 'restart'),
    ('initiative', 5, 30, 30, 'restart');

-- A support from someone without an account counts once they open the link mailed to them.
CREATE TABLE feedback_support_requests (
    token_hash   TEXT PRIMARY KEY,
    item_id      BIGINT NOT NULL REFERENCES feedback_items(id),
    email_hash   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    confirmed_at TEXT
);

-- The inbox lists a unit's open items by deadline (most urgent first), then those waiting for the
-- sender, then the finished ones; the index follows that order so a page reads only its rows.
CREATE INDEX feedback_urgent ON feedback_items (
    unit_id,
    (CASE WHEN state IN ('declined', 'answered', 'closed', 'merged') THEN 2 WHEN deadline_on IS NULL THEN 1 ELSE 0 END),
    deadline_on,
    id
);
-- The public list shows the latest answers first.
CREATE INDEX feedback_answered ON feedback_items (answered_on, id);

-- Self-made public accounts (role citizen): the account exists once the mailed link is opened.
CREATE TABLE registrations (
    token_hash    TEXT PRIMARY KEY,
    username      TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    confirmed_at  TEXT
);
