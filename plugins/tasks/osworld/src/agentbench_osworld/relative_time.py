"""OSWorld's `rule_relativeTime` getter: relative dates in a rule ("next Monday", "this month")
turned into the absolute strings its `expected` templates ask for ({DayD}, {Month}, {Year}, ...).

The day arithmetic follows upstream's getter (desktop_env/evaluators/getters/misc.py); "now" is
taken in the rule's `timezone` when it has one, else in the host's local zone.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

_SHORT_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _month_day(now: datetime, months_ahead: int, day: int) -> datetime:
    month = now.month - 1 + months_ahead
    return now.replace(year=now.year + month // 12, month=month % 12 + 1, day=day)


def _first_monday(now: datetime, months_ahead: int) -> datetime:
    first = _month_day(now, months_ahead, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)


def _days(n: int) -> Callable[[datetime], datetime]:
    return lambda now: now + timedelta(days=n)


def _next_weekend_day(target: int) -> Callable[[datetime], datetime]:
    # The coming Friday/Saturday/Sunday; a week later when today is that day.
    return lambda now: now + timedelta(days=(target - now.weekday()) % 7 or 7)


RESOLVERS: dict[str, Callable[[datetime], datetime]] = {
    "tomorrow": _days(1),
    "this month": lambda now: now,
    "5th next month": lambda now: _month_day(now, 1, 5),
    "10th next month": lambda now: _month_day(now, 1, 10),
    "11th next month": lambda now: _month_day(now, 1, 11),
    "this Saturday": lambda now: now + timedelta(days=5 - now.weekday()),
    "this Sunday": lambda now: now + timedelta(days=6 - now.weekday()),
    "next Monday": lambda now: now + timedelta(days=7 - now.weekday()),
    "next Monday split": lambda now: now + timedelta(days=7 - now.weekday()),
    "next Friday": _next_weekend_day(4),
    "next Saturday": _next_weekend_day(5),
    "next Sunday": _next_weekend_day(6),
    "next week Friday": lambda now: now + timedelta(days=7 - now.weekday() + 4),
    "next week Saturday": lambda now: now + timedelta(days=7 - now.weekday() + 5),
    "next week Sunday": lambda now: now + timedelta(days=7 - now.weekday() + 6),
    "first monday four months later": lambda now: _first_monday(now, 4),
    "first monday eight months later": lambda now: _first_monday(now, 8),
}


def format_day(template: str, day: datetime) -> str:
    """Fill a template's first {DoW} {Month} {DayD} {Year} {Month0D} {month} {MonthFull}
    {Day0D} {MonthD} placeholders, in upstream's order."""
    values = [
        ("{DoW}", _SHORT_DAYS[day.weekday()]),
        ("{Month}", calendar.month_abbr[day.month]),
        ("{DayD}", str(day.day)),
        ("{Year}", str(day.year)),
        ("{Month0D}", f"{day.month:02d}"),
        ("{month}", calendar.month_name[day.month].lower()),
        ("{MonthFull}", calendar.month_name[day.month]),
        ("{Day0D}", f"{day.day:02d}"),
        ("{MonthD}", str(day.month)),
    ]
    for key, value in values:
        template = template.replace(key, value, 1)
    return template


def _resolve_day(name: str, now: datetime) -> datetime:
    try:
        return RESOLVERS[name](now)
    except KeyError:
        raise ValueError(f"rule_relativeTime: unknown relative time {name!r}") from None


def resolve(rules: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """A copy of `rules` whose `expected` templates are filled for `now`."""
    zone = rules.get("timezone")
    now = now or (datetime.now(ZoneInfo(zone)) if zone else datetime.now().astimezone())
    relative = rules["relativeTime"]
    expected = dict(rules["expected"])
    start = _resolve_day(relative["from"], now)
    if "to" not in relative:
        expected["time"] = format_day(expected["time"], start)
        return {**rules, "expected": expected}
    to_name = relative["to"]
    if to_name in {"next Friday", "next Friday split"} and relative["from"].startswith(
        "next Monday"
    ):
        end = start + timedelta(days=4)  # the Friday of that Monday's week
    elif to_name in {"next Sunday", "next week Sunday"} and relative["from"] in {
        "next Friday",
        "next Saturday",
        "next week Friday",
        "next week Saturday",
    }:
        end = start + timedelta(days=6 - start.weekday())
    elif to_name == "next Friday":
        end = now + timedelta(days=4 - now.weekday() if now.weekday() < 4 else 11 - now.weekday())
    else:
        end = _resolve_day(to_name, now)
    if relative["from"] == "next Monday split":
        for key in ("puDay", "puMonth", "puYear"):
            expected[key] = format_day(expected[key], start)
    else:
        expected["from"] = format_day(expected["from"], start)
    if to_name == "next Friday split":
        for key in ("doDay", "doMonth", "doYear"):
            expected[key] = format_day(expected[key], end)
    else:
        expected["to"] = format_day(expected["to"], end)
    return {**rules, "expected": expected}
