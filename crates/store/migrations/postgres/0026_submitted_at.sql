-- When a sheet was last submitted: whether its data came in by the entry deadline (rankings'
-- `indicators.on_time`). Earlier sheets have none and count as not submitted in time.
ALTER TABLE indicator_submissions ADD COLUMN submitted_at TIMESTAMPTZ;
