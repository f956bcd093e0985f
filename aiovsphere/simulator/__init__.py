"""An embedded vCenter/ESXi simulator speaking vim25 (SOAP) over HTTP or HTTPS.

    from aiovsphere.simulator import Simulator

    async with Simulator(vms=100) as sim:
        async with aiovsphere.connect(sim.url, user="admin", password="pw") as client:
            ...

It uses the client's own schema and codec, so it needs nothing beyond aiovsphere (HTTPS
needs ``cryptography``). ``python -m aiovsphere.simulator`` runs it standalone.
"""

from aiovsphere.simulator._inventory import InventorySpec
from aiovsphere.simulator._server import Simulator, User

__all__ = ["InventorySpec", "Simulator", "User"]
