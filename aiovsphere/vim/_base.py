"""DataObject: base of every vim25 data object class (frozen pydantic models)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

__all__ = ["DataObject"]

_setattr = object.__setattr__
# Interned fields-set frozensets, one per distinct combination of set members; bounded so
# that a server sending ever-new combinations cannot grow it without limit.
_KEYS: dict[frozenset[str], frozenset[str]] = {}
_KEYS_LIMIT = 65536


class DataObject(BaseModel):
    """Base of all vim25 data objects (``vmodl.DataObject``).

    Instances are immutable. Unset optional properties are ``None``; unset arrays are ``()``
    (the wire cannot tell an empty array from an absent one). Elements a newer server sends
    that this schema lacks are kept in ``model_extra`` (and readable as attributes).
    A value of a subtype this schema does not know is an instance of a class named after the
    wire type, derived from the nearest known base (``type(obj).__name__`` is the wire name).

    Build one with keyword arguments (validated by pydantic), or ``model_copy(update=...)``.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="allow",
        populate_by_name=True,
        arbitrary_types_allowed=True,
        defer_build=True,
    )

    # Filled in by aiovsphere.vim.types when the class is built.
    __vim_defaults__: ClassVar[dict[str, Any]] = {}
    __vim_known__: ClassVar[bool] = True
    """False for classes made for a wire type the schema does not know."""

    def __repr_args__(self) -> Any:
        # Only what is set: a VirtualMachineConfigInfo has ~100 properties, mostly unset.
        fields = type(self).model_fields
        for name, value in self.__dict__.items():
            if value is None or value == ():
                continue
            info = fields.get(name)
            if info is not None and not info.repr:
                yield name, "***"
                continue
            yield name, value
        yield from (self.__pydantic_extra__ or {}).items()

    def __copy__(self) -> Any:
        # Decoded objects share a frozenset as fields-set; pydantic's model_copy(update=...)
        # mutates the copy's, so give the copy its own set.
        copied = super().__copy__()
        _setattr(copied, "__pydantic_fields_set__", set(self.__pydantic_fields_set__))
        return copied

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Any:
        copied = super().__deepcopy__(memo)
        _setattr(copied, "__pydantic_fields_set__", set(self.__pydantic_fields_set__))
        return copied

    @classmethod
    def _from_wire(cls, values: dict[str, Any], extra: dict[str, Any] | None = None) -> Any:
        """Build without validation from already-typed values (the decoder's fast path)."""
        d = cls.__vim_defaults__.copy()
        d.update(values)
        return cls._from_decoded(d, values, extra)

    @classmethod
    def _from_decoded(
        cls, values: dict[str, Any], set_keys: Iterable[str], extra: dict[str, Any] | None
    ) -> Any:
        """Adopt ``values`` (every field present, already typed) as the instance's dict."""
        self = cls.__new__(cls)
        _setattr(self, "__dict__", values)
        # Decoded objects share one frozenset per distinct set of keys: every set object is
        # tracked by the cyclic GC, and a large response holds hundreds of thousands of
        # these objects; sharing keeps GC passes (and event-loop stalls) shorter.
        keys = frozenset(set_keys)
        shared = _KEYS.get(keys)
        if shared is None:
            shared = keys
            if len(_KEYS) < _KEYS_LIMIT:
                _KEYS[keys] = keys
        _setattr(self, "__pydantic_fields_set__", shared)
        _setattr(self, "__pydantic_extra__", extra if extra is not None else {})
        _setattr(self, "__pydantic_private__", None)
        return self
