-- Evaluation and ranking (issue 14). A method belongs to one peer group; its versions hold the
-- method document (pillars, weights, normalisation, grades: `domain::ranking::method`) and go
-- draft → approved → published, after which they never change. An edition is one computation
-- of a version for a period and an as-of date: its inputs are frozen with their hash, so that
-- recomputing it gives the same scores; its units' results are rows for the pages and history.
CREATE TABLE rank_methods (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    peer_group  TEXT NOT NULL,
    name_vi     TEXT NOT NULL,
    name_en     TEXT NOT NULL DEFAULT '',
    name_fr     TEXT NOT NULL DEFAULT '',
    -- The project's example, not an official method: said on every page that shows it.
    example     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TEXT NOT NULL
);

CREATE TABLE rank_method_versions (
    id            INTEGER PRIMARY KEY,
    method_id     BIGINT NOT NULL REFERENCES rank_methods(id),
    version       INTEGER NOT NULL,
    state         TEXT NOT NULL,
    document      TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    approved_at   TEXT,
    published_at  TEXT,
    UNIQUE (method_id, version)
);

CREATE TABLE rank_editions (
    id             INTEGER PRIMARY KEY,
    version_id     BIGINT NOT NULL REFERENCES rank_method_versions(id),
    period         TEXT NOT NULL,
    as_of          TEXT NOT NULL,
    -- Communes ranked within one province; NULL for a nationwide group.
    within_unit    BIGINT REFERENCES org_units(id),
    inputs         TEXT NOT NULL,
    inputs_hash    TEXT NOT NULL,
    bands          TEXT NOT NULL,
    sensitivity    TEXT NOT NULL,
    medians        TEXT NOT NULL,
    computed_at    TEXT NOT NULL,
    computed_by    BIGINT REFERENCES users(id),
    published_at   TEXT,
    public_detail  TEXT
);
CREATE INDEX rank_editions_version ON rank_editions(version_id, id);

CREATE TABLE rank_edition_units (
    edition_id   BIGINT NOT NULL REFERENCES rank_editions(id),
    unit_id      BIGINT NOT NULL REFERENCES org_units(id),
    score        REAL,
    rank         INTEGER,
    grade        TEXT,
    quartile     INTEGER,
    rank_median  REAL,
    rank_low     INTEGER,
    rank_high    INTEGER,
    parts        TEXT NOT NULL,
    PRIMARY KEY (edition_id, unit_id)
);
CREATE INDEX rank_edition_units_unit ON rank_edition_units(unit_id, edition_id);

-- Values an inspector enters for a unit and period (e.g. an inspection's findings), with the
-- evidence they rest on: the source `expert:<key>` of a measure.
CREATE TABLE rank_expert_scores (
    key         TEXT NOT NULL,
    unit_id     BIGINT NOT NULL REFERENCES org_units(id),
    period      TEXT NOT NULL,
    value       REAL NOT NULL,
    evidence    TEXT NOT NULL,
    entered_by  BIGINT REFERENCES users(id),
    entered_at  TEXT NOT NULL,
    PRIMARY KEY (key, unit_id, period)
);

-- Which answers were appealed (the measure feedback.appealed), without a scan per answer.
CREATE INDEX feedback_appeals ON feedback_items(appeal_of) WHERE appeal_of IS NOT NULL;
