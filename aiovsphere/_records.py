"""Typed per-object records (one managed object's retrieved properties) and the pure
functions that apply PropertyCollector changes to them.

:class:`ObjectRecord` is what :func:`aiovsphere.retrieve` returns, what watch streams carry
and what :class:`aiovsphere.InventoryCache` snapshots hold: immutable, so a record handed
to a reader never changes under it; an update builds a new record.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiovsphere._errors import SoapFault
    from aiovsphere.vim._moref import ManagedObjectReference

__all__ = ["ObjectRecord", "apply_change"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


class ObjectRecord(Mapping[str, Any]):
    """One managed object's properties: ``obj`` (the moref) and ``{path: typed value}``.

    A mapping from property path to value (``record["runtime.powerState"]``), with
    attribute access for the common case: ``record.name``, and ``record.runtime.powerState``
    for the path ``"runtime.powerState"`` (the same spelling works when the whole
    ``runtime`` was retrieved). A path that was asked for but is unset on the server
    reads as ``None``, as in pyvmomi.

    ``missing`` maps the paths the server could not read (the object's ``missingSet``:
    NoPermission, NotAuthenticated, ...) to the fault as an ``aiovsphere.faults``
    exception; the path ``""`` stands for the whole object (ManagedObjectNotFound).
    Reading a missing path (by key or attribute) raises its fault. Immutable and hashable
    by identity of content is not promised; compare ``obj`` and ``dict(record)``.
    """

    __slots__ = ("_props", "missing", "obj")

    obj: ManagedObjectReference
    missing: Mapping[str, SoapFault]
    _props: Mapping[str, Any]

    def __init__(
        self,
        obj: ManagedObjectReference,
        props: Mapping[str, Any],
        missing: Mapping[str, SoapFault] | None = None,
    ) -> None:
        object.__setattr__(self, "obj", obj)
        object.__setattr__(self, "_props", MappingProxyType(dict(props)))
        object.__setattr__(self, "missing", MappingProxyType(dict(missing)) if missing
                           else _EMPTY)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("ObjectRecord is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("ObjectRecord is immutable")

    # -- Mapping
    def __getitem__(self, path: str) -> Any:
        try:
            return self._props[path]
        except KeyError:
            fault = self.missing.get(path) or self.missing.get("")
            if fault is not None:
                raise fault from None
            raise

    def __iter__(self) -> Iterator[str]:
        return iter(self._props)

    def __len__(self) -> int:
        return len(self._props)

    def __contains__(self, path: object) -> bool:
        return path in self._props

    # -- attribute access
    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return _lookup(self, name)

    @property
    def fault(self) -> SoapFault | None:
        """The whole-object fault (ManagedObjectNotFound...), else the first missing
        path's fault, else ``None``."""
        if not self.missing:
            return None
        return self.missing.get("") or next(iter(self.missing.values()))

    def replace(self, props: Mapping[str, Any],
                missing: Mapping[str, SoapFault] | None = None) -> ObjectRecord:
        """A new record for the same object with ``props`` (and ``missing``)."""
        return ObjectRecord(self.obj, props, self.missing if missing is None else missing)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ObjectRecord):
            return NotImplemented
        return (self.obj == other.obj and dict(self._props) == dict(other._props)
                and set(self.missing) == set(other.missing))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        # Short: a retrieved ``config`` alone is thousands of characters.
        shown = ", ".join(f"{k}={_short(v)}" for k, v in list(self._props.items())[:4])
        more = ", ..." if len(self._props) > 4 else ""
        miss = f" missing={sorted(self.missing)}" if self.missing else ""
        return f"<ObjectRecord {self.obj.type}:{self.obj.value} {shown}{more}{miss}>"


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


class _Prefix:
    """``record.runtime`` when only ``runtime.*`` paths were retrieved."""

    __slots__ = ("_prefix", "_record")

    def __init__(self, record: ObjectRecord, prefix: str) -> None:
        self._record = record
        self._prefix = prefix

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return _lookup(self._record, f"{self._prefix}.{name}")

    def __repr__(self) -> str:
        return f"<{self._prefix}.* of {self._record!r}>"


def _lookup(record: ObjectRecord, path: str) -> Any:
    props = record._props
    if path in props:
        return props[path]
    if path in record.missing:
        raise record.missing[path]
    # The path lies inside a retrieved property ("runtime.powerState" of "runtime")?
    head, _, _ = path.rpartition(".")
    while head:
        if head in props:
            value = props[head]
            for attr in path[len(head) + 1:].split("."):
                value = getattr(value, attr)
            return value
        head, _, _ = head.rpartition(".")
    prefix = path + "."
    if any(p.startswith(prefix) for p in props) or any(p.startswith(prefix)
                                                         for p in record.missing):
        return _Prefix(record, path)
    if "" in record.missing:
        raise record.missing[""]
    raise AttributeError(
        f"{record.obj} has no retrieved property {path!r} (retrieved: {sorted(props)})"
    )


# ---------------------------------------------------------------------------- changes
_SEGMENT = re.compile(r'\.?([^.\[\]]+)|\[("?)((?:[^"\]\\]|\\.)*)\2\]')


def _segments(path: str) -> list[tuple[str, str]]:
    """``config.hardware.device[4000]`` -> [("attr","config"), ("attr","hardware"),
    ("attr","device"), ("key","4000")]. Keys may be quoted: ``[\"abc\"]``."""
    out = []
    pos = 0
    while pos < len(path):
        m = _SEGMENT.match(path, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"cannot parse property path {path!r}")
        if m.group(1) is not None:
            out.append(("attr", m.group(1)))
        else:
            out.append(("key", m.group(3)))
        pos = m.end()
    return out


def _join(segments: list[tuple[str, str]]) -> str:
    text = ""
    for kind, name in segments:
        if kind == "attr":
            text = f"{text}.{name}" if text else name
        else:
            text = f"{text}[{name}]"
    return text


def apply_change(props: dict[str, Any], name: str, op: str, val: Any) -> None:
    """Apply one PropertyChange (``name``, ``op``, ``val``) to ``props`` in place.

    ``op`` is the vim ``PropertyChangeOp``: ``assign`` (set), ``add`` (insert into an
    array, or set), ``remove`` / ``indirectRemove`` (unset; ``indirectRemove`` means an
    enclosing property went away); a retrieved path that is removed stays, as ``None``
    (an unset property reads as ``None``, as in a fresh retrieve). ``name`` is the path
    the server reports: one of the retrieved paths, or with partial updates a path inside
    one, such as ``config.hardware.device[4000]`` (the array element whose ``key`` is
    4000) or ``summary.runtime.powerState``. Values stay immutable: an inner change rebuilds the
    enclosing objects (``model_copy``) and tuples.

    Raises ``ValueError`` for a path that cannot be parsed or does not fit the value.
    """
    removing = op in ("remove", "indirectRemove")
    if name in props:
        if not removing:
            props[name] = val
        elif "[" in name:  # an element kept under its own name (below): gone
            del props[name]
        else:
            props[name] = None
        return
    segments = _segments(name)  # ValueError for a path that cannot be parsed
    for cut in range(len(segments) - 1, 0, -1):
        head = _join(segments[:cut])
        if head in props:
            props[head] = _apply_inner(props[head], segments[cut:], op, val, name)
            return
    # Not under any retrieved path: keep it under its own name.
    if removing:
        props.pop(name, None)
    else:
        props[name] = val


def _apply_inner(value: Any, rest: list[tuple[str, str]], op: str, val: Any, name: str) -> Any:
    kind, seg = rest[0]
    last = len(rest) == 1
    removing = op in ("remove", "indirectRemove")
    if kind == "attr":
        if value is None or not hasattr(value, "model_copy") or not hasattr(value, seg):
            raise ValueError(f"{name}: no value at {seg!r} to change")
        new = None if last and removing else val if last else _apply_inner(
            getattr(value, seg), rest[1:], op, val, name)
        return value.model_copy(update={seg: new})
    if value is not None and not isinstance(value, (tuple, list)):
        raise ValueError(f"{name}: [{seg}] indexes a {type(value).__name__}, not an array")
    items = tuple(value or ())
    index = next((i for i, item in enumerate(items) if _key_of(item) == seg), None)
    if last:
        if removing:
            return items if index is None else items[:index] + items[index + 1:]
        if index is None:
            return (*items, val)
        return (*items[:index], val, *items[index + 1:])
    if index is None:
        raise ValueError(f"{name}: no element with key {seg!r}")
    inner = _apply_inner(items[index], rest[1:], op, val, name)
    return (*items[:index], inner, *items[index + 1:])


def _key_of(item: Any) -> str | None:
    key = getattr(item, "key", None)
    if key is None:
        return None
    if hasattr(key, "value") and hasattr(key, "type"):  # a moref key: "type:value"
        return f"{key.type}:{key.value}"
    return str(key)
