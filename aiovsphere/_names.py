"""Inventory names and paths as the vSphere API escapes them.

vim.ManagedEntity.name is stored escaped: ``/`` as ``%2f``, ``\\`` as ``%5c`` and ``%`` as
``%25`` (the API docs: "A slash is escaped as %2F or %2f. A backslash is escaped as %5C or
%5c, and a percent is escaped as %25"). Inventory paths (vim.SearchIndex.FindByInventoryPath)
are those escaped names joined by literal ``/``, so a name's own slashes never split a
path. Every other character (``&``, ``<``, non-ASCII...) is stored as it is.

The names ``.`` and ``..`` (legal, stored as they are) are written ``%2e`` and ``%2e%2e``
in the paths this library builds (:func:`join_path`, ``FoundObject.path``,
``inventory_path``), so that a path never holds a ``.``/``..`` component a reader would
take for a step (the finder ignores ``.`` and refuses ``..``). :func:`split_path` and
``find_by_inventory_path`` read them back (only these whole components: ``%2e`` inside a
longer name is text; the name ``%2e`` itself is written ``%252e``).

Renaming: vCenter escapes ``/`` and ``\\`` in a new name itself, but a ``%`` only when it
does not start an escape sequence (the client "must escape" a literal ``%``). Sending
``escape_name(name)`` (to Rename_Task, CreateFolder, CreateVM...) is right in every case,
and also against vcsim, which stores names verbatim and escapes nothing.

Pure functions, no I/O::

    >>> escape_name("a/b 100%")
    'a%2fb 100%25'
    >>> unescape_name("a%2fb 100%25")
    'a/b 100%'
    >>> join_path("DC0", "vm", "a/b")
    '/DC0/vm/a%2fb'
    >>> split_path("/DC0/vm/a%2fb")
    ['DC0', 'vm', 'a/b']
"""

from __future__ import annotations

import re

__all__ = ["escape_name", "join_path", "split_path", "unescape_name"]

_ESCAPE = re.compile(r"[%/\\]")
_ESCAPES = {"%": "%25", "/": "%2f", "\\": "%5c"}
_UNESCAPE = re.compile(r"%(25|2[fF]|5[cC])")
_UNESCAPES = {"25": "%", "2f": "/", "5c": "\\"}
_DOTS = {".": "%2e", "..": "%2e%2e"}
_ESCAPED_DOTS = re.compile(r"(?:%2[eE]){1,2}")


def escape_name(name: str) -> str:
    """``name`` as the API stores it: ``%`` -> ``%25``, ``/`` -> ``%2f``, ``\\`` -> ``%5c``
    (lower case, as vCenter writes them); nothing else changes."""
    return _ESCAPE.sub(lambda m: _ESCAPES[m.group()], name)


def unescape_name(name: str) -> str:
    """The name a stored (escaped) ``name`` stands for: ``%25``, ``%2f``/``%2F`` and
    ``%5c``/``%5C`` are decoded in one left-to-right pass (so ``%252f`` is ``%2f``).

    Lenient: a ``%`` that starts none of these three sequences is kept as it is
    (``"100%"`` stays ``"100%"``), so an unescaped name with no ``%2f``/``%5c``/``%25``
    text in it is its own unescaping. ``unescape_name(escape_name(x)) == x`` for every
    string ``x``.
    """
    if "%" not in name:
        return name
    return _UNESCAPE.sub(lambda m: _UNESCAPES[m.group(1).lower()], name)


def escape_dots(stored: str) -> str:
    """A stored (escaped) name as a path component: ``.`` -> ``%2e``, ``..`` ->
    ``%2e%2e``; any other name as it is."""
    return _DOTS.get(stored, stored)


def unescape_dots(component: str) -> str:
    """The stored name a path component stands for: ``%2e`` -> ``.``, ``%2e%2e`` -> ``..``
    (either case); any other component as it is."""
    if _ESCAPED_DOTS.fullmatch(component) is None:
        return component
    return "." * (len(component) // 3)


def join_path(*names: str) -> str:
    """An absolute inventory path from unescaped ``names``: ``join_path("DC0", "vm",
    "a/b")`` is ``"/DC0/vm/a%2fb"`` (what ``find_by_inventory_path`` and the finder take;
    the names ``.`` and ``..`` are written ``%2e``, ``%2e%2e``); no names: ``"/"``."""
    return "/" + "/".join(escape_dots(escape_name(n)) for n in names)


def split_path(path: str) -> list[str]:
    """The unescaped names of an (escaped) inventory path, split on literal ``/``
    (``%2e`` and ``%2e%2e`` components: ``.`` and ``..``); empty components (a leading,
    trailing or doubled ``/``) are dropped."""
    return [unescape_name(unescape_dots(part)) for part in path.split("/") if part]
