"""Atheris (libFuzzer) harness for the client's response decoding.

    .venv/bin/python tests/security/fuzz_decoder.py -atheris_runs=100000 \\
        -rss_limit_mb=1024 -timeout=10

Each input picks a recorded response (``corpus/``), mutations and a chunk size from the
fuzzer's bytes (``tests/security/_fuzz.py``, the same mutations as the hypothesis tests),
or, when its first byte is odd, is itself the body; the body is decoded through the
client's real call path. A value or an ``aiovsphere.VSphereError`` is fine; any other
exception is a crash (libFuzzer saves the input as ``crash-*``). ``-timeout`` catches a
hang, ``-rss_limit_mb`` unbounded memory. No corpus directory is passed by default, so
libFuzzer writes nothing into the repository.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

with atheris.instrument_imports(include=["aiovsphere"]):
    import aiovsphere

    # aiovsphere imports its modules lazily: import the decode path here, inside the
    # block, or the fuzzer gets no coverage feedback from it.
    import aiovsphere._client
    import aiovsphere._faults
    import aiovsphere.soap._xml
    import aiovsphere.soap.codec
    import aiovsphere.soap.envelope
    import aiovsphere.vim.types
    from tests.security._fuzz import Decoding, load_corpus, mutate, pick

CORPUS = load_corpus()
DECODING = Decoding()
LOOP = asyncio.new_event_loop()


class Provided:
    """A ``Chooser`` reading the fuzzer's bytes."""

    def __init__(self, fdp: atheris.FuzzedDataProvider) -> None:
        self.fdp = fdp

    def int(self, lo: int, hi: int) -> int:
        return int(self.fdp.ConsumeIntInRange(lo, hi)) if hi > lo else lo


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    rnd = Provided(fdp)
    sample = pick(rnd, CORPUS)
    if data[:1] and data[0] & 1:
        body = fdp.ConsumeBytes(fdp.remaining_bytes())  # raw bytes as the response
    else:
        body, _ = mutate(sample.body, rnd, rnd.int(1, 4))
    chunk = pick(rnd, (64, 1000, 1 << 16))
    try:
        LOOP.run_until_complete(DECODING.decode(sample.method, sample.status, body, chunk))
    except aiovsphere.VSphereError:
        pass


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
