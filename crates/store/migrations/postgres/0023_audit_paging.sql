-- The audit trail's filtered lists page newest first by `seq`. With only (object_type, object_id)
-- a filter on the type alone (e.g. every account change) was answered by walking the whole trail
-- back from its head: 120 ms at national scale, where the accounts' records were written first.
DROP INDEX audit_log_object;
CREATE INDEX audit_log_object ON audit_log(object_type, object_id, seq);
CREATE INDEX audit_log_type ON audit_log(object_type, seq);
