-- One-time tokens of sent forms (issue 11): a form sent twice (a refresh, a double click, a
-- client retrying after a lost answer) finds the item that its first sending stored instead of
-- storing another. Only the SHA-256 of the token is kept.
CREATE TABLE form_submissions (
    token_hash TEXT PRIMARY KEY,
    item_id    BIGINT NOT NULL REFERENCES feedback_items(id),
    created_at TIMESTAMPTZ NOT NULL
);
