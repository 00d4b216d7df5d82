-- Bumped by every change to org_units or org_links, so that in-memory copies of the tree know when to reload.
CREATE TABLE org_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO org_version (id, version) VALUES (1, 1);
