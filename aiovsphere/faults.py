"""Server faults as exceptions: ``aiovsphere.faults.<FaultName>``.

The classes mirror the API's fault tree (``MethodFault`` -> ``RuntimeFault`` /
``VimFault`` -> ...) and are built on first use from the schema; the generated
``faults.pyi`` types them. ``MethodFault`` derives from :class:`aiovsphere.SoapFault`::

    try:
        await client.session.login(user, password)
    except aiovsphere.faults.InvalidLogin as exc:
        exc.fault          # the types.InvalidLogin data object
        exc.faultstring    # SOAP faultstring
        exc.fault_name     # wire name, kept as sent (also for unknown faults)

A fault name the schema lacks (a newer server) raises the class of the nearest known base
(``MethodFault`` when nothing better is known), with ``fault_name`` the wire name.
"""

from aiovsphere._faults import __dir__, __getattr__, fault_class  # noqa: F401 (PEP 562)

__all__ = ["fault_class"]
