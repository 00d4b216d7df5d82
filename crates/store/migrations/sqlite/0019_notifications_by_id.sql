-- A user's notifications newest first, page after page by id (issue 12): the list reads one
-- key range of this index, whatever the number of notifications the user has had.
CREATE INDEX notifications_user_id ON notifications(user_id, id);
