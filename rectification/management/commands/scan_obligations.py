"""Run the deadline scan now, or as if at a given time (operators, drills and tests):

manage.py scan_obligations
manage.py scan_obligations --at "2025-03-01 09:00"

Reminders and the office's daily digest are sent exactly once however often it runs, so an
operator may run it by hand after an outage of Redis or beat (docs/operations.md).
"""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from rectification.obligations import scan


class Command(BaseCommand):
    help = "扫描到期事项并发送提醒（每项每个提醒阶段只发送一次）。"

    def add_arguments(self, parser):
        parser.add_argument("--at", help="按此时间扫描，格式 YYYY-MM-DD 或 YYYY-MM-DD HH:MM")

    def handle(self, *args, **options):
        now = timezone.now()
        if options["at"]:
            text = options["at"].strip()
            for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%d"):
                try:
                    now = timezone.make_aware(datetime.strptime(text, pattern))
                    break
                except ValueError:
                    continue
            else:
                raise CommandError(f"无法识别的时间：{text}（格式 YYYY-MM-DD 或 YYYY-MM-DD HH:MM）")
        result = scan(now=now)
        self.stdout.write(f"到期事项 {result.due} 项，本次发出提醒 {result.notified} 项。")
        if result.digest is not None:
            self.stdout.write(f"已发出今日逾期汇总（逾期 {result.digest} 项）。")
