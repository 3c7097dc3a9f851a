-- Set comment to index: "users_email_lower_key" on table: "users"
COMMENT ON INDEX "users_email_lower_key" IS '';
