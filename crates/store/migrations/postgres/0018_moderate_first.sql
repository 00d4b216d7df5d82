-- Moderation before publication (issue 11): a unit may ask that what is sent to it stays off the
-- public pages until one of its moderators has reviewed it. `held` is set on an item when it
-- reaches such a unit unreviewed; the public text shows again once `moderated_on` is set.
ALTER TABLE feedback_unit_settings ADD COLUMN moderate_first BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE feedback_items ADD COLUMN held BOOLEAN NOT NULL DEFAULT FALSE;
