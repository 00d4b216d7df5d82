-- Each catalogue entry's review state over time, so that a ranking as of a past date counts the
-- entries accepted by then. Written by triggers, so that no writer (a review, an edit, an
-- import, the generator's bulk insert) can forget a row; existing entries start from their
-- present state at their last update.
CREATE TABLE catalogue_states (
    id       INTEGER PRIMARY KEY,
    entry_id BIGINT NOT NULL REFERENCES catalogue_entries(id) ON DELETE CASCADE,
    state    TEXT NOT NULL,
    at       TEXT NOT NULL
);
CREATE INDEX catalogue_states_at ON catalogue_states (at);
CREATE INDEX catalogue_states_entry ON catalogue_states (entry_id);
INSERT INTO catalogue_states (entry_id, state, at) SELECT id, state, updated_at FROM catalogue_entries ORDER BY id;
CREATE TRIGGER catalogue_states_ins AFTER INSERT ON catalogue_entries BEGIN INSERT INTO catalogue_states (entry_id, state, at) VALUES (NEW.id, NEW.state, NEW.updated_at); END;
CREATE TRIGGER catalogue_states_upd AFTER UPDATE OF state ON catalogue_entries WHEN NEW.state <> OLD.state BEGIN INSERT INTO catalogue_states (entry_id, state, at) VALUES (NEW.id, NEW.state, NEW.updated_at); END;
