-- Totals of the officers' inbox (issue 12) kept in the writing transaction: one row per (unit,
-- kind, state, category) of every item, so an inbox's total is a sum over a few rows, not a
-- count of the unit's items (82,000 for the central triage at national scale, and growing).
CREATE TABLE feedback_unit_counts (
    unit_id  BIGINT NOT NULL,
    kind     TEXT NOT NULL,
    state    TEXT NOT NULL,
    category TEXT NOT NULL,
    n        BIGINT NOT NULL,
    PRIMARY KEY (unit_id, kind, state, category)
);
INSERT INTO feedback_unit_counts (unit_id, kind, state, category, n)
    SELECT unit_id, kind, state, category, COUNT(*) FROM feedback_items
    GROUP BY unit_id, kind, state, category;
CREATE TRIGGER feedback_unit_counts_ins AFTER INSERT ON feedback_items
BEGIN
    INSERT INTO feedback_unit_counts (unit_id, kind, state, category, n) VALUES (new.unit_id, new.kind, new.state, new.category, 1)
        ON CONFLICT (unit_id, kind, state, category) DO UPDATE SET n = n + 1;
END;
-- Only a change of one of the four columns moves an item between rows.
CREATE TRIGGER feedback_unit_counts_upd AFTER UPDATE OF unit_id, kind, state, category ON feedback_items
WHEN old.unit_id <> new.unit_id OR old.kind <> new.kind OR old.state <> new.state OR old.category <> new.category
BEGIN
    UPDATE feedback_unit_counts SET n = n - 1
    WHERE unit_id = old.unit_id AND kind = old.kind AND state = old.state AND category = old.category;
    INSERT INTO feedback_unit_counts (unit_id, kind, state, category, n) VALUES (new.unit_id, new.kind, new.state, new.category, 1)
        ON CONFLICT (unit_id, kind, state, category) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER feedback_unit_counts_del AFTER DELETE ON feedback_items
BEGIN
    UPDATE feedback_unit_counts SET n = n - 1
    WHERE unit_id = old.unit_id AND kind = old.kind AND state = old.state AND category = old.category;
END;
