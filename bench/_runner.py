"""Shared machinery for the benchmarks in bench/.

Every benchmark runs its servers, the load generator and PostgreSQL on this machine (loopback
only), so absolute numbers say little; each benchmark therefore reports a ratio against the
bare-WSGI floor measured in the same run (see /work/shared/STACK.md, "Throughput floor").

Knobs (environment): BENCH_DURATION seconds per measured run (default 8), BENCH_CONNECTIONS
concurrent wrk connections (default 16), BENCH_WARMUP seconds of warm-up before each measured
run (default 2), DATABASE_URL admin connection used to create and drop the scratch database.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

REPO_ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable  # the project's virtualenv: gunicorn and Django come from it

DURATION = float(os.environ.get("BENCH_DURATION", "8"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WARMUP = float(os.environ.get("BENCH_WARMUP", "2"))
ADMIN_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")

DJANGO_SETTINGS = "bench._django_settings"
DJANGO_APP = "config.wsgi:application"  # the project's own WSGI entry point, as in production
FLOOR_APP = "bench._floor_wsgi:application"
INSERT_TABLE = "bench_insert"  # one row per request; created by create_insert_table()

_CONNECT_TIMEOUT = 10  # seconds; a hung PostgreSQL must not hang the benchmark


def log(message: str) -> None:
    """Progress goes to stderr: stdout is reserved for the table and the final JSON line."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- time bounds and signals -------------------------------------------------------------


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Bound a whole benchmark in time and turn SIGTERM/SIGHUP into exceptions.

    Python dies on SIGTERM without running `finally` blocks; raising instead lets the context
    managers below stop gunicorn and drop the scratch database.
    """

    def _raise_timeout(signum, frame):
        raise TimeoutError(f"benchmark exceeded its time limit of {seconds:.0f} s")

    def _raise_exit(signum, frame):
        raise SystemExit(128 + signum)

    previous = {
        sig: signal.signal(sig, handler)
        for sig, handler in (
            (signal.SIGALRM, _raise_timeout),
            (signal.SIGTERM, _raise_exit),
            (signal.SIGHUP, _raise_exit),
        )
    }
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# --- PostgreSQL ----------------------------------------------------------------------------


def ratio_of(numerator, denominator) -> float | None:
    """numerator / denominator to three places; None when either is missing (or no floor)."""
    return round(numerator / denominator, 3) if numerator is not None and denominator else None


def _with_dbname(url: str, dbname: str) -> str:
    return urlsplit(url)._replace(path="/" + dbname).geturl()


def _admin_connect(admin_url: str) -> psycopg.Connection:
    try:
        return psycopg.connect(admin_url, autocommit=True, connect_timeout=_CONNECT_TIMEOUT)
    except psycopg.OperationalError:
        # DATABASE_URL may name an application database that does not exist (yet);
        # the server's maintenance database is enough to create and drop databases.
        return psycopg.connect(
            _with_dbname(admin_url, "postgres"), autocommit=True, connect_timeout=_CONNECT_TIMEOUT
        )


@contextlib.contextmanager
def bench_database(admin_url: str = ADMIN_URL, prefix: str = "pingyi_bench") -> Iterator[str]:
    """Create a fresh database, yield its URL, and always drop it afterwards."""
    name = f"{prefix}_{os.getpid()}"
    ident = sql.Identifier(name)
    with _admin_connect(admin_url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(ident))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))
    log(f"created database {name}")
    try:
        yield _with_dbname(admin_url, name)
    finally:
        with _admin_connect(admin_url) as conn:
            # Persistent connections of servers that did not exit cleanly would block DROP.
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
        log(f"dropped database {name}")


def _execute(db_url: str, query: sql.Composable | str, params: Sequence = ()) -> list[tuple]:
    with psycopg.connect(db_url, autocommit=True, connect_timeout=_CONNECT_TIMEOUT) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []


def create_insert_table(db_url: str, table: str = INSERT_TABLE) -> None:
    """The table every insert benchmark writes one row per request into."""
    _execute(
        db_url,
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} ("
            " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
            " payload text NOT NULL,"
            " created_at timestamptz NOT NULL DEFAULT now())"
        ).format(sql.Identifier(table)),
    )


def truncate(db_url: str, table: str) -> None:
    _execute(db_url, sql.SQL("TRUNCATE {} RESTART IDENTITY").format(sql.Identifier(table)))


def count_rows(db_url: str, table: str) -> int:
    rows = _execute(db_url, sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
    return rows[0][0]


# --- Django --------------------------------------------------------------------------------


def django_env(db_url: str, var_dir: Path) -> dict[str, str | None]:
    """Environment for the project's production settings, pointed at scratch resources."""
    return {
        "DJANGO_SETTINGS_MODULE": DJANGO_SETTINGS,
        "DATABASE_URL": db_url,
        "SECRET_KEY": secrets.token_urlsafe(64),  # fresh per run; production requires one
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback must not be redirected
        "REDIS_URL": None,  # unset: results must not depend on whether Redis is running
        # Runtime files go to a scratch directory, never into a real install's var/.
        "PINGYI_VAR_DIR": str(var_dir),
        "STATIC_ROOT": str(var_dir / "staticfiles"),
        "MEDIA_ROOT": str(var_dir / "media"),
    }


def _manage(env: Mapping[str, str | None], *args: str, timeout: float = 300) -> None:
    log("manage.py " + " ".join(args))
    subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=REPO_ROOT,
        env=child_env(env),
        stdin=subprocess.DEVNULL,
        stdout=sys.stderr,  # keep stdout clean for the results
        check=True,
        timeout=timeout,
    )


@contextlib.contextmanager
def django_site(db_url: str) -> Iterator[dict[str, str | None]]:
    """Prepare the project as production would run it; yield the environment for gunicorn.

    migrate creates Django's own tables (sessions etc.) that production middleware needs;
    collectstatic writes the hashed-file manifest without which production's static storage
    fails to render any page (even the 404 page).
    """
    with tempfile.TemporaryDirectory(prefix="pingyi_bench_") as tmp:
        env = django_env(db_url, Path(tmp))
        _manage(env, "migrate", "--noinput", "--verbosity", "0")
        _manage(env, "collectstatic", "--noinput", "--verbosity", "0")
        yield env


# --- gunicorn ------------------------------------------------------------------------------


def child_env(overrides: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """os.environ plus overrides; a None value removes the variable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    for key, value in (overrides or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    # Runs in the child before exec: if this Python is killed with SIGKILL, the kernel sends
    # SIGTERM to the gunicorn master, which stops its workers. No stray servers either way.
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _answers(host: str, port: int, path: str) -> bool:
    """True once a worker returns any HTTP response (status does not matter here)."""
    conn = http.client.HTTPConnection(host, port, timeout=2)
    try:
        conn.request("GET", path)
        conn.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        conn.close()


def _stop(proc: subprocess.Popen, grace: float = 10) -> None:
    if proc.poll() is None:
        proc.terminate()  # graceful: workers finish their current request, then exit
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(grace)
    # The server runs in its own session: kill whatever is left of it (master or workers).
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)


@contextlib.contextmanager
def gunicorn_server(
    app_module: str,
    env: Mapping[str, str | None] | None = None,
    workers: int | None = None,
    ready_path: str = "/__bench__/ready",
    start_timeout: float = 60,
    config_file: str | None = None,
) -> Iterator[str]:
    """Run gunicorn on a free loopback port; yield its base URL. 4 sync workers, or with
    `config_file` (e.g. config/gunicorn.conf.py) the workers, worker class and threads it
    sets: a --workers on the command line would override the file, and the bench would no
    longer measure what production runs. `workers` forces a number either way.

    ready_path is requested until a worker answers; choose a path that has no side effects
    (any status, even 404, counts as an answer).
    """
    port = free_port()
    if workers is None and not config_file:
        workers = 4
    cmd = [
        PYTHON, "-m", "gunicorn", app_module,
        "--bind", f"127.0.0.1:{port}",
        "--graceful-timeout", "5",
        "--log-level", "warning",
    ]  # fmt: skip
    if workers is not None:
        cmd += ["--workers", str(workers)]
    cmd += ["--config", config_file] if config_file else ["--worker-class", "sync"]
    kind = f"config {config_file}" if config_file else "sync"
    count = f"{workers} workers" if workers is not None else "workers as configured"
    log(f"starting gunicorn {app_module} on port {port} ({count}, {kind})")
    proc = subprocess.Popen(
        cmd,
        cwd=REPO_ROOT,
        env=child_env(env),
        stdin=subprocess.DEVNULL,
        stdout=sys.stderr,  # gunicorn logs must not mix with the results on stdout
        stderr=sys.stderr,
        start_new_session=True,  # own process group: Ctrl-C reaches only us, we stop it
        preexec_fn=_die_with_parent,  # safe: the benchmark is single-threaded
    )
    try:
        deadline = time.monotonic() + start_timeout
        while not _answers("127.0.0.1", port, ready_path):
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn {app_module} exited with code {proc.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"gunicorn {app_module} did not answer in {start_timeout} s")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(proc)


def check_2xx(url: str, timeout: float = 10) -> int:
    """One request without following redirects: wrk counts 3xx as success, we do not."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("GET", parts.path or "/")
        response = conn.getresponse()
        body = response.read(300)
    finally:
        conn.close()
    if not 200 <= response.status < 300:
        raise RuntimeError(f"GET {url} returned {response.status}, not 2xx: {body!r}")
    return response.status


def fetch(
    url: str, headers: Mapping[str, str] | None = None, timeout: float = 10
) -> tuple[int, dict[str, str], bytes]:
    """One GET without following redirects: (status, response headers, whole body).

    For pre-checks that need request headers (a session cookie) or the page itself.
    """
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("GET", path, headers=dict(headers or {}))
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


# --- wrk -----------------------------------------------------------------------------------

_TIME_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_PERCENTILE = re.compile(r"^\s*(\d+)%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_REQUESTS = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_SOCKET_ERROR_KINDS = ("connect", "read", "write", "timeout")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")


def parse_wrk(output: str) -> dict:
    """Parse `wrk --latency` output; times are converted to milliseconds."""
    percentiles = {int(p): float(v) * _TIME_UNITS_MS[u] for p, v, u in _PERCENTILE.findall(output)}
    requests, rps = _REQUESTS.search(output), _RPS.search(output)
    if requests is None or rps is None or 99 not in percentiles:
        raise RuntimeError(f"cannot parse wrk output:\n{output}")
    # wrk prints these lines only when some occurred.
    socket_match = _SOCKET_ERRORS.search(output)
    socket_counts = [int(n) for n in socket_match.groups()] if socket_match else [0, 0, 0, 0]
    non_2xx = _NON_2XX.search(output)
    result = {
        "rps": float(rps.group(1)),
        "p50_ms": percentiles[50],
        "p99_ms": percentiles[99],
        "requests": int(requests.group(1)),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": dict(zip(_SOCKET_ERROR_KINDS, socket_counts, strict=True)),
    }
    result["errors"] = result["non_2xx"] + sum(result["socket_errors"].values())
    return result


def wrk_output(
    url: str,
    connections: int = CONNECTIONS,
    duration: float = DURATION,
    script: str | None = None,
    threads: int = 2,
    headers: Mapping[str, str] | None = None,
    script_args: Sequence[str] = (),
) -> str:
    """Run wrk against url and return what it printed (for scripts that print their own
    lines besides wrk's). headers are sent with every request (wrk -H); script_args follow
    `--` and reach the Lua script's init()."""
    cmd = ["wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{duration:g}s"]
    cmd += ["--latency", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    if script:
        cmd += ["-s", str(script)]
    cmd.append(url)
    if script_args:
        cmd += ["--", *script_args]
    result = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=duration + 30)
    return result.stdout


def run_wrk(
    url: str,
    connections: int = CONNECTIONS,
    duration: float = DURATION,
    script: str | None = None,
    threads: int = 2,
    headers: Mapping[str, str] | None = None,
) -> dict:
    """Run wrk against url; return rps, p50_ms, p99_ms, requests, errors (and their parts).

    headers are sent with every request (wrk -H), e.g. {"Cookie": "sessionid=..."}.
    """
    return parse_wrk(wrk_output(url, connections, duration, script, threads, headers))


# --- measurement ---------------------------------------------------------------------------


def measure_server(
    label: str,
    app_module: str,
    path: str,
    *,
    env: Mapping[str, str | None],
    db_url: str,
    table: str | None = INSERT_TABLE,
    connections: int = CONNECTIONS,
    duration: float = DURATION,
    warmup: float = WARMUP,
    script: str | None = None,
    workers: int = 4,
) -> dict:
    """Serve app_module, warm it up, then measure `path` with wrk.

    If table is given it is emptied after the warm-up and counted once the server has stopped
    (graceful stop = in-flight requests have committed), so `rows` is comparable to the
    `requests` wrk counted: rows may exceed requests by at most the number of connections.
    """
    with gunicorn_server(app_module, env, workers=workers) as base_url:
        url = base_url + path
        if script is None:
            check_2xx(url)  # a redirect or an error page would otherwise count as throughput
        run_wrk(url, connections, warmup, script)  # warm-up: imports, connections, caches
        if table:
            truncate(db_url, table)
        log(f"measuring {label}: {connections} connections, {duration:g} s")
        result = run_wrk(url, connections, duration, script)
    result["rows"] = count_rows(db_url, table) if table else None
    result["server"] = label
    return result


def measure_floor(
    db_url: str,
    connections: int = CONNECTIONS,
    duration: float = DURATION,
    warmup: float = WARMUP,
) -> dict:
    """The throughput floor: a bare WSGI function inserting one row per request via psycopg."""
    create_insert_table(db_url)
    return measure_server(
        "bare WSGI + psycopg",
        FLOOR_APP,
        "/insert",
        env={"DATABASE_URL": db_url},
        db_url=db_url,
        connections=connections,
        duration=duration,
        warmup=warmup,
    )


# --- output --------------------------------------------------------------------------------

RESULT_COLUMNS = [
    ("server", "server", ""),
    ("rps", "rps", ",.0f"),
    ("p50 ms", "p50_ms", ".2f"),
    ("p99 ms", "p99_ms", ".2f"),
    ("errors", "errors", ","),
    ("requests", "requests", ","),
    ("rows inserted", "rows", ","),
]


def print_table(rows: Sequence[Mapping], columns: Sequence[tuple[str, str, str]] = RESULT_COLUMNS):
    """Print rows as an aligned text table; columns are (header, key, format spec)."""

    def cell(row, key, spec):
        value = row.get(key)
        return "-" if value is None else format(value, spec)

    table = [[header for header, _, _ in columns]]
    table += [[cell(row, key, spec) for _, key, spec in columns] for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    for n, line in enumerate(table):
        # First column (a name) left-aligned, numbers right-aligned.
        cells = [line[0].ljust(widths[0])]
        cells += [c.rjust(w) for c, w in zip(line[1:], widths[1:], strict=True)]
        print("  ".join(cells))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    sys.stdout.flush()


def emit_json(result: Mapping) -> None:
    """The machine-readable result: must be the last line on stdout."""
    print(json.dumps(result, ensure_ascii=False), flush=True)
