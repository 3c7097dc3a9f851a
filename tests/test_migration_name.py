"""Migration names from Atlas's SQL (codegen/migration_name.py): pure, no server."""

from __future__ import annotations

import pytest

from codegen.dev.migration_name import name_from_sql

CREATE_PLACES = """\
-- Create "places" table
CREATE TABLE "public"."places" ("id" bigint NOT NULL, "owner_id" bigint NOT NULL, PRIMARY KEY ("id"),
  CONSTRAINT "places_owner_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users" ("id"));
CREATE INDEX "places_owner_idx" ON "public"."places" ("owner_id");
COMMENT ON TABLE "public"."places" IS 'Places on the map';
COMMENT ON COLUMN "public"."places"."id" IS 'Primary key';
"""


@pytest.mark.parametrize(
    ("sql", "name"),
    [
        (CREATE_PLACES, "add_places"),  # its index and comments belong to the new table
        ('ALTER TABLE "public"."users" ADD COLUMN "bio" text NULL;', "add_users_bio"),
        ('ALTER TABLE "public"."users" DROP COLUMN "bio";', "drop_users_bio"),
        ('ALTER TABLE "public"."users" ALTER COLUMN "name" TYPE character varying(80);', "alter_users_name"),
        ('DROP TABLE "public"."old";', "drop_old"),
        ('CREATE INDEX "users_name_idx" ON "public"."users" ("name");', "add_users_name_idx"),
        ('COMMENT ON COLUMN "public"."users"."bio" IS \'About\';', "comment_users_bio"),
        ("CREATE TYPE \"public\".\"mood\" AS ENUM ('sad', 'happy');", "add_mood"),
        (
            CREATE_PLACES + 'ALTER TABLE "public"."users" DROP COLUMN "bio";',
            "add_places_and_drop_users_bio",
        ),
        (
            'ALTER TABLE "public"."users" ADD COLUMN "a" text, ADD COLUMN "b" text, ADD COLUMN "c" text;',
            "add_users_a_and_2_more",
        ),
        ('ALTER TABLE "public"."Users Table" ADD COLUMN "Ünïcode Col" text;', "add_users_table_unicode_col"),
        # Atlas writes a column change before a new table; the name says the table first.
        ('ALTER TABLE "public"."users" ADD COLUMN "bio" text NULL;\n' + CREATE_PLACES, "add_places_and_add_users_bio"),
        (
            'ALTER TABLE "public"."users" ADD COLUMN "bio" text, ADD COLUMN "age" int;\n'
            + CREATE_PLACES
            + 'DROP TABLE "public"."old";',
            "add_places_and_3_more",
        ),
    ],
)
def test_name_says_what_changes(sql: str, name: str) -> None:
    assert name_from_sql(sql) == name


def test_name_is_short() -> None:
    long = f'ALTER TABLE "public"."{"t" * 50}" ADD COLUMN "{"c" * 50}" text;'
    assert len(name_from_sql(long)) <= 60


def test_only_plain_literals_with_a_backslash_are_rewritten() -> None:
    """migrations.escape_backslashes, on PostgreSQL's own lexer: E'' strings, dollar quotes, quoted
    names and comments stay; a plain literal keeps its value as E'...' (non-ASCII before it too)."""
    from codegen.dev.migrations import escape_backslashes

    sql = (
        "COMMENT ON COLUMN \"é\".\"b\" IS 'café \\'; SELECT E'a\\'', $$ 'x\\' $$, 'it''s \\ x', \"we'ird\" -- it's \\\n"
    )
    assert escape_backslashes(sql) == (
        "COMMENT ON COLUMN \"é\".\"b\" IS E'café \\\\'; SELECT E'a\\'', $$ 'x\\' $$, E'it''s \\\\ x', \"we'ird\" -- it's \\\n"
    )
    assert escape_backslashes("SELECT 'no backslash'") == "SELECT 'no backslash'"
