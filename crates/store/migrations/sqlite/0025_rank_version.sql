-- A version counter for rankings (methods, their versions, editions), bumped in the writing
-- transaction by triggers: public ranking pages are cached until it moves.
CREATE TABLE rank_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    v  BIGINT NOT NULL
);
INSERT INTO rank_version (id, v) VALUES (1, 0);
CREATE TRIGGER rank_methods_ins AFTER INSERT ON rank_methods BEGIN UPDATE rank_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER rank_methods_upd AFTER UPDATE ON rank_methods BEGIN UPDATE rank_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER rank_methods_del AFTER DELETE ON rank_methods BEGIN UPDATE rank_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER rank_method_versions_ins AFTER INSERT ON rank_method_versions BEGIN UPDATE rank_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER rank_method_versions_upd AFTER UPDATE ON rank_method_versions BEGIN UPDATE rank_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER rank_method_versions_del AFTER DELETE ON rank_method_versions BEGIN UPDATE rank_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER rank_editions_ins AFTER INSERT ON rank_editions BEGIN UPDATE rank_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER rank_editions_upd AFTER UPDATE ON rank_editions BEGIN UPDATE rank_version SET v = v + 1 WHERE id = 1; END;
CREATE TRIGGER rank_editions_del AFTER DELETE ON rank_editions BEGIN UPDATE rank_version SET v = v + 1 WHERE id = 1; END;
