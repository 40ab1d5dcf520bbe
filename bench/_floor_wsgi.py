"""Bare WSGI app for the throughput floor: no framework, one row inserted per request.

Served by gunicorn sync workers. Each worker process opens one persistent autocommit
connection on its first request (not at import time, so a preloading master never shares
a socket with its forked workers).
"""

import os

import psycopg

# The table is created by _runner.create_insert_table() (INSERT_TABLE).
_INSERT = "INSERT INTO bench_insert (payload) VALUES (%s)"
_conn: psycopg.Connection | None = None


def _connection() -> psycopg.Connection:
    global _conn
    if _conn is None or _conn.closed:
        _conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    return _conn


def application(environ, start_response):
    global _conn
    if environ.get("PATH_INFO") != "/insert":
        # Readiness probes land here: answer without touching the database.
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]
    try:
        _connection().execute(_INSERT, ("floor",))
    except psycopg.Error:
        _conn = None  # reconnect on the next request
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        return [b"database error\n"]
    body = b"ok\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
