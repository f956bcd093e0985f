"""DataObject: base of every vim25 data object class (frozen pydantic models)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

__all__ = ["DataObject"]

_setattr = object.__setattr__


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

    @classmethod
    def _from_wire(cls, values: dict[str, Any], extra: dict[str, Any] | None = None) -> Any:
        """Build without validation from already-typed values (the decoder's fast path)."""
        self = cls.__new__(cls)
        d = cls.__vim_defaults__.copy()
        d.update(values)
        _setattr(self, "__dict__", d)
        _setattr(self, "__pydantic_fields_set__", set(values))
        _setattr(self, "__pydantic_extra__", extra if extra is not None else {})
        _setattr(self, "__pydantic_private__", None)
        return self
