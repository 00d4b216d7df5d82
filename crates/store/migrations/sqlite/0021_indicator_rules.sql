-- Indicators (issue 13), continued. Validation rules of a set: an expression over the set's
-- values in DHIS2's shape ('#{CODE} <= #{OTHER}'), a missing-value strategy and an importance
-- (blocking refuses the values, warning asks to confirm them).
CREATE TABLE indicator_rules (
    id          INTEGER PRIMARY KEY,
    set_id      BIGINT NOT NULL REFERENCES indicator_sets(id),
    code        TEXT NOT NULL,
    name_vi     TEXT NOT NULL,
    name_en     TEXT NOT NULL DEFAULT '',
    name_fr     TEXT NOT NULL DEFAULT '',
    expression  TEXT NOT NULL,
    missing     TEXT NOT NULL,
    importance  TEXT NOT NULL,
    created_by  BIGINT REFERENCES users(id),
    created_at  TEXT NOT NULL,
    UNIQUE (set_id, code)
);

-- Early warnings about indicators sent by the daily sweep (late data, off-track figures), one
-- row per key, so that a sweep run twice or resumed sends each once.
CREATE TABLE indicator_alerts (
    id          INTEGER PRIMARY KEY,
    dedupe_key  TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    unit_id     BIGINT NOT NULL,
    sent_on     TEXT NOT NULL,
    recipients  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
