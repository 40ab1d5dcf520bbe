from django import template

register = template.Library()

DIGITS = "零一二三四五六七八九"


def cn_number(value) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 105 → 一百零五 (clause and section numbers)."""
    try:
        n = int(value)
    except (TypeError, ValueError):
        return ""
    if n < 0:
        return str(n)
    if n < 10:
        return DIGITS[n]
    if n < 20:
        return "十" + (DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return DIGITS[n // 10] + "十" + (DIGITS[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        tail = "" if rest == 0 else ("零" + DIGITS[rest] if rest < 10 else cn_number(rest))
        if 10 <= rest < 20:
            tail = "一" + cn_number(rest)
        return DIGITS[n // 100] + "百" + tail
    return str(n)


register.filter("cn_number", cn_number)


@register.filter
def rare(value) -> str:
    """Escaped text with characters the document fonts lack kept on the line grid."""
    from rectification.pdf import mark_rare

    return mark_rare(str(value or ""))
