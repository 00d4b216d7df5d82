-- The language each person reads the product in ('vi', 'en' or 'fr'), remembered at sign-in and
-- at each language switch, so that notifications and mails written for them by background jobs
-- come in that language too.
ALTER TABLE users ADD COLUMN lang TEXT NOT NULL DEFAULT 'vi';
