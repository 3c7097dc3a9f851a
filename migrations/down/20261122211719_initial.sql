-- Down of 20261122211719_initial.sql: takes the schema back to the one before it (Atlas's schema diff; review it).
-- `make migrate-down` applies it to the newest applied migration and removes its revision.
-- destructive: DROP TABLE "public"."accounts"; (its data is lost)
-- destructive: DROP TABLE "public"."verifications"; (its data is lost)
-- destructive: DROP TABLE "public"."sessions"; (its data is lost)
-- destructive: DROP TABLE "public"."users"; (its data is lost)
-- Drop "accounts" table
-- atlas:nolint destructive
DROP TABLE "public"."accounts";
-- Drop "verifications" table
-- atlas:nolint destructive
DROP TABLE "public"."verifications";
-- Drop "sessions" table
-- atlas:nolint destructive
DROP TABLE "public"."sessions";
-- Drop "users" table
-- atlas:nolint destructive
DROP TABLE "public"."users";
