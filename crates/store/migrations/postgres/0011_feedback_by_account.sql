-- "What I sent" (/feedback/mine) reads a signed-in account's items: without an index it read all
-- of them (0.8 s at a million items, issue 12's crawl). Most items come without an account.
CREATE INDEX feedback_by_account ON feedback_items(user_id) WHERE user_id IS NOT NULL;
