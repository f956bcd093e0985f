"""PropertyCollector specs in the simulator: property paths, filter specs, object selection.

- :func:`compile_path`: a property path (``"name"``, ``"runtime.powerState"``,
  ``"config.hardware.device[4000]"``, ``'config.extraConfig["guestinfo.x"].value'``) of a
  managed type, checked against the schema as vCenter does: a path the type does not have
  is the vim fault ``InvalidProperty`` (name = the path) for the whole call, never a
  ``missingSet`` entry (vcsim puts it in ``missingSet``). A :class:`PropPath` reads its
  value from a :class:`~aiovsphere.simulator._model.SimObject`.
- :func:`compile_spec`: a PropertyFilterSpec checked once (``InvalidType`` for an unknown
  type, ``InvalidProperty`` for a bad path in a PropertySpec or TraversalSpec,
  ``InvalidArgument`` for a SelectionSpec naming no TraversalSpec).
- :meth:`CompiledSpec.select`: the objects a spec selects (vim.PropertyCollector's
  ObjectSpec/TraversalSpec semantics, cycles guarded).
- :func:`wire`: a property value made ready for an ``xsd:anyType`` position (``val`` of
  DynamicProperty/PropertyChange): arrays become ``ArrayOfX`` of their declared item type,
  ``int``/``short``/``byte``/``float`` keep their width, enum strings their enum type.

Type matching follows vCenter: a PropertySpec, TraversalSpec or ContainerView type names
that type and its subtypes (``ManagedEntity`` matches VirtualMachine, ``ComputeResource``
matches ClusterComputeResource).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Final

from aiovsphere.simulator._context import SimFault, fault
from aiovsphere.vim._moref import ManagedObjectReference as Ref
from aiovsphere.vim._schema import PropInfo, schema
from aiovsphere.vim.anytype import AnyArray, Byte, Float, Int, Short

if TYPE_CHECKING:
    from aiovsphere.simulator._context import Context
    from aiovsphere.simulator._model import SimObject

__all__ = [
    "INDIRECT", "UNSET", "CompiledSpec", "PropPath", "all_paths", "compile_path",
    "compile_spec", "is_subtype", "visible", "wire",
]


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


UNSET: Final = _Marker("UNSET")
"""A path whose value is unset (omitted from ``propSet``)."""
INDIRECT: Final = _Marker("INDIRECT")
"""A path that is unset because a property containing it is unset."""

_SEGMENT = re.compile(r'\.?([^.\[\]"]+)|\[("?)((?:[^"\]\\]|\\.)*)\2\]')
_UNESCAPE = re.compile(r"\\(.)")


def _invalid(path: str) -> SimFault:
    from aiovsphere.vim import types as t

    # Not fault(): its first parameter is called ``name`` too.
    return SimFault(t.InvalidProperty(name=path), f"Invalid property path: {path}")


def _segments(path: str) -> list[tuple[bool, str]]:
    """``a.b[4000]["x y"].c`` -> [(False,"a"),(False,"b"),(True,"4000"),(True,"x y"),
    (False,"c")]. Raises InvalidProperty when the path does not parse."""
    out: list[tuple[bool, str]] = []
    pos = 0
    while pos < len(path):
        m = _SEGMENT.match(path, pos)
        if m is None or m.end() == pos or (m.group(1) is not None and pos > 0
                                            and path[pos] != "."):
            raise _invalid(path)
        if m.group(1) is not None:
            out.append((False, m.group(1)))
        else:
            key = m.group(3)
            out.append((True, _UNESCAPE.sub(r"\1", key) if m.group(2) else key))
        pos = m.end()
    if not out or out[0][0] or path.startswith("."):
        raise _invalid(path)
    return out


@dataclass(frozen=True, slots=True, eq=False)
class PropPath:
    """One checked property path of a managed type: ``text`` as sent, the top-level
    property ``top``, the rest as ``(is_key, name)`` steps, and the wire type of the value
    it reads (``type``/``kind``/``array``, as :class:`~aiovsphere.vim._schema.PropInfo`)."""

    text: str
    top: str
    rest: tuple[tuple[bool, str], ...]
    type: str
    kind: str
    array: bool

    def read(self, ctx: Context, obj: SimObject) -> Any:
        """The value at this path, :data:`UNSET` (the value is unset) or :data:`INDIRECT`
        (a containing property is unset). A dynamic property's SimFault propagates."""
        value = obj.get(ctx, self.top)
        for is_key, name in self.rest:
            if value is None:
                return INDIRECT
            value = _element(value, name) if is_key else getattr(value, name, None)
        return UNSET if value is None else value


def _element(items: Any, key: str) -> Any:
    for item in items or ():
        k = getattr(item, "key", None)
        if k is not None and str(k) == key:
            return item
    return None


def key_text(key: Any) -> str:
    """The ``[...]`` part of a path naming the array element whose ``key`` is ``key``:
    ``[4000]`` for a number, ``["a b"]`` (quotes and backslashes escaped) for a string."""
    if isinstance(key, int) and not isinstance(key, bool):
        return f"[{key}]"
    text = str(key).replace("\\", "\\\\").replace('"', '\\"')
    return f'["{text}"]'


@functools.lru_cache(maxsize=4096)
def is_subtype(name: str, ancestor: str) -> bool:
    """``name`` is ``ancestor`` or derives from it (managed or data types)."""
    return name == ancestor or ancestor == "ManagedObject" or schema().is_subtype(name, ancestor)


@functools.cache
def _top_props(type_name: str) -> dict[str, PropInfo]:
    return {p.name: p for p in schema().managed(type_name).props}


@functools.cache
def _data_children() -> dict[str, tuple[str, ...]]:
    s = schema()
    children: dict[str, list[str]] = {}
    for name in s.data_type_names():
        base = s.base_of(name)
        if base is not None:
            children.setdefault(base, []).append(name)
    return {k: tuple(v) for k, v in children.items()}


@functools.lru_cache(maxsize=8192)
def _data_field(type_name: str, name: str) -> PropInfo | None:
    """Property ``name`` of data type ``type_name`` or, failing that, of one of its
    subtypes (a value may be of a subtype: ``configurationEx.dasConfig`` of a cluster)."""
    s = schema()
    try:
        found = s.data(type_name).by_name.get(name)
    except KeyError:
        return None
    if found is not None:
        return found
    stack = list(_data_children().get(type_name, ()))
    while stack:
        sub = stack.pop()
        found = s.data(sub).by_name.get(name)
        if found is not None:
            return found
        stack.extend(_data_children().get(sub, ()))
    return None


@functools.lru_cache(maxsize=16384)
def compile_path(type_name: str, path: str) -> PropPath:
    """Check ``path`` against managed type ``type_name``; raises SimFault InvalidProperty
    (a path the type does not have, a step through an array without ``[key]``, a key on
    a non-array) and InvalidType (``type_name`` is no managed type)."""
    if not schema().is_managed(type_name):
        raise fault("InvalidType", f"Invalid type: {type_name}", argument=type_name)
    steps = _segments(path)
    top = _top_props(type_name).get(steps[0][1])
    if top is None:
        raise _invalid(path)
    type_, kind, array = top.type, top.kind, top.array
    for is_key, name in steps[1:]:
        if kind == "any" or (kind == "data" and type_ == "DataObject" and not array):
            type_, kind, array = "anyType", "any", False  # nothing to check beyond this
            break
        if is_key:
            if not array or kind != "data":
                raise _invalid(path)
            array = False
            continue
        if array or kind != "data":
            raise _invalid(path)
        info = _data_field(type_, name)
        if info is None:
            raise _invalid(path)
        type_, kind, array = info.type, info.kind, info.array
    return PropPath(path, steps[0][1], tuple(steps[1:]), type_, kind, array)


@functools.cache
def all_paths(type_name: str) -> tuple[PropPath, ...]:
    """Every top-level property of ``type_name`` (``PropertySpec.all``)."""
    return tuple(compile_path(type_name, name) for name in _top_props(type_name))


# ---------------------------------------------------------------------------- values
_WIDTHS: dict[str, type[Any]] = {"int": Int, "short": Short, "byte": Byte, "float": Float}


def _enum(type_name: str, value: Any) -> Any:
    if isinstance(value, Enum) or not isinstance(value, str):
        return value
    return _enum_member(type_name, value)


@functools.lru_cache(maxsize=4096)
def _enum_member(type_name: str, value: str) -> Any:
    from aiovsphere.vim import types as t

    try:
        return t.enum_class(type_name)(value)
    except (KeyError, ValueError):
        return value  # not a member this schema knows: sent as xsd:string


def wire(value: Any, info: Any) -> Any:
    """``value`` (of the path or PropInfo ``info``: ``type``/``kind``/``array``) as it
    goes into an anyType position."""
    if info.array:
        item = "ManagedObjectReference" if info.kind == "moref" else info.type
        if isinstance(value, AnyArray) and value.item_type == item:
            return value
        return AnyArray(item, tuple(value) if value is not None else ())
    kind = info.kind
    if kind == "xsd":
        width = _WIDTHS.get(info.type)
        if width is not None and isinstance(value, (int, float)) and not isinstance(
                value, (bool, width)):
            return width(value)
        return value
    if kind == "enum":
        return _enum(info.type, value)
    return value


# ---------------------------------------------------------------------------- specs
def visible(ctx: Context, ref: Any) -> SimObject | None:
    """The object ``ref`` names if this session may see it (another session's views,
    collectors and filters are invisible), else ``None``."""
    if not isinstance(ref, Ref):
        return None
    obj = ctx.model.get(ref)
    if obj is None or (obj.owner is not None and (
            ctx.session is None or obj.owner != ctx.session.key)):
        return None
    return obj


@dataclass(eq=False)
class CompiledSpec:
    """A checked PropertyFilterSpec. ``paths_for(type)`` gives the properties read from an
    object of that type (``None``: no PropertySpec matches it, the object is not
    reported)."""

    spec: Any
    report_missing: bool
    prop_specs: tuple[tuple[str, bool, tuple[PropPath, ...]], ...]
    names: dict[str, Any]
    traversal_paths: dict[int, PropPath]
    _by_type: dict[str, tuple[bool, dict[str, PropPath]] | None] = field(default_factory=dict)

    def paths_for(self, type_name: str) -> tuple[bool, dict[str, PropPath]] | None:
        """``(all, {path text: PropPath})`` for objects of ``type_name`` (the union over
        the matching PropertySpecs; with ``all`` the object's set properties come on top
        of these), or ``None``."""
        try:
            return self._by_type[type_name]
        except KeyError:
            pass
        matched = False
        all_ = False
        paths: dict[str, PropPath] = {}
        for spec_type, spec_all, spec_paths in self.prop_specs:
            if not is_subtype(type_name, spec_type):
                continue
            matched = True
            if spec_all:
                all_ = True
                for p in all_paths(type_name):
                    paths.setdefault(p.text, p)
            for p in spec_paths:
                paths.setdefault(p.text, p)
        result = (all_, paths) if matched else None
        self._by_type[type_name] = result
        return result

    def resolve(self, selection: Any) -> Any:
        from aiovsphere.vim import types as t

        if isinstance(selection, t.TraversalSpec):
            return selection
        return self.names[selection.name]

    def select(self, ctx: Context, missing: list[Ref] | None = None) -> dict[Ref, SimObject]:
        """The objects this spec selects, in traversal order, each once: each ObjectSpec's
        ``obj`` (unless ``skip``) and what its ``selectSet`` reaches (TraversalSpecs
        apply to objects of their ``type`` or a subtype; ``skip`` leaves the reached
        objects out but goes on through them). An ``obj`` that does not exist (or
        belongs to another session) is appended to ``missing``."""
        out: dict[Ref, SimObject] = {}
        done: set[tuple[Ref, int]] = set()
        for object_spec in self.spec.objectSet:
            root = visible(ctx, object_spec.obj)
            if root is None:
                if missing is not None:
                    missing.append(object_spec.obj)
                continue
            if not object_spec.skip:
                out.setdefault(root.ref, root)
            stack = [(root, sel) for sel in reversed(object_spec.selectSet)]
            while stack:
                obj, selection = stack.pop()
                ts = self.resolve(selection)
                key = (obj.ref, id(ts))
                if key in done:
                    continue
                done.add(key)
                if not is_subtype(obj.type, ts.type):
                    continue
                try:
                    value = self.traversal_paths[id(ts)].read(ctx, obj)
                except SimFault:
                    continue
                refs: Iterable[Any] = (value if isinstance(value, tuple)
                                       else (value,) if isinstance(value, Ref) else ())
                children = []
                for ref in refs:
                    child = visible(ctx, ref)
                    if child is None:
                        continue
                    if not ts.skip:
                        out.setdefault(child.ref, child)
                    if ts.selectSet:
                        children.append(child)
                for child in reversed(children):
                    stack.extend((child, sel) for sel in reversed(ts.selectSet))
        return out


def compile_spec(spec: Any) -> CompiledSpec:
    """Check a PropertyFilterSpec (see the module docs for the faults raised)."""
    from aiovsphere.vim import types as t

    prop_specs = []
    for prop_spec in spec.propSet:
        paths = tuple({p: compile_path(prop_spec.type, p) for p in prop_spec.pathSet}.values())
        if not paths and not schema().is_managed(prop_spec.type):
            raise fault("InvalidType", f"Invalid type: {prop_spec.type}",
                        argument=prop_spec.type)
        prop_specs.append((prop_spec.type, bool(prop_spec.all), paths))
    names: dict[str, Any] = {}
    traversal_paths: dict[int, PropPath] = {}
    references: list[str] = []
    seen: set[int] = set()
    stack = [sel for object_spec in spec.objectSet for sel in object_spec.selectSet]
    while stack:
        selection = stack.pop()
        if id(selection) in seen:
            continue
        seen.add(id(selection))
        if isinstance(selection, t.TraversalSpec):
            traversal_paths[id(selection)] = compile_path(selection.type, selection.path)
            if selection.name:
                names.setdefault(selection.name, selection)
            stack.extend(selection.selectSet)
        else:
            references.append(selection.name or "")
    for name in references:
        if name not in names:
            raise fault("InvalidArgument", f"A specified parameter was not correct: "
                        f"selectSet (no TraversalSpec named {name!r})",
                        invalidProperty="selectSet")
    return CompiledSpec(spec, bool(spec.reportMissingObjectsInResults), tuple(prop_specs),
                        names, traversal_paths)
