-- Routing suggestions (issue 16): the models a weekly job trains on where past feedback items
-- ended up. One row per training; the newest is used, a few older ones are kept to compare.
-- `counts` is the JSON of domain::routing::Counts for the unit and the category models;
-- `accuracy` the JSON of their top-1/top-3 accuracy on the held-out items.
CREATE TABLE routing_models (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    trained_at TEXT NOT NULL,
    items BIGINT NOT NULL,
    accuracy TEXT NOT NULL,
    counts TEXT NOT NULL
);
