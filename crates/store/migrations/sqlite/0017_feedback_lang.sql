-- The language a feedback item was sent in ('vi', 'en' or 'fr'): the mails to its sender (received,
-- answered, asked for more information…) are written in it. Older items were all sent in Vietnamese.
ALTER TABLE feedback_items ADD COLUMN lang TEXT NOT NULL DEFAULT 'vi';
