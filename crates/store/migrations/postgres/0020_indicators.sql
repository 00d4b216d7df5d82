-- Indicators and targets (issue 13): sets of indicators, their definitions with every earlier
-- version kept, targets per unit and period, values per unit × period × disaggregation with the
-- values they replaced, and the submission of a set's values by a unit for a period.
CREATE TABLE indicator_sets (
    id            BIGSERIAL PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    name_vi       TEXT NOT NULL,
    name_en       TEXT NOT NULL DEFAULT '',
    name_fr       TEXT NOT NULL DEFAULT '',
    programme_id  BIGINT REFERENCES programmes(id),
    owner_unit_id BIGINT NOT NULL REFERENCES org_units(id),
    period_type   TEXT NOT NULL,
    -- Days after a period ends until its values are late.
    entry_days    INTEGER NOT NULL DEFAULT 10,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE indicators (
    id                  BIGSERIAL PRIMARY KEY,
    set_id              BIGINT NOT NULL REFERENCES indicator_sets(id),
    -- Unique across sets: the DHIS2 API names data elements by it.
    code                TEXT NOT NULL UNIQUE,
    -- The number printed in the source document, e.g. '11.1'.
    number              TEXT NOT NULL DEFAULT '',
    position            INTEGER NOT NULL,
    parent_id           BIGINT REFERENCES indicators(id),
    name_vi             TEXT NOT NULL,
    name_en             TEXT NOT NULL DEFAULT '',
    name_fr             TEXT NOT NULL DEFAULT '',
    definition          TEXT NOT NULL DEFAULT '',
    method              TEXT NOT NULL DEFAULT '',
    source              TEXT NOT NULL DEFAULT '',
    unit_of_measure     TEXT NOT NULL DEFAULT '',
    value_type          TEXT NOT NULL,
    direction           TEXT NOT NULL,
    aggregation         TEXT NOT NULL,
    -- Labels of the breakdown, '|'-separated (e.g. 'Đông Nam Á|Thế giới'); '' when none.
    disaggregations     TEXT NOT NULL DEFAULT '',
    responsible_unit_id BIGINT REFERENCES org_units(id),
    responsible_text    TEXT NOT NULL DEFAULT '',
    is_public           BOOLEAN NOT NULL DEFAULT TRUE,
    revision            INTEGER NOT NULL DEFAULT 1,
    updated_at          TIMESTAMPTZ NOT NULL);
CREATE INDEX indicators_set ON indicators(set_id, position);

-- Each definition as it was: one row per revision, the current one included.
CREATE TABLE indicator_revisions (
    indicator_id BIGINT NOT NULL REFERENCES indicators(id),
    revision     INTEGER NOT NULL,
    definition   TEXT NOT NULL,
    changed_at   TIMESTAMPTZ NOT NULL,
    changed_by   BIGINT REFERENCES users(id),
    PRIMARY KEY (indicator_id, revision)
);

CREATE TABLE indicator_tasks (
    indicator_id BIGINT NOT NULL REFERENCES indicators(id),
    task_id      BIGINT NOT NULL REFERENCES tasks(id),
    PRIMARY KEY (indicator_id, task_id)
);

-- kind: baseline, target (a figure to reach by the period) or milestone (words, no figure).
CREATE TABLE indicator_targets (
    id             BIGSERIAL PRIMARY KEY,
    indicator_id   BIGINT NOT NULL REFERENCES indicators(id),
    unit_id        BIGINT NOT NULL REFERENCES org_units(id),
    disaggregation TEXT NOT NULL DEFAULT '',
    period         TEXT NOT NULL,
    kind           TEXT NOT NULL,
    comparator     TEXT,
    value          DOUBLE PRECISION,
    upper          DOUBLE PRECISION,
    note           TEXT NOT NULL DEFAULT '',
    written        TEXT NOT NULL DEFAULT '',
    trajectory     TEXT NOT NULL DEFAULT 'linear',
    -- approved, or proposed by the unit and waiting for the assigning level.
    state          TEXT NOT NULL DEFAULT 'approved',
    UNIQUE (indicator_id, unit_id, disaggregation, period, kind)
);

CREATE TABLE indicator_values (
    id             BIGSERIAL PRIMARY KEY,
    indicator_id   BIGINT NOT NULL REFERENCES indicators(id),
    unit_id        BIGINT NOT NULL REFERENCES org_units(id),
    period         TEXT NOT NULL,
    disaggregation TEXT NOT NULL DEFAULT '',
    value          DOUBLE PRECISION,
    text_value     TEXT,
    numerator      DOUBLE PRECISION,
    denominator    DOUBLE PRECISION,
    comment        TEXT NOT NULL DEFAULT '',
    source         TEXT NOT NULL DEFAULT '',
    evidence       TEXT NOT NULL DEFAULT '',
    entered_by     BIGINT REFERENCES users(id),
    entered_at     TIMESTAMPTZ NOT NULL,
    revision       INTEGER NOT NULL DEFAULT 1,
    UNIQUE (indicator_id, period, unit_id, disaggregation)
);
CREATE INDEX indicator_values_unit ON indicator_values(unit_id, period);

-- Values as they were before each change or deletion: the previous value stays visible.
CREATE TABLE indicator_value_history (
    id             BIGSERIAL PRIMARY KEY,
    indicator_id   BIGINT NOT NULL,
    unit_id        BIGINT NOT NULL,
    period         TEXT NOT NULL,
    disaggregation TEXT NOT NULL,
    value          DOUBLE PRECISION,
    text_value     TEXT,
    numerator      DOUBLE PRECISION,
    denominator    DOUBLE PRECISION,
    comment        TEXT NOT NULL,
    source         TEXT NOT NULL,
    evidence       TEXT NOT NULL,
    entered_by     BIGINT,
    entered_at     TIMESTAMPTZ NOT NULL,
    revision       INTEGER NOT NULL,
    replaced_at    TIMESTAMPTZ NOT NULL,
    replaced_by    BIGINT
);
CREATE INDEX indicator_value_history_key ON indicator_value_history(indicator_id, unit_id, period);

-- open → submitted → approved (the unit's leader) → accepted (the assigning level); returned with a reason.
CREATE TABLE indicator_submissions (
    set_id     BIGINT NOT NULL REFERENCES indicator_sets(id),
    unit_id    BIGINT NOT NULL REFERENCES org_units(id),
    period     TEXT NOT NULL,
    state      TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    updated_by BIGINT REFERENCES users(id),
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (set_id, unit_id, period)
);

-- One counter per indicator and period, bumped in every transaction that changes the period's
-- values: a roll-up cached against it is fresh on the next request, and a value entered for one
-- period leaves the other periods' roll-ups in the cache. A row also says the period holds values.
CREATE TABLE indicator_versions (
    indicator_id BIGINT NOT NULL,
    period       TEXT NOT NULL,
    v            BIGINT NOT NULL,
    PRIMARY KEY (indicator_id, period)
);

-- One counter for all indicator data (definitions, targets, values): the catalogue and the
-- scorecards, which read every indicator, are kept against it.
CREATE TABLE indicator_data_version (
    id INTEGER PRIMARY KEY,
    v  BIGINT NOT NULL
);
INSERT INTO indicator_data_version (id, v) VALUES (1, 0);
