"""Server-rendered SVG charts of poll results: the geometry is computed here, the templates
only draw rectangles (no chart library, no script; CSP-safe)."""

from . import meetings
from .models import Choice

CHOICE_ORDER = (Choice.SATISFIED, Choice.BASIC, Choice.DISSATISFIED, Choice.UNKNOWN)


def chart_rows(res: meetings.PollResults) -> list[dict]:
    """Per subject: the stacked bar's segments (x and width in a 0–100 viewBox), the counts
    and the grade, for the server-rendered SVG charts of the projector and results pages."""
    rows = []
    options = [c for c in CHOICE_ORDER if c != Choice.UNKNOWN or res.poll.allow_unknown]
    for result in res.items:
        total = result.total
        n = sum(total[c] for c in options)
        x = 0.0
        segments = []
        for choice in options:
            count = total[choice]
            width = 100.0 * count / n if n else 0.0
            segments.append(
                {
                    "choice": choice.value,
                    "label": choice.label,
                    "count": count,
                    "electronic": result.electronic[choice],
                    "paper": result.paper[choice],
                    "x": f"{x:.3f}",
                    "width": f"{width:.3f}",
                    "mid": f"{x + width / 2:.3f}",
                    "show_label": width >= 8,
                }
            )
            x += width
        grade = result.grade
        rows.append(
            {
                "result": result,
                "segments": segments,
                "ballots": n,
                "satisfaction": f"{grade.satisfaction_rate * 100:.1f}%" if grade else "—",
                "against": f"{grade.dissatisfied_rate * 100:.1f}%" if grade else "—",
            }
        )
    return rows


def choice_segments(counts, choices) -> list[dict]:
    """The segments of one horizontal stacked bar (x and width in a 0–100 viewBox) for counts
    keyed by choice code, in the order of `choices` (Choice members). Used by the
    questionnaire results; the meeting's `chart_rows` keeps its own geometry."""
    n = sum(counts.get(c, 0) for c in choices)
    x = 0.0
    segments = []
    for choice in choices:
        count = counts.get(choice, 0)
        width = 100.0 * count / n if n else 0.0
        segments.append(
            {
                "choice": choice.value,
                "label": choice.label,
                "count": count,
                "share": f"{100.0 * count / n:.1f}%" if n else "—",
                "x": f"{x:.3f}",
                "width": f"{width:.3f}",
                "mid": f"{x + width / 2:.3f}",
                "show_label": width >= 8,
            }
        )
        x += width
    return segments
