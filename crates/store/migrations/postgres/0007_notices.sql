-- A person's share of a day's reminders and escalations, waiting to be delivered as one mail and
-- one notification per person and day (issue 10). The sweep writes them in short steps; delivery
-- takes (deletes) a person's rows in the same transaction that queues the mail, so each row is
-- delivered once. The reminder rows, the audit log and the notification keep the record.
CREATE TABLE notices (
    id         BIGSERIAL PRIMARY KEY,
    day        DATE NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    dedupe_key TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    link       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX notices_day_user ON notices(day, user_id);

-- How many more items a person's day holds beyond the notices kept in full (a day's message
-- lists the first few and counts the rest).
CREATE TABLE notice_overflow (
    day     DATE NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    extra   BIGINT NOT NULL,
    PRIMARY KEY (day, user_id)
);

-- Each escalation of an overdue feedback item happens once (the unit on the first day, its
-- leaders after five, the standing agency after ten); this is the record that it happened.
-- (Before, the key of its mail job was the record.)
CREATE TABLE feedback_escalations (
    id          BIGSERIAL PRIMARY KEY,
    feedback_id BIGINT NOT NULL REFERENCES feedback_items(id),
    kind        TEXT NOT NULL,
    sent_on     DATE NOT NULL,
    dedupe_key  TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX feedback_escalations_item ON feedback_escalations(feedback_id);
