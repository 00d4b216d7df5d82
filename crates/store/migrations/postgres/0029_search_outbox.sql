-- Search (issue 16): every write that changes searchable text leaves a row here in its own
-- transaction, written by triggers so that no writer can forget it. Each instance's indexer applies
-- the rows above its own cursor to its local index (derived data, rebuildable), so two instances on
-- one database each keep theirs current. A row names what to read again, not what changed: applying
-- it twice does no harm. Old rows are pruned by the daily sweep; an index that fell behind the
-- pruning is rebuilt.
CREATE TABLE search_outbox (
    id     BIGSERIAL PRIMARY KEY,
    kind   TEXT NOT NULL,
    ref_id BIGINT NOT NULL,
    at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX search_outbox_at ON search_outbox (at);
-- TG_ARGV[0]: the kind; TG_ARGV[1]: 'task_id' when the row names its task rather than itself.
CREATE FUNCTION search_outbox_push() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r RECORD;
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    IF TG_NARGS > 1 THEN
        INSERT INTO search_outbox (kind, ref_id) VALUES (TG_ARGV[0], (to_jsonb(r) ->> TG_ARGV[1])::BIGINT);
    ELSE
        INSERT INTO search_outbox (kind, ref_id) VALUES (TG_ARGV[0], r.id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER search_tasks_ins AFTER INSERT OR DELETE ON tasks FOR EACH ROW EXECUTE FUNCTION search_outbox_push('task');
CREATE TRIGGER search_tasks_upd AFTER UPDATE OF title, result_text, visibility, lead_text, coordinating_text, code ON tasks FOR EACH ROW EXECUTE FUNCTION search_outbox_push('task');
CREATE TRIGGER search_reports_ins AFTER INSERT OR DELETE ON reports FOR EACH ROW EXECUTE FUNCTION search_outbox_push('report');
CREATE TRIGGER search_reports_upd AFTER UPDATE OF narrative, results, difficulties, proposals ON reports FOR EACH ROW EXECUTE FUNCTION search_outbox_push('report');
CREATE TRIGGER search_feedback_items_ins AFTER INSERT OR DELETE ON feedback_items FOR EACH ROW EXECUTE FUNCTION search_outbox_push('feedback');
CREATE TRIGGER search_feedback_items_upd AFTER UPDATE OF state, kind, category, title, body, public_title, public_body, hidden, held, moderated_on, answer, unit_id, merged_into ON feedback_items FOR EACH ROW EXECUTE FUNCTION search_outbox_push('feedback');
CREATE TRIGGER search_indicators_ins AFTER INSERT OR DELETE ON indicators FOR EACH ROW EXECUTE FUNCTION search_outbox_push('indicator');
CREATE TRIGGER search_indicators_upd AFTER UPDATE OF code, name_vi, name_en, name_fr, definition, responsible_unit_id ON indicators FOR EACH ROW EXECUTE FUNCTION search_outbox_push('indicator');
CREATE TRIGGER search_catalogue_entries_ins AFTER INSERT OR DELETE ON catalogue_entries FOR EACH ROW EXECUTE FUNCTION search_outbox_push('catalogue');
CREATE TRIGGER search_catalogue_entries_upd AFTER UPDATE OF code, name_vi, name_en, name_fr, purpose, data_subjects, is_public, state, owner_unit_id ON catalogue_entries FOR EACH ROW EXECUTE FUNCTION search_outbox_push('catalogue');
CREATE TRIGGER search_org_units_ins AFTER INSERT OR DELETE ON org_units FOR EACH ROW EXECUTE FUNCTION search_outbox_push('unit');
CREATE TRIGGER search_org_units_upd AFTER UPDATE OF code, name_vi, name_en, name_fr, parent_id, valid_to ON org_units FOR EACH ROW EXECUTE FUNCTION search_outbox_push('unit');
-- A task's readers are its assignees' units: a new or handed-over assignment changes them.
CREATE TRIGGER search_assignments_ins AFTER INSERT OR UPDATE OF unit_id ON assignments FOR EACH ROW EXECUTE FUNCTION search_outbox_push('task', 'task_id');
-- A task's reports are read where the task is: a change of its visibility moves them all.
CREATE TRIGGER search_tasks_vis AFTER UPDATE OF visibility ON tasks FOR EACH ROW EXECUTE FUNCTION search_outbox_push('task_reports');
