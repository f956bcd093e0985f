"""xsd:dateTime text <-> ``datetime`` (always timezone-aware)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

__all__ = ["format_datetime", "parse_datetime"]

_DT = re.compile(
    r"\s*(-?\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d*))?"
    r"(Z|[+-]\d\d:?\d\d)?\s*$",
    re.ASCII,
)


def parse_datetime(text: str) -> datetime:
    """Parse xsd:dateTime as servers send it.

    Accepts 0 to 9 (or more) fraction digits (truncated to microseconds), ``Z``, ``+hh:mm``
    offsets, no zone (taken as UTC: the vSphere API speaks UTC) and ``24:00:00`` (the next
    day's midnight). Raises ``ValueError`` for anything else.
    """
    m = _DT.match(text)
    if m is None:
        raise ValueError(f"not an xsd:dateTime: {text[:64]!r}")
    year, month, day, hour, minute, second, frac, zone = m.groups()
    micro = int((frac or "")[:6].ljust(6, "0"))
    if zone is None or zone == "Z":
        tz: timezone = UTC
    else:
        sign = -1 if zone[0] == "-" else 1
        hh, mm = int(zone[1:3]), int(zone[-2:])
        if hh > 14 or mm > 59 or (hh == 14 and mm):
            raise ValueError(f"invalid xsd:dateTime zone: {text[:64]!r}")
        tz = timezone(sign * timedelta(hours=hh, minutes=mm))
    h = int(hour)
    extra = timedelta()
    if h == 24:
        if int(minute) or int(second) or micro:
            raise ValueError(f"invalid xsd:dateTime: {text[:64]!r}")
        h, extra = 0, timedelta(days=1)
    sec = int(second)
    if sec == 60:  # a leap second: clamp
        sec, micro = 59, 999999
    try:
        return datetime(int(year), int(month), int(day), h, int(minute), sec, micro, tz) + extra
    except OverflowError:  # 9999-12-31T24:00:00
        raise ValueError(f"xsd:dateTime out of range: {text[:64]!r}") from None


def format_datetime(value: datetime) -> str:
    """``datetime`` -> xsd:dateTime. A naive value is taken as UTC (the API's zone).

    An offset that is not whole minutes (zoneinfo's local mean time for old dates) cannot
    be written as ``+hh:mm``: such a value is sent in UTC, the same instant.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    offset = value.utcoffset()
    if offset and offset % timedelta(minutes=1):
        value = value.astimezone(UTC)
        offset = None
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.year < 1000:
        text = f"{value.year:04d}" + text[text.index("-"):]
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    if not offset:
        return text + "Z"
    total = int(offset.total_seconds())
    sign = "-" if total < 0 else "+"
    total = abs(total)
    return f"{text}{sign}{total // 3600:02d}:{total % 3600 // 60:02d}"
