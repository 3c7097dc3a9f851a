-- Down of 20261122215456_drop_index_comment.sql: takes the schema back to the one before it (Atlas's schema diff; review it).
-- `make migrate-down` applies it to the newest applied migration and removes its revision.
-- Set comment to index: "users_email_lower_key" on table: "users"
COMMENT ON INDEX "users_email_lower_key" IS 'Email addresses are unique case-insensitively.';
