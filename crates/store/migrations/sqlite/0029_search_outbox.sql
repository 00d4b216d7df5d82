-- Search (issue 16): every write that changes searchable text leaves a row here in its own
-- transaction, written by triggers so that no writer can forget it. Each instance's indexer applies
-- the rows above its own cursor to its local index (derived data, rebuildable), so two instances on
-- one database each keep theirs current. A row names what to read again, not what changed: applying
-- it twice does no harm. Old rows are pruned by the daily sweep; an index that fell behind the
-- pruning is rebuilt.
CREATE TABLE search_outbox (
    id     INTEGER PRIMARY KEY,
    kind   TEXT NOT NULL,
    ref_id BIGINT NOT NULL,
    at     TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX search_outbox_at ON search_outbox (at);
CREATE TRIGGER search_tasks_ins AFTER INSERT ON tasks BEGIN INSERT INTO search_outbox (kind, ref_id) VALUES ('task', NEW.id); END;
CREATE TRIGGER search_tasks_upd AFTER UPDATE OF title, result_text, visibility, lead_text, coordinating_text, code ON tasks BEGIN INSERT INTO search_outbox (kind, ref_id) VALUES ('task', NEW.id); END;
CREATE TRIGGER search_tasks_del AFTER DELETE ON tasks BEGIN INSERT INTO search_outbox (kind, ref_id) VALUES ('task', OLD.id); END;
CREATE TRIGGER search_reports_ins AFTER INSERT ON reports BEGIN INSERT INTO search_outbox (kind, ref_id) VALUES ('report', NEW.id); END;
CREATE TRIGGER search_reports_upd AFTER UPDATE OF narrative, results, difficulties, proposals ON reports BEGIN INSERT INTO search_outbox (kind, ref_id) VALUES ('report', NEW.id); END;
CREATE TRIGGER search_reports_del AFTER DELETE ON reports BEGIN INSERT INTO search_outbox (kind, ref_id) VALUES ('report', OLD.id); END;
CREATE TRIGGER search_feedback_items_ins AFTER INSERT ON feedback_items BEGIN INSERT INTO search_outbox (kind, ref_id) VALUES ('feedback', NEW.id); END;
CREATE TRIGGER search_feedback_items_upd AFTER UPDATE OF state, kind, category, title, body, public_title, public_body, hidden, held, moderated_on, answer, unit_id, merged_into ON feedback_items BEGIN INSERT INTO search_outbox (kind, ref_id) VALUES ('feedback', NEW.id); END;
CREATE TRIGGER search_feedback_items_del AFTER DELETE ON feedback_items BEGIN INSERT INTO search_outbox (kind, ref_id) VALUES ('feedback', OLD.id); END;
CREATE TRIGGER search_indicators_ins AFTER INSERT ON indicators BEGIN INSERT INTO search_outbox (kind, ref_id) VALUES ('indicator', NEW.id); END;
CREATE TRIGGER search_indicators_upd AFTER UPDATE OF code, name_vi, name_en, name_fr, definition, responsible_unit_id ON indicators BEGIN INSERT INTO search_outbox (kind, ref_id) VALUES ('indicator', NEW.id); END;
CREATE TRIGGER search_indicators_del AFTER DELETE ON indicators BEGIN INSERT INTO search_outbox (kind, ref_id) VALUES ('indicator', OLD.id); END;
CREATE TRIGGER search_catalogue_entries_ins AFTER INSERT ON catalogue_entries BEGIN INSERT INTO search_outbox (kind, ref_id) VALUES ('catalogue', NEW.id); END;
CREATE TRIGGER search_catalogue_entries_upd AFTER UPDATE OF code, name_vi, name_en, name_fr, purpose, data_subjects, is_public, state, owner_unit_id ON catalogue_entries BEGIN INSERT INTO search_outbox (kind, ref_id) VALUES ('catalogue', NEW.id); END;
CREATE TRIGGER search_catalogue_entries_del AFTER DELETE ON catalogue_entries BEGIN INSERT INTO search_outbox (kind, ref_id) VALUES ('catalogue', OLD.id); END;
CREATE TRIGGER search_org_units_ins AFTER INSERT ON org_units BEGIN INSERT INTO search_outbox (kind, ref_id) VALUES ('unit', NEW.id); END;
CREATE TRIGGER search_org_units_upd AFTER UPDATE OF code, name_vi, name_en, name_fr, parent_id, valid_to ON org_units BEGIN INSERT INTO search_outbox (kind, ref_id) VALUES ('unit', NEW.id); END;
CREATE TRIGGER search_org_units_del AFTER DELETE ON org_units BEGIN INSERT INTO search_outbox (kind, ref_id) VALUES ('unit', OLD.id); END;
-- A task's readers are its assignees' units: a new or handed-over assignment changes them.
CREATE TRIGGER search_assignments_ins AFTER INSERT ON assignments BEGIN INSERT INTO search_outbox (kind, ref_id) VALUES ('task', NEW.task_id); END;
CREATE TRIGGER search_assignments_upd AFTER UPDATE OF unit_id ON assignments BEGIN INSERT INTO search_outbox (kind, ref_id) VALUES ('task', NEW.task_id); END;
-- A task's reports are read where the task is: a change of its visibility moves them all.
CREATE TRIGGER search_tasks_vis AFTER UPDATE OF visibility ON tasks BEGIN INSERT INTO search_outbox (kind, ref_id) VALUES ('task_reports', NEW.id); END;
