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
