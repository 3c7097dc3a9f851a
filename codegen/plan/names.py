"""Python identifiers from database names, sanitised in one place."""

from __future__ import annotations

import keyword
import re
import unicodedata

from pydantic import BaseModel

# Attribute names a field must not take: BaseModel's own (json, copy, schema, dict,
# model_dump, ...) and the whole model_ namespace pydantic reserves.
_RESERVED = {n for n in dir(BaseModel) if not n.startswith("__")}
# ... and the methods of the package's own bases (chatmaps_db._types: Changes.to_db(), Input's).
_RESERVED |= {"to_db", "given", "to_insert", "to_update"}


def _ascii_words(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^0-9A-Za-z_]+", "_", text).strip("_")


def field_name(name: str, fallback: str, module_names: frozenset[str] = frozenset()) -> str:
    """A safe attribute name for a column; `fallback` when nothing ASCII is left.

    `module_names` are the names annotations use (date, Decimal, Mood, ...): a field
    `date: date` would hide the type from its own annotation, so it becomes `date_`.
    """
    ident = _ascii_words(name) or fallback
    if ident[0].isdigit():
        ident = "n" + ident
    if (
        keyword.iskeyword(ident)
        or keyword.issoftkeyword(ident)
        or ident in _RESERVED
        or ident.startswith("model_")
        or ident in module_names
    ):
        ident += "_"
    return ident


def module_name(schema: str, name: str, fallback: str) -> str:
    """A table's module in chatmaps_db.models: `users` -> `users`, `auth.Users` -> `auth_users`.

    Lower case, so that two names never differ only in case (a case-insensitive file system
    would merge their files); the caller makes names unique. Never starts with `_`, which
    the package's own modules (_shared) use.
    """
    ident = _ascii_words(name if schema == "public" else f"{schema}_{name}").lower() or fallback
    if ident[0].isdigit():
        ident = "t_" + ident
    if keyword.iskeyword(ident) or keyword.issoftkeyword(ident):
        ident += "_"
    return ident


def class_name(name: str, fallback: str) -> str:
    """PascalCase: `user_accounts` -> `UserAccounts`."""
    words = [w for w in _ascii_words(name).split("_") if w]
    ident = "".join(w[:1].upper() + w[1:] for w in words) or fallback
    if ident[0].isdigit():
        ident = "T" + ident
    return ident


def singular(word: str) -> str:
    """English singular for table names: users -> user, categories -> category."""
    lower = word.lower()
    if lower.endswith("ies") and len(word) > 3:
        return word[:-3] + ("Y" if word[-1].isupper() else "y")
    if lower.endswith("zzes"):  # quizzes -> quiz
        return word[:-3]
    if lower.endswith(("sses", "shes", "ches", "xes")):  # (sizes -> size: the plain s rule below)
        return word[:-2]
    if lower.endswith("s") and not lower.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def enum_member(label: str, fallback: str) -> str:
    """UPPER_SNAKE member name for an enum label."""
    ident = _ascii_words(label).upper() or fallback
    if ident[0].isdigit():
        ident = "V_" + ident
    if keyword.iskeyword(ident.lower()) and ident.lower() == ident:
        ident += "_"
    return ident
