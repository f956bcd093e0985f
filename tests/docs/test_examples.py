"""The runnable examples in ``docs/*.md``, run against vcsim.

The convention (explained to readers in ``docs/examples.md``):

- ``<!-- runnable -->`` on the line before a fenced ``python`` block marks it runnable
  against the shared vcsim (which it must not change); ``<!-- runnable private -->``
  runs it against a fresh 8-VM vcsim of its own (for examples that power VMs, rename,
  create or destroy: starting one takes a fraction of a second, and every such example
  starts from the same inventory). Each runs as ``__main__`` in a fresh namespace, with
  the connection in ``AIOVSPHERE_URL``, ``AIOVSPHERE_USERNAME`` and
  ``AIOVSPHERE_PASSWORD``.
- ``<!-- output -->`` on the line before the next fenced block (prose may come between)
  gives what the example prints, compared line by line with doctest's ELLIPSIS (``...``
  matches anything, including several lines); trailing blanks are ignored. An example
  without an output block must print nothing.
- A fenced ``console`` block marked runnable holds ``$ aiovsphere ...`` commands, each
  followed by its output (same comparison), run in-process through the CLI's typer app;
  a command whose output ends with a line ``[exit N]`` must exit with status N, others
  with 0.

Each example runs in a thread of its own (its ``asyncio.run`` then never touches the
test loop) with a time limit.
"""

from __future__ import annotations

import contextlib
import doctest
import functools
import io
import re
import shlex
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest

import aiovsphere
from tools.vcsim.launcher import Vcsim

DOCS = Path(__file__).resolve().parents[2] / "docs"
USER = "docs-example"
T = TypeVar("T")
VM_COUNT = 8  # as the shared vcsim (tests/conftest.py): the pages show its inventory
TIME_LIMIT = 60.0  # seconds per example; they take well under one

_RUNNABLE = re.compile(r"^<!--\s*runnable(?P<private>\s+private)?\s*-->\s*$")
_OUTPUT = re.compile(r"^<!--\s*output\s*-->\s*$")
_MARKER = re.compile(r"^<!--\s*(runnable|output)\b")
_FENCE = re.compile(r"^(?P<fence>```+|~~~+)\s*(?P<lang>[\w+-]*)")
_EXIT = re.compile(r"^\[exit (?P<code>\d+)\]$")
_FLAGS = doctest.ELLIPSIS


@dataclass
class Example:
    page: str
    line: int  # 1-based line of the block's first code line
    lang: str
    code: str
    private: bool
    output: str | None = None
    output_line: int | None = None

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


@dataclass
class Parsed:
    examples: list[Example] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _blocks(lines: list[str]) -> Iterator[tuple[int, str, str, int]]:
    """(index of the opening fence, language, body, index after the closing fence)."""
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        fence = m["fence"]
        j = i + 1
        while j < len(lines) and not lines[j].startswith(fence):
            j += 1
        yield i, m["lang"], "\n".join(lines[i + 1:j]) + "\n", j + 1
        i = j + 1


def _marker_before(lines: list[str], index: int) -> str | None:
    """The marker comment on the nearest non-blank line above ``index``, if any."""
    k = index - 1
    while k >= 0 and not lines[k].strip():
        k -= 1
    return lines[k].strip() if k >= 0 and _MARKER.match(lines[k].strip()) else None


def parse(path: Path) -> Parsed:
    lines = path.read_text(encoding="utf-8").splitlines()
    page = path.name
    out = Parsed()
    pending: Example | None = None
    used: set[int] = set()
    for start, lang, body, _end in _blocks(lines):
        marker = _marker_before(lines, start)
        if marker is not None:
            k = start - 1
            while not lines[k].strip():
                k -= 1
            used.add(k)
        if marker is not None and _OUTPUT.match(marker):
            if pending is None:
                out.errors.append(f"{page}:{start + 1}: output block with no runnable "
                                  "example before it")
            else:
                pending.output, pending.output_line = body, start + 2
            pending = None
            continue
        pending = None
        if marker is None:
            continue
        m = _RUNNABLE.match(marker)
        if m is None:
            out.errors.append(f"{page}:{start}: unknown marker {marker!r}")
            continue
        if lang not in ("python", "console"):
            out.errors.append(f"{page}:{start + 1}: runnable block must be python or "
                              f"console, not {lang!r}")
            continue
        pending = Example(page, start + 2, lang, body, bool(m["private"]))
        out.examples.append(pending)
    for k, text in enumerate(lines):
        if _MARKER.match(text.strip()) and k not in used:
            out.errors.append(f"{page}:{k + 1}: marker {text.strip()!r} is not right "
                              "before a fenced block")
    return out


PAGES = sorted(DOCS.glob("*.md"))
PARSED = {p.name: parse(p) for p in PAGES}
EXAMPLES = [ex for parsed in PARSED.values() for ex in parsed.examples]
# The pages of issue 3's capabilities: each must carry runnable examples.
CAPABILITY_PAGES = ("property-collector.md", "views-and-finder.md", "tasks.md",
                    "watch-and-caches.md", "events-and-metrics.md", "objects.md", "cli.md",
                    "fastapi.md")


# ---------------------------------------------------------------------------- running
def _in_thread(fn: Callable[[], T]) -> T:
    """Run ``fn()`` in a thread of its own (its ``asyncio.run`` never meets the test
    loop); return its result or re-raise what it raised."""
    results: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            results.append(fn())
        except BaseException as exc:  # handed to the test's thread
            errors.append(exc)

    thread = threading.Thread(target=target, name="docs-example", daemon=True)
    thread.start()
    thread.join(TIME_LIMIT)
    if thread.is_alive():
        pytest.fail(f"example still running after {TIME_LIMIT}s", pytrace=False)
    if errors:
        raise errors[0]
    return results[0]


def run_python(example: Example) -> str:
    # Pad with blank lines so that tracebacks give the line number in the page.
    code = compile("\n" * (example.line - 1) + example.code, str(DOCS / example.page),
                   "exec")
    buffer = io.StringIO()

    def run() -> None:
        with contextlib.redirect_stdout(buffer):
            exec(code, {"__name__": "__main__"})

    _in_thread(run)
    return buffer.getvalue()


def _commands(example: Example) -> list[tuple[str, str]]:
    """(command, expected output) pairs of a console block."""
    out: list[tuple[str, list[str]]] = []
    for text in example.code.splitlines():
        if text.startswith("$ "):
            out.append((text[2:], []))
        elif out:
            out[-1][1].append(text)
        elif text.strip():
            raise AssertionError(f"{example.id}: console text before the first '$ ' line")
    return [(cmd, "\n".join(lines).rstrip() + "\n" if any(lines) else "")
            for cmd, lines in out]


def run_console(example: Example) -> None:
    from typer.testing import CliRunner

    from aiovsphere.__main__ import app

    for command, want in _commands(example):
        argv = shlex.split(command)
        assert argv[:1] == ["aiovsphere"], f"{example.id}: {command!r} is no aiovsphere command"
        expected_code = 0
        want_lines = want.rstrip("\n").splitlines()
        if want_lines and (m := _EXIT.match(want_lines[-1])):
            expected_code = int(m["code"])
            want = "\n".join(want_lines[:-1]) + "\n" if want_lines[:-1] else ""
        outcome = _in_thread(functools.partial(
            CliRunner().invoke, app, argv[1:], env={"COLUMNS": "100"}))
        got, code = outcome.output, outcome.exit_code
        assert code == expected_code, (
            f"{example.id}: `{command}` exited {code}, expected {expected_code}:\n{got}"
            + (f"\n{outcome.exception!r}" if outcome.exception else ""))
        check_output(example, got, want, what=f"`{command}`")


def check_output(example: Example, got: str, want: str | None, what: str = "example") -> None:
    got = "\n".join(line.rstrip() for line in got.splitlines()) + ("\n" if got else "")
    want = want or ""
    want = "\n".join(line.rstrip() for line in want.splitlines()) + ("\n" if want else "")
    checker = doctest.OutputChecker()
    if not checker.check_output(want, got, _FLAGS):
        diff = checker.output_difference(doctest.Example("", want), got, _FLAGS)
        where = f" (output block at line {example.output_line})" if example.output_line else ""
        pytest.fail(f"{example.id}: {what} printed something else than the page says"
                    f"{where}:\n{diff}", pytrace=False)


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture
def example_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.setenv("AIOVSPHERE_USERNAME", USER)
    monkeypatch.setenv("AIOVSPHERE_PASSWORD", "docs-password")
    monkeypatch.delenv("AIOVSPHERE_INSECURE", raising=False)
    yield monkeypatch


# ---------------------------------------------------------------------------- tests
def test_markers_are_well_formed() -> None:
    errors = [e for parsed in PARSED.values() for e in parsed.errors]
    assert errors == []


def test_every_capability_page_has_runnable_examples() -> None:
    counts = {page: sum(ex.page == page for ex in EXAMPLES) for page in CAPABILITY_PAGES}
    assert all(counts.values()), counts


@contextlib.contextmanager
def _server(example: Example, request: pytest.FixtureRequest) -> Iterator[str]:
    if not example.private:
        yield request.getfixturevalue("vcsim_url")
        return
    with Vcsim.for_vm_count(VM_COUNT) as sim:
        yield sim.url


@pytest.mark.parametrize("example", EXAMPLES, ids=[ex.id for ex in EXAMPLES])
def test_example(example: Example, example_env: pytest.MonkeyPatch,
                 request: pytest.FixtureRequest) -> None:
    with _server(example, request) as url:
        example_env.setenv("AIOVSPHERE_URL", url)
        if example.lang == "console":
            run_console(example)
        else:
            check_output(example, run_python(example), example.output)


def test_the_checker_catches_a_wrong_output() -> None:
    """The comparison is not vacuous: a wrong line fails, ``...`` matches lines."""
    ex = Example("x.md", 1, "python", "", False, output_line=3)
    check_output(ex, "a\nb\nc\n", "a\n...\nc\n")
    with pytest.raises(pytest.fail.Exception):
        check_output(ex, "a\nb\n", "a\nc\n")
    with pytest.raises(pytest.fail.Exception):
        check_output(ex, "surprise\n", None)


def test_the_parser_pairs_examples_with_outputs(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text(
        "<!-- runnable -->\n```python\nprint(1)\n```\n\nIt prints:\n\n<!-- output -->\n"
        "```text\n1\n```\n\n```python\nnot run\n```\n<!-- runnable private -->\n"
        "```python\nx = 1\n```\n<!-- output -->\n\ntext\n",
        encoding="utf-8")
    parsed = parse(page)
    assert [(e.line, e.private, e.output) for e in parsed.examples] == [
        (3, False, "1\n"), (18, True, None)]
    assert len(parsed.errors) == 1 and "p.md:20" in parsed.errors[0]



def test_a_failing_or_misprinting_example_fails() -> None:
    """The runners report what goes wrong, with the page's line numbers."""
    broken = Example("x.md", 7, "python", "print('a')\nraise RuntimeError('boom')\n", False)
    with pytest.raises(RuntimeError, match="boom") as info:
        run_python(broken)
    assert info.traceback[-1].lineno + 1 == 8  # the page line of the raise
    assert run_python(Example("x.md", 1, "python", "print('a')\n", False)) == "a\n"
    run_console(Example("x.md", 1, "console",
                        f"$ aiovsphere --version\naiovsphere {aiovsphere.__version__}\n", False))
    with pytest.raises(AssertionError, match="exited 0, expected 1"):
        run_console(Example("x.md", 1, "console", "$ aiovsphere --version\n...\n[exit 1]\n",
                            False))
    with pytest.raises(pytest.fail.Exception):
        run_console(Example("x.md", 1, "console", "$ aiovsphere --version\nsomething else\n",
                            False))
