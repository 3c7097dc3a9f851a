"""`make studio` (python -m codegen studio) over real HTTP, on a seeded database: every table and
view listed, pagination, search, sorting, foreign keys followed, types shown readably, secrets
hidden, read-only enforced by the database, WRITE=1 validated by the models, the bind rules;
and a real browser (Debian's headless Chromium) opening the users list and a row."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import text

from codegen.dev import atlas, pg, studio
from codegen.paths import MIGRATIONS, ROOT
from tests.package_checks import generate_from_url
from tests.test_corpus import CORPUS, PLAIN, load_plain, needs_corpus

OUTPUT = ROOT / ".test-output"  # the browser's screenshots (git ignores it)


class Studio:
    def __init__(self, url: str, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = pg.free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "codegen", "studio", "--port", str(self.port), *args],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": url, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        # As a browser on the studio's own pages: its writes carry the studio's Origin (Guard).
        self.client = httpx.Client(base_url=self.base, timeout=10, follow_redirects=True, headers={"Origin": self.base})
        for _ in range(400):
            if self.proc.poll() is not None:
                raise AssertionError(self.proc.communicate()[0])
            try:
                self.client.get("/")
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError("the studio did not answer within 20 s")

    def get(self, path: str) -> str:
        response = self.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.text

    def close(self) -> str:
        self.client.close()
        self.proc.terminate()
        return self.proc.communicate(timeout=10)[0]


@pytest.fixture(scope="module")
def seeded(server: pg.Server) -> Iterator[str]:
    """ChatMaps' database with 60 fake rows a table, one user with no image and one with ''."""
    with pg.scratch_database(server.url, "studio") as url:
        atlas.migrate_apply(MIGRATIONS, url)
        done = subprocess.run(
            [sys.executable, "-m", "codegen", "seed", "--rows", "60"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        with pg.connect(url) as conn:
            conn.execute("INSERT INTO users (name, email, image) VALUES ('Null Image', 'null@x.io', NULL)")
            conn.execute("INSERT INTO users (name, email, image) VALUES ('Empty Image', 'empty@x.io', '')")
        yield url


@pytest.fixture(scope="module")
def read_only(seeded: str) -> Iterator[Studio]:
    s = Studio(seeded)
    try:
        yield s
    finally:
        s.close()


def rows_of(page: str, table: str) -> list[str]:
    return re.findall(rf'href="http://127\.0\.0\.1:\d+/{table}/details/([^"]+)"', page)


def test_lists_paginates_searches_sorts_and_follows_foreign_keys(read_only: Studio, seeded: str) -> None:
    home = read_only.get("/")
    for table in ("users", "accounts", "sessions", "verifications"):
        assert f"/{table}/list" in home
    first = read_only.get("/users/list")
    assert len(set(rows_of(first, "users"))) == 25  # page size
    second = read_only.get("/users/list?page=2")
    assert set(rows_of(second, "users")).isdisjoint(rows_of(first, "users"))
    with pg.connect(seeded) as conn:
        (email,) = conn.execute("SELECT email FROM users ORDER BY email LIMIT 1").fetchone()  # type: ignore[misc]
    found = read_only.get(f"/users/list?search={email}")
    assert len(set(rows_of(found, "users"))) == 1 and email in found
    emails = re.compile(r">\s*([\w.+-]+@[\w.-]+)\s*<")
    ascending = emails.findall(read_only.get("/users/list?sortBy=email&sort=asc"))
    descending = emails.findall(read_only.get("/users/list?sortBy=email&sort=desc"))
    assert len(ascending) == 25 and ascending == sorted(ascending) and ascending[0] == email
    assert descending == sorted(descending, reverse=True) and descending[0] > ascending[-1]
    sessions = read_only.get("/sessions/list")
    linked = re.findall(r'href="http://127\.0\.0\.1:\d+/users/details/([^"]+)"', sessions)
    assert linked, "a session links to its user"
    user_page = read_only.get(f"/users/details/{linked[0]}")
    assert "sessions" in user_page.lower()


def test_related_rows_show_by_a_label_with_a_link(read_only: Studio, seeded: str) -> None:
    """A foreign key shows the row it names by a unique text column (users: email), else by its key
    (sessions: their token is unique but secret), linked to that row; never a Python repr."""
    with pg.connect(seeded) as conn:
        user_id, email = conn.execute(  # type: ignore[misc]
            "SELECT u.id, u.email FROM users u JOIN sessions s ON s.user_id = u.id ORDER BY s.id LIMIT 1"
        ).fetchone()
        sessions = [str(r[0]) for r in conn.execute("SELECT id FROM sessions WHERE user_id = %s", [user_id])]
        session_token = conn.execute("SELECT token FROM sessions WHERE user_id = %s", [user_id]).fetchone()[0]  # type: ignore[index]
    pages = {
        "/sessions/list?sortBy=id&sort=asc": read_only.get("/sessions/list?sortBy=id&sort=asc"),
        "/accounts/list": read_only.get("/accounts/list"),
        f"/users/details/{user_id}": read_only.get(f"/users/details/{user_id}"),
        f"/sessions/details/{sessions[0]}": read_only.get(f"/sessions/details/{sessions[0]}"),
    }
    for path, page in pages.items():
        assert " object at 0x" not in page and "&lt;chatmaps_db" not in page, path
    link = re.compile(r'<a href="http://127\.0\.0\.1:\d+/(\w+)/details/([^"]+)">\s*([^<]*?)\s*</a>')
    in_list = {(t, k): label for t, k, label in link.findall(pages["/sessions/list?sortBy=id&sort=asc"])}
    assert in_list[("users", str(user_id))] == email  # the session's user, by email, linked
    in_detail = {(t, k): label for t, k, label in link.findall(pages[f"/users/details/{user_id}"])}
    for session_id in sessions:  # the user's sessions, by key (the token is secret)
        assert in_detail[("sessions", session_id)] == f"({session_id})"  # sqladmin's compact list
    assert session_token not in pages[f"/users/details/{user_id}"]
    in_session = {(t, k): label for t, k, label in link.findall(pages[f"/sessions/details/{sessions[0]}"])}
    assert in_session[("users", str(user_id))] == email


def test_types_are_shown_readably_and_secrets_not_at_all(read_only: Studio, seeded: str) -> None:
    with pg.connect(seeded) as conn:
        null_id = conn.execute("SELECT id FROM users WHERE email = 'null@x.io'").fetchone()[0]  # type: ignore[index]
        empty_id = conn.execute("SELECT id FROM users WHERE email = 'empty@x.io'").fetchone()[0]  # type: ignore[index]
        token = conn.execute("SELECT token FROM sessions LIMIT 1").fetchone()[0]  # type: ignore[index]
        session_id = conn.execute("SELECT id FROM sessions LIMIT 1").fetchone()[0]  # type: ignore[index]
    null_page = read_only.get(f"/users/details/{null_id}")
    empty_page = read_only.get(f"/users/details/{empty_id}")
    assert 'fst-italic">NULL</span>' in null_page and "&#34;&#34;" not in null_page
    assert '<span class="text-muted">""</span>' in empty_page and 'fst-italic">NULL' not in empty_page
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\+00:00", null_page)  # timestamptz with its zone
    session = read_only.get(f"/sessions/details/{session_id}")
    assert token not in session and "token" not in session.lower().split("user_agent")[0].split("expires_at")[0][-500:]
    assert token not in read_only.get("/sessions/list")


def test_read_only_is_enforced_by_the_database(read_only: Studio, seeded: str) -> None:
    assert "/users/create" not in read_only.get("/users/list")  # no button
    refused = read_only.client.post("/users/create", data={"name": "X", "email": "x@x.io"})
    assert refused.status_code in (403, 405)
    with studio.engine(seeded, write=False).connect() as conn, pytest.raises(Exception) as info:
        conn.execute(text("INSERT INTO users (name, email) VALUES ('Y', 'y@x.io')"))
    assert isinstance(info.value.orig, psycopg.errors.ReadOnlySqlTransaction)  # type: ignore[attr-defined]


def test_write_mode_edits_through_the_models(seeded: str) -> None:
    s = Studio(seeded, "--write")
    try:
        with pg.connect(seeded) as conn:
            user_id = conn.execute("SELECT id FROM users WHERE email = 'null@x.io'").fetchone()[0]  # type: ignore[index]
        form = s.get(f"/users/edit/{user_id}")
        assert 'name="name"' in form
        fields = {"name": "Renamed", "email": "null@x.io", "email_verified": "y", "image": ""}
        fields |= {"created_at": "2026-01-02 03:04:05", "updated_at": "2026-01-02 03:04:05"}
        saved = s.client.post(f"/users/edit/{user_id}", data=fields)
        assert saved.status_code in (200, 302, 303), saved.text[-500:]
        with pg.connect(seeded) as conn:
            row = conn.execute("SELECT name, image FROM users WHERE id = %s", (user_id,)).fetchone()
        assert row == ("Renamed", None)  # an empty field of a nullable column writes NULL
    finally:
        s.close()


def test_a_public_bind_needs_a_password(seeded: str) -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "codegen", "studio", "--host", "0.0.0.0"],
        cwd=ROOT,
        env={k: v for k, v in {**os.environ, "DATABASE_URL": seeded}.items() if k != "STUDIO_PASSWORD"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 1
    assert refused.stderr == (
        "error: the studio shows every row: binding it to 0.0.0.0 needs a password: set STUDIO_PASSWORD "
        "(and keep the address private), or use HOST=127.0.0.1\n"
    )
    guarded = Studio(seeded, env={"STUDIO_PASSWORD": "open sesame"})
    try:
        assert "/login" in str(guarded.client.get("/users/list").url)
        guarded.client.post("/login", data={"username": "studio", "password": "open sesame"})
        assert "/login" not in str(guarded.client.get("/users/list").url)
    finally:
        guarded.close()


@needs_corpus
def test_views_and_tables_without_a_primary_key_are_listed(server: pg.Server, tmp_path: Path) -> None:
    with pg.scratch_database(server.url, "studiopagila") as url:
        load_plain(url, CORPUS / PLAIN["pagila"], tmp_path)
        made = generate_from_url(url, tmp_path / "out")
        assert made.returncode == 0, made.stderr
        s = Studio(url, "--package", str(tmp_path / "out"))
        try:
            home = s.get("/")
            for relation in ("actor", "film", "actor_info", "customer_list", "sales_by_store"):
                assert f"/{relation.replace('_', '-')}/list" in home or f"/{relation}/list" in home, relation
            listed = [m for m in re.findall(r'href="http://127\.0\.0\.1:\d+/([\w-]+)/list"', home)]
            for slug in listed:
                assert s.client.get(f"/{slug}/list").status_code == 200, slug
        finally:
            s.close()


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.needs_server(browser=True)
def test_a_real_browser_opens_the_users_list_and_a_row(read_only: Studio, seeded: str) -> None:
    browser = _chromium()
    assert browser is not None
    OUTPUT.mkdir(exist_ok=True)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000", "--hide-scrollbars"]

    def visit(path: str, shot: str) -> str:
        target = f"{read_only.base}{path}"
        subprocess.run(
            [browser, *flags, f"--screenshot={OUTPUT / shot}", target], capture_output=True, timeout=90, check=True
        )
        dom = subprocess.run(
            [browser, *flags, "--dump-dom", target], capture_output=True, text=True, timeout=90, check=True
        )
        return dom.stdout

    with pg.connect(seeded) as conn:
        user_id, email = conn.execute("SELECT id, email FROM users ORDER BY email LIMIT 1").fetchone()  # type: ignore[misc]
    listing = visit("/users/list?sortBy=email&sort=asc", "studio-users-list.png")
    assert email in listing and "read-only" in listing
    row = visit(f"/users/details/{user_id}", "studio-user-row.png")
    assert email in row
    sessions = visit("/sessions/list", "studio-sessions-list.png")  # each session's user by email, linked
    assert " object at 0x" not in sessions and re.search(r'/users/details/[^"]+">\s*[\w.+-]+@', sessions)
    for shot in ("studio-users-list.png", "studio-user-row.png"):
        assert (OUTPUT / shot).stat().st_size > 10_000
    print(f"\nscreenshots: {OUTPUT / 'studio-users-list.png'}, {OUTPUT / 'studio-user-row.png'}")


def test_secrets_are_never_on_a_write_page_and_an_edit_leaves_them(seeded: str) -> None:
    """WRITE=1 showed password hashes and tokens in the edit forms, and a failed save printed
    PostgreSQL's DETAIL ("Failing row contains (...)") with all of them."""
    s = Studio(seeded, "--write")
    try:
        with pg.connect(seeded) as conn:
            session_id, token, user_id = conn.execute("SELECT id, token, user_id FROM sessions LIMIT 1").fetchone()  # type: ignore[misc]
            other_token = conn.execute("SELECT token FROM sessions WHERE id <> %s LIMIT 1", [session_id]).fetchone()[0]  # type: ignore[index]
            account_id, hash_ = conn.execute(  # type: ignore[misc]
                "UPDATE accounts SET password = 'pbkdf2$SECRET-HASH' WHERE id = (SELECT id FROM accounts LIMIT 1)"
                " RETURNING id, password"
            ).fetchone()
        edit = s.get(f"/sessions/edit/{session_id}")
        assert token not in edit and 'name="token"' not in edit and 'name="user_agent"' in edit
        account = s.get(f"/accounts/edit/{account_id}")
        assert hash_ not in account and 'name="password"' not in account
        create = s.get("/sessions/create")
        assert re.search(
            r'<input[^>]*type="password"[^>]*name="token"|<input[^>]*name="token"[^>]*type="password"', create
        )
        # An edit of another field leaves the token as it is.
        fields = {"user": str(user_id), "expires_at": "2030-01-01 00:00:00", "user_agent": "edited"}
        fields |= {"created_at": "2026-01-02 03:04:05", "updated_at": "2026-01-02 03:04:05", "ip_address": ""}
        saved = s.client.post(f"/sessions/edit/{session_id}", data=fields)
        assert saved.status_code in (200, 302, 303), saved.text[-500:]
        with pg.connect(seeded) as conn:
            after = conn.execute("SELECT token, user_agent FROM sessions WHERE id = %s", [session_id]).fetchone()
        assert after == (token, "edited")
        # A save the database refuses: the constraint, in one line, and no value of the row.
        dup = {"user": str(user_id), "token": other_token, "expires_at": "2030-01-01 00:00:00"}
        refused = s.client.post("/sessions/create", data=dup)
        assert refused.status_code == 400, refused.text
        assert "another row has the same token (unique key sessions_token_key)" in refused.text
        assert other_token not in refused.text and "Failing row" not in refused.text and "DETAIL" not in refused.text
    finally:
        s.close()


def test_a_blank_defaulted_column_takes_its_default_on_create(seeded: str) -> None:
    s = Studio(seeded, "--write")
    try:
        fields = {"name": "Blank Times", "email": "blank-times@x.io", "image": "", "created_at": "", "updated_at": ""}
        made = s.client.post("/users/create", data=fields)
        assert made.status_code in (200, 302, 303), made.text[-500:]
        with pg.connect(seeded) as conn:
            row = conn.execute(
                "SELECT created_at > now() - interval '1 hour', email_verified FROM users WHERE email = 'blank-times@x.io'"
            ).fetchone()
        assert row == (True, False)  # now() and the column's default, not NULL or an error
    finally:
        s.close()


def test_other_sites_and_other_hosts_are_refused(seeded: str) -> None:
    """No CSRF: a form on another site created a row; no Host check: DNS rebinding reached it."""
    s = Studio(seeded, "--write")
    try:
        row = {"name": "Mallory", "email": "mallory@x.io", "created_at": "", "updated_at": ""}
        cross = s.client.post("/users/create", data=row, headers={"Origin": "http://attacker.example"})
        assert (cross.status_code, cross.text) == (403, "a write from another site (or without Origin) is refused")
        bare = httpx.post(f"{s.base}/users/create", data=row)  # no Origin, no Referer
        assert bare.status_code == 403
        rebound = httpx.get(f"{s.base}/users/list", headers={"Host": "attacker.example"})
        assert rebound.status_code == 421
        with pg.connect(seeded) as conn:
            assert conn.execute("SELECT count(*) FROM users WHERE email = 'mallory@x.io'").fetchone() == (0,)
        referred = s.client.post(  # a browser that sends Referer, not Origin, from the studio's page
            "/users/create",
            data=row | {"email": "referred@x.io"},
            headers={"Origin": "", "Referer": f"{s.base}/users/create"},
        )
        assert referred.status_code in (200, 302, 303)
    finally:
        s.close()


def test_the_login_is_rate_limited_and_its_session_short(seeded: str) -> None:
    s = Studio(seeded, env={"STUDIO_PASSWORD": "open sesame"})
    try:
        for guess in range(5):
            s.client.post("/login", data={"username": "studio", "password": f"guess {guess}"})
        s.client.post("/login", data={"username": "studio", "password": "open sesame"})  # right, but too late
        assert "/login" in str(s.client.get("/users/list").url)
        fresh = Studio(seeded, env={"STUDIO_PASSWORD": "open sesame"})
        try:
            answer = fresh.client.post(
                "/login", data={"username": "studio", "password": "open sesame"}, follow_redirects=False
            )
            cookie = answer.headers.get("set-cookie", "")
            assert "Max-Age=28800" in cookie and "samesite=strict" in cookie.lower(), cookie  # 8 hours, not 14 days
        finally:
            fresh.close()
    finally:
        s.close()


def test_a_database_it_cannot_reach_is_one_line(server: pg.Server) -> None:
    """With the database down the studio printed a 117-line traceback."""
    nothing = f"{server.url}&port=1"  # the server's socket folder, a port nothing listens on
    proc = subprocess.run(
        [sys.executable, "-m", "codegen", "studio", "--port", str(pg.free_port())],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": nothing},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith("error: the studio cannot reach postgresql://") and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://app:pw@db.example/chat",
        "postgresql://app:pw@localhost/chat?hostaddr=203.0.113.5",  # libpq connects to the hostaddr
        "postgresql://app:pw@localhost,db.example/chat",  # and tries each host
    ],
)
@pytest.mark.parametrize("command", ["studio", "seed", "push"])
def test_a_database_not_on_this_machine_is_refused_by_the_dev_tools(url: str, command: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "codegen", command],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    target = "203.0.113.5" if "hostaddr" in url else "db.example"
    assert proc.returncode == 1, proc.stderr
    assert f"DATABASE_URL points at {target}, not a server on this machine" in proc.stderr, proc.stderr
    assert "pw" not in proc.stderr.replace("password", "")
