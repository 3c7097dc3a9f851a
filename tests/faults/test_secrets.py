"""No password anywhere: DATABASE_URL mistakes, repr, health, connection errors."""

from __future__ import annotations

import pytest

from chatmaps_db import ConfigError, Database, ServerUnavailable
from codegen.dev import pg

SECRET = "Zq9-s3cret"
FORMAT = "expected postgresql://user:password@host:5432/dbname"
ENCODE = "python: urllib.parse.quote(password, safe='')"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            f"mysql://app:{SECRET}@db:3306/x",
            f"DATABASE_URL must start with postgresql:// or postgres:// (it starts with 'mysql://'): {FORMAT}",
        ),
        # A typo: nothing after the scheme-like start may be shown.
        (
            f"postgresql//app:{SECRET}@db/chat",
            f"DATABASE_URL must start with postgresql:// or postgres:// (it starts with 'postgresql//'): {FORMAT}",
        ),
        (
            f"app:{SECRET}@db/chat",
            f"DATABASE_URL must start with postgresql:// or postgres:// (it starts with 'app:'): {FORMAT}",
        ),
        (
            f"postgresql://app:{SECRET}@db:54x2/chat",
            f"DATABASE_URL has a port that is not a number from 1 to 65535: {FORMAT}",
        ),
        (f"postgresql://app:{SECRET}@db:5432/", f"DATABASE_URL has no database name: {FORMAT}"),
        (
            f"postgresql://app:{SECRET} x@db/chat",
            f"DATABASE_URL has a space in its user name or password: percent-encode it (%20); {ENCODE}",
        ),
        (
            f"postgresql://app:{SECRET}@x@db/chat",
            f"DATABASE_URL has '@' in its user name or password: percent-encode it (%40); {ENCODE}",
        ),
        (
            f"postgresql://app:{SECRET}/x@db/chat",
            f"DATABASE_URL has a '/' or '?' in its user name or password: percent-encode them (%2F, %3F); {ENCODE}",
        ),
        (
            f"postgresql://app:{SECRET}%zz@db/chat",
            f"DATABASE_URL has '%' not followed by two hex digits in its user name or password: percent-encode it (%25); {ENCODE}",
        ),
        (
            f"postgresql://app:{SECRET}#x@db/chat",
            "DATABASE_URL contains '#': percent-encode it as %23 (in a password, for example)",
        ),
        (
            f"postgresql://app@db/chat?password={SECRET}&foo=bar",
            "DATABASE_URL has an unknown parameter 'foo': remove it (libpq knows sslmode, sslrootcert, application_name, connect_timeout, options, ...)",
        ),
    ],
)
def test_url_mistakes_are_one_line_and_password_free(url: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        Database.from_env(env={"DATABASE_URL": url})
    assert str(info.value) == message
    assert SECRET[:4] not in str(info.value)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DATABASE_STATEMENT_TIMEOUT": "5 sec"},
            "DATABASE_STATEMENT_TIMEOUT='5 sec' is not valid for statement_timeout: expected a number of seconds (5, 500ms, 2min; 0 = no limit)",
        ),
        (
            {"DATABASE_POOL_TIMEOUT": "-1"},
            "DATABASE_POOL_TIMEOUT='-1' is not valid for pool_timeout: expected a number of seconds (5, 2.5, 500ms, 2min)",
        ),
        (
            {"DATABASE_SSLMODE": "required"},
            "DATABASE_SSLMODE='required' is not valid for sslmode: expected one of disable, allow, prefer, require, verify-ca, verify-full",
        ),
        (
            {"DATABASE_SSLROOTCERT": "/nowhere/ca.pem"},
            "sslrootcert '/nowhere/ca.pem' is not a file: set DATABASE_SSLROOTCERT to the CA certificate's path",
        ),
        (
            {"DATABASE_PGBOUNCER": "maybe"},
            "DATABASE_PGBOUNCER='maybe' is not valid for pgbouncer: expected one of auto, transaction, session, off",
        ),
        (
            {"DATABASE_POOL_MAX_SIZE": "0"},
            "pool sizes must satisfy 0 <= min_size <= max_size and max_size >= 1 (got min_size=1, max_size=0): set DATABASE_POOL_MIN_SIZE and DATABASE_POOL_MAX_SIZE",
        ),
    ],
)
def test_bad_settings_name_their_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        Database.from_env(env={"DATABASE_URL": f"postgresql://app:{SECRET}@db/chat", **env})
    assert str(info.value) == message


def test_settings_come_from_keywords_then_environment_then_url() -> None:
    env = {
        "DATABASE_URL": f"postgresql://app:{SECRET}@db/chat?sslmode=require&application_name=from-url&connect_timeout=3",
        "DATABASE_STATEMENT_TIMEOUT": "1500ms",
        "DATABASE_APPLICATION_NAME": "from-env",
    }
    settings = Database.from_env(env=env, lock_timeout=2, pgbouncer=True).settings
    assert (settings.statement_timeout, settings.lock_timeout, settings.application_name) == (1.5, 2, "from-env")
    assert (settings.sslmode, settings.connect_timeout, settings.pgbouncer) == ("require", 3.0, "transaction")
    assert settings.session_settings() == {"statement_timeout": "1500ms", "lock_timeout": "2000ms"}
    with pytest.raises(ConfigError) as info:
        Database.from_env(env=env, statment_timeout=1)  # type: ignore[call-arg]
    assert str(info.value).startswith("unknown option 'statment_timeout': the options are min_size, max_size, ")


def test_repr_never_shows_a_password() -> None:
    db = Database(f"postgresql://app@localhost:5432/chat?sslmode=disable&password={SECRET}")
    assert (
        repr(db) == "Database('postgresql://app@localhost:5432/chat?sslmode=disable&password=***', max_size=10, 0 open)"
    )
    db = Database(f"postgresql://app:{SECRET}@localhost:5432/chat")
    assert repr(db) == "Database('postgresql://app:***@localhost:5432/chat', max_size=10, 0 open)"
    assert SECRET not in repr(db.settings)


def test_connection_errors_and_health_never_show_a_password(fault_server: pg.ThrowawayServer) -> None:
    # A port where nothing listens, the password given as a query parameter.
    socket_dir = str(fault_server.socket_dir)
    db = Database(f"postgresql://app@/chat?host={socket_dir}&port=1&password={SECRET}")
    with pytest.raises(ServerUnavailable) as info, db.connection():
        pass
    assert str(info.value) == (
        f"cannot connect to postgresql://app@/chat?host={socket_dir}&port=1&password=***: No such file or directory "
        "(is the server running locally and accepting connections on that socket?)"
    )
    assert info.value.cause.startswith("No such file or directory")
    health = db.health()
    assert health.status == "down" and health.error == str(info.value)
    assert SECRET not in repr(health)


def test_logged_constraint_errors_carry_no_value(fault_db: str) -> None:
    """psycopg's DETAIL ('Key (token)=(SESSTOK-...) already exists', 'Failing row contains (...)')
    was chained as __cause__, and logging.exception prints the chain: every constraint error of
    the table layer, logged so, shows no value."""
    import io
    import logging
    from datetime import UTC, datetime, timedelta
    from uuid import uuid4

    from chatmaps_db import models
    from chatmaps_db.errors import ConstraintViolation

    token, email = "SESSTOK-" + SECRET, f"{SECRET}@example.com"
    stream = io.StringIO()
    logger = logging.getLogger("test-secret-chain")
    logger.addHandler(logging.StreamHandler(stream))
    logger.propagate = False
    db = Database(fault_db)
    user = db.users.insert(models.UserInsert(name="Ada", email=email))
    expires = datetime.now(UTC) + timedelta(days=1)
    db.sessions.insert(models.SessionInsert(user_id=user.id, token=token, expires_at=expires))
    # Unique (DETAIL: the email, the token), foreign key (the missing id), NOT NULL ("Failing row
    # contains (...)" with the token): no comment on the lines below, which a traceback prints.
    attempts = [
        lambda: db.users.insert(models.UserInsert(name="Eve", email=email.upper())),
        lambda: db.sessions.insert(models.SessionInsert(user_id=user.id, token=token, expires_at=expires)),
        lambda: db.sessions.insert_many([models.SessionInsert(user_id=user.id, token=token, expires_at=expires)]),
        lambda: db.sessions.upsert(models.SessionInsert(user_id=uuid4(), token=token + "2", expires_at=expires)),
        lambda: db.sessions.insert(
            models.SessionInsert.model_construct(user_id=None, token=token + "3", expires_at=expires)
        ),
    ]
    caught = 0
    for attempt in attempts:
        try:
            attempt()
        except ConstraintViolation as exc:
            caught += 1
            assert exc.pg_error is not None and exc.__cause__ is None
            logger.exception("write failed")
    db.close()
    logged = stream.getvalue()
    assert caught == len(attempts) and logged.count("Traceback") == len(attempts)
    assert SECRET not in logged and "Key (" not in logged and "Failing row" not in logged, logged
    assert "DETAIL" not in logged


def test_a_percent_encoded_password_parameter_is_redacted_too() -> None:
    """libpq decodes a parameter's key: ?pass%77ord=... is the password, and was shown."""
    from codegen.redact import redact

    db = Database(f"postgresql://app@localhost:5432/chat?sslmode=disable&pass%77ord={SECRET}")
    assert SECRET not in repr(db) and SECRET not in db.settings.safe_url
    assert db.settings.safe_url.endswith("pass%77ord=***")
    assert redact(f"at postgresql://app@h/db?pass%77ord={SECRET}&x=1") == "at postgresql://app@h/db?pass%77ord=***&x=1"
