"""Connection settings: DATABASE_URL and pool options, validated before any I/O."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

# Relative, so that the codegen CLI validates DATABASE_URL with this same module.
from .errors import ConfigError

URL_FORMAT = "postgresql://user:password@host:5432/dbname"

# keyword -> (environment variable, type, default)
_OPTIONS: dict[str, tuple[str, type, object]] = {
    "min_size": ("DATABASE_POOL_MIN_SIZE", int, 1),
    "max_size": ("DATABASE_POOL_MAX_SIZE", int, 10),
    "max_idle": ("DATABASE_POOL_MAX_IDLE", float, 20.0),
    "connect_timeout": ("DATABASE_CONNECT_TIMEOUT", float, 10.0),
    "pgbouncer": ("DATABASE_PGBOUNCER", bool, False),
}


def redact_url(url: str) -> str:
    """The URL with its password replaced by ***."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        return "<unparsable URL>"


def validate_url(url: str, source: str = "DATABASE_URL") -> str:
    """Return `url` if it is a usable PostgreSQL URL, else raise ConfigError saying why."""
    if not url.strip():
        raise ConfigError(f"{source} is empty: set it to {URL_FORMAT}")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"{source} is malformed ({str(exc).split(':')[0]}): expected {URL_FORMAT}") from None
    if parts.scheme not in ("postgresql", "postgres"):
        shown = parts.scheme or redact_url(url)[:20]
        raise ConfigError(f"{source} must start with postgresql:// (got {shown!r}): expected {URL_FORMAT}")
    if not parts.hostname and "host=" not in parts.query:
        raise ConfigError(f"{source} has no host: expected {URL_FORMAT}")
    if not parts.path.strip("/"):
        raise ConfigError(f"{source} has no database name: expected {URL_FORMAT}")
    if port == 0:
        raise ConfigError(f"{source} has port 0: expected {URL_FORMAT}")
    return url.strip()


def _parse(name: str, env: str, kind: type, raw: str) -> object:
    try:
        if kind is bool:
            if raw.lower() not in ("1", "true", "yes", "0", "false", "no"):
                raise ValueError
            return raw.lower() in ("1", "true", "yes")
        return kind(raw)
    except ValueError:
        raise ConfigError(f"{env}={raw!r} is not a valid {kind.__name__} (the {name} pool setting)") from None


@dataclass(frozen=True)
class Settings:
    """Everything needed to open the pool. `repr` never shows the password."""

    url: str = field(repr=False)
    min_size: int = 1
    max_size: int = 10
    max_idle: float = 20.0
    connect_timeout: float = 10.0
    pgbouncer: bool = False

    @property
    def safe_url(self) -> str:
        return redact_url(self.url)

    def __repr__(self) -> str:
        return (
            f"Settings(url={self.safe_url!r}, min_size={self.min_size}, max_size={self.max_size}, "
            f"max_idle={self.max_idle}, connect_timeout={self.connect_timeout}, pgbouncer={self.pgbouncer})"
        )

    @classmethod
    def build(cls, url: str | None, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Keyword arguments win over the environment, which wins over the defaults."""
        env = os.environ if env is None else env
        if url is None:
            url = env.get("DATABASE_URL")
            if url is None:
                raise ConfigError(f"DATABASE_URL is not set: export DATABASE_URL={URL_FORMAT}")
            url = validate_url(url)
        else:
            url = validate_url(url, "url")
        values: dict[str, object] = {}
        for name, (env_name, kind, default) in _OPTIONS.items():
            if overrides.get(name) is not None:
                values[name] = overrides[name]
            elif env_name in env:
                values[name] = _parse(name, env_name, kind, env[env_name])
            else:
                values[name] = default
        settings = cls(url=url, **values)  # type: ignore[arg-type]
        if not 0 <= settings.min_size <= settings.max_size or settings.max_size < 1:
            raise ConfigError(f"pool sizes must satisfy 0 <= min_size <= max_size, max_size >= 1 (got {settings})")
        return settings
