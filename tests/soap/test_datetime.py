"""xsd:dateTime as servers send it, and as we send it back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from aiovsphere import DecodeError
from aiovsphere.soap._datetime import format_datetime, parse_datetime
from aiovsphere.soap.codec import decode_value, encode_value

from .support import decoder, fragment

IST = timezone(timedelta(hours=5, minutes=30))
PST = timezone(timedelta(hours=-8))


@pytest.mark.parametrize("digits", range(10))
def test_fraction_digits_zero_to_nine(digits: int) -> None:
    frac = "123456789"[:digits]
    text = "2024-03-10T12:34:56" + (f".{frac}" if digits else "") + "Z"
    value = parse_datetime(text)
    assert value == datetime(2024, 3, 10, 12, 34, 56, int(frac[:6].ljust(6, "0")), UTC)
    assert value.tzinfo is UTC


def test_fraction_truncated_not_rounded() -> None:
    assert parse_datetime("2024-01-01T00:00:00.9999999Z").microsecond == 999999
    assert parse_datetime("2024-01-01T00:00:00.0000009Z").microsecond == 0


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("2024-06-01T10:00:00Z", timedelta(0)),
        ("2024-06-01T10:00:00+00:00", timedelta(0)),
        ("2024-06-01T10:00:00-00:00", timedelta(0)),
        ("2024-06-01T10:00:00+05:30", timedelta(hours=5, minutes=30)),
        ("2024-06-01T10:00:00+0530", timedelta(hours=5, minutes=30)),
        ("2024-06-01T10:00:00-08:00", timedelta(hours=-8)),
        ("2024-06-01T10:00:00-03:30", timedelta(hours=-3, minutes=-30)),
        ("2024-06-01T10:00:00+14:00", timedelta(hours=14)),
        ("2024-06-01T10:00:00-12:00", timedelta(hours=-12)),
    ],
)
def test_zones(text: str, offset: timedelta) -> None:
    value = parse_datetime(text)
    assert value.utcoffset() == offset
    assert (value.year, value.month, value.day, value.hour) == (2024, 6, 1, 10)
    assert value == datetime(2024, 6, 1, 10, tzinfo=UTC) - offset


def test_offsets_compare_by_instant() -> None:
    assert parse_datetime("2024-01-01T10:00:00+05:30") == parse_datetime("2024-01-01T04:30:00Z")
    assert parse_datetime("2023-12-31T20:30:00-08:00") == parse_datetime("2024-01-01T04:30:00Z")


def test_no_zone_is_utc() -> None:
    value = parse_datetime("2024-06-01T10:00:00.5")
    assert value.tzinfo is UTC
    assert value == datetime(2024, 6, 1, 10, 0, 0, 500000, UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T24:00:00Z", datetime(2024, 5, 2, tzinfo=UTC)),
        ("2024-12-31T24:00:00Z", datetime(2025, 1, 1, tzinfo=UTC)),
        ("2024-02-28T24:00:00Z", datetime(2024, 2, 29, tzinfo=UTC)),
        ("2023-02-28T24:00:00Z", datetime(2023, 3, 1, tzinfo=UTC)),
        ("2024-05-01T24:00:00.000Z", datetime(2024, 5, 2, tzinfo=UTC)),
        ("2024-05-01T24:00:00+05:30", datetime(2024, 5, 2, tzinfo=IST)),
    ],
)
def test_hour_24_is_next_midnight(text: str, expected: datetime) -> None:
    value = parse_datetime(text)
    assert value == expected
    assert value.utcoffset() == expected.utcoffset()
    assert (value.hour, value.minute, value.second) == (0, 0, 0)


def test_leap_second_clamped() -> None:
    assert parse_datetime("2016-12-31T23:59:60Z") == datetime(2016, 12, 31, 23, 59, 59, 999999,
                                                              UTC)


def test_surrounding_whitespace() -> None:
    assert parse_datetime("\n  2024-01-01T00:00:00Z \t") == datetime(2024, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2024-01-01",
        "2024-01-01 00:00:00Z",
        "2024-1-01T00:00:00Z",
        "24-01-01T00:00:00Z",
        "2024-01-01T25:00:00Z",
        "2024-01-01T23:60:00Z",
        "2024-01-01T24:00:01Z",
        "2024-01-01T24:01:00Z",
        "2024-01-01T24:00:00.5Z",
        "2024-02-30T00:00:00Z",
        "2024-00-10T00:00:00Z",
        "2024-01-01T00:00:00+05:60",
        "2024-01-01T00:00:00+15:00",
        "2024-01-01T00:00:00+5:30",
        "2024-01-01T00:00:00 Z",
        "2024-01-01T00:00:00z",
        "0000-01-01T00:00:00Z",
        "10000-01-01T00:00:00Z",
        "-0001-01-01T00:00:00Z",
        "9999-12-31T24:00:00Z",
        "\u0662\u0660\u0662\u0664-01-01T00:00:00Z",  # Arabic-Indic digits
        "2024-01-01T00:00:00Z trailing",
    ],
)
def test_invalid_text_is_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_datetime(text)


def test_invalid_text_in_a_response_is_decode_error() -> None:
    el = fragment("<i><key>1</key><chainId>1</chainId><createdTime>9999-12-31T24:00:00Z"
                  "</createdTime><userName>u</userName></i>")
    with pytest.raises(DecodeError) as info:
        decoder().typed(el, "Event")
    assert info.value.path == "/wrapper/i/createdTime"


def test_hour_24_in_a_response() -> None:
    el = fragment("<i><key>1</key><chainId>1</chainId><createdTime>2024-12-31T24:00:00Z"
                  "</createdTime><userName>u</userName></i>")
    assert decoder().typed(el, "Event").createdTime == datetime(2025, 1, 1, tzinfo=UTC)


# ============================================================================ formatting


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "2024-01-02T03:04:05Z"),
        (datetime(2024, 1, 2, 3, 4, 5, 60, tzinfo=UTC), "2024-01-02T03:04:05.000060Z"),
        (datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC), "2024-01-02T03:04:05.123456Z"),
        (datetime(2024, 1, 2, 3, 4, 5, tzinfo=IST), "2024-01-02T03:04:05+05:30"),
        (datetime(2024, 1, 2, 3, 4, 5, tzinfo=PST), "2024-01-02T03:04:05-08:00"),
        (datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(0))), "2024-01-02T03:04:05Z"),
        (datetime(2024, 1, 2, 3, 4, 5), "2024-01-02T03:04:05Z"),  # naive taken as UTC
        (datetime(99, 1, 2, tzinfo=UTC), "0099-01-02T00:00:00Z"),
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00Z"),
        (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
         "9999-12-31T23:59:59.999999Z"),
    ],
)
def test_format(value: datetime, text: str) -> None:
    assert format_datetime(value) == text
    back = parse_datetime(text)
    assert back == (value if value.tzinfo else value.replace(tzinfo=UTC))


def test_offset_with_seconds_sent_as_the_same_instant_in_utc() -> None:
    lmt = timezone(timedelta(hours=5, minutes=53, seconds=28))  # Asia/Kolkata in 1850
    value = datetime(1850, 6, 1, 12, 0, 0, tzinfo=lmt)
    text = format_datetime(value)
    assert text == "1850-06-01T06:06:32Z"
    assert parse_datetime(text) == value


@pytest.mark.parametrize(
    "value",
    [datetime(2024, 7, 1, 12, 0, 0, 1, tzinfo=IST), datetime(2024, 7, 1, tzinfo=PST),
     datetime(2024, 7, 1, 23, 59, 59, tzinfo=UTC)],
)
def test_encode_value_and_back(value: datetime) -> None:
    data = encode_value(value, "dateTime")
    el = etree.fromstring(data)
    assert el.text == format_datetime(value)
    back = decode_value(el, "dateTime")
    assert back == value and back.utcoffset() == value.utcoffset()


@given(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                 timezones=st.sampled_from([UTC, IST, PST, timezone(timedelta(minutes=-45)),
                                            timezone(timedelta(hours=14))])),
)
def test_format_parse_round_trip(value: datetime) -> None:
    back = parse_datetime(format_datetime(value))
    assert back == value
    assert back.utcoffset() == value.utcoffset()
    assert back.replace(tzinfo=None) == value.replace(tzinfo=None)
