"""Decoder fuzzing (hypothesis): real responses recorded from the embedded simulator and
vcsim (``corpus/``, ``make_corpus.py``), mutated (byte flips, truncation at every kind of
boundary, tag renames, xsi:type swaps, duplicated and removed elements, huge numbers, bad
dates and base64, invalid UTF-8) and decoded through the client's real call path: the
outcome is a value or an ``aiovsphere.VSphereError``, never another exception, never a
hang, and the memory a bounded body costs is bounded."""

from __future__ import annotations

import asyncio
import tracemalloc
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aiovsphere

from ._fuzz import MAX_INPUT, MUTATIONS, Decoding, Sample, load_corpus, mutate, pick

CORPUS = load_corpus()
DECODING = Decoding()
FUZZ = settings(max_examples=60, deadline=timedelta(seconds=10), derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


class Draws:
    """A ``Chooser`` drawing from hypothesis (so failures shrink to small choices)."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def int(self, lo: int, hi: int) -> int:
        return self.data.draw(st.integers(lo, hi)) if hi > lo else lo


async def decode_typed(sample: Sample, body: bytes, chunk: int) -> object:
    """Decode ``body`` as ``sample.method``'s answer; only typed errors may come out."""
    try:
        async with asyncio.timeout(10):  # no hang (a generous bound)
            return await DECODING.decode(sample.method, sample.status, body, chunk)
    except aiovsphere.VSphereError as exc:
        assert str(exc)  # and the typed error renders
        return exc


def test_the_corpus_is_real_and_decodes() -> None:
    methods = {s.method for s in CORPUS}
    assert {"RetrieveServiceContent", "Login", "RetrievePropertiesEx", "CurrentTime",
            "AcquireCloneTicket", "QueryEvents", "WaitForUpdatesEx"} <= methods
    assert {s.name.split("-")[0] for s in CORPUS} == {"sim", "vcsim"}

    async def run() -> None:
        for sample in CORPUS:
            if sample.status == 500:
                with pytest.raises(aiovsphere.SoapFault):
                    await DECODING.decode(sample.method, 500, sample.body)
            else:
                await DECODING.decode(sample.method, 200, sample.body)

    asyncio.run(run())


@pytest.mark.parametrize("first", MUTATIONS, ids=[m.__name__ for m in MUTATIONS])
@FUZZ
@given(data=st.data())
async def test_mutated_responses_raise_only_typed_errors(first: object,
                                                         data: st.DataObject) -> None:
    rnd = Draws(data)
    sample = pick(rnd, CORPUS)
    body = first(sample.body, rnd)  # type: ignore[operator]
    body, _ = mutate(body, rnd, rnd.int(0, 2))
    chunk = pick(rnd, (64, 1000, 1 << 16))
    await decode_typed(sample, body, chunk)


@settings(max_examples=25, deadline=timedelta(seconds=30), derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
async def test_memory_is_bounded_for_a_bounded_body(data: st.DataObject) -> None:
    """Python-heap peak (tracemalloc) while a mutated body is decoded stays under 64 MB
    plus 40 bytes per byte of body (a decoded vim25 object costs ~10-20x its XML). The C
    side (libxml2's tree) is bounded by ``max_response_bytes`` and the parser's limits,
    and the atheris run bounds the whole process (``-rss_limit_mb``)."""
    rnd = Draws(data)
    sample = max(CORPUS, key=lambda s: len(s.body)) if rnd.int(0, 1) else pick(rnd, CORPUS)
    body, _ = mutate(sample.body, rnd, rnd.int(1, 3))
    assert len(body) <= MAX_INPUT
    tracemalloc.start()
    try:
        await decode_typed(sample, body, 1 << 16)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20 + 40 * len(body), (peak, len(body))


async def test_memory_of_the_largest_body_a_mutation_makes() -> None:
    """The worst case: the largest recorded response with its biggest element copied
    until the body is 1.5 MB, decoded (off the loop, as the client does
    past ``decode_in_thread_bytes``) under tracemalloc."""
    sample = max(CORPUS, key=lambda s: len(s.body))
    start, end = sample.body.index(b"<objects>"), sample.body.rindex(b"</objects>") + 10
    element = sample.body[start:end]
    copies = (3 << 19) // len(element)  # 1.5 MB: past decode_in_thread_bytes
    body = sample.body[:start] + element * copies + sample.body[end:]
    assert 1 << 20 < len(body) <= MAX_INPUT
    tracemalloc.start()
    try:
        value = await decode_typed(sample, body, 1 << 16)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not isinstance(value, BaseException)
    assert len(value.objects) >= copies  # type: ignore[attr-defined]
    assert peak < 64 * 2**20 + 40 * len(body), (peak, len(body))
