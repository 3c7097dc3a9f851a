"""The migration lint's rules: one table, what each finding means and what to do about it.

A rule gathers what Atlas's analyzers (codes like PG101) and squawk (rule names like
require-concurrent-index-creation) say about the same hazard, so a statement both flag is one
line of the report. Its key is squawk's rule name where squawk has one (its documentation then
explains it), else Atlas's analyzer name. `error` stops `make generate` and fails `make check`
unless the statement carries the named opt-out, `-- lint:allow <key>: <reason>`, on a comment
line above it; `warning` is reported and lets the migration through. Rules that are `off` are
listed in .squawk.toml's excluded_rules with the reason below (a test keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "off"]


@dataclass(frozen=True)
class Rule:
    key: str  # what the report and an opt-out name
    severity: Severity
    why: str  # what the statement does to production, one clause
    fix: str  # what to write instead
    atlas: tuple[str, ...] = ()  # Atlas CE 0.13.1's diagnostic codes
    squawk: tuple[str, ...] = ()  # squawk's rule names
    # What running a statement it flags on a table with rows shows (probe.py), as the rule's `why`
    # claims it: the strongest lock mode taken on an existing table, "rewrite", "scan", "fails".
    # Empty: its hazard is one a run cannot show (old clients, names, data elsewhere).
    shows: tuple[str, ...] = ()


_CONCURRENT = "use CREATE INDEX CONCURRENTLY in a migration of its own that starts with `-- atlas:txmode none`"

RULES: tuple[Rule, ...] = (
    Rule(
        "destructive",
        "error",
        "drops a schema, table or column and the data in it",
        "if the loss is intended, `make generate ALLOW_DESTRUCTIVE=1` (it marks the statement "
        "`-- atlas:nolint destructive`); to retire a column safely, stop using it in every service first",
        atlas=("DS101", "DS102", "DS103"),
        squawk=("ban-drop-column", "ban-drop-table", "ban-drop-database"),
    ),
    Rule(
        "require-concurrent-index-creation",
        "error",
        "CREATE INDEX takes a SHARE lock that blocks writes to the table while the index builds",
        _CONCURRENT + " (`make generate` writes it so by itself)",
        atlas=("PG101",),
        squawk=("require-concurrent-index-creation",),
        shows=("SHARE", "scan"),
    ),
    Rule(
        "require-concurrent-index-deletion",
        "error",
        "DROP INDEX takes an ACCESS EXCLUSIVE lock that blocks reads and writes of the table",
        "use DROP INDEX CONCURRENTLY in a migration of its own that starts with `-- atlas:txmode none`",
        atlas=("PG102",),
        squawk=("require-concurrent-index-deletion",),
        shows=("ACCESS EXCLUSIVE",),
    ),
    Rule(
        "ban-concurrent-index-creation-in-transaction",
        "error",
        "CREATE INDEX CONCURRENTLY cannot run inside a transaction, and Atlas wraps each file in one",
        "start the file with `-- atlas:txmode none` and keep nothing else in it",
        atlas=("PG103",),
        squawk=("ban-concurrent-index-creation-in-transaction",),
        shows=("fails",),
    ),
    Rule(
        "changing-column-type",
        "error",
        "ALTER COLUMN ... TYPE takes an ACCESS EXCLUSIVE lock and, for most type changes, rewrites the table",
        "expand and contract (docs/DEPLOY.md): add a column of the new type, backfill it in batches, "
        "switch the services, then drop the old one",
        squawk=("changing-column-type",),
        shows=("ACCESS EXCLUSIVE", "rewrite"),
    ),
    Rule(
        "prefer-text-field",
        "warning",
        "changing a varchar's length later takes an ACCESS EXCLUSIVE lock",
        "use text with a CHECK (char_length(x) <= n) constraint",
        squawk=("prefer-text-field",),
    ),
    Rule(
        "adding-required-field",
        "error",
        "a NOT NULL column without a default fails on a table that has rows",
        "give it a non-volatile DEFAULT, or add it nullable, backfill, then set NOT NULL",
        atlas=("MF103",),
        squawk=("adding-required-field",),
        shows=("fails",),
    ),
    Rule(
        "adding-not-nullable-field",
        "error",
        "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock (and fails if a NULL is left)",
        "add CHECK (x IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it in a later migration, then SET NOT NULL "
        "(PostgreSQL 12+ skips the scan when a valid check proves it)",
        atlas=("MF104",),
        squawk=("adding-not-nullable-field",),
        shows=("ACCESS EXCLUSIVE", "scan"),
    ),
    Rule(
        "data-dependent",
        "warning",
        "a new unique index fails if the table already holds duplicates",
        "check the data first (SELECT x, count(*) ... GROUP BY x HAVING count(*) > 1) or clean it in an earlier migration",
        atlas=("MF101", "MF102"),
    ),
    Rule(
        "adding-foreign-key-constraint",
        "error",
        "a new foreign key takes SHARE ROW EXCLUSIVE locks on both tables and scans the referencing one, "
        "blocking writes to both",
        "add it NOT VALID, then VALIDATE CONSTRAINT in a later migration (which blocks no writes)",
        squawk=("adding-foreign-key-constraint",),
        shows=("SHARE ROW EXCLUSIVE", "scan"),
    ),
    Rule(
        "constraint-missing-not-valid",
        "error",
        "a new CHECK or foreign key scans the whole table while it blocks writes",
        "add it NOT VALID, then VALIDATE CONSTRAINT in a later migration",
        squawk=("constraint-missing-not-valid",),
        shows=("scan",),
    ),
    Rule(
        "disallowed-unique-constraint",
        "error",
        "ADD CONSTRAINT ... UNIQUE builds its index under an ACCESS EXCLUSIVE lock",
        "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... UNIQUE USING INDEX",
        squawk=("disallowed-unique-constraint",),
        shows=("ACCESS EXCLUSIVE", "scan"),
    ),
    Rule(
        "adding-field-with-default",
        "error",
        "a column with a volatile default (random(), clock_timestamp()) or a stored generated column "
        "rewrites the table under an ACCESS EXCLUSIVE lock",
        "add the column nullable, backfill it in batches, then set the default",
        squawk=("adding-field-with-default",),
        shows=("ACCESS EXCLUSIVE", "rewrite"),
    ),
    Rule(
        "adding-serial-primary-key-field",
        "error",
        "adding a primary key builds its index under an ACCESS EXCLUSIVE lock",
        "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD PRIMARY KEY USING INDEX",
        squawk=("adding-serial-primary-key-field",),
        shows=("ACCESS EXCLUSIVE", "scan"),
    ),
    Rule(
        "renaming-column",
        "error",
        "services running the old code still read and write the old name",
        "expand and contract (docs/DEPLOY.md): add the new column, write both, backfill, switch reads, drop the old",
        atlas=("BC102",),
        squawk=("renaming-column",),
    ),
    Rule(
        "renaming-table",
        "error",
        "services running the old code still use the old name",
        "expand and contract: create the new table (or a view under the old name), move the services, then drop",
        atlas=("BC101",),
        squawk=("renaming-table",),
    ),
    Rule(
        "require-lock-timeout",
        "error",
        "a statement that waits for a lock queues every later query on the table behind it",
        "start the file with SET lock_timeout (`make generate` writes it: [tool.codegen.migrations] lock_timeout)",
        squawk=("require-lock-timeout",),
    ),
    Rule(
        "ban-drop-not-null",
        "warning",
        "services running the old code may not expect NULL in the column",
        "make sure every reader handles NULL before the migration deploys",
        squawk=("ban-drop-not-null",),
    ),
    Rule(
        "constraint-drop",
        "warning",
        "dropping a constraint lets rows in that it used to refuse",
        "make sure nothing relies on it, or replace it in the same migration",
        atlas=("CD101",),
    ),
    Rule(
        "require-concurrent-reindex",
        "error",
        "REINDEX takes SHARE on the table and ACCESS EXCLUSIVE on the index, and the planner locks every "
        "index of a table it plans a query on: reads and writes wait",
        "REINDEX CONCURRENTLY in a file that starts with `-- atlas:txmode none`",
        squawk=("require-concurrent-reindex",),
        shows=("ACCESS EXCLUSIVE",),
    ),
    Rule(
        "require-concurrent-partition-detach",
        "error",
        "DETACH PARTITION takes an ACCESS EXCLUSIVE lock on the parent",
        "DETACH PARTITION ... CONCURRENTLY in a file that starts with `-- atlas:txmode none`",
        squawk=("require-concurrent-partition-detach",),
        shows=("ACCESS EXCLUSIVE",),
    ),
    Rule(
        "ban-truncate-cascade",
        "error",
        "TRUNCATE ... CASCADE empties every table that refers to this one",
        "truncate the tables you mean by name",
        squawk=("ban-truncate-cascade",),
        shows=("ACCESS EXCLUSIVE", "rewrite"),
    ),
    Rule(
        "transaction-nesting",
        "error",
        "Atlas wraps each file in a transaction: a BEGIN or COMMIT in it breaks that",
        "remove it; for a statement that cannot run in a transaction, start the file with `-- atlas:txmode none`",
        squawk=("transaction-nesting", "ban-uncommitted-transaction"),
    ),
    Rule(
        "identifier-too-long",
        "error",
        "PostgreSQL cuts names longer than 63 bytes, so the name in the database differs from schema.hcl's",
        "use a name of at most 63 bytes",
        squawk=("identifier-too-long",),
    ),
    Rule(
        "ban-duplicate-column-assignments",
        "error",
        "the statement names a column twice and fails at run time",
        "name each column once",
        squawk=("ban-duplicate-column-assignments",),
    ),
    Rule(
        "domain-constraint",
        "warning",
        "a domain's CHECK is validated against every column of that type at once, with no NOT VALID step",
        "put the CHECK on the table columns instead",
        squawk=("ban-create-domain-with-constraint", "ban-alter-domain-with-add-constraint"),
    ),
    Rule(
        "require-enum-value-ordering",
        "warning",
        "ADD VALUE without BEFORE or AFTER puts the value last, which may not be the order meant",
        "say BEFORE or AFTER",
        squawk=("require-enum-value-ordering",),
    ),
    Rule(
        "column-types",
        "warning",
        "int and smallint ids run out, char pads, serial and timestamp without time zone surprise",
        "bigint, text, an identity column, timestamptz",
        squawk=(
            "prefer-bigint-over-int",
            "prefer-bigint-over-smallint",
            "prefer-identity",
            "prefer-timestamp-tz",
            "ban-char-field",
        ),
    ),
    Rule(
        "unused-ignore",
        "warning",
        "a squawk-ignore comment names no squawk rule (a typo ignores nothing)",
        "spell the rule as squawk's report names it",
        squawk=("unused-ignore",),
    ),
    # Off (.squawk.toml's excluded_rules), and why:
    Rule(
        "prefer-robust-stmts",
        "off",
        "asks for IF NOT EXISTS so a half-run file can be rerun",
        "none needed: Atlas runs each file in one transaction (a failure leaves nothing half-applied), "
        "and a txmode none file holds one statement",
        squawk=("prefer-robust-stmts",),
    ),
    Rule(
        "require-statement-timeout",
        "off",
        "asks for SET statement_timeout in each file",
        "none: a migration's length depends on the data (a backfill may rightly take minutes); "
        "lock_timeout bounds what production traffic waits for",
        squawk=("require-statement-timeout",),
    ),
    Rule(
        "prefer-repack",
        "off",
        "VACUUM FULL and CLUSTER hold an ACCESS EXCLUSIVE lock while they rewrite the table",
        "squawk says so only for PostgreSQL 19+ (whose REPACK CONCURRENTLY is the fix); on 15-18 "
        "the migration's observed locks show it",
        squawk=("prefer-repack",),
    ),
)

BY_KEY = {rule.key: rule for rule in RULES}
BY_CODE = {code: rule for rule in RULES for code in (*rule.atlas, *rule.squawk)}
