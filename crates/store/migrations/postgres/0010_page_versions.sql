-- Cached public pages (issue 12) are reused only while the versions they were built from hold.
-- Until now only tasks, assignments, reports and feedback items bumped them; these tables are
-- shown on the same pages, so a change to any of them must make those pages stale too.
-- (Feedback events bump the feedback version in `store::feedback::insert_event`, not here:
-- a trigger would fire once per row in the intake writer's batch, whose items bump it already.)
CREATE TRIGGER programmes_bump AFTER INSERT OR UPDATE OR DELETE ON programmes FOR EACH STATEMENT EXECUTE FUNCTION bump_task_version();
CREATE TRIGGER documents_bump AFTER INSERT OR UPDATE OR DELETE ON documents FOR EACH STATEMENT EXECUTE FUNCTION bump_task_version();
CREATE TRIGGER task_groups_bump AFTER INSERT OR UPDATE OR DELETE ON task_groups FOR EACH STATEMENT EXECUTE FUNCTION bump_task_version();
CREATE TRIGGER verifications_bump AFTER INSERT OR UPDATE OR DELETE ON verifications FOR EACH STATEMENT EXECUTE FUNCTION bump_task_version();
CREATE TRIGGER extensions_bump AFTER INSERT OR UPDATE OR DELETE ON extensions FOR EACH STATEMENT EXECUTE FUNCTION bump_task_version();
CREATE TRIGGER evidence_bump AFTER INSERT OR UPDATE OR DELETE ON evidence FOR EACH STATEMENT EXECUTE FUNCTION bump_task_version();
CREATE TRIGGER comments_bump AFTER INSERT OR UPDATE OR DELETE ON comments FOR EACH STATEMENT EXECUTE FUNCTION bump_task_version();
CREATE TRIGGER feedback_files_bump AFTER INSERT OR UPDATE OR DELETE ON feedback_files FOR EACH STATEMENT EXECUTE FUNCTION bump_feedback_version();
CREATE TRIGGER feedback_supports_bump AFTER INSERT OR UPDATE OR DELETE ON feedback_supports FOR EACH STATEMENT EXECUTE FUNCTION bump_feedback_version();
CREATE TRIGGER feedback_categories_bump AFTER INSERT OR UPDATE OR DELETE ON feedback_categories FOR EACH STATEMENT EXECUTE FUNCTION bump_feedback_version();
CREATE TRIGGER feedback_routes_bump AFTER INSERT OR UPDATE OR DELETE ON feedback_routes FOR EACH STATEMENT EXECUTE FUNCTION bump_feedback_version();
CREATE TRIGGER holidays_bump AFTER INSERT OR UPDATE OR DELETE ON holidays FOR EACH STATEMENT EXECUTE FUNCTION bump_feedback_version();
CREATE TRIGGER feedback_kind_rules_bump AFTER INSERT OR UPDATE OR DELETE ON feedback_kind_rules FOR EACH STATEMENT EXECUTE FUNCTION bump_feedback_version();
CREATE TRIGGER feedback_unit_settings_bump AFTER INSERT OR UPDATE OR DELETE ON feedback_unit_settings FOR EACH STATEMENT EXECUTE FUNCTION bump_feedback_version();
CREATE TRIGGER review_criteria_bump AFTER INSERT OR UPDATE OR DELETE ON review_criteria FOR EACH STATEMENT EXECUTE FUNCTION bump_feedback_version();
CREATE TRIGGER feedback_reviews_bump AFTER INSERT OR UPDATE OR DELETE ON feedback_reviews FOR EACH STATEMENT EXECUTE FUNCTION bump_feedback_version();

-- The public list's totals (issue 12) are counted once per change of the published set, not per
-- request and not per submission: only a row that is or was answered/closed can change them.
CREATE TABLE feedback_published_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    v  BIGINT NOT NULL
);
INSERT INTO feedback_published_version (id, v) VALUES (1, 0);

-- Totals of the public list kept in the writing transaction: one row per (unit, kind, state,
-- category) of published items, so a total is a sum over a few rows, never a scan of the items.
CREATE TABLE feedback_published_counts (
    unit_id  BIGINT NOT NULL,
    kind     TEXT NOT NULL,
    state    TEXT NOT NULL,
    category TEXT NOT NULL,
    n        BIGINT NOT NULL,
    PRIMARY KEY (unit_id, kind, state, category)
);
INSERT INTO feedback_published_counts (unit_id, kind, state, category, n)
    SELECT unit_id, kind, state, category, COUNT(*) FROM feedback_items
    WHERE state IN ('answered', 'closed') AND hidden = FALSE
    GROUP BY unit_id, kind, state, category;
-- Statement-level with transition tables: a bulk load of answered items (the generator, an
-- import) updates the version row and each counter once per statement, not once per row (in
-- PostgreSQL, updating one row thousands of times in a transaction grows a chain of versions
-- that every later update walks).
CREATE FUNCTION count_published() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE feedback_published_counts c SET n = c.n - o.n
        FROM (SELECT unit_id, kind, state, category, COUNT(*) AS n FROM old_rows
              WHERE state IN ('answered', 'closed') AND NOT hidden GROUP BY unit_id, kind, state, category) o
        WHERE c.unit_id = o.unit_id AND c.kind = o.kind AND c.state = o.state AND c.category = o.category;
        IF EXISTS (SELECT 1 FROM old_rows WHERE state IN ('answered', 'closed')) THEN
            UPDATE feedback_published_version SET v = v + 1 WHERE id = 1;
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO feedback_published_counts (unit_id, kind, state, category, n)
        SELECT unit_id, kind, state, category, COUNT(*) FROM new_rows
        WHERE state IN ('answered', 'closed') AND NOT hidden GROUP BY unit_id, kind, state, category
        ON CONFLICT (unit_id, kind, state, category) DO UPDATE SET n = feedback_published_counts.n + EXCLUDED.n;
        IF EXISTS (SELECT 1 FROM new_rows WHERE state IN ('answered', 'closed')) THEN
            UPDATE feedback_published_version SET v = v + 1 WHERE id = 1;
        END IF;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER feedback_counts_ins AFTER INSERT ON feedback_items
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_published();
CREATE TRIGGER feedback_counts_upd AFTER UPDATE ON feedback_items
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_published();
CREATE TRIGGER feedback_counts_del AFTER DELETE ON feedback_items
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_published();
