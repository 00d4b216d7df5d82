-- One-time tokens of progress report forms (issue 11): a report sent twice (a refresh, a double
-- click, a client retrying after a lost answer) answers the report its first sending stored
-- instead of storing another. The token's row is written first, in the report's transaction, so
-- that of two sendings at once the second waits for the first and then finds its report. Only the
-- SHA-256 of the token is kept.
CREATE TABLE report_form_tokens (
    token_hash TEXT PRIMARY KEY,
    report_id  BIGINT REFERENCES reports(id),
    created_at TIMESTAMPTZ NOT NULL
);
