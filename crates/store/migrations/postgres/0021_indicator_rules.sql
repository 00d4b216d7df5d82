-- Validation rules of an indicator set (issue 13): an expression over the set's values in
-- DHIS2's shape ('#{CODE} <= #{OTHER}'), a missing-value strategy and an importance
-- (blocking refuses the values, warning asks to confirm them).
CREATE TABLE indicator_rules (
    id          BIGSERIAL PRIMARY KEY,
    set_id      BIGINT NOT NULL REFERENCES indicator_sets(id),
    code        TEXT NOT NULL,
    name_vi     TEXT NOT NULL,
    name_en     TEXT NOT NULL DEFAULT '',
    name_fr     TEXT NOT NULL DEFAULT '',
    expression  TEXT NOT NULL,
    missing     TEXT NOT NULL,
    importance  TEXT NOT NULL,
    created_by  BIGINT REFERENCES users(id),
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (set_id, code)
);
