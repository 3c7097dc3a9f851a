"""Connection settings: DATABASE_URL and every option, validated before any I/O.

Each option has a keyword (Database(..., statement_timeout=5)) and an environment variable
(DATABASE_STATEMENT_TIMEOUT=5s); the keyword wins, then the variable, then a parameter of the
same name in the URL (libpq's own: sslmode, sslrootcert, application_name, connect_timeout),
then the default. A bad value fails here, in one line that names the variable and the fix and
never shows a password.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import cache
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from psycopg import ProgrammingError, pq
from psycopg.conninfo import conninfo_to_dict

# Relative, so that the codegen CLI validates DATABASE_URL with this same module.
from .errors import ConfigError

URL_FORMAT = "postgresql://user:password@host:5432/dbname"
SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
# auto: detect a pooler on each new connection; transaction: PgBouncer in transaction mode
# (no prepared statements, session settings per transaction); session: a pooler in session
# mode, or a direct connection (no detection, prepared statements on); off: direct only,
# and a detected pooler is an error.
PGBOUNCER_MODES = ("auto", "transaction", "session", "off")
_SECRET_PARAMS = ("password", "sslpassword", "oauth_client_secret", "scram_client_key", "scram_server_key")
# Not RFC 3986 userinfo (unreserved, sub-delims, ':' and %XX): libpq stops the password at the
# first '@' or '/', so anything else in it must be percent-encoded to mean what it says.
_USERINFO_BAD = re.compile(r"%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:%]")
_ENCODE_HINT = {" ": "a space", "@": "'@'", "%": "'%' not followed by two hex digits", "/": "'/'", "#": "'#'"}


def _duration(raw: str) -> float:
    """Seconds from '5', '2.5', '5s', '500ms' or '2min' (as PostgreSQL writes them)."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(ms|s|min)?\s*", raw)
    if match is None:
        raise ValueError
    scale = {"ms": 0.001, "s": 1.0, "min": 60.0, None: 1.0}[match[2]]
    return float(match[1]) * scale


def _milliseconds(raw: str) -> float:
    """Milliseconds from '250', '250ms', '0.5s' or '1min' (a bare number is milliseconds)."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(ms|s|min)?\s*", raw)
    if match is None:
        raise ValueError
    return float(match[1]) * {"ms": 1.0, "s": 1000.0, "min": 60000.0, None: 1.0}[match[2]]


def _flag(raw: str) -> bool:
    if raw.lower() not in ("1", "true", "yes", "0", "false", "no"):
        raise ValueError
    return raw.lower() in ("1", "true", "yes")


def _pgbouncer(raw: str) -> str:
    value = raw.strip().lower()
    aliases = {"1": "transaction", "true": "transaction", "yes": "transaction", "0": "off", "false": "off", "no": "off"}
    value = aliases.get(value, value)
    if value not in PGBOUNCER_MODES:
        raise ValueError
    return value


# Several URLs, split where the next one starts: a comma inside one URL (libpq's multi-host
# form, postgresql://h1,h2/db) stays part of it.
_URL_LIST = re.compile(r"[\s,]+(?=[A-Za-z][A-Za-z0-9+.\-]*://)")


def _replica_urls(raw: str) -> tuple[str, ...]:
    """DATABASE_REPLICA_URLS: URLs separated by commas or spaces, each checked like DATABASE_URL."""
    urls = [u.strip(" ,") for u in _URL_LIST.split(raw.strip())]
    return tuple(validate_url(u, f"DATABASE_REPLICA_URLS (URL {i} of {len(urls)})") for i, u in enumerate(urls, 1) if u)


def _sslmode(raw: str) -> str:
    if raw not in SSLMODES:
        raise ValueError
    return raw


@dataclass(frozen=True)
class _Option:
    env: str
    parse: Callable[[str], object]
    default: object
    expects: str  # what a valid value looks like, for the error message
    url_param: str | None = None  # the libpq URL parameter of the same meaning


_POSITIVE = "a number of seconds (5, 2.5, 500ms, 2min)"
_OPTIONAL = "a number of seconds (5, 500ms, 2min; 0 = no limit)"
_OPTIONS: dict[str, _Option] = {
    "min_size": _Option("DATABASE_POOL_MIN_SIZE", int, 1, "a whole number"),
    "max_size": _Option("DATABASE_POOL_MAX_SIZE", int, 10, "a whole number"),
    "max_idle": _Option("DATABASE_POOL_MAX_IDLE", _duration, 20.0, _POSITIVE),
    "max_lifetime": _Option("DATABASE_POOL_MAX_LIFETIME", _duration, 3600.0, _POSITIVE),
    "pool_timeout": _Option("DATABASE_POOL_TIMEOUT", _duration, 10.0, _POSITIVE),
    "connect_timeout": _Option("DATABASE_CONNECT_TIMEOUT", _duration, 10.0, _POSITIVE, "connect_timeout"),
    "health_timeout": _Option("DATABASE_HEALTH_TIMEOUT", _duration, 2.0, _POSITIVE),
    "statement_timeout": _Option("DATABASE_STATEMENT_TIMEOUT", _duration, None, _OPTIONAL),
    "lock_timeout": _Option("DATABASE_LOCK_TIMEOUT", _duration, None, _OPTIONAL),
    "idle_in_transaction_session_timeout": _Option(
        "DATABASE_IDLE_IN_TRANSACTION_SESSION_TIMEOUT", _duration, None, _OPTIONAL
    ),
    "application_name": _Option("DATABASE_APPLICATION_NAME", str, None, "a name", "application_name"),
    "sslmode": _Option("DATABASE_SSLMODE", _sslmode, None, "one of " + ", ".join(SSLMODES), "sslmode"),
    "sslrootcert": _Option("DATABASE_SSLROOTCERT", str, None, "a certificate file", "sslrootcert"),
    "pgbouncer": _Option("DATABASE_PGBOUNCER", _pgbouncer, "auto", "one of auto, transaction, session, off"),
    "validate_rows": _Option("DATABASE_VALIDATE_ROWS", _flag, False, "1 or 0"),
    "replica_urls": _Option("DATABASE_REPLICA_URLS", _replica_urls, (), "postgresql:// URLs separated by commas"),
    "replica_max_lag": _Option("DATABASE_REPLICA_MAX_LAG", _duration, 10.0, _POSITIVE),
    "trace_comments": _Option("DATABASE_TRACE_COMMENTS", _flag, False, "1 or 0"),
    "slow_query_ms": _Option(
        "DATABASE_SLOW_QUERY_MS", _milliseconds, None, "milliseconds (250, 250ms, 0.5s; 0 = every statement)"
    ),
}


class Options(TypedDict, total=False):
    """The keyword arguments of Database() and AsyncDatabase(): one per option above."""

    min_size: int
    max_size: int
    max_idle: float
    max_lifetime: float
    pool_timeout: float
    connect_timeout: float
    health_timeout: float
    statement_timeout: float
    lock_timeout: float
    idle_in_transaction_session_timeout: float
    application_name: str
    sslmode: str
    sslrootcert: str
    pgbouncer: str | bool
    validate_rows: bool
    replica_urls: Sequence[str] | str
    replica_max_lag: float
    slow_query_ms: float
    trace_comments: bool


# The session settings, sent as SET (PgBouncer rejects them as startup `options`).
SESSION_SETTINGS = ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")


@cache
def _libpq_keywords() -> frozenset[str]:
    """Every connection parameter this libpq knows (no I/O: libpq's own table)."""
    return frozenset(o.keyword.decode() for o in pq.Conninfo.get_defaults()) | {"ssl"}


def redact_url(url: str) -> str:
    """The URL with its password, and any secret query parameter, replaced by ***."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "<unparsable URL>"
    authority = re.split(r"[/?]", rest, maxsplit=1)[0]
    userinfo, at, hostinfo = authority.rpartition("@")
    if ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":***"
    path, question, query = rest[len(authority) :].partition("?")
    # The key as libpq reads it, percent-decoded: ?pass%77ord=... is a password too.
    query = re.sub(
        r"(^|&)([^=&#]*)=[^&#]*",
        lambda m: f"{m[1]}{m[2]}=***" if unquote(m[2]).lower() in _SECRET_PARAMS else m[0],
        query,
    )
    return f"{scheme}://{userinfo}{at}{hostinfo}{path}{question}{query}".split("#", 1)[0]


def _prefix(url: str) -> str:
    """The start of a URL that is safe to show: up to '//', or its leading letters."""
    match = re.match(r"[A-Za-z][A-Za-z0-9+.\-]*[:/]{0,3}", url)
    return match[0][:20] if match else ""


def validate_url(url: str, source: str = "DATABASE_URL") -> str:
    """Return `url` if it is a usable PostgreSQL URL, else raise ConfigError saying why.

    Checks what libpq would otherwise report with the password in its message, or
    misread silently (an '@' in a password moves its tail into the host name).
    """
    url = url.strip()
    if not url:
        raise ConfigError(f"{source} is empty: set it to {URL_FORMAT}")
    scheme, sep, _ = url.partition("://")
    if not sep or scheme not in ("postgresql", "postgres"):
        raise ConfigError(
            f"{source} must start with postgresql:// or postgres:// (it starts with {_prefix(url)!r}): expected {URL_FORMAT}"
        )
    if "#" in url:
        raise ConfigError(f"{source} contains '#': percent-encode it as %23 (in a password, for example)")
    rest = url.split("://", 1)[1]
    authority = re.split(r"[/?]", rest, maxsplit=1)[0]
    userinfo, at, hostinfo = authority.rpartition("@")
    tail = rest[len(authority) :]
    if "@" in tail.split("?", 1)[0] or (not at and "@" in tail):
        # An '@' after a '/': the password contains a '/' (or '?'), which ends libpq's host part.
        raise ConfigError(
            f"{source} has a '/' or '?' in its user name or password: percent-encode them "
            "(%2F, %3F); python: urllib.parse.quote(password, safe='')"
        )
    if at:
        bad = _USERINFO_BAD.search(userinfo)
        if bad is not None:
            char = bad[0]
            what = _ENCODE_HINT.get(char, "a character")
            raise ConfigError(
                f"{source} has {what} in its user name or password: percent-encode it "
                f"({quote(char, safe='') if char != '%' else '%25'}); python: urllib.parse.quote(password, safe='')"
            )
    for host in hostinfo.split(","):
        _, colon, port = host.rpartition(":") if not host.endswith("]") else ("", "", "")
        if colon and port and (not port.isdigit() or not 0 < int(port) < 65536):
            raise ConfigError(f"{source} has a port that is not a number from 1 to 65535: expected {URL_FORMAT}")
    parts = urlsplit(url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    unknown = sorted({key for key, _ in params} - _libpq_keywords())
    if unknown:
        raise ConfigError(
            f"{source} has an unknown parameter {unknown[0]!r}: remove it "
            "(libpq knows sslmode, sslrootcert, application_name, connect_timeout, options, ...)"
        )
    if not hostinfo and "host" not in dict(params):
        raise ConfigError(f"{source} has no host: expected {URL_FORMAT}")
    if not parts.path.strip("/") and "dbname" not in dict(params):
        raise ConfigError(f"{source} has no database name: expected {URL_FORMAT}")
    try:
        conninfo_to_dict(url)
    except ProgrammingError:
        # libpq quotes the offending text, which may be the password: say where, not what.
        raise ConfigError(
            f"{source} is not a valid libpq URL: check the percent-encoding of the user name and password"
        ) from None
    return url


def _parse(name: str, option: _Option, raw: str, where: str) -> object:
    try:
        value = option.parse(raw)
    except ValueError:
        value = None
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0):
        raise ConfigError(f"{where}={raw[:40]!r} is not valid for {name}: expected {option.expects}")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything needed to connect and pool. Durations are seconds. `repr` never shows the password."""

    url: str = field(repr=False)
    min_size: int = 1
    max_size: int = 10
    max_idle: float = 20.0
    max_lifetime: float = 3600.0
    pool_timeout: float = 10.0
    connect_timeout: float = 10.0
    health_timeout: float = 2.0
    statement_timeout: float | None = None
    lock_timeout: float | None = None
    idle_in_transaction_session_timeout: float | None = None
    application_name: str | None = None
    sslmode: str | None = None
    sslrootcert: str | None = None
    pgbouncer: str = "auto"
    # The table layer validates every row it reads (model_validate) instead of trusting psycopg's types.
    validate_rows: bool = False
    # Read replicas: the table layer's reads and db.read() go to one of them (see db_async.py);
    # one that lags more than replica_max_lag seconds behind the primary is skipped.
    replica_urls: tuple[str, ...] = field(default=(), repr=False)
    replica_max_lag: float = 10.0
    # Statements slower than this many milliseconds are logged at WARNING (chatmaps_db.queries); None: never.
    slow_query_ms: float | None = None
    # The OpenTelemetry trace context of the request into PostgreSQL (pg_stat_activity, logs): see _observe.py.
    trace_comments: bool = False

    @property
    def safe_url(self) -> str:
        return redact_url(self.url)

    @property
    def safe_replica_urls(self) -> tuple[str, ...]:
        return tuple(redact_url(u) for u in self.replica_urls)

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr)
        return f"Settings(url={self.safe_url!r}, {shown}, replica_urls={self.safe_replica_urls!r})"

    def for_replica(self, url: str) -> Settings:
        """These settings for one replica: its URL, and no replicas of its own."""
        return replace(self, url=url, replica_urls=())

    def connect_kwargs(self) -> dict[str, Any]:
        """libpq parameters that override the URL's (the session settings are sent as SET)."""
        kwargs: dict[str, Any] = {"connect_timeout": max(2, round(self.connect_timeout))}
        for name in ("application_name", "sslmode", "sslrootcert"):
            if getattr(self, name) is not None:
                kwargs[name] = getattr(self, name)
        return kwargs

    def session_settings(self) -> dict[str, str]:
        """statement_timeout and friends as SET values ('5000ms'); a 0 means no limit."""
        return {
            name: f"{round(getattr(self, name) * 1000)}ms"
            for name in SESSION_SETTINGS
            if getattr(self, name) is not None
        }

    @classmethod
    def build(cls, url: str | None, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Keyword arguments win over the environment, then the URL's parameters, then the defaults."""
        env = os.environ if env is None else env
        if url is None:
            url = env.get("DATABASE_URL")
            if url is None:
                raise ConfigError(f"DATABASE_URL is not set: export DATABASE_URL={URL_FORMAT}")
            url = validate_url(url)
        else:
            url = validate_url(url, "url")
        unknown = sorted(set(overrides) - set(_OPTIONS))
        if unknown:
            raise ConfigError(f"unknown option {unknown[0]!r}: the options are {', '.join(_OPTIONS)}")
        in_url = dict(parse_qsl(urlsplit(url).query))
        values: dict[str, object] = {}
        for name, option in _OPTIONS.items():
            given = overrides.get(name)
            if name == "replica_urls" and given is not None and not isinstance(given, str):
                urls = list(given)  # type: ignore[call-overload]
                where = [f"replica_urls[{i}]" for i in range(len(urls))]
                values[name] = tuple(validate_url(u, w) for u, w in zip(urls, where, strict=True))
            elif given is not None:
                values[name] = _parse(name, option, str(given), name) if isinstance(given, str) else given
            elif option.env in env:
                values[name] = _parse(name, option, env[option.env], option.env)
            elif option.url_param and option.url_param in in_url:
                values[name] = _parse(name, option, in_url[option.url_param], f"the URL's {option.url_param}")
            else:
                values[name] = option.default
        if isinstance(values["pgbouncer"], bool):
            values["pgbouncer"] = "transaction" if values["pgbouncer"] else "off"
        settings = cls(url=url, **values)  # type: ignore[arg-type]
        settings._check()
        return settings

    def _check(self) -> None:
        if self.slow_query_ms is not None and not self.slow_query_ms >= 0:
            raise ConfigError(
                f"slow_query_ms={self.slow_query_ms!r} is not valid: expected milliseconds, 0 or more "
                "(DATABASE_SLOW_QUERY_MS=250)"
            )
        if not 0 <= self.min_size <= self.max_size or self.max_size < 1:
            raise ConfigError(
                f"pool sizes must satisfy 0 <= min_size <= max_size and max_size >= 1 "
                f"(got min_size={self.min_size}, max_size={self.max_size}): "
                "set DATABASE_POOL_MIN_SIZE and DATABASE_POOL_MAX_SIZE"
            )
        for name in (
            "pool_timeout",
            "connect_timeout",
            "health_timeout",
            "max_idle",
            "max_lifetime",
            "replica_max_lag",
        ):
            if not getattr(self, name) > 0:
                raise ConfigError(
                    f"{name} must be more than 0 seconds (got {getattr(self, name)}): set {_OPTIONS[name].env}"
                )
        for name in SESSION_SETTINGS:  # 0 is no limit; below it PostgreSQL refuses the SET at every connect
            value = getattr(self, name)
            if value is not None and not value >= 0:
                raise ConfigError(
                    f"{name} must be 0 (no limit) or more seconds (got {value}): set {_OPTIONS[name].env}"
                )
        if self.sslrootcert not in (None, "system") and not Path(str(self.sslrootcert)).is_file():
            raise ConfigError(
                f"sslrootcert {self.sslrootcert!r} is not a file: set DATABASE_SSLROOTCERT to the CA certificate's path"
            )
