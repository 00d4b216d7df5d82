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
CREATE FUNCTION bump_published_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE feedback_published_version SET v = v + 1 WHERE id = 1;
    RETURN NULL;
END $$;
CREATE TRIGGER feedback_published_ins AFTER INSERT ON feedback_items FOR EACH ROW
    WHEN (NEW.state IN ('answered', 'closed')) EXECUTE FUNCTION bump_published_version();
CREATE TRIGGER feedback_published_upd AFTER UPDATE ON feedback_items FOR EACH ROW
    WHEN (OLD.state IN ('answered', 'closed') OR NEW.state IN ('answered', 'closed')) EXECUTE FUNCTION bump_published_version();
CREATE TRIGGER feedback_published_del AFTER DELETE ON feedback_items FOR EACH ROW
    WHEN (OLD.state IN ('answered', 'closed')) EXECUTE FUNCTION bump_published_version();

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
CREATE FUNCTION count_published() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.state IN ('answered', 'closed') AND NOT OLD.hidden THEN
        UPDATE feedback_published_counts SET n = n - 1
        WHERE unit_id = OLD.unit_id AND kind = OLD.kind AND state = OLD.state AND category = OLD.category;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.state IN ('answered', 'closed') AND NOT NEW.hidden THEN
        INSERT INTO feedback_published_counts (unit_id, kind, state, category, n) VALUES (NEW.unit_id, NEW.kind, NEW.state, NEW.category, 1)
            ON CONFLICT (unit_id, kind, state, category) DO UPDATE SET n = feedback_published_counts.n + 1;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER feedback_counts_ins AFTER INSERT ON feedback_items FOR EACH ROW
    WHEN (NEW.state IN ('answered', 'closed')) EXECUTE FUNCTION count_published();
CREATE TRIGGER feedback_counts_upd AFTER UPDATE ON feedback_items FOR EACH ROW
    WHEN (OLD.state IN ('answered', 'closed') OR NEW.state IN ('answered', 'closed')) EXECUTE FUNCTION count_published();
CREATE TRIGGER feedback_counts_del AFTER DELETE ON feedback_items FOR EACH ROW
    WHEN (OLD.state IN ('answered', 'closed')) EXECUTE FUNCTION count_published();
