"""Managed-object proxy classes, one per vim25 managed type, built on first use.

``client.mo(ref)`` returns an instance of the class named by ``ref.type``
(``managed.VirtualMachine`` for a VM), so ``isinstance(obj, managed.ManagedEntity)`` works,
and the generated ``managed.pyi`` gives every method its signature::

    vm = client.mo(ref, managed.VirtualMachine)   # typed for mypy/pyright
    task = await vm.PowerOnVM_Task()              # -> ManagedObjectReference (a Task)
"""

from aiovsphere.vim._managed import ManagedObject, __getattr__, managed_class  # noqa: F401

__all__ = ["ManagedObject", "managed_class"]
