"""The generator's defects found on public schemas (issue 10), one schema that has them all:
expression indexes, NULL array elements, builtin-named columns, every built-in type, extension
types, views and partitions, file modes, warnings, the docs, and the hash kept in one file."""

from __future__ import annotations

import ast
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from codegen.dev import pg
from tests.package_checks import LOAD_EVERYTHING, generate_from_url, models_source, mypy_strict, run_python

# Every name an annotation or tables.py uses, as a column with a default (the case that broke
# models.py at import) on one table.
SHADOWED = ("str", "int", "float", "bool", "bytes", "list", "dict", "object", "type", "Mapped", "Optional", "text",
            "Column", "datetime", "decimal", "uuid", "Table", "Index")  # fmt: skip
MODEL_NAMES = SHADOWED[:9]
# Built-in types a column can have, beyond the type zoo's: all map, and so do their arrays.
BUILTIN_QUERY = """
SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = 'pg_catalog' AND t.typtype IN ('b', 'r', 'm') AND t.typcategory <> 'A' AND t.typisdefined
  AND (t.typname NOT LIKE 'pg\\_%%' OR t.typname IN ('pg_lsn', 'pg_snapshot'))
  AND t.typname NOT IN ('unknown', 'xml', 'gtsvector', 'int2vector', 'oidvector', 'anyarray')
ORDER BY 1
"""


def schema_sql(builtins: list[str]) -> str:
    shadow = ", ".join(f"\"{n}\" text NOT NULL DEFAULT 'x'" for n in SHADOWED)
    types = ", ".join(f'"c_{t}" {t}, "a_{t}" {t}[]' for t in builtins)
    return f"""
CREATE EXTENSION cube; CREATE EXTENSION earthdistance; CREATE EXTENSION tablefunc;
CREATE TABLE shadow (id int PRIMARY KEY, {shadow});
CREATE TABLE importlib (id int PRIMARY KEY, "typing" text, "annotations" text);  -- modules named like the facade's imports
CREATE TABLE "any" (id int PRIMARY KEY); CREATE TABLE field (id int PRIMARY KEY);  -- classes named like imports
CREATE TABLE "decimal" (id int PRIMARY KEY, d numeric); CREATE TABLE row (id int PRIMARY KEY);
CREATE TYPE literal AS ENUM ('a'); CREATE TABLE uses (id int PRIMARY KEY, l literal);
CREATE TABLE base (id int PRIMARY KEY); CREATE TABLE computed (id int PRIMARY KEY, o text);  -- tables.py's names
CREATE TABLE every_type (id int PRIMARY KEY, {types});
CREATE TABLE docs (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, title text NOT NULL, tags text[] NOT NULL,
  body jsonb, grid int[][], here earth, half bigint GENERATED ALWAYS AS (id / 2) STORED);
CREATE INDEX docs_title_partial ON docs (lower(title)) WHERE body IS NOT NULL;
CREATE INDEX docs_body_gin ON docs USING gin ((body -> 'a'));
CREATE INDEX docs_tags_gin ON docs USING gin (tags);
CREATE INDEX docs_title_desc ON docs (title DESC NULLS LAST) INCLUDE (body);
CREATE VIEW doc_titles AS SELECT id, title FROM docs;
CREATE MATERIALIZED VIEW doc_count AS SELECT count(*) AS n FROM docs;
CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO docs (title, tags, grid) VALUES ('a', ARRAY['x', NULL], ARRAY[[1, NULL], [3, 4]]);
"""


@pytest.fixture(scope="module")
def generated(server: pg.Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, str]]:
    out = tmp_path_factory.mktemp("defects")
    with pg.scratch_database(server.url, "defects") as url:
        with pg.connect(url) as conn:
            builtins = [r[0] for r in conn.execute(BUILTIN_QUERY)]
            conn.execute(schema_sql(builtins))
        config = out.parent / "defects.toml"  # cube (earth's base) has no mapping: the override says str
        config.write_text('[tool.codegen.types]\n"public.cube" = "str"\n')
        proc = generate_from_url(url, out, "--config", str(config))
        assert proc.returncode == 0, proc.stderr
        yield url, out, proc.stderr


def test_package_passes_mypy_strict_and_imports_models_and_tables(generated: tuple[str, Path, str]) -> None:
    _, out, stderr = generated
    assert "warning:" not in stderr, stderr
    proc = mypy_strict(out)
    assert proc.returncode == 0, proc.stdout
    proc = run_python(out, "-c", "import warnings; warnings.simplefilter('error')\n" + LOAD_EVERYTHING)
    assert proc.returncode == 0 and int(proc.stdout) > 0, proc.stderr


def test_builtin_named_columns_are_renamed_in_both_files(generated: tuple[str, Path, str]) -> None:
    _, out, _ = generated
    models = models_source(out)
    tables = (out / "chatmaps_db" / "tables.py").read_text()
    imported = {a.asname or a.name for n in ast.parse(models).body if isinstance(n, ast.ImportFrom) for a in n.names}
    for name in SHADOWED:
        # models.py's annotations use the builtins only; other names stay as they are there
        py = f"{name}_" if name in MODEL_NAMES or name in imported else name  # what models.py binds
        assert f"    {py}: str = Field(default_factory=unset" in models, name
        assert f'    {name}_: Mapped[str] = mapped_column("{name}", Text' in tables, name


def test_expression_index_keys_survive_into_tables_py_ddl(generated: tuple[str, Path, str]) -> None:
    _, out, _ = generated
    code = """
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex
from chatmaps_db.tables import Docs
for index in sorted(Docs.__table__.indexes, key=lambda i: i.name):
    print(" ".join(str(CreateIndex(index).compile(dialect=postgresql.dialect())).split()))
"""
    proc = run_python(out, "-c", code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "CREATE INDEX docs_body_gin ON docs USING gin ((body -> 'a'::text))",
        "CREATE INDEX docs_tags_gin ON docs USING gin (tags)",
        "CREATE INDEX docs_title_desc ON docs (title DESC NULLS LAST) INCLUDE (body)",
        "CREATE INDEX docs_title_partial ON docs (lower(title)) WHERE body IS NOT NULL",
    ]


def test_array_elements_may_be_null_and_rows_with_them_validate(generated: tuple[str, Path, str]) -> None:
    url, out, _ = generated
    models = models_source(out)
    assert "    tags: list[str | None]\n" in models
    assert "    grid: list[list[int | None] | None] | None\n" in models
    code = f"""
import psycopg
from psycopg.rows import dict_row
from chatmaps_db.models import Doc
with psycopg.connect({url!r}, row_factory=dict_row) as conn:
    row = Doc.model_validate(conn.execute("SELECT * FROM docs").fetchone())
print(row.tags, row.grid)
"""
    proc = run_python(out, "-c", code)
    assert proc.stdout.strip() == "['x', None] [[1, None], [3, 4]]", proc.stderr


def test_geometric_values_round_trip_as_typed_values(generated: tuple[str, Path, str]) -> None:
    url, out, _ = generated
    code = f"""
from chatmaps_db import Database, models
from chatmaps_db.geometry import Box, Circle, Point
db = Database({url!r})
with db.transaction() as conn:
    conn.execute("INSERT INTO every_type (id, c_point, c_box, c_circle, a_point) VALUES (1, %s, %s, %s, %s)",
                 [Point(1, 2.5), Box(Point(2, 2), Point(0, 0)), Circle(Point(0, 0), 3), [Point(0, 1), None]])
    cur = conn.execute("SELECT c_point, c_box, c_circle, a_point FROM every_type")
    print(cur.fetchone())
nulls = {{f.validation_alias or n: None for n, f in models.EveryType.model_fields.items()}}
row = models.EveryType.model_validate({{**nulls, "id": 1, "c_point": "(1,2.5)", "a_point": ["(0,1)", None]}})
print(row.c_point, row.a_point, row.model_dump_json(include={{"c_point"}}))
db.close()
"""
    proc = run_python(out, "-c", code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "(Point(x=1.0, y=2.5), Box(high=Point(x=2.0, y=2.0), low=Point(x=0.0, y=0.0)), "
        "Circle(center=Point(x=0.0, y=0.0), radius=3.0), [Point(x=0.0, y=1.0), None])",
        '(1,2.5) [Point(x=0.0, y=1.0), None] {"c_point":"(1,2.5)"}',
    ]


def test_views_get_read_only_rows_and_partitions_no_model(generated: tuple[str, Path, str]) -> None:
    _, out, stderr = generated
    models = models_source(out)
    tables = (out / "chatmaps_db" / "tables.py").read_text()
    assert "class DocTitle(Row):" in models and "class DocCount(Row):" in models
    assert "DocTitleInsert" not in models and "DocCountUpdate" not in models
    assert "    n: int | None\n" in models  # a view's columns are nullable unless proven not
    assert "class Event(Row):" in models and "Events2026" not in models
    assert 't_doc_titles: Table = Table("doc_titles", views_metadata, Column("id", BigInteger)' in tables
    assert "events_2026" not in tables
    assert "note: partition public.events_2026: a partition of public.events, whose model covers it" in stderr


def test_extension_types_are_generated_only_when_used(generated: tuple[str, Path, str]) -> None:
    _, out, _ = generated
    models = models_source(out)
    assert "Earth = " in models  # earthdistance's domain, which docs.here uses
    assert "Tablefunc" not in models  # tablefunc's composite types, which no column uses


def test_files_are_0644_and_only_meta_carries_the_hash(generated: tuple[str, Path, str]) -> None:
    _, out, _ = generated
    files = [
        p
        for p in out.rglob("*")
        if p.is_file() and not any(x.startswith((".", "__pycache__")) for x in p.parts[len(out.parts) :])
    ]
    assert files and all(stat.S_IMODE(p.stat().st_mode) == 0o644 for p in files)
    hash_line = next(ln for ln in (out / "chatmaps_db" / "_meta.py").read_text().splitlines() if "SCHEMA_HASH =" in ln)
    digest = hash_line.split('"')[1]
    assert [p.name for p in files if digest in p.read_text()] == ["_meta.py"]


def test_schema_md_from_a_database_without_migrations(generated: tuple[str, Path, str]) -> None:
    _, out, _ = generated
    doc = (out / "SCHEMA.md").read_text()
    assert "Migration None" not in doc and "no Atlas migrations applied" in doc
    assert "\n\n\n" not in doc
    assert "## public.doc_titles (view)" in doc


def test_from_url_needs_out_and_removes_only_what_it_wrote(server: pg.Server, tmp_path: Path) -> None:
    """Defect 9: without --out it wrote into ./generated and never removed stale files."""
    cmd = [sys.executable, "-m", "codegen", "generate", "--from-url"]
    out = tmp_path / "out"
    models_dir = out / "chatmaps_db" / "models"
    with pg.scratch_database(server.url, "outdir") as url:
        with pg.connect(url) as conn:
            conn.execute("CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY)")
        proc = subprocess.run([*cmd, url], cwd=tmp_path, capture_output=True, text=True, check=False)
        assert (proc.returncode, proc.stderr) == (
            1,
            "error: generate --from-url needs --out DIR: a package from another database must not replace generated/\n",
        )
        assert list(tmp_path.iterdir()) == []  # nothing written anywhere

        assert generate_from_url(url, out).returncode == 0
        assert sorted(p.name for p in models_dir.glob("*.py")) == ["__init__.py", "_shared.py", "a.py", "b.py"]
        with pg.connect(url) as conn:
            conn.execute("DROP TABLE b")
        assert generate_from_url(url, out).returncode == 0
        assert sorted(p.name for p in models_dir.glob("*.py")) == ["__init__.py", "_shared.py", "a.py"]

        mine = models_dir / "mine.py"
        mine.write_text("MINE = 1\n")
        with pg.connect(url) as conn:
            conn.execute("CREATE TABLE c (id int PRIMARY KEY)")
        proc = generate_from_url(url, out)
        assert proc.returncode == 1
        assert proc.stderr == (
            f"error: {mine} was not written by codegen, and the package there no longer has it: "
            "move it out of the way, or choose another --out\n"
        )
        assert mine.read_text() == "MINE = 1\n" and not (models_dir / "c.py").exists()  # all or nothing
