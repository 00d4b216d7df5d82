-- Possible duplicates found by the background pass (issue 16): each new item compared with the
-- earlier items of its unit through the search index; a pair is kept when their similarity
-- reaches domain::search::DUPLICATE_AT. The pass's cursor is the last item id it has looked at.
CREATE TABLE feedback_duplicates (
    item_id    BIGINT NOT NULL REFERENCES feedback_items(id),
    other_id   BIGINT NOT NULL REFERENCES feedback_items(id),
    similarity DOUBLE PRECISION NOT NULL,
    found_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (item_id, other_id)
);
CREATE TABLE duplicate_pass (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    after BIGINT NOT NULL
);
-- The pass starts after the items already there (it does not go back over the past).
INSERT INTO duplicate_pass (id, after) SELECT 1, COALESCE(MAX(id), 0) FROM feedback_items;
