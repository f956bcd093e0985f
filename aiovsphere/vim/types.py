"""Every vim25 data object and enum type, built on first access.

``from aiovsphere.vim import types; types.VirtualMachineConfigSpec(name="vm1", numCPUs=2)``

Classes are named by their wire (WSDL) names and created from the schema the first time
they are used, so ``import aiovsphere`` stays fast; the generated ``types.pyi`` gives them
static types. Data objects are frozen pydantic models (:class:`aiovsphere.DataObject`);
enums are ``str`` enums, and an enum value a newer server sends that this schema lacks
decodes as a plain ``str``. The machinery lives in :mod:`aiovsphere.vim._classes`.
"""

from aiovsphere.vim._classes import (
    DataObject,
    ManagedObjectReference,
    __dir__,  # noqa: F401 - PEP 562 lazy attributes
    __getattr__,  # noqa: F401
    data_class,
    enum_class,
    enum_member_name,
    unknown_subclass,
)

__all__ = [
    "DataObject",
    "ManagedObjectReference",
    "data_class",
    "enum_class",
    "enum_member_name",
    "unknown_subclass",
]
