"""generated/ is a real distribution: a clean venv can pip-install it and import it.

pip resolves pydantic, psycopg, psycopg-pool and the build backend from the wheels
`make test` downloaded into .venv/wheels (--no-index: the test itself downloads nothing).
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

from codegen.paths import GENERATED, ROOT

WHEELS = ROOT / ".venv" / "wheels"

# chatmaps_db is imported under guard: reading a connection setting from the environment
# (DATABASE_*, PG*) or opening a socket is an error. (pydantic reads its own variables.)
IMPORT_CHECK = """
import importlib, os, socket, sys

class NoEnv(dict):
    def check(self, key):
        if str(key).startswith(("DATABASE", "PG")):
            raise AssertionError(f"import read the environment: {key}")
    def __getitem__(self, key): self.check(key); return super().__getitem__(key)
    def get(self, key, default=None): self.check(key); return super().get(key, default)
    def __contains__(self, key): self.check(key); return super().__contains__(key)

def no_network(*args, **kwargs): raise AssertionError("import opened a socket")

os.environ = NoEnv(os.environ)
socket.socket.connect = no_network
socket.create_connection = no_network
for name in ("chatmaps_db", "chatmaps_db.models", "chatmaps_db.db", "chatmaps_db.db_async", "chatmaps_db.health"):
    importlib.import_module(name)
import chatmaps_db
from importlib.resources import files
from importlib.util import find_spec
print(chatmaps_db.__file__.startswith(sys.prefix), files("chatmaps_db").joinpath("py.typed").is_file(),
      find_spec("sqlalchemy") is None, chatmaps_db.MIGRATION_VERSION)
"""


def clean_venv_install(tmp_path: Path, requirement: str) -> Path:
    """A new venv with `pip install REQUIREMENT` (offline, from the downloaded wheels); its python."""
    assert (WHEELS / ".downloaded").exists(), f"{WHEELS} is missing: run `make test` (it downloads the wheels)"
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [
            *(str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
            *("--no-index", "--find-links", str(WHEELS), requirement),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    return python


def test_clean_venv_pip_installs_generated_and_imports_it(tmp_path: Path) -> None:
    python = clean_venv_install(tmp_path, str(GENERATED))
    env_dir = tmp_path / "venv"
    # From a neutral directory, so the import cannot come from the source tree.
    proc = subprocess.run([str(python), "-c", IMPORT_CHECK], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    meta = (GENERATED / "chatmaps_db" / "_meta.py").read_text()
    version = meta.split('MIGRATION_VERSION: str | None = "')[1].split('"')[0]
    # installed into the venv, typed, SQLAlchemy only as an extra, same migration version
    assert proc.stdout.split() == ["True", "True", "True", version]
    assert sys.prefix != str(env_dir)


def test_the_readme_install_with_the_sqlalchemy_extra(tmp_path: Path) -> None:
    # The README's form, `pip install "./generated[sqlalchemy]"` (the `name @ ./path` form fails on pip).
    python = clean_venv_install(tmp_path, f"{GENERATED}[sqlalchemy]")
    code = "from sqlalchemy.orm import configure_mappers; import chatmaps_db.tables as t; configure_mappers(); print(t.Users.__tablename__)"
    proc = subprocess.run([str(python), "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["users"]


def test_the_asgi_extra_installs_starlette_and_the_probe_runs(tmp_path: Path) -> None:
    python = clean_venv_install(tmp_path, f"{GENERATED}[asgi]")
    code = "import chatmaps_db.asgi as a, starlette; print(sorted(a.__all__))"
    proc = subprocess.run([str(python), "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [
        "['SchemaMode',",
        "'client_errors',",
        "'exception_handlers',",
        "'lifespan',",
        "'round_trip',",
        "'routes',",
        "'startup']",
    ]
    # The probe, as a container runs it: no DATABASE_URL is one line on stderr and exit 1.
    env = {"PATH": "/usr/bin:/bin"}
    probe = subprocess.run(
        [str(python), "-m", "chatmaps_db", "health"], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert (probe.returncode, probe.stdout) == (1, "")
    assert probe.stderr.startswith("chatmaps_db health: DATABASE_URL is not set: export DATABASE_URL=")
    assert probe.stderr.count("\n") == 1


def test_the_metrics_and_otel_extras_install_and_cost_nothing_unconfigured(tmp_path: Path) -> None:
    """`pip install generated[metrics,otel]` in a clean venv: the Prometheus exposition of a
    database not yet used (no connection made), and with opentelemetry-api alone (no SDK, no
    provider) no tracer: statements make no span."""
    python = clean_venv_install(tmp_path, f"{GENERATED}[metrics,otel]")
    code = (
        "import opentelemetry.trace\n"
        "from prometheus_client import generate_latest\n"
        "from chatmaps_db import Database, events\n"
        "from chatmaps_db.metrics import registry\n"
        "db = Database('postgresql://u@localhost/x')\n"
        "text = generate_latest(registry(db)).decode()\n"
        "print([l for l in text.splitlines() if l.startswith('chatmaps_db_pool_connects_total')], events.tracer())\n"
    )
    proc = subprocess.run([str(python), "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == """['chatmaps_db_pool_connects_total{node="primary"} 0.0'] None"""
