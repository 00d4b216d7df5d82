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
-- Statement-level with transition tables, as the published counts (0010): a bulk load updates
-- each counter once per statement, not once per row.
CREATE FUNCTION count_unit_items() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE feedback_unit_counts c SET n = c.n - o.n
        FROM (SELECT unit_id, kind, state, category, COUNT(*) AS n FROM old_rows
              GROUP BY unit_id, kind, state, category) o
        WHERE c.unit_id = o.unit_id AND c.kind = o.kind AND c.state = o.state AND c.category = o.category;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO feedback_unit_counts (unit_id, kind, state, category, n)
        SELECT unit_id, kind, state, category, COUNT(*) FROM new_rows
        GROUP BY unit_id, kind, state, category
        ON CONFLICT (unit_id, kind, state, category) DO UPDATE SET n = feedback_unit_counts.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER feedback_unit_counts_ins AFTER INSERT ON feedback_items
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_unit_items();
CREATE TRIGGER feedback_unit_counts_upd AFTER UPDATE ON feedback_items
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_unit_items();
CREATE TRIGGER feedback_unit_counts_del AFTER DELETE ON feedback_items
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_unit_items();
