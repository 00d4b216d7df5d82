-- Each catalogue entry's review state over time, so that a ranking as of a past date counts the
-- entries accepted by then. Written by triggers, so that no writer (a review, an edit, an
-- import, the generator's bulk insert) can forget a row; existing entries start from their
-- present state at their last update.
CREATE TABLE catalogue_states (
    id       BIGSERIAL PRIMARY KEY,
    entry_id BIGINT NOT NULL REFERENCES catalogue_entries(id) ON DELETE CASCADE,
    state    TEXT NOT NULL,
    at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX catalogue_states_at ON catalogue_states (at);
CREATE INDEX catalogue_states_entry ON catalogue_states (entry_id);
INSERT INTO catalogue_states (entry_id, state, at) SELECT id, state, updated_at FROM catalogue_entries ORDER BY id;
CREATE FUNCTION record_catalogue_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.state IS DISTINCT FROM OLD.state THEN
        INSERT INTO catalogue_states (entry_id, state, at) VALUES (NEW.id, NEW.state, NEW.updated_at);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER catalogue_states_rec AFTER INSERT OR UPDATE OF state ON catalogue_entries FOR EACH ROW EXECUTE FUNCTION record_catalogue_state();
