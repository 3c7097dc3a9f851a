"""`make studio`: browse the data in a browser, like Drizzle Studio, built on sqladmin.

sqladmin (a maintained admin for Starlette on SQLAlchemy models) gets a view per class of the
package's tables.py, which `make check` proves equal to schema.hcl, plus one per view and per
table without a primary key (mapped here on all their columns). Lists paginate, sort on every
column, search the text columns, and link rows to the rows their foreign keys name, shown by
a label (a unique text column such as email, else the key: labeler()) beside the key's column.

- Read-only by default, and the database enforces it: every session of the studio's engine
  starts with default_transaction_read_only = on; the create/edit/delete buttons are hidden too.
- Secret columns ([tool.codegen] secret_columns: password hashes, tokens) are not shown.
- `WRITE=1` allows edits: each form is validated by the package's Insert or Update model
  before SQLAlchemy writes it.
- It listens on 127.0.0.1 (Drizzle Studio's port, 4983). Another address needs `--host` and a
  password (STUDIO_PASSWORD): a login page then guards every page.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hmac
import importlib
import ipaddress
import json
import types
import uuid
from collections.abc import Awaitable, Callable
from time import monotonic
from typing import Any
from urllib.parse import urlsplit

import psycopg
from markupsafe import Markup, escape
from pydantic import ValidationError
from sqladmin import Admin, ModelView
from sqladmin.authentication import AuthenticationBackend
from sqladmin.formatters import BASE_FORMATTERS
from sqlalchemy import Engine, String, Text, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, RelationshipProperty, configure_mappers
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from wtforms import PasswordField  # type: ignore[import-untyped]  # sqladmin's forms; no stubs
from wtforms.validators import Optional  # type: ignore[import-untyped]

from codegen.dev import package
from codegen.dev.pg import LOCAL_HOSTS
from codegen.errors import UsageError
from codegen.redact import redact

PORT = 4983


def _null(_: Any) -> Markup:
    return Markup('<span class="text-muted fst-italic">NULL</span>')


def _text(value: str) -> Markup:
    return Markup('<span class="text-muted">""</span>') if value == "" else Markup(escape(value))


def _json(value: Any) -> Markup:
    return Markup("<code>{}</code>").format(json.dumps(value, default=str, ensure_ascii=False))


def _moment(value: dt.datetime) -> str:
    return value.isoformat(sep=" ") if value.tzinfo is not None else value.isoformat(sep=" ") + " (no zone)"


# How each type shows: NULL apart from "", JSON and arrays as JSON, enums by label, timestamps
# with their zone (one without says so).
FORMATTERS: dict[Any, Any] = {
    **BASE_FORMATTERS,
    type(None): _null,
    str: _text,
    dict: _json,
    list: _json,
    dt.datetime: _moment,
    decimal.Decimal: str,
    uuid.UUID: str,
    ipaddress.IPv4Address: str,
    ipaddress.IPv6Address: str,
}


def engine(url: str, *, write: bool) -> Engine:
    """SQLAlchemy on psycopg for `url`; read-only sessions unless `write` (the server enforces it)."""
    made = create_engine(
        url.replace("postgresql://", "postgresql+psycopg://", 1).replace("postgres://", "postgresql+psycopg://", 1)
    )
    if not write:

        @event.listens_for(made, "connect")
        def read_only(dbapi_connection: Any, _: Any) -> None:
            with dbapi_connection.cursor() as cur:
                cur.execute("SET default_transaction_read_only = on")
            dbapi_connection.commit()

    return made


def _classes(tables: types.ModuleType) -> list[type[Any]]:
    """Every mapped class of tables.py, and one made here per view, and per table it has as a
    Table only (no primary key): mapped on all its columns, which is enough to list and show rows."""
    base: type[DeclarativeBase] = tables.Base
    mapped = [m.class_ for m in base.registry.mappers]
    seen = {cls.__table__ for cls in mapped}
    relations = dict(base.metadata.tables)
    views = getattr(tables, "views_metadata", None)  # views and materialized views (see render/tables.py)
    if views is not None:
        relations |= views.tables
    for name, table in sorted(relations.items()):
        if table in seen:
            continue
        cls_name = "".join(part.capitalize() for part in name.replace(".", "_").split("_")) or "Relation"
        mapped.append(
            type(cls_name, (base,), {"__table__": table, "__mapper_args__": {"primary_key": list(table.columns)}})
        )
    configure_mappers()  # each relationship's columns (local_columns) are known from here on
    return sorted(mapped, key=lambda c: c.__table__.fullname)


def _table_layer(name: str) -> dict[str, type[Any]]:
    """{schema.table: its table-layer class} of the package `name` (Spec, Insert model)."""
    access = importlib.import_module(f"{name}.access")
    return {t: cls for t, (_, cls) in package.table_classes(access.Tables).items()}


def _unique_columns(layer: type[Any]) -> list[str]:
    """The columns of a table's one-column unique keys, from its Spec (whose keys include a unique
    index on lower(email), which the SQLAlchemy table has only as text)."""
    return [k.columns[0] for k in layer._spec.keys if len(k.columns) == 1]


# A row's label, where a unique text column has one of these names, in this order of preference.
_LABEL_NAMES = ("email", "username", "user_name", "login", "handle", "slug", "name", "title", "code")


def labeler(cls: type[Any], unique: list[str], secret: frozenset[str]) -> Callable[[Any], str]:
    """How a row of `cls` shows where another row refers to it (a foreign key, a list of related
    rows): a unique text column that is not secret (email, then the others by _LABEL_NAMES,
    then any), else its primary key; never an object's repr."""
    table = cls.__table__
    mapper = cls.__mapper__
    texts = [
        c for c in unique if c in table.columns and c not in secret and isinstance(table.columns[c].type, String | Text)
    ]
    texts.sort(key=lambda c: _LABEL_NAMES.index(c) if c in _LABEL_NAMES else len(_LABEL_NAMES))
    shown = [mapper.get_property_by_column(table.columns[c]).key for c in texts[:1]]
    key = [mapper.get_property_by_column(c).key for c in mapper.primary_key]

    def label(row: Any) -> str:
        for attr in shown:
            value = getattr(row, attr, None)
            if value not in (None, ""):
                return str(value)
        return ", ".join(str(getattr(row, attr, "")) for attr in key)

    return label


def view_for(
    cls: type[Any],
    *,
    write: bool,
    changes: tuple[type[Any], type[Any]] | None,
    formatters: dict[Any, Any] | None = None,
) -> type[ModelView]:
    """A sqladmin view of one mapped class; `formatters`: FORMATTERS and each class's labeler()."""
    table = cls.__table__
    # Secret columns (a password hash, a token: [tool.codegen] secret_columns) stay out of sight.
    secret: frozenset[str] = getattr(changes[0], "_secret_fields", frozenset()) if changes else frozenset()
    columns = [c for c in table.columns if c.key not in secret]
    relations = [p for p in cls.__mapper__.iterate_properties if isinstance(p, RelationshipProperty)]
    text_columns = [getattr(cls, c.key) for c in columns if isinstance(c.type, String | Text)]
    editable = write and changes is not None
    many_to_one = [r for r in relations if not r.uselist]
    form_relations = [r.key for r in relations]  # sqladmin's forms pick related rows, not key values

    def blank_means_default(data: dict[str, Any]) -> None:
        """A field left blank on a create form: the column's default (now(), gen_random_uuid())."""
        for key in [k for k, v in data.items() if v in (None, "") and k in table.columns]:
            if table.columns[key].server_default is not None or table.columns[key].identity is not None:
                del data[key]

    async def on_model_change(
        self: ModelView, data: dict[str, Any], model: Any, is_created: bool, request: Request
    ) -> None:
        assert changes is not None
        given = {
            k: (None if v == "" and table.columns[k].nullable else v) for k, v in data.items() if k in table.columns
        }
        for r in many_to_one:  # the form picks the referenced row: its key is the foreign key's value
            if r.key not in data:
                continue
            picked = data[r.key]
            pairs = [(str(local.key), str(remote.key)) for local, remote in r.local_remote_pairs or ()]
            if picked in (None, ""):
                given |= {local: None for local, _ in pairs}
            elif isinstance(picked, str) and len(pairs) == 1:  # the form's value: the row's key
                given[pairs[0][0]] = picked
            else:
                given |= {local: getattr(picked, remote, None) for local, remote in pairs}
        try:
            (changes[0] if is_created else changes[1]).model_validate(given)
        except ValidationError as exc:  # shown on the form: the fields and why, never a value given
            raise ValueError(_problems(exc)) from None

    async def insert_model(self: ModelView, request: Request, data: dict[str, Any]) -> Any:
        blank_means_default(data)
        return await _clean_errors(table.fullname, ModelView.insert_model(self, request, data))

    async def update_model(self: ModelView, request: Request, pk: str, data: dict[str, Any]) -> Any:
        for key in secret:  # not on the edit form: an edit leaves a secret as it is
            data.pop(key, None)
        return await _clean_errors(table.fullname, ModelView.update_model(self, request, pk, data))

    attrs: dict[str, Any] = {
        "name": table.fullname,
        "name_plural": table.fullname,
        "column_list": _beside_their_keys(cls, columns, [r for r in relations if not r.uselist]),
        "column_details_list": [*(getattr(cls, c.key) for c in columns), *(getattr(cls, r.key) for r in relations)],
        "column_sortable_list": [getattr(cls, c.key) for c in columns],
        "column_searchable_list": text_columns,
        "column_type_formatters": formatters or FORMATTERS,
        "column_type_formatters_detail": formatters or FORMATTERS,
        "page_size": 25,
        "page_size_options": [25, 50, 100, 500],
        "can_create": editable,
        "can_edit": editable,
        "can_delete": editable,
        "can_export": True,
        "on_model_change": on_model_change,
        "insert_model": insert_model,
        "update_model": update_model,
        # Secrets: never on an edit form (never shown, left unchanged); on a create form a password
        # input, which never renders a value back.
        "form_edit_rules": [*(c.key for c in columns if not c.primary_key and not c.foreign_keys), *form_relations],
        "form_create_rules": [
            *(c.key for c in table.columns if not c.primary_key and not c.foreign_keys),
            *form_relations,
        ],
        "form_overrides": {key: PasswordField for key in secret},
        # A column with a default may be left blank: the database fills it (blank_means_default).
        "form_args": {
            c.key: {"validators": [Optional()]}
            for c in table.columns
            if c.server_default is not None and not c.primary_key and not c.foreign_keys
        },
    }
    return types.new_class(f"{cls.__name__}Admin", (ModelView,), {"model": cls}, lambda ns: ns.update(attrs))


def _beside_their_keys(cls: type[Any], columns: list[Any], relations: list[RelationshipProperty[Any]]) -> list[Any]:
    """The list's columns, each many-to-one relation (its row's label, linked) right after its
    foreign key's last column, where it is seen without scrolling to the end."""
    after: dict[str, list[Any]] = {}
    for r in relations:
        last = [c.key for c in columns if c in r.local_columns][-1:] or [""]  # "": its key columns are secret
        after.setdefault(last[0], []).append(getattr(cls, r.key))
    out = []
    for c in columns:
        out += [getattr(cls, c.key), *after.pop(c.key, [])]
    return out + [attr for attrs in after.values() for attr in attrs]


def _problems(exc: ValidationError) -> str:
    """A ValidationError as `field: why; ...`, without the values (pydantic's text has them)."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg']}" for e in exc.errors())


async def _clean_errors(table: str, saving: Awaitable[Any]) -> Any:
    """A write's database error as one line naming the table and the constraint, never
    PostgreSQL's DETAIL ("Failing row contains (...)": every value, secrets too)."""
    try:
        return await saving
    except DBAPIError as exc:
        orig = exc.orig
        if isinstance(orig, psycopg.IntegrityError):
            from chatmaps_db._spec import violation  # the package's own wording of a constraint error

            ours = violation(orig)
            if ours is not None:
                raise ValueError(str(ours)) from None
        primary = getattr(getattr(orig, "diag", None), "message_primary", None) or type(orig).__name__
        raise ValueError(f"{table}: {primary}") from None


class _Password(AuthenticationBackend):
    """One shared password (STUDIO_PASSWORD) for a studio bound beyond this machine."""

    def __init__(self, password: str) -> None:
        super().__init__(secret_key=password + ":chatmaps-db studio")
        # A session of SESSION_HOURS (not Starlette's 14 days), sent to this site only (SameSite=strict).
        self.middlewares = [
            Middleware(
                SessionMiddleware,
                secret_key=password + ":chatmaps-db studio",
                max_age=SESSION_HOURS * 3600,
                same_site="strict",
            )
        ]
        self._password = password
        self._failures: dict[str, list[float]] = {}  # client address -> when its recent wrong guesses were

    async def login(self, request: Request) -> bool:
        client = request.client.host if request.client else "?"
        now = monotonic()
        recent = [t for t in self._failures.get(client, []) if now - t < LOGIN_WINDOW]
        if len(recent) >= LOGIN_ATTEMPTS:  # too many wrong guesses lately: not even checked
            self._failures[client] = recent
            return False
        form = await request.form()
        ok = hmac.compare_digest(str(form.get("password") or "").encode(), self._password.encode())
        if ok:
            request.session["studio"] = True
            self._failures.pop(client, None)
        else:
            self._failures[client] = [*recent, now]
        return ok

    async def logout(self, request: Request) -> bool:
        request.session.clear()
        return True

    async def authenticate(self, request: Request) -> RedirectResponse | bool:
        return bool(request.session.get("studio"))


# Login: at most LOGIN_ATTEMPTS wrong passwords per client in LOGIN_WINDOW seconds; a session lasts SESSION_HOURS.
LOGIN_ATTEMPTS = 5
LOGIN_WINDOW = 60.0
SESSION_HOURS = 8


class Guard:
    """ASGI middleware in front of the studio: a request whose Host is not the address the studio
    was started on is refused (DNS rebinding: a page of attacker.example that resolves to
    127.0.0.1 reaches the studio through the developer's own browser), and so is a write (POST,
    PUT, PATCH, DELETE) whose Origin, or else Referer, is not the studio itself (CSRF: a form
    on another site posting here). Browsers send Origin with every cross-site write; a write
    with neither header is refused too. With the session cookie SameSite=strict, this is the
    defence OWASP lists first; sqladmin's forms carry no token to check."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str] | None) -> None:
        self.app = app
        self.hosts = hosts  # the Host values allowed; None: any (bound to every address, password on)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            host = headers.get("host", "")
            if self.hosts is not None and host.lower() not in self.hosts:
                await PlainTextResponse(f"unknown Host {host!r}: open the studio at its own address", 421)(
                    scope, receive, send
                )
                return
            if scope["method"] not in ("GET", "HEAD", "OPTIONS"):
                origin = headers.get("origin") or _origin_of(headers.get("referer", ""))
                if not origin or urlsplit(origin).netloc.lower() != host.lower():
                    await PlainTextResponse("a write from another site (or without Origin) is refused", 403)(
                        scope, receive, send
                    )
                    return
        await self.app(scope, receive, send)


def _origin_of(referer: str) -> str:
    parts = urlsplit(referer)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def allowed_hosts(host: str, port: int) -> frozenset[str] | None:
    """The Host values a studio bound to `host` answers: the loopback names for a loopback
    address; that address for another; any for a wildcard bind (which needs a password)."""
    if host in ("0.0.0.0", "::", ""):
        return None
    names = {"127.0.0.1", "localhost", "[::1]"} if host in LOCAL_HOSTS else {f"[{host}]" if ":" in host else host}
    return frozenset(f"{n}:{port}".lower() for n in names)


def check_bind(host: str, password: str | None) -> None:
    """UsageError for a non-loopback address without a password."""
    if host not in LOCAL_HOSTS and not password:
        raise UsageError(
            f"the studio shows every row: binding it to {host} needs a password: "
            "set STUDIO_PASSWORD (and keep the address private), or use HOST=127.0.0.1"
        )


def app(
    url: str,
    *,
    write: bool = False,
    name: str = "chatmaps_db",
    password: str | None = None,
    hosts: frozenset[str] | None = None,
) -> Starlette:
    """The studio's ASGI app for `url`: sqladmin at /, every table and view of the package `name`,
    behind Guard (`hosts`: the Host values it answers, allowed_hosts(); None: any)."""
    tables = importlib.import_module(f"{name}.tables")
    layers = _table_layer(name)
    changes = {t: package.changes_models(cls) for t, cls in layers.items()}
    made = Starlette(middleware=[Middleware(Guard, hosts=hosts)])
    auth = _Password(password) if password else None
    mode = "read-write" if write else "read-only"
    made_engine = engine(url, write=write)
    title = f"studio: {mode}"
    admin = Admin(made, made_engine, base_url="/", title=title, authentication_backend=auth)
    try:
        with made_engine.connect() as conn:  # reading one would fail: "has not been populated"
            empty = {f"{r[0]}.{r[1]}" for r in conn.execute(text(_UNPOPULATED))}
    except DBAPIError as exc:  # the database is down or refuses: one line, not SQLAlchemy's traceback
        reason = " ".join(str(exc.orig).split()).split(" failed: ")[-1]
        raise UsageError(f"the studio cannot reach {redact(url)}: {reason}") from None
    classes = {f"{cls.__table__.schema or 'public'}.{cls.__table__.name}": cls for cls in _classes(tables)}
    formatters = dict(FORMATTERS)
    for table, cls in classes.items():  # a related row shows by its label, with a link to it
        secret: frozenset[str] = (
            getattr(changes[table][0], "_secret_fields", frozenset()) if table in changes else frozenset()
        )
        formatters[cls] = labeler(cls, _unique_columns(layers[table]) if table in layers else [], secret)
    for table, cls in classes.items():
        if table in empty:
            print(f"note: {table} is left out: a materialized view with no data yet (REFRESH MATERIALIZED VIEW it)")
            continue
        admin.add_view(view_for(cls, write=write, changes=changes.get(table), formatters=formatters))
    return made


_UNPOPULATED = """
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'm' AND NOT c.relispopulated
"""
