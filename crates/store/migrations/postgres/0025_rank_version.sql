-- A version counter for rankings (methods, their versions, editions), bumped in the writing
-- transaction by triggers: public ranking pages are cached until it moves.
CREATE TABLE rank_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    v  BIGINT NOT NULL
);
INSERT INTO rank_version (id, v) VALUES (1, 0);
CREATE FUNCTION bump_rank_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE rank_version SET v = v + 1 WHERE id = 1;
    RETURN NULL;
END $$;
CREATE TRIGGER rank_methods_bump AFTER INSERT OR UPDATE OR DELETE ON rank_methods FOR EACH STATEMENT EXECUTE FUNCTION bump_rank_version();
CREATE TRIGGER rank_method_versions_bump AFTER INSERT OR UPDATE OR DELETE ON rank_method_versions FOR EACH STATEMENT EXECUTE FUNCTION bump_rank_version();
CREATE TRIGGER rank_editions_bump AFTER INSERT OR UPDATE OR DELETE ON rank_editions FOR EACH STATEMENT EXECUTE FUNCTION bump_rank_version();
