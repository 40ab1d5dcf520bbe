"""Questionnaire submissions through the real answer view, against the floor.

A review with 20 subjects and a published questionnaire whose matrix asks each subject × 3
评议内容 (60 satisfaction cells) plus an optional text question. wrk (BENCH_CONNECTIONS,
default 16) submits completed questionnaires for BENCH_DURATION seconds, each request with a
different one-time invitation code (a Lua script walks a list of codes, threads take
interleaved codes), CSRF cookie and token included, to `/s/c/<code>/` as a phone would.
The rate is compared with the bare-WSGI floor measured in the same run (STACK.md).

Afterwards the database must hold exactly one response per accepted submission, each with
all its answers, and as many used invitations: nothing lost, nothing doubled. Targets:
rps ≥ 0.35 × the floor, p99 under 100 ms at 16 connections.

For context, the same requests then go to a Django "ceiling" view on the same server
(bench/_urls.py): CSRF checked, body parsed, one row inserted, redirect — the least any Django
view does with them. `ratio_to_ceiling` is the share of that rate the real view keeps; the
ceiling's own ratio to the floor bounds what any view of this stack can reach.

Timings are reported, not asserted; the exit status is 1 only for a correctness failure or a
bench that could not run.

    .venv/bin/python bench/survey_ingest.py

The last line of stdout is one JSON object; logs go to stderr.
"""

from __future__ import annotations

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
from urllib.parse import urlencode

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
    parse_wrk,
    print_table,
    ratio_of,
    time_limit,
    wrk_output,
)

SUBJECTS = 20
DIMENSIONS = 3
CODES = 30_000  # enough for ~2,500 submissions/s over warm-up + measured run
TARGET_RATIO = 0.35
TARGET_P99_MS = 100.0
CHOICES = ("satisfied", "basic", "dissatisfied")
# bench/_urls.py's ceiling view, redirecting to the answer page as the real view does.
CEILING = "/__bench__/ceiling/s/c/"


# --- data (run inside the bench environment: `python -m bench.survey_ingest create`) --------


def create_data() -> dict:
    import django

    django.setup()
    from datetime import date, timedelta

    from django.db import transaction
    from django.utils import timezone

    from reviews.models import Subject, SubjectForm
    from reviews.services import create_review
    from reviews.workflow import Phase
    from subjects.models import Official, Unit, User, UserRole
    from subjects.roles import Role
    from surveys.invitations import MAX_BATCH, issue_batch
    from surveys.models import Question, QuestionKind, Questionnaire, Section
    from surveys.responses import load_structure

    with transaction.atomic():
        office = User.objects.create(username="bench_office", full_name="评议办")
        office.set_unusable_password()
        office.save(update_fields=["password"])
        UserRole.objects.create(user=office, role=Role.OFFICE)
        review = create_review(
            actor=office, kind="duty", year=2026, title="2026年度述职评议", term="第十八届"
        )
        review.phase = Phase.INVESTIGATE
        review.save(update_fields=["phase"])
        unit = Unit.objects.create(
            name="示范县人民政府", short_name="县政府", category="government"
        )
        officials = Official.objects.bulk_create(
            Official(
                name=f"述职人{i:02d}",
                gender="M",
                unit=unit,
                post="局长",
                appointed_on=date(2021, 9, 28),
                in_post_since=date(2021, 9, 28),
                term="第十八届",
                status="serving",
            )
            for i in range(SUBJECTS)
        )
        subjects = Subject.objects.bulk_create(
            Subject(
                review=review,
                official=official,
                form=SubjectForm.WRITTEN,
                display_name=official.name,
                unit_name=unit.name,
                post=official.post,
                order=i,
            )
            for i, official in enumerate(officials)
        )
        now = timezone.now()
        questionnaire = Questionnaire.objects.create(
            review=review,
            title="人大代表对被评议对象满意度测评问卷",
            audience="deputies",
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=7),
            published_at=now - timedelta(hours=1),
            created_by=office,
        )
        section = Section.objects.create(questionnaire=questionnaire, title="满意度测评")
        matrix = Question.objects.create(
            questionnaire=questionnaire,
            section=section,
            kind=QuestionKind.MATRIX,
            text="请对以下评议对象逐项评价",
            order=1,
        )
        matrix.subjects.set(subjects)
        matrix.dimensions.set(list(review.dimensions.order_by("order", "id")[:DIMENSIONS]))
        Question.objects.create(
            questionnaire=questionnaire,
            section=section,
            kind=QuestionKind.TEXT,
            text="意见和建议",
            required=False,
            order=2,
        )
    pairs = []
    for n in range(0, CODES, MAX_BATCH):
        _, batch = issue_batch(
            actor=office,
            questionnaire=questionnaire,
            label=f"压力测试第 {n // MAX_BATCH + 1} 批",
            delivery="slips",
            count=min(MAX_BATCH, CODES - n),
        )
        pairs += batch
    structure = load_structure(questionnaire)
    cells = [cell.name for s in structure for q in s.questions for cell in q.cells]
    matrix_cells = [name for name in cells if "_s" in name]
    text_field = next(name for name in cells if "_s" not in name)
    return {
        "questionnaire_id": questionnaire.pk,
        "cells": matrix_cells,
        "text_field": text_field,
        "codes": [code for _, code in pairs],
    }


def _create(env: dict) -> dict:
    log("python -m bench.survey_ingest create")
    result = subprocess.run(
        [PYTHON, "-m", "bench.survey_ingest", "create"],
        cwd=REPO_ROOT,
        env=child_env(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=sys.stderr,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(f"bench.survey_ingest create exited with {result.returncode}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def body(csrf: str, cells: list[str], text_field: str, n: int) -> str:
    fields = [("csrfmiddlewaretoken", csrf)]
    fields += [(name, CHOICES[(i + n) % 3]) for i, name in enumerate(cells)]
    fields.append((text_field, "建议进一步优化办事流程，提高窗口服务效率。" if n == 0 else ""))
    return urlencode(fields)


def db_counts(db_url: str, questionnaire_id: int) -> dict:
    with psycopg.connect(db_url, autocommit=True, connect_timeout=10) as conn:
        (responses,) = conn.execute(
            "SELECT count(*) FROM surveys_response WHERE questionnaire_id = %s",
            (questionnaire_id,),
        ).fetchone()
        (answers,) = conn.execute(
            "SELECT count(*) FROM surveys_answer WHERE questionnaire_id = %s AND text = ''",
            (questionnaire_id,),
        ).fetchone()
        (short,) = conn.execute(
            "SELECT count(*) FROM (SELECT response_id FROM surveys_answer"
            " WHERE questionnaire_id = %s AND text = '' GROUP BY response_id"
            " HAVING count(*) <> %s) s",
            (questionnaire_id, SUBJECTS * DIMENSIONS),
        ).fetchone()
        (used,) = conn.execute(
            "SELECT count(*) FROM surveys_invitation WHERE questionnaire_id = %s AND used",
            (questionnaire_id,),
        ).fetchone()
    return {"responses": responses, "answers": answers, "incomplete": short, "used": used}


# --- wrk -------------------------------------------------------------------------------------

_WRK_SCRIPT = r"""
-- Each request submits the questionnaire with the next unused code; threads interleave.
local codes_file, first, last = "@CODES@", @FIRST@, @LAST@
local origin = "@ORIGIN@"
local cookie = "csrftoken=@CSRF@"
local bodies = { [[@BODY0@]], [[@BODY1@]], [[@BODY2@]] }
local threads, counter = {}, 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  nthreads = tonumber(args[1])
  codes = {}
  for line in io.lines(codes_file) do codes[#codes + 1] = line end
  nxt = first + tid - 1
  sent, ok, bad, used_page, exhausted, used = 0, 0, 0, 0, 0, 0
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
  local path = "@PREFIX@" .. codes[i] .. "/"
  return wrk.format("POST", path, {
    ["Cookie"] = cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Origin"] = origin,
    ["Referer"] = origin .. path,
  }, bodies[i % 3 + 1])
end

function response(status, headers, body)
  local location = headers["Location"] or headers["location"] or ""
  if (status == 302 or status == 303) and not string.find(location, "login", 1, true) then
    ok = ok + 1
  elseif string.find(location, "pool-exhausted", 1, true) then
  elseif status == 200 and string.find(body, "已使用", 1, true) then
    used_page = used_page + 1
  else
    bad = bad + 1
    last_bad = status .. " " .. location .. " " .. string.sub(body or "", 1, 160)
  end
end

function done(summary, latency, requests)
  local t = { sent = 0, ok = 0, bad = 0, used_page = 0, exhausted = 0 }
  local used, last_bad = 0, ""
  for _, thread in ipairs(threads) do
    for name, _ in pairs(t) do t[name] = t[name] + thread:get(name) end
    used = math.max(used, thread:get("used"))
    if thread:get("last_bad") ~= "" then last_bad = thread:get("last_bad") end
  end
  io.write(string.format("SUBMITS sent=%d ok=%d bad=%d used_page=%d exhausted=%d used=%d\n",
    t.sent, t.ok, t.bad, t.used_page, t.exhausted, used))
  io.write("LAST_BAD " .. string.gsub(last_bad, "[\r\n]", " ") .. "\n")
end
"""
_LINE = re.compile(
    r"^SUBMITS sent=(\d+) ok=(\d+) bad=(\d+) used_page=(\d+) exhausted=(\d+) used=(\d+)$",
    re.MULTILINE,
)


def run_submit_wrk(
    base_url: str,
    data: dict,
    codes_file: Path,
    first: int,
    duration: float,
    prefix: str = "/s/c/",
):
    csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    replacements = {
        "@CODES@": str(codes_file),
        "@FIRST@": str(first),
        "@LAST@": str(len(data["codes"])),
        "@ORIGIN@": base_url,
        "@CSRF@": csrf,
        "@PREFIX@": prefix,
    }
    for n in range(3):
        replacements[f"@BODY{n}@"] = body(csrf, data["cells"], data["text_field"], n)
    script = _WRK_SCRIPT
    for placeholder, value in replacements.items():
        script = script.replace(placeholder, value)
    script_file = codes_file.with_name(f"submit_{first}_{len(prefix)}.lua")
    script_file.write_text(script, encoding="utf-8")
    threads = min(2, CONNECTIONS)
    output = wrk_output(
        base_url + "/s/",
        duration=duration,
        script=str(script_file),
        threads=threads,
        script_args=[str(threads)],
    )
    result = parse_wrk(output)
    match = _LINE.search(output)
    if match is None:
        raise RuntimeError(f"wrk script printed no SUBMITS line:\n{output}")
    sent, ok, bad, used_page, exhausted, used = (int(n) for n in match.groups())
    result |= {"sent": sent, "ok": ok, "bad": bad, "used_page": used_page}
    result |= {"exhausted": bool(exhausted), "last_used": used}
    if bad:
        last_bad = re.search(r"^LAST_BAD (.*)$", output, re.MULTILINE)
        log(f"{bad} submissions not accepted, e.g.: {last_bad.group(1) if last_bad else '?'}")
    result["errors"] = sum(result["socket_errors"].values()) + bad + used_page
    return result


# --- the run -----------------------------------------------------------------------------------


def main() -> int:
    started = time.monotonic()
    summary: dict = {
        "bench": "survey_ingest",
        "connections": CONNECTIONS,
        "duration_s": DURATION,
        "cells": SUBJECTS * DIMENSIONS,
        "loadavg_1m_start": round(os.getloadavg()[0], 2),
    }
    floor = warm = run = after = ceiling = None
    try:
        with time_limit(300 + 3 * (DURATION + WARMUP)), bench_database() as db_url:
            floor = measure_floor(db_url)
            with django_site(db_url) as env, tempfile.TemporaryDirectory() as tmp:
                data = _create(env)
                codes_file = Path(tmp) / "codes.txt"
                codes_file.write_text("".join(f"{code}\n" for code in data["codes"]))
                with gunicorn_server(
                    DJANGO_APP, env, config_file="config/gunicorn.conf.py"
                ) as base_url:
                    log(f"warm-up: {CONNECTIONS} connections, {WARMUP:g} s")
                    warm = run_submit_wrk(base_url, data, codes_file, 1, WARMUP)
                    log(f"measuring submissions: {CONNECTIONS} connections, {DURATION:g} s")
                    run = run_submit_wrk(
                        base_url, data, codes_file, warm["last_used"] + 1, DURATION
                    )
                    # For context: the same requests to a view that only parses them and
                    # inserts one row (bench/_urls.py), on the same server. Stores no answers.
                    log(f"measuring the Django ceiling: {CONNECTIONS} connections")
                    run_submit_wrk(base_url, data, codes_file, 1, WARMUP, prefix=CEILING)
                    ceiling = run_submit_wrk(base_url, data, codes_file, 1, DURATION, CEILING)
                # gunicorn stopped gracefully: submissions in flight have committed.
                after = db_counts(db_url, data["questionnaire_id"])
                log(f"at the end: {after}")
    except Exception as exc:
        traceback.print_exc()
        summary["error"] = f"{type(exc).__name__}: {exc}"

    rows = []
    floor_rps = floor["rps"] if floor else None
    if floor:
        rows.append(floor | {"ratio": 1.0})
    if ceiling:
        rows.append(
            ceiling
            | {
                "server": "Django ceiling: CSRF, parse, 1 insert",
                "ratio": ratio_of(ceiling["rps"], floor_rps),
            }
        )
    if run:
        rows.append(
            run
            | {
                "server": f"questionnaire POST ({SUBJECTS}×{DIMENSIONS} matrix)",
                "ratio": ratio_of(run["rps"], floor_rps),
                "rows": None,
            }
        )
    print_table(
        rows,
        [
            ("server", "server", ""),
            ("rps", "rps", ",.0f"),
            ("p50 ms", "p50_ms", ".2f"),
            ("p99 ms", "p99_ms", ".2f"),
            ("errors", "errors", ","),
            ("requests", "requests", ","),
            ("ratio", "ratio", ".3f"),
        ],
    )
    sent = (warm["sent"] if warm else 0) + (run["sent"] if run else 0)
    accepted = (warm["ok"] if warm else 0) + (run["ok"] if run else 0)
    stored = after["responses"] if after else None
    lost_or_doubled = None
    if after:
        # Requests still in flight when wrk stops are committed but never counted by wrk, so
        # stored may exceed accepted by up to the number of connections; never sent.
        lost_or_doubled = (
            max(accepted - stored, 0)
            + max(stored - sent, 0)
            + after["incomplete"]
            + abs(after["used"] - stored)
            + abs(after["answers"] - stored * SUBJECTS * DIMENSIONS)
        )
    ratio = ratio_of(run["rps"], floor_rps) if run else None
    p99 = run["p99_ms"] if run else None
    print()
    print(f"ratio to floor {ratio} (target ≥ {TARGET_RATIO});", end=" ")
    print(f"p99 {p99} ms (target < {TARGET_P99_MS:g});", end=" ")
    print(f"sent {sent}, accepted {accepted}, stored {stored}, lost or doubled {lost_or_doubled}")
    summary |= {
        "rps": round(run["rps"], 1) if run else None,
        "floor_rps": round(floor_rps, 1) if floor_rps else None,
        "ratio": ratio,
        "p99_ms": p99,
        "sent": sent,
        "accepted": accepted,
        "stored": stored,
        "lost_or_doubled": lost_or_doubled,
        "errors": run["errors"] if run else None,
        "ceiling_rps": round(ceiling["rps"], 1) if ceiling else None,
        "ceiling_ratio": ratio_of(ceiling["rps"], floor_rps) if ceiling else None,
        "ratio_to_ceiling": ratio_of(run["rps"], ceiling["rps"]) if run and ceiling else None,
        "targets_met": {
            "ratio": bool(ratio is not None and ratio >= TARGET_RATIO),
            "p99": bool(p99 is not None and p99 < TARGET_P99_MS),
        },
    }
    summary["ok"] = "error" not in summary and lost_or_doubled == 0 and summary["errors"] == 0
    summary["wall_s"] = round(time.monotonic() - started, 1)
    emit_json(summary)
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["create"]:
        print(json.dumps(create_data()), flush=True)
        sys.exit(0)
    sys.exit(main())
