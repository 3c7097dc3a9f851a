"""Derive a sync runtime module from its async source by a syntax-tree transform.

psycopg keeps its sync code the same way (tools/async_to_sync.py: `ast` + ast_comments,
then black). Here the tree is libcst's concrete one, so comments, blank lines and layout
of the async source survive into the twin unchanged and only the async parts move:

- `async def`, `async with`, `async for` lose `async`; `await x` becomes `x`;
- names map through _RENAMES (`AsyncPool` -> `Pool`, `_acompat` -> `_compat`, ...);
- `Awaitable[T]` becomes `T`, and `Awaitable` leaves the imports;
- the module docstring's "(async)" becomes "(sync)", and its sentence naming the twin
  becomes "Derived from <name>_async.py; do not edit."

Any `async`/`await` or async-only name left afterwards is an AsyncToSyncError, so a new
async construct in the runtime fails generation instead of producing a broken twin.
`make check` compares the twins like every other generated file.
"""

from __future__ import annotations

import re

import libcst as cst

from codegen.errors import CodegenError

_RENAMES: dict[str, str] = {
    "_acompat": "_compat",
    "pool_async": "pool",
    "AsyncPool": "Pool",
    "AsyncConnection": "Connection",
    "AsyncDatabase": "Database",
    "db_async": "db",
    "_access_async": "_access",
    "AsyncTables": "Tables",
    "AsyncRelation": "Relation",
    "AsyncTable": "Table",
    "AsyncCursor": "Cursor",
    "AsyncRawCursor": "RawCursor",
    "AsyncServerCursor": "ServerCursor",
    "AsyncBound": "Bound",
    "AsyncQueryRunner": "QueryRunner",
    "AsyncIterator": "Iterator",
    "asynccontextmanager": "contextmanager",
    "AbstractAsyncContextManager": "AbstractContextManager",
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
}
_UNWRAP = "Awaitable"
_ASYNC_ONLY = frozenset(
    {
        _UNWRAP,
        "asyncio",
        "asynccontextmanager",
        "AbstractAsyncContextManager",
        "__aenter__",
        "__aexit__",
        "__aiter__",
        "__anext__",
    }
)
_TWIN_SENTENCE = re.compile(r"The sync twin, (\w+)\.py, is derived from this file\.")


class AsyncToSyncError(CodegenError):
    """The async source uses a construct the transform does not know (a developer error)."""


class _ToSync(cst.CSTTransformer):
    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        return updated.with_changes(asynchronous=None)

    def leave_With(self, original: cst.With, updated: cst.With) -> cst.With:
        return updated.with_changes(asynchronous=None)

    def leave_For(self, original: cst.For, updated: cst.For) -> cst.For:
        return updated.with_changes(asynchronous=None)

    def leave_CompFor(self, original: cst.CompFor, updated: cst.CompFor) -> cst.CompFor:
        return updated.with_changes(asynchronous=None)

    def leave_Await(self, original: cst.Await, updated: cst.Await) -> cst.BaseExpression:
        # `(await x).y` keeps its parentheses: they belong to the Await node.
        inner = updated.expression
        return inner.with_changes(lpar=[*updated.lpar, *inner.lpar], rpar=[*inner.rpar, *updated.rpar])

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        return updated.with_changes(value=_RENAMES.get(updated.value, updated.value))

    def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript) -> cst.BaseExpression:
        if isinstance(updated.value, cst.Name) and updated.value.value == _UNWRAP:
            (element,) = updated.slice
            if not isinstance(element.slice, cst.Index):
                raise AsyncToSyncError(f"{_UNWRAP}[...] takes one type")
            return element.slice.value
        return updated

    def leave_ImportFrom(
        self, original: cst.ImportFrom, updated: cst.ImportFrom
    ) -> cst.ImportFrom | cst.RemovalSentinel:
        if isinstance(updated.names, cst.ImportStar):
            return updated
        kept = [a for a in updated.names if not (isinstance(a.name, cst.Name) and a.name.value == _UNWRAP)]
        if not kept:
            return cst.RemoveFromParent()
        # Renaming may unsort the names (AsyncIterator -> Iterator): keep them sorted, one comma scheme.
        kept.sort(key=lambda a: cst.Module([]).code_for_node(a.name))
        names = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in kept]
        return updated.with_changes(names=names, lpar=None, rpar=None)


def _sync_docstring(module: cst.Module, name: str) -> cst.Module:
    first = module.body[0] if module.body else None
    doc = module.get_docstring(clean=False)
    if doc is None or first is None or not isinstance(first, cst.SimpleStatementLine):
        raise AsyncToSyncError(f"{name}: the async module needs a docstring naming its sync twin")
    match = _TWIN_SENTENCE.search(doc)
    if "(async)" not in doc or match is None:
        raise AsyncToSyncError(
            f'{name}: its docstring must say "(async)" and "The sync twin, <name>.py, is derived from this file."'
        )
    text = doc.replace("(async)", "(sync)", 1)
    for old, new in _RENAMES.items():
        text = re.sub(rf"\b{re.escape(old)}\b", new, text)
    text = _TWIN_SENTENCE.sub(f"Derived from {match.group(1)}_async.py; do not edit.", text, count=1)
    expr = cst.Expr(cst.SimpleString(f'"""{text}"""'))
    return module.with_changes(body=[first.with_changes(body=[expr]), *module.body[1:]])


class _Leftovers(cst.CSTVisitor):
    """Anything async the transform left: each one is a construct it does not handle."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def visit_Await(self, node: cst.Await) -> None:
        self.found.append("await")

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is not None:
            self.found.append(f"async def {node.name.value}")

    def visit_Name(self, node: cst.Name) -> None:
        if node.value.startswith("Async") or node.value in _ASYNC_ONLY:
            self.found.append(node.value)


def to_sync(source: str, name: str = "<async module>") -> str:
    """The sync twin of an async runtime module's source."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise AsyncToSyncError(f"{name}:{exc.raw_line}:{exc.raw_column}: {exc.message}") from None
    module = _sync_docstring(module.visit(_ToSync()), name)
    leftovers = _Leftovers()
    module.visit(leftovers)
    if leftovers.found:
        raise AsyncToSyncError(
            f"{name}: the sync transform does not handle {', '.join(sorted(set(leftovers.found)))};"
            " add a rule to codegen/render/async_to_sync.py"
        )
    return module.code
