-- Cached public pages (issue 12) are reused only while the versions they were built from hold.
-- Until now only tasks, assignments, reports and feedback items bumped them; these tables are
-- shown on the same pages, so a change to any of them must make those pages stale too.
-- (Feedback events bump the feedback version in `store::feedback::insert_event`, not here:
-- a trigger would fire once per row in the intake writer's batch, whose items bump it already.)
CREATE TRIGGER programmes_bump_ins AFTER INSERT ON programmes BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER programmes_bump_upd AFTER UPDATE ON programmes BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER programmes_bump_del AFTER DELETE ON programmes BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER documents_bump_ins AFTER INSERT ON documents BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER documents_bump_upd AFTER UPDATE ON documents BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER documents_bump_del AFTER DELETE ON documents BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER task_groups_bump_ins AFTER INSERT ON task_groups BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER task_groups_bump_upd AFTER UPDATE ON task_groups BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER task_groups_bump_del AFTER DELETE ON task_groups BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER verifications_bump_ins AFTER INSERT ON verifications BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER verifications_bump_upd AFTER UPDATE ON verifications BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER verifications_bump_del AFTER DELETE ON verifications BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER extensions_bump_ins AFTER INSERT ON extensions BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER extensions_bump_upd AFTER UPDATE ON extensions BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER extensions_bump_del AFTER DELETE ON extensions BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER evidence_bump_ins AFTER INSERT ON evidence BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER evidence_bump_upd AFTER UPDATE ON evidence BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER evidence_bump_del AFTER DELETE ON evidence BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER comments_bump_ins AFTER INSERT ON comments BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER comments_bump_upd AFTER UPDATE ON comments BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER comments_bump_del AFTER DELETE ON comments BEGIN UPDATE task_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER feedback_files_bump_ins AFTER INSERT ON feedback_files BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER feedback_files_bump_upd AFTER UPDATE ON feedback_files BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER feedback_files_bump_del AFTER DELETE ON feedback_files BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER feedback_supports_bump_ins AFTER INSERT ON feedback_supports BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER feedback_supports_bump_upd AFTER UPDATE ON feedback_supports BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER feedback_supports_bump_del AFTER DELETE ON feedback_supports BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER feedback_categories_bump_ins AFTER INSERT ON feedback_categories BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER feedback_categories_bump_upd AFTER UPDATE ON feedback_categories BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER feedback_categories_bump_del AFTER DELETE ON feedback_categories BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER feedback_routes_bump_ins AFTER INSERT ON feedback_routes BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER feedback_routes_bump_upd AFTER UPDATE ON feedback_routes BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER feedback_routes_bump_del AFTER DELETE ON feedback_routes BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER holidays_bump_ins AFTER INSERT ON holidays BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER holidays_bump_upd AFTER UPDATE ON holidays BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER holidays_bump_del AFTER DELETE ON holidays BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER feedback_kind_rules_bump_ins AFTER INSERT ON feedback_kind_rules BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER feedback_kind_rules_bump_upd AFTER UPDATE ON feedback_kind_rules BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER feedback_kind_rules_bump_del AFTER DELETE ON feedback_kind_rules BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER feedback_unit_settings_bump_ins AFTER INSERT ON feedback_unit_settings BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER feedback_unit_settings_bump_upd AFTER UPDATE ON feedback_unit_settings BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER feedback_unit_settings_bump_del AFTER DELETE ON feedback_unit_settings BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER review_criteria_bump_ins AFTER INSERT ON review_criteria BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER review_criteria_bump_upd AFTER UPDATE ON review_criteria BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER review_criteria_bump_del AFTER DELETE ON review_criteria BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER feedback_reviews_bump_ins AFTER INSERT ON feedback_reviews BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER feedback_reviews_bump_upd AFTER UPDATE ON feedback_reviews BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER feedback_reviews_bump_del AFTER DELETE ON feedback_reviews BEGIN UPDATE feedback_version SET v = v + 1 WHERE id = 1; END;

-- The public list's totals (issue 12) are counted once per change of the published set, not per
-- request and not per submission: only a row that is or was answered/closed can change them.
CREATE TABLE feedback_published_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    v  BIGINT NOT NULL
);
INSERT INTO feedback_published_version (id, v) VALUES (1, 0);
CREATE TRIGGER feedback_published_ins AFTER INSERT ON feedback_items WHEN new.state IN ('answered', 'closed')
BEGIN UPDATE feedback_published_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER feedback_published_upd AFTER UPDATE ON feedback_items WHEN old.state IN ('answered', 'closed') OR new.state IN ('answered', 'closed')
BEGIN UPDATE feedback_published_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER feedback_published_del AFTER DELETE ON feedback_items WHEN old.state IN ('answered', 'closed')
BEGIN UPDATE feedback_published_version SET v = v + 1 WHERE id = 1; END;

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
CREATE TRIGGER feedback_counts_ins AFTER INSERT ON feedback_items
WHEN new.state IN ('answered', 'closed') AND NOT new.hidden
BEGIN
    INSERT INTO feedback_published_counts (unit_id, kind, state, category, n) VALUES (new.unit_id, new.kind, new.state, new.category, 1)
        ON CONFLICT (unit_id, kind, state, category) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER feedback_counts_upd_old AFTER UPDATE ON feedback_items
WHEN old.state IN ('answered', 'closed') AND NOT old.hidden
BEGIN
    UPDATE feedback_published_counts SET n = n - 1
    WHERE unit_id = old.unit_id AND kind = old.kind AND state = old.state AND category = old.category;
END;
CREATE TRIGGER feedback_counts_upd_new AFTER UPDATE ON feedback_items
WHEN new.state IN ('answered', 'closed') AND NOT new.hidden
BEGIN
    INSERT INTO feedback_published_counts (unit_id, kind, state, category, n) VALUES (new.unit_id, new.kind, new.state, new.category, 1)
        ON CONFLICT (unit_id, kind, state, category) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER feedback_counts_del AFTER DELETE ON feedback_items
WHEN old.state IN ('answered', 'closed') AND NOT old.hidden
BEGIN
    UPDATE feedback_published_counts SET n = n - 1
    WHERE unit_id = old.unit_id AND kind = old.kind AND state = old.state AND category = old.category;
END;
