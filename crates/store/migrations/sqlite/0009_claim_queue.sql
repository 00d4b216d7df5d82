-- The queue of completion claims waiting for the assigning level (issue 11): open claims are
-- few among hundreds of thousands of assignments, so a partial index finds them directly.
CREATE INDEX assignments_pending_claims ON assignments(parent_id, task_id)
    WHERE claimed_on IS NOT NULL AND verified_on IS NULL AND cancelled_on IS NULL AND superseded_on IS NULL;

