"""Secret columns: readable as attributes, absent from repr(), model_dump() and JSON unless revealed by name."""

from __future__ import annotations

import uuid

import pytest
from psycopg.rows import dict_row

from chatmaps_db import Database, models
from codegen import pipeline
from codegen.config import Config
from codegen.dev import pg
from codegen.errors import UnsupportedSchema
from tests.package_checks import models_source_of

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2VjcmV0"


def test_better_auth_credentials_never_print(migrated_db: str) -> None:
    db = Database(migrated_db)
    user = models.UserInsert(name="Ada", email="ada@example.com")
    with db.transaction() as conn:
        cur = conn.cursor(row_factory=dict_row)
        cur.execute("INSERT INTO users (name, email) VALUES (%(name)s, %(email)s) RETURNING id", user.to_db())
        row = cur.fetchone()
        assert row is not None
        new = models.AccountInsert(
            user_id=row["id"], account_id="ada", provider_id="credential", password=HASH, access_token="tok-1"
        )
        assert HASH not in repr(new) and new.to_db()["password"] == HASH  # the insert still writes it
        columns = ", ".join(new.to_db())
        values = ", ".join(f"%({c})s" for c in new.to_db())
        cur.execute(f"INSERT INTO accounts ({columns}) VALUES ({values}) RETURNING *", new.to_db())
        account = models.Account.model_validate(cur.fetchone())
    assert account.password == HASH and account.access_token == "tok-1"
    for shown in (repr(account), str(account), str(account.model_dump()), account.model_dump_json()):
        assert HASH not in shown and "tok-1" not in shown
    assert account.model_dump(context={"reveal": ["password"]})["password"] == HASH
    assert "access_token" not in account.model_dump(context={"reveal": ["password"]})
    assert f'"password":"{HASH}"' in account.model_dump_json(context={"reveal": "*"})
    db.close()


def test_a_comment_tag_or_the_config_marks_a_column_secret(fresh_db: str) -> None:
    with pg.connect(fresh_db) as conn:
        conn.execute("CREATE TABLE api_clients (id int PRIMARY KEY, api_key text, webhook_secret text, name text)")
        conn.execute("COMMENT ON COLUMN api_clients.api_key IS 'Issued once. @secret'")
    config = Config(secret_columns=("public.api_clients.webhook_secret",))
    models_py = models_source_of(pipeline.build(fresh_db, config).files)
    secret_lines = [ln.strip() for ln in models_py.splitlines() if "exclude=True" in ln]
    assert len(secret_lines) == 6  # api_key and webhook_secret, in the row, insert and update models
    assert "class ApiClient(SecretRow):" in models_py and "    name: str | None\n" in models_py


def test_a_misspelt_secret_column_is_an_error(fresh_db: str) -> None:
    with pg.connect(fresh_db) as conn:
        conn.execute("CREATE TABLE api_clients (id int PRIMARY KEY, api_key text)")
    # The config is this database's own (another one gets none: tests/test_workflow.py), so a
    # table it lacks is as much a typo as a column.
    for entry in ("public.accounts.password", "public.api_clients.apikey"):
        with pytest.raises(UnsupportedSchema) as info:
            pipeline.build(fresh_db, Config(secret_columns=(entry,)))
        assert str(info.value) == (
            f"pyproject.toml: [tool.codegen] secret_columns lists {entry!r}, which is not a column: "
            "write schema.table.column as in docs/SCHEMA.md"
        )


def test_rows_without_secrets_serialise_as_before() -> None:
    user = models.User(
        id=uuid.uuid4(), name="Ada", email="a@x", email_verified=False, image=None,
        created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z",
    )  # fmt: skip
    assert set(user.model_dump()) == set(models.User.model_fields)
