"""The secret ballot (民主测评) under a burst, and its sustained throughput against the floor.

1. Burst: 200 committee members, each with their own logged-in session, first open the ballot
   page on their phone (a real GET: it sets the csrftoken cookie and carries the form token),
   then submit a 12-subject ballot (4 现场述职, 8 书面述职), the POSTs spread evenly over one
   second, while a projector client polls the turnout fragment every 50 ms. Only the POSTs are
   timed. Afterwards the database must hold exactly one participation and one ballot per
   voter, and 20 of the voters submit again: each must see "您已投票" and nothing may change.
   Turnout lag: for the k-th accepted ballot, the time from its 302 to the first projector
   response showing k votes; the maximum over k is reported (see turnout_lags()).
2. Sustained: wrk (BENCH_CONNECTIONS, default 16) submits ballots of fresh voters for
   BENCH_DURATION seconds, each request a different voter (a Lua script walks a list of
   sessions). Its rps is reported as a ratio to the bare-WSGI floor measured in the same run
   with the same number of connections and, for context, to a minimal Django view (one
   insert, bench/_urls.py) also measured in the same run. Then the same requests (session
   cookie, CSRF, body) go to a Django "ceiling" view on the same server that loads the user,
   parses the body and inserts one row: the least any Django view does with them, so its
   ratio to the floor bounds what a ballot view on this stack can reach.

Everything runs as production would: gunicorn with config/gunicorn.conf.py (the floor and
the minimal view: 4 sync workers), the production settings (bench._django_settings) and
PostgreSQL, on this machine over loopback. Data are written by this file itself, run as
`python -m bench.ballot_burst create N` in the bench environment
(the real services of reviews/meetings.py for the meeting, the burst voters' check-in and the
poll; see create_data()). Targets:
every ballot counted exactly once, zero errors, burst p99 under 250 ms, sustained rps at least
0.35 x the floor, the projector's turnout at most 1 s behind. Timings are reported, not
asserted; the exit status is 1 only for a correctness failure (a ballot lost or counted twice,
an error response) or a bench that could not run. From the repository root:

    .venv/bin/python bench/ballot_burst.py

The last line of stdout is one JSON object; logs go to stderr.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import json
import os
import re
import secrets
import string
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from urllib.parse import urlencode, urlsplit

# `python bench/ballot_burst.py` puts bench/ on sys.path, not the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from bench._runner import (
    CONNECTIONS,
    DJANGO_APP,
    DURATION,
    PYTHON,
    REPO_ROOT,
    WARMUP,
    bench_database,
    child_env,
    django_site,
    emit_json,
    gunicorn_server,
    log,
    measure_floor,
    measure_server,
    parse_wrk,
    print_table,
    ratio_of,
    time_limit,
    wrk_output,
)

BURST_VOTERS = 200
BURST_WINDOW_S = 1.0  # the burst's POSTs start evenly spread over this window
RESUBMITTED = 20  # burst voters who submit a second time
SUBJECTS = 12
ONSITE = 4  # the first ONSITE subjects report on site, the rest in writing
# Voters for the sustained run (warm-up + measured), each used once: enough for 300 ballots/s
# over the default 2 + 8 s, several times the rate measured on these 2-core machines. A run that
# runs out says so (pool_exhausted, its thread stops); raise it with BENCH_BALLOT_POOL.
POOL = int(os.environ.get("BENCH_BALLOT_POOL", "6000"))
GET_CONCURRENCY = 8  # phones opening the ballot page before the burst
PROJECTOR_INTERVAL_S = 0.05
# templates/reviews/meeting/screen.html: hx-trigger="every 1s".
REAL_PROJECTOR_PERIOD_MS = 1000.0
CHOICES = ("satisfied", "basic", "dissatisfied")

P99_TARGET_MS = 250.0
RATIO_TARGET = 0.35
LAG_TARGET_MS = 1000.0

TERM = "第十八届"
OFFICE_USERNAME = "bench_office"
AUTH_BACKEND = "subjects.auth.UsernameOrPhoneBackend"
ALREADY_VOTED = "您已投票"

COLUMNS = [
    ("run", "server", ""),
    ("rps", "rps", ",.0f"),
    ("p50 ms", "p50_ms", ".2f"),
    ("p99 ms", "p99_ms", ".2f"),
    ("max ms", "max_ms", ".2f"),
    ("errors", "errors", ","),
    ("requests", "requests", ","),
    ("rps/floor", "ratio", ".3f"),
]
CHECK_COLUMNS = [("check", "check", ""), ("measured", "measured", ""), ("target", "target", "")]
CHECK_COLUMNS += [("result", "result", "")]


# --- data (runs in the bench environment, as a subprocess) ---------------------------------


def _data_log(message: str) -> None:
    print(f"[ballot-data] {message}", file=sys.stderr, flush=True)


def create_data(voters: int) -> dict:
    """A review in 评议会议 with SUBJECTS subjects, `voters` composition members all checked
    in, an office user, an open poll, and a database session for each of them."""
    import django

    django.setup()
    from datetime import date, timedelta

    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.base import VALID_KEY_CHARS
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import transaction
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from reviews import meetings
    from reviews.models import Attendance, Subject, SubjectForm, VoterGroup
    from reviews.services import create_review
    from reviews.workflow import Phase
    from subjects.models import CompositionMember, Official, Unit, User, UserRole
    from subjects.roles import Role

    started = time.monotonic()
    with transaction.atomic():
        office = User.objects.create(
            username=OFFICE_USERNAME, full_name="评议办工作人员", organization="评议办"
        )
        office.set_unusable_password()
        office.save(update_fields=["password"])
        UserRole.objects.create(user=office, role=Role.OFFICE)

        review = create_review(
            actor=office, kind="duty", year=2026, title="2026年度述职评议", term=TERM
        )
        review.phase = Phase.MEETING
        review.save(update_fields=["phase"])
        unit = Unit.objects.create(
            name="示范县人民政府", short_name="县政府", category="government"
        )
        officials = Official.objects.bulk_create(
            Official(
                name=f"述职人{i:02d}",
                gender="M" if i % 3 else "F",
                unit=unit,
                post="副县长" if i < ONSITE else "局长",
                appointed_on=date(2021, 9, 28),
                in_post_since=date(2021, 9, 28),
                term=TERM,
                status="serving",
            )
            for i in range(SUBJECTS)
        )
        Subject.objects.bulk_create(
            Subject(
                review=review,
                official=official,
                form=SubjectForm.ONSITE if i < ONSITE else SubjectForm.WRITTEN,
                display_name=official.name,
                unit_name=unit.name,
                post=official.post,
                order=i,
            )
            for i, official in enumerate(officials)
        )
        unusable = make_password(None)  # these users never log in with a password
        members = User.objects.bulk_create(
            User(
                username=f"bench_voter_{i:05d}",
                full_name=f"委员{i:05d}",
                organization="示范县人大常委会",
                password=unusable,
            )
            for i in range(voters)
        )
        UserRole.objects.bulk_create(
            UserRole(user=user, role=Role.COMMITTEE_MEMBER) for user in members
        )
        CompositionMember.objects.bulk_create(
            CompositionMember(user=user, term=TERM, order=i) for i, user in enumerate(members)
        )
        _data_log(f"{voters} composition members, {SUBJECTS} subjects")

    meeting = meetings.create_meeting(
        actor=office,
        review=review,
        session_name="县十八届人大常委会第二十三次会议",
        starts_at=timezone.now(),
        place="常委会会议室",
    )
    checkin_started = time.monotonic()
    with transaction.atomic():
        # The burst's voters through the service, one by one, as the desk or the QR code
        # would. The sustained run's pool gets the same Attendance rows in bulk: thousands of
        # check-ins one by one (~8 queries each, with their audit row) would take a large part
        # of the bench's two minutes and tell nothing about the ballot.
        for user in members[:BURST_VOTERS]:
            meetings.check_in(actor=office, meeting=meeting, user=user)
        Attendance.objects.bulk_create(
            Attendance(meeting=meeting, user=user, group=VoterGroup.MEMBER, checked_in_by=office)
            for user in members[BURST_VOTERS:]
        )
    _data_log(f"checked in {voters} members in {time.monotonic() - checkin_started:.1f} s")
    poll = meetings.create_poll(actor=office, meeting=meeting)
    poll = meetings.open_poll(actor=office, poll=poll)
    items = list(poll.items.order_by("order", "id").values_list("pk", flat=True))

    # One database session per person, as a login would leave it (bulk: a login per voter
    # would time Argon2, not the ballot).
    expires = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    store = SessionStore()
    sessions = []
    for user in [office, *members]:
        data = {
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": AUTH_BACKEND,
            "_auth_user_hash": user.get_session_auth_hash(),
        }
        key = get_random_string(32, VALID_KEY_CHARS)  # as SessionStore makes them
        encoded = store.encode(data)
        sessions.append(Session(session_key=key, session_data=encoded, expire_date=expires))
    Session.objects.bulk_create(sessions, batch_size=1000)
    _data_log(
        f"poll {poll.pk} open with {poll.entitled_count} voters; "
        f"created in {time.monotonic() - started:.1f} s"
    )
    return {
        "poll_id": poll.pk,
        "meeting_id": meeting.pk,
        "items": items,
        "entitled": poll.entitled_count,
        "office_session": sessions[0].session_key,
        "voters": [[user.pk, s.session_key] for user, s in zip(members, sessions[1:], strict=True)],
    }


def _create(env: dict, voters: int) -> dict:
    log(f"python -m bench.ballot_burst create {voters}")
    result = subprocess.run(
        [PYTHON, "-m", "bench.ballot_burst", "create", str(voters)],
        cwd=REPO_ROOT,
        env=child_env(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=sys.stderr,
        text=True,
        timeout=240,
    )
    if result.returncode != 0:
        raise RuntimeError(f"bench.ballot_burst create exited with {result.returncode}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- the database's view ---------------------------------------------------------------------


def db_counts(db_url: str, poll_id: int, users: list[int]) -> dict:
    """What the database holds for the poll. A ballot carries no voter, so a ballot counted
    twice shows as more ballots than distinct voters with a participation."""
    with psycopg.connect(db_url, autocommit=True, connect_timeout=10) as conn:
        participations, voters, people, of_users = conn.execute(
            "SELECT count(*), count(DISTINCT p.voter_id), count(DISTINCT v.user_id),"
            " count(*) FILTER (WHERE v.user_id = ANY(%s))"
            " FROM reviews_participation p JOIN reviews_voter v ON v.id = p.voter_id"
            " WHERE p.poll_id = %s",
            (users, poll_id),
        ).fetchone()
        (ballots,) = conn.execute(
            "SELECT count(*) FROM reviews_ballot WHERE poll_id = %s", (poll_id,)
        ).fetchone()
    return {
        "participations": participations,
        "ballots": ballots,
        "people": people,
        "of_users": of_users,
        # Extra rows beyond one per person: two participations of one voter or person, or a
        # ballot without its own participation.
        "duplicates": (participations - voters) + (voters - people) + max(ballots - people, 0),
    }


# --- a small HTTP/1.1 client (asyncio, one connection per request like a phone) -------------


async def http_request(
    host: str, port: int, method: str, path: str, headers: dict, body: bytes = b""
) -> tuple[int, dict[str, list[str]], bytes]:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout=30)  # until the server closes
    finally:
        writer.close()
    head, _, content = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    response_headers: dict[str, list[str]] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        response_headers.setdefault(name.strip().lower(), []).append(value.strip())
    return int(status_line.split()[1]), response_headers, content


_CSRF_COOKIE = re.compile(r"^csrftoken=([A-Za-z0-9]+)")
_CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')
_ITEM_FIELD = re.compile(rb'name="item-(\d+)"')
_VOTED = re.compile(rb'data-voted="(\d+)"')


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p99 of 200 samples is the 198th smallest)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil without floats drifting
    return ordered[int(rank) - 1]


def ballot_body(token: str, items: list[int], n: int) -> bytes:
    fields = [("csrfmiddlewaretoken", token), ("item-marks", "1"), ("action", "submit")]
    fields += [(f"item-{pk}", CHOICES[(n + j) % len(CHOICES)]) for j, pk in enumerate(items)]
    return urlencode(fields).encode()


class Burst:
    """The phones (GET then POST) and the projector of the burst, against one server."""

    def __init__(self, base_url: str, data: dict):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.origin = f"http://{self.host}:{self.port}"
        self.poll_id = data["poll_id"]
        self.items = data["items"]
        self.ballot_path = f"/polls/{self.poll_id}/ballot/"
        self.done_path = f"/polls/{self.poll_id}/ballot/done/"
        self.screen_path = f"/meetings/{data['meeting_id']}/screen/live/"
        self.office_cookie = f"sessionid={data['office_session']}"

    async def open_ballot(self, session: str) -> dict:
        """A phone opens the ballot page: the csrftoken cookie and the form's token."""
        started = time.perf_counter()
        status, headers, body = await http_request(
            self.host, self.port, "GET", self.ballot_path, {"Cookie": f"sessionid={session}"}
        )
        elapsed = (time.perf_counter() - started) * 1000
        set_cookies = headers.get("set-cookie", [])
        cookies = [m.group(1) for c in set_cookies if (m := _CSRF_COOKIE.match(c))]
        field = _CSRF_FIELD.search(body)
        items = sorted(int(pk) for pk in set(_ITEM_FIELD.findall(body)))
        if status != 200 or not cookies or field is None or items != sorted(self.items):
            raise RuntimeError(
                f"GET {self.ballot_path} returned {status} without the ballot form "
                f"(csrftoken cookie: {bool(cookies)}, items {items}): {body[:300]!r}"
            )
        token = field.group(1).decode()
        return {"session": session, "csrf_cookie": cookies[0], "token": token, "ms": elapsed}

    def ballot_headers(self, phone: dict) -> dict:
        return {
            "Cookie": f"sessionid={phone['session']}; csrftoken={phone['csrf_cookie']}",
            "Content-Type": "application/x-www-form-urlencoded",
            # Sent by browsers; Django checks Origin when present (and Referer only over HTTPS).
            "Origin": self.origin,
            "Referer": self.origin + self.ballot_path,
        }

    async def submit(self, phone: dict, n: int, start_at: float) -> dict:
        await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
        body = ballot_body(phone["token"], self.items, n)
        sent = time.perf_counter()
        try:
            status, headers, content = await http_request(
                self.host, self.port, "POST", self.ballot_path, self.ballot_headers(phone), body
            )
        except (TimeoutError, OSError) as exc:
            return {"sent": sent, "received": time.perf_counter(), "ok": False, "error": repr(exc)}
        received = time.perf_counter()
        location = (headers.get("location") or [""])[0]
        ok = status == 302 and urlsplit(location).path == self.done_path
        outcome = {"sent": sent, "received": received, "ok": ok, "status": status}
        if not ok:
            outcome["error"] = f"{status} {location} {content[:200]!r}"
        return outcome

    async def resubmit(self, phone: dict, n: int) -> bool:
        status, _, content = await http_request(
            self.host,
            self.port,
            "POST",
            self.ballot_path,
            self.ballot_headers(phone),
            ballot_body(phone["token"], self.items, n),
        )
        return status == 200 and ALREADY_VOTED.encode() in content

    async def projector(self, samples: list, stop: asyncio.Event) -> None:
        """The office's projector: the screen's live fragment, every PROJECTOR_INTERVAL_S."""
        while not stop.is_set():
            started = time.perf_counter()
            try:
                status, _, body = await http_request(
                    self.host, self.port, "GET", self.screen_path, {"Cookie": self.office_cookie}
                )
                match = _VOTED.search(body)
                voted = int(match.group(1)) if status == 200 and match else None
            except (TimeoutError, OSError):
                status, voted = None, None
            received = time.perf_counter()
            samples.append(
                {"sent": started, "received": received, "status": status, "voted": voted}
            )
            await asyncio.sleep(max(0.0, started + PROJECTOR_INTERVAL_S - time.perf_counter()))

    async def run(self, voters: list[list], db_check) -> dict:
        """GETs, the burst with the projector, a database check, the 20 resubmissions and
        another check; db_check() returns db_counts() of the poll."""
        sessions = [session for _, session in voters]
        gate = asyncio.Semaphore(GET_CONCURRENCY)

        async def open_one(session):
            async with gate:
                return await self.open_ballot(session)

        log(f"{len(sessions)} phones open the ballot page ({GET_CONCURRENCY} at a time)")
        opened = time.perf_counter()
        phones = await asyncio.gather(*(open_one(s) for s in sessions))
        opening_s = time.perf_counter() - opened

        samples: list[dict] = []
        stop = asyncio.Event()
        projector = asyncio.create_task(self.projector(samples, stop))
        deadline = time.perf_counter() + 5
        while not samples and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)  # a baseline reading before the first vote
        baseline = samples[0]["voted"] if samples else None
        log(f"burst: {len(phones)} ballots within {BURST_WINDOW_S:g} s, projector every 50 ms")
        order = list(range(len(phones)))
        secrets.SystemRandom().shuffle(order)  # phones do not vote in enrolment order
        t0 = time.perf_counter() + 0.05
        step = BURST_WINDOW_S / len(phones)
        outcomes = await asyncio.gather(
            *(self.submit(phones[n], n, t0 + slot * step) for slot, n in enumerate(order))
        )
        counted = sum(o["ok"] for o in outcomes)
        # Keep polling until the projector shows every accepted ballot (or give up after 5 s).
        deadline = time.perf_counter() + 5
        while time.perf_counter() < deadline and not any(
            s["voted"] is not None and baseline is not None and s["voted"] - baseline >= counted
            for s in samples
        ):
            await asyncio.sleep(PROJECTOR_INTERVAL_S)
        stop.set()
        await projector

        # The poll is still open: live ballots, not yet sealed.
        after_burst = await asyncio.to_thread(db_check)
        log(f"after the burst: {after_burst}")
        resubmitters = list(range(0, len(phones), max(1, len(phones) // RESUBMITTED)))
        resubmitters = resubmitters[:RESUBMITTED]
        refused = await asyncio.gather(*(self.resubmit(phones[n], n) for n in resubmitters))
        after_resubmit = await asyncio.to_thread(db_check)
        if after_resubmit != after_burst:
            log(f"the resubmissions changed the counts: {after_resubmit}")
        return {
            "outcomes": outcomes,
            "samples": samples,
            "baseline": baseline,
            "page_ms": [phone["ms"] for phone in phones],
            "opening_s": opening_s,
            "after_burst": after_burst,
            "after_resubmit": after_resubmit,
            "resubmitted": len(resubmitters),
            "resubmit_refused": sum(refused),
        }


def turnout_lags(outcomes: list[dict], samples: list[dict], baseline: int) -> list[float]:
    """For the k-th accepted ballot (by the time its 302 arrived): ms until the first
    projector response showing at least k votes arrived; 0 if one had arrived before.

    The projector fetches every 50 ms, so this is the server's own lag (commit to count,
    plus the projector request's queueing among the ballots) to within 50 ms. The real
    projector polls once a second: what the hall sees can be up to that much later again.
    A ballot never shown counts as the whole observation window.
    """
    accepted = sorted(o["received"] for o in outcomes if o["ok"])
    readings = [(s["received"], s["voted"] - baseline) for s in samples if s["voted"] is not None]
    end = samples[-1]["received"] if samples else 0.0
    lags = []
    for k, at in enumerate(accepted, start=1):
        shown = next((t for t, voted in readings if voted >= k), None)
        lags.append(max(0.0, ((shown if shown is not None else end) - at) * 1000))
    return lags


# --- the sustained run (wrk, one fresh voter per request) -----------------------------------

_WRK_SCRIPT = r"""
-- Each request is a ballot of the next unused voter; threads take interleaved voters.
local keys_file, first, last = "@KEYS@", @FIRST@, @LAST@
local path, origin, done_path = "@PATH@", "@ORIGIN@", "@DONE@"
local cookie_tail = "; csrftoken=@CSRF@"
local bodies = { [[@BODY0@]], [[@BODY1@]], [[@BODY2@]] }
local threads, counter = {}, 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  nthreads = tonumber(args[1])
  keys = {}
  for line in io.lines(keys_file) do keys[#keys + 1] = line end
  nxt = first + tid - 1
  sent, ok, bad, repeats, exhausted, used = 0, 0, 0, 0, 0, 0
  last_bad = ""
end

function request()
  if nxt > last then
    exhausted = 1
    wrk.thread:stop()
    return wrk.format("GET", "/__bench__/pool-exhausted")
  end
  local i = nxt
  nxt = nxt + nthreads
  sent, used = sent + 1, i
  return wrk.format("POST", path, {
    ["Cookie"] = "sessionid=" .. keys[i] .. cookie_tail,
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Origin"] = origin,
    ["Referer"] = origin .. path,
  }, bodies[i % 3 + 1])
end

function response(status, headers, body)
  local location = headers["Location"] or headers["location"] or ""
  if status == 302 and string.sub(location, -#done_path) == done_path then
    ok = ok + 1
  elseif string.find(location, "pool-exhausted", 1, true) then
    -- the request that stopped an exhausted thread
  elseif status == 200 and string.find(body, "@VOTED@", 1, true) then
    repeats = repeats + 1
  else
    bad = bad + 1
    last_bad = status .. " " .. location .. " " .. string.sub(body or "", 1, 120)
  end
end

function done(summary, latency, requests)
  local t = { sent = 0, ok = 0, bad = 0, repeats = 0, exhausted = 0 }
  local used, last_bad = 0, ""
  for _, thread in ipairs(threads) do
    for name, _ in pairs(t) do t[name] = t[name] + thread:get(name) end
    used = math.max(used, thread:get("used"))
    if thread:get("last_bad") ~= "" then last_bad = thread:get("last_bad") end
  end
  io.write(string.format(
    "BALLOTS sent=%d ok=%d bad=%d repeats=%d exhausted=%d used=%d max_ms=%.3f\n",
    t.sent, t.ok, t.bad, t.repeats, t.exhausted, used, latency.max / 1000))
  io.write("LAST_BAD " .. string.gsub(last_bad, "[\r\n]", " ") .. "\n")
end
"""
_BALLOTS_LINE = re.compile(
    r"^BALLOTS sent=(\d+) ok=(\d+) bad=(\d+) repeats=(\d+) exhausted=(\d+) used=(\d+)"
    r" max_ms=([\d.]+)$",
    re.MULTILINE,
)


def run_ballot_wrk(
    base_url: str, burst: Burst, keys_file: Path, first: int, last: int, duration: float
) -> dict:
    """wrk over voters first..last (1-based lines of keys_file), each voter at most once."""
    csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    # A 32-character secret as the csrftoken cookie and, unmasked, as the form token: Django
    # accepts that pair, so the sustained voters need no GET of their own.
    replacements = {
        "@KEYS@": str(keys_file),
        "@FIRST@": str(first),
        "@LAST@": str(last),
        "@PATH@": burst.ballot_path,
        "@ORIGIN@": burst.origin,
        "@DONE@": burst.done_path,
        "@CSRF@": csrf,
        "@VOTED@": ALREADY_VOTED,
    }
    for n in range(len(CHOICES)):
        replacements[f"@BODY{n}@"] = ballot_body(csrf, burst.items, n).decode()
    script = _WRK_SCRIPT
    for placeholder, value in replacements.items():
        script = script.replace(placeholder, value)
    script_file = keys_file.with_name(f"ballots_{first}.lua")
    script_file.write_text(script, encoding="utf-8")
    threads = min(2, CONNECTIONS)
    output = wrk_output(
        base_url + burst.ballot_path,
        duration=duration,
        script=str(script_file),
        threads=threads,
        script_args=[str(threads)],
    )
    result = parse_wrk(output)
    match = _BALLOTS_LINE.search(output)
    if match is None:
        raise RuntimeError(f"wrk script printed no BALLOTS line:\n{output}")
    sent, ok, bad, repeats, exhausted, used = (int(n) for n in match.groups()[:6])
    result |= {"sent": sent, "ok": ok, "bad": bad, "repeats": repeats, "exhausted": bool(exhausted)}
    result |= {"last_used": used, "max_ms": float(match.group(7))}
    if bad:
        last_bad = re.search(r"^LAST_BAD (.*)$", output, re.MULTILINE)
        log(f"{bad} ballots not accepted, e.g.: {last_bad.group(1) if last_bad else '?'}")
    if any(result["socket_errors"].values()):
        log(f"wrk socket errors: {result['socket_errors']}")
    # wrk counts a 200 "您已投票" or a redirect to the login page as success; we do not.
    result["errors"] = sum(result["socket_errors"].values()) + bad + repeats
    return result


# --- the run -------------------------------------------------------------------------------


def _round(value, digits=2):
    return None if value is None else round(value, digits)


def _latency_row(label: str, values_ms: list[float], wall_s: float, errors: int) -> dict:
    return {
        "server": label,
        "rps": len(values_ms) / wall_s if wall_s > 0 else None,
        "p50_ms": percentile(values_ms, 50),
        "p99_ms": percentile(values_ms, 99),
        "max_ms": max(values_ms, default=None),
        "errors": errors,
        "requests": len(values_ms),
    }


def burst_report(result: dict, after: dict) -> tuple[list[dict], dict]:
    """Table rows and JSON fields of the burst: page GETs, ballot POSTs, projector polls."""
    outcomes, samples = result["outcomes"], result["samples"]
    failed = [o for o in outcomes if not o["ok"]]
    for outcome in failed[:5]:
        log(f"burst failure: {outcome.get('error')}")
    sends = [o["sent"] for o in outcomes]
    wall = max(o["received"] for o in outcomes) - min(sends)
    posts = _latency_row(
        f"burst: {len(outcomes)} ballot POSTs in {BURST_WINDOW_S:g} s",
        [(o["received"] - o["sent"]) * 1000 for o in outcomes],
        wall,
        len(failed),
    )
    pages = _latency_row(
        f"ballot page GETs first ({GET_CONCURRENCY} at a time)",
        result["page_ms"],
        result["opening_s"],
        0,  # a phone without its ballot form stops the bench before the burst
    )
    projector_errors = sum(s["voted"] is None for s in samples)
    projector = _latency_row(
        f"projector polls, every {PROJECTOR_INTERVAL_S * 1000:g} ms",
        [(s["received"] - s["sent"]) * 1000 for s in samples],
        samples[-1]["received"] - samples[0]["sent"],
        projector_errors,
    )
    baseline = result["baseline"] or 0
    lags = turnout_lags(outcomes, samples, baseline)
    lag = max(lags, default=None)
    not_refused = result["resubmitted"] - result["resubmit_refused"]
    fields = {
        "counted": after["of_users"],
        "burst_p99_ms": _round(posts["p99_ms"]),
        "turnout_lag_ms": _round(lag, 1),
        "burst_errors": len(failed),
        "burst_accepted": len(outcomes) - len(failed),
        "burst_p50_ms": _round(posts["p50_ms"]),
        "burst_max_ms": _round(posts["max_ms"]),
        "burst_span_ms": round((max(sends) - min(sends)) * 1000, 1),
        "burst_wall_ms": round(wall * 1000, 1),
        "page_p99_ms": _round(pages["p99_ms"]),
        "turnout_lag_p99_ms": _round(percentile(lags, 99), 1),
        "turnout_lag_effective_ms": _round(lag + REAL_PROJECTOR_PERIOD_MS, 1) if lags else None,
        "projector_polls": len(samples),
        "projector_p99_ms": _round(projector["p99_ms"]),
        "projector_errors": projector_errors,
        "projector_shown": max((s["voted"] or 0) for s in samples) - baseline,
        "resubmitted": result["resubmitted"],
        "resubmit_refused": result["resubmit_refused"],
        "after_burst": after,
        "after_resubmit": result["after_resubmit"],
    }
    fields["errors"] = len(failed) + projector_errors + not_refused
    return [pages, posts, projector], fields


def sustained_report(run: dict, warm: dict, after: dict, final: dict) -> tuple[dict, dict]:
    run["server"] = f"sustained ballots, a fresh voter each ({CONNECTIONS} conn.)"
    # Each 302 wrk saw must be one participation; a request wrk dropped in flight at the end
    # of a run (at most one per connection, warm-up and measured) may still have committed.
    accepted = run["ok"] + warm["ok"]
    in_db = final["participations"] - after["participations"]
    lost = not accepted <= in_db <= accepted + 2 * CONNECTIONS
    if lost:
        log(f"sustained: {accepted} ballots accepted but {in_db} participations in the database")
    if run["exhausted"] or warm["exhausted"]:
        log(f"the pool of {POOL} voters ran out: rps is understated; raise BENCH_BALLOT_POOL")
    fields = {
        "sustained_p50_ms": _round(run["p50_ms"]),
        "sustained_p99_ms": _round(run["p99_ms"]),
        "sustained_requests": run["requests"],
        "sustained_errors": run["errors"] + warm["errors"],
        "sustained_rejected": run["bad"] + warm["bad"],
        "sustained_repeats": run["repeats"] + warm["repeats"],
        "sustained_socket_errors": run["socket_errors"],
        "sustained_accepted": accepted,
        "sustained_in_db": in_db,
        "sustained_lost": lost,
        "pool_exhausted": run["exhausted"] or warm["exhausted"],
        "pool_left": POOL - max(run["last_used"], warm["last_used"]),
        "final": final,
    }
    return run, fields


def _check(check: str, measured: str, target: str, met: bool | None) -> dict:
    result = "-" if met is None else "ok" if met else "MISSED"
    return {"check": check, "measured": measured, "target": target, "result": result}


def _fmt(value, spec: str, unit: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{unit}"


def checks_table(summary: dict) -> list[dict]:
    counted, dup, errors = summary["counted"], summary["duplicates"], summary["errors"]
    p99, ratio, lag = summary["burst_p99_ms"], summary["ratio"], summary["turnout_lag_ms"]
    effective = summary.get("turnout_lag_effective_ms")
    to_view = summary.get("ratio_to_django_view")
    return [
        _check("ballots counted", f"{counted}/{BURST_VOTERS}", "all", counted == BURST_VOTERS),
        _check("counted twice", _fmt(dup, "d"), "0", dup == 0),
        _check("errors", _fmt(errors, "d"), "0", errors == 0),
        _check(
            "burst p99", _fmt(p99, ".1f", " ms"), f"< {P99_TARGET_MS:g} ms", _lt(p99, P99_TARGET_MS)
        ),
        _check(
            "sustained rps / floor",
            _fmt(ratio, ".3f"),
            f">= {RATIO_TARGET}",
            _ge(ratio, RATIO_TARGET),
        ),
        _check(
            "turnout lag, max over ballots",
            _fmt(lag, ".0f", " ms"),
            f"<= {LAG_TARGET_MS:g} ms",
            None if lag is None else lag <= LAG_TARGET_MS,
        ),
        _check("  + the projector's 1 s polling", _fmt(effective, ".0f", " ms"), "(bound)", None),
        _check("sustained rps / Django view", _fmt(to_view, ".3f"), "(context)", None),
        _check(
            "sustained rps / Django ceiling",
            _fmt(summary.get("ratio_to_ceiling"), ".3f"),
            "(context)",
            None,
        ),
        _check(
            "Django ceiling / floor", _fmt(summary.get("ceiling_ratio"), ".3f"), "(bound)", None
        ),
    ]


def _lt(value, limit):
    return None if value is None else value < limit


def _ge(value, limit):
    return None if value is None else value >= limit


def run_bench(summary: dict) -> tuple[dict | None, dict]:
    """Floor, data, burst and sustained run; returns the floor and the raw results."""
    state: dict = {}
    floor = None
    phase = time.monotonic()

    def done(what: str) -> None:
        nonlocal phase
        log(f"{what} took {time.monotonic() - phase:.1f} s")
        phase = time.monotonic()

    try:
        with time_limit(240 + 4 * (DURATION + WARMUP)), bench_database() as db_url:
            floor = measure_floor(db_url)
            done("the floor")
            with django_site(db_url) as env, tempfile.TemporaryDirectory() as tmp:
                done("the site")
                # A minimal Django view (one insert) under the same settings: what any view
                # costs before its own work, so the ballot's ratio can be read against it.
                state["django"] = measure_server(
                    "Django view, one insert",
                    DJANGO_APP,
                    "/__bench__/insert",
                    env=env,
                    db_url=db_url,
                )
                done("the Django view")
                data = _create(env, BURST_VOTERS + POOL)
                done("the data")
                poll_id = data["poll_id"]
                burst_voters, pool = data["voters"][:BURST_VOTERS], data["voters"][BURST_VOTERS:]
                burst_users = [user for user, _ in burst_voters]
                keys_file = Path(tmp) / "sessions.txt"
                keys_file.write_text("".join(f"{key}\n" for _, key in pool))
                # Production's gunicorn settings (threaded workers), as the site runs.
                with gunicorn_server(
                    DJANGO_APP, env, config_file="config/gunicorn.conf.py"
                ) as base_url:
                    burst = Burst(base_url, data)
                    check = functools.partial(db_counts, db_url, poll_id, burst_users)
                    state["burst"] = asyncio.run(burst.run(burst_voters, check))
                    state["after"] = state["burst"]["after_burst"]
                    done("the burst")
                    log(f"sustained warm-up: {CONNECTIONS} connections, {WARMUP:g} s")
                    state["warm"] = run_ballot_wrk(base_url, burst, keys_file, 1, POOL, WARMUP)
                    first = state["warm"]["last_used"] + 1  # no voter twice
                    log(f"measuring ballots: {CONNECTIONS} connections, {DURATION:g} s")
                    state["sustained"] = run_ballot_wrk(
                        base_url, burst, keys_file, first, POOL, DURATION
                    )
                    # For context: the same requests (session, CSRF, body) to a view that only
                    # loads the user, parses them and inserts one row (bench/_urls.py).
                    log(f"measuring the Django ceiling: {CONNECTIONS} connections")
                    ceiling = copy.copy(burst)
                    ceiling.ballot_path = "/__bench__/ceiling" + burst.done_path
                    run_ballot_wrk(base_url, ceiling, keys_file, 1, POOL, WARMUP)
                    state["ceiling"] = run_ballot_wrk(
                        base_url, ceiling, keys_file, 1, POOL, DURATION
                    )
                # gunicorn has stopped gracefully: requests in flight have committed.
                state["final"] = check()
                log(f"at the end: {state['final']}")
                done("the sustained run")
    except Exception as exc:
        traceback.print_exc()
        summary["error"] = f"{type(exc).__name__}: {exc}"
    return floor, state


def main() -> int:
    started = time.monotonic()
    summary: dict = {
        "bench": "ballot_burst",
        "connections": CONNECTIONS,
        "duration_s": DURATION,
        "pool": POOL,
        # Load generator, servers and PostgreSQL share this machine: other load skews results.
        "loadavg_1m_start": round(os.getloadavg()[0], 2),
    }
    floor, state = run_bench(summary)

    rows = []
    floor_rps = floor["rps"] if floor else None
    if floor:
        rows.append(floor | {"ratio": 1.0})
    django_rps = state["django"]["rps"] if "django" in state else None
    if django_rps:
        rows.append(state["django"] | {"ratio": ratio_of(django_rps, floor_rps)})
    summary |= {"voters": BURST_VOTERS, "counted": None, "errors": None, "duplicates": None}
    summary |= {"burst_p99_ms": None, "turnout_lag_ms": None}
    if "burst" in state:
        burst_rows, fields = burst_report(state["burst"], state["after"])
        rows += burst_rows
        summary |= fields
        resubmit = state["burst"]["after_resubmit"]
        # A second submission must change nothing: any ballot it added is one counted twice.
        added = max(resubmit["ballots"] - state["after"]["ballots"], 0)
        summary["duplicates"] = max(state["after"]["duplicates"], resubmit["duplicates"] + added)
    if "sustained" in state:
        row, fields = sustained_report(
            state["sustained"], state["warm"], state["after"], state["final"]
        )
        row["ratio"] = ratio_of(row["rps"], floor_rps)
        rows.append(row)
        summary |= fields
        summary["errors"] = (summary["errors"] or 0) + fields["sustained_errors"]
        summary["duplicates"] = max(summary["duplicates"] or 0, state["final"]["duplicates"])
    ceiling_rps = state["ceiling"]["rps"] if "ceiling" in state else None
    if ceiling_rps:
        rows.append(
            state["ceiling"]
            | {
                "server": "Django ceiling: session, CSRF, parse, 1 insert",
                "ratio": ratio_of(ceiling_rps, floor_rps),
            }
        )
    rps = state["sustained"]["rps"] if "sustained" in state else None
    summary |= {"rps": _round(rps, 1), "floor_rps": _round(floor_rps, 1)}
    summary["ratio"] = ratio_of(rps, floor_rps)
    summary["django_view_rps"] = _round(django_rps, 1)
    summary["django_view_ratio"] = ratio_of(django_rps, floor_rps)
    summary["ratio_to_django_view"] = ratio_of(rps, django_rps)
    summary["ceiling_rps"] = _round(ceiling_rps, 1)
    summary["ceiling_ratio"] = ratio_of(ceiling_rps, floor_rps)
    summary["ratio_to_ceiling"] = ratio_of(rps, ceiling_rps)

    if rows:
        print_table(rows, COLUMNS)
        print()
    checks = checks_table(summary)
    print_table(checks, CHECK_COLUMNS)
    summary["targets_met"] = {
        key: check["result"] == "ok"
        for key, check in zip(("burst_p99", "ratio", "turnout_lag"), checks[3:6], strict=True)
    }
    summary["ok"] = (
        "error" not in summary
        and summary["counted"] == BURST_VOTERS
        and summary["duplicates"] == 0
        and summary["errors"] == 0
        and not summary.get("sustained_lost")
    )
    summary["loadavg_1m_end"] = round(os.getloadavg()[0], 2)
    summary["wall_s"] = round(time.monotonic() - started, 1)
    log(f"done in {summary['wall_s']} s")
    first = ["bench", "voters", "counted", "duplicates", "errors", "burst_p99_ms", "rps"]
    first += ["floor_rps", "ratio", "turnout_lag_ms", "ok"]
    emit_json({key: summary.get(key) for key in first} | summary)
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["create"]:
        print(json.dumps(create_data(int(sys.argv[2]))), flush=True)
        sys.exit(0)
    sys.exit(main())
