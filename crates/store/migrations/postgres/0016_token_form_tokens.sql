-- One-time tokens of the administrators' form that creates API tokens (issue 11): the page
-- answers the POST with the new secret, so a refresh sends the form again; the second sending
-- finds the token its first one created instead of creating another. Only the SHA-256 of the
-- form token is kept.
CREATE TABLE token_form_tokens (
    token_hash   TEXT PRIMARY KEY,
    api_token_id BIGINT REFERENCES api_tokens(id),
    created_at   TIMESTAMPTZ NOT NULL
);
