-- The database catalogue (issue 15): every unit's databases and information systems, the themes
-- they cover, the systems that consume them, and their measured quality over time (declared by
-- the unit or reported by the system's own heartbeat). The latest figures sit on the entry so that
-- lists and the national dashboard read one row per entry.
CREATE TABLE catalogue_entries (
    id                  INTEGER PRIMARY KEY,
    code                TEXT NOT NULL UNIQUE,
    name_vi             TEXT NOT NULL,
    name_en             TEXT NOT NULL DEFAULT '',
    name_fr             TEXT NOT NULL DEFAULT '',
    -- code, names, purpose and subjects folded (no diacritics, lower case) for search.
    search_text         TEXT NOT NULL,
    kind                TEXT NOT NULL,
    owner_unit_id       BIGINT NOT NULL REFERENCES org_units(id),
    managing_unit_id    BIGINT REFERENCES org_units(id),
    legal_basis         TEXT NOT NULL DEFAULT '',
    purpose             TEXT NOT NULL DEFAULT '',
    data_subjects       TEXT NOT NULL DEFAULT '',
    dictionary          TEXT NOT NULL DEFAULT '[]',
    expected_population BIGINT,
    frequency           TEXT NOT NULL,
    lifecycle           TEXT NOT NULL,
    lifecycle_since     DATE,
    hosting             TEXT NOT NULL,
    security_level      INTEGER NOT NULL,
    exchange_connected  BOOLEAN NOT NULL DEFAULT FALSE,
    services            TEXT NOT NULL DEFAULT '',
    contact             TEXT NOT NULL DEFAULT '',
    access_url          TEXT NOT NULL DEFAULT '',
    is_public           BOOLEAN NOT NULL DEFAULT FALSE,
    state               TEXT NOT NULL DEFAULT 'draft',
    state_reason        TEXT NOT NULL DEFAULT '',
    records             BIGINT,
    checked             BIGINT,
    valid               BIGINT,
    complete            BIGINT,
    duplicates          BIGINT,
    format_errors       BIGINT,
    last_update         TEXT,
    last_heartbeat      TEXT,
    -- The figures version (`catalogue_version.f`) of the entry's latest figures: a reader that
    -- holds the figures as of version n reloads only the rows above n.
    fig_seq             BIGINT NOT NULL DEFAULT 0,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX catalogue_entries_owner ON catalogue_entries (owner_unit_id, state);
CREATE INDEX catalogue_entries_kind ON catalogue_entries (kind, state);
CREATE INDEX catalogue_entries_fig_seq ON catalogue_entries (fig_seq);
CREATE TABLE catalogue_themes (
    entry_id BIGINT NOT NULL REFERENCES catalogue_entries(id) ON DELETE CASCADE,
    theme    TEXT NOT NULL,
    PRIMARY KEY (entry_id, theme)
);
CREATE INDEX catalogue_themes_theme ON catalogue_themes (theme);
CREATE TABLE catalogue_links (
    consumer_id BIGINT NOT NULL REFERENCES catalogue_entries(id) ON DELETE CASCADE,
    provider_id BIGINT NOT NULL REFERENCES catalogue_entries(id) ON DELETE CASCADE,
    PRIMARY KEY (consumer_id, provider_id)
);
CREATE INDEX catalogue_links_provider ON catalogue_links (provider_id);
-- Documents attached to an entry (its legal basis, a technical description, a data-sharing agreement):
-- stored like evidence, content-addressed under the data directory.
CREATE TABLE catalogue_files (
    id           INTEGER PRIMARY KEY,
    entry_id     BIGINT NOT NULL REFERENCES catalogue_entries(id),
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    stored_as    TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX catalogue_files_entry ON catalogue_files (entry_id);
CREATE TABLE catalogue_measurements (
    id            INTEGER PRIMARY KEY,
    entry_id      BIGINT NOT NULL REFERENCES catalogue_entries(id) ON DELETE CASCADE,
    at            TEXT NOT NULL,
    -- declared (by the unit's form) or heartbeat (by the system).
    source        TEXT NOT NULL,
    records       BIGINT,
    checked       BIGINT,
    valid         BIGINT,
    complete      BIGINT,
    duplicates    BIGINT,
    format_errors BIGINT,
    correct       DOUBLE PRECISION,
    sufficient    DOUBLE PRECISION,
    clean         DOUBLE PRECISION,
    live          DOUBLE PRECISION
);
CREATE INDEX catalogue_measurements_entry ON catalogue_measurements (entry_id, at);
-- Two counters: `v` moves with declarations (entries, themes, links), `f` with the latest figures
-- alone, so that a stream of heartbeats leaves the declarations' caches in place.
CREATE TABLE catalogue_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    v  BIGINT NOT NULL,
    f  BIGINT NOT NULL
);
INSERT INTO catalogue_version (id, v, f) VALUES (1, 0, 0);
CREATE TRIGGER catalogue_entries_ins AFTER INSERT ON catalogue_entries BEGIN UPDATE catalogue_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER catalogue_entries_upd AFTER UPDATE OF code, name_vi, name_en, name_fr, search_text, kind, owner_unit_id, managing_unit_id, legal_basis, purpose, data_subjects, dictionary, expected_population, frequency, lifecycle, lifecycle_since, hosting, security_level, exchange_connected, services, contact, access_url, is_public, state, state_reason, updated_at ON catalogue_entries BEGIN UPDATE catalogue_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER catalogue_figures_upd AFTER UPDATE OF records, checked, valid, complete, duplicates, format_errors, last_update, last_heartbeat ON catalogue_entries BEGIN UPDATE catalogue_version SET f = f + 1 WHERE id = 1; UPDATE catalogue_entries SET fig_seq = (SELECT f FROM catalogue_version WHERE id = 1) WHERE id = NEW.id; END;
CREATE TRIGGER catalogue_entries_del AFTER DELETE ON catalogue_entries BEGIN UPDATE catalogue_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER catalogue_links_ins AFTER INSERT ON catalogue_links BEGIN UPDATE catalogue_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER catalogue_links_del AFTER DELETE ON catalogue_links BEGIN UPDATE catalogue_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER catalogue_themes_ins AFTER INSERT ON catalogue_themes BEGIN UPDATE catalogue_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER catalogue_themes_del AFTER DELETE ON catalogue_themes BEGIN UPDATE catalogue_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER catalogue_files_ins AFTER INSERT ON catalogue_files BEGIN UPDATE catalogue_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER catalogue_files_del AFTER DELETE ON catalogue_files BEGIN UPDATE catalogue_version SET v = v + 1 WHERE id = 1; END;
