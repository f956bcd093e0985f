"""The CLI pins a server certificate from AIOVSPHERE_THUMBPRINT (here the simulator's)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from aiovsphere._cli import app
from aiovsphere.simulator import InventorySpec, Simulator
from aiovsphere.simulator.pytest_plugin import running_in_thread


def test_ls_over_https_pinned_by_thumbprint(monkeypatch: pytest.MonkeyPatch) -> None:
    with running_in_thread(Simulator(InventorySpec.for_vm_count(8), https=True)) as sim:
        assert sim.thumbprint is not None
        monkeypatch.setenv("AIOVSPHERE_URL", sim.url)
        monkeypatch.setenv("AIOVSPHERE_USERNAME", "admin")
        monkeypatch.setenv("AIOVSPHERE_PASSWORD", "pw-for-thumbprint")
        runner = CliRunner()
        refused = runner.invoke(app, ["ls", "/DC0/vm", "--json"])
        assert refused.exit_code == 1  # self-signed, not pinned: TLS verification fails
        monkeypatch.setenv("AIOVSPHERE_THUMBPRINT", sim.thumbprint)
        pinned = runner.invoke(app, ["ls", "/DC0/vm", "--json"])
        assert pinned.exit_code == 0, pinned.output
        names = {row["name"] for row in json.loads(pinned.stdout)}
        assert {"DC0_H0_VM0", "DC0_C0_RP0_VM0"} <= names
        monkeypatch.setenv("AIOVSPHERE_THUMBPRINT", "00" * 32)
        wrong = runner.invoke(app, ["ls", "/DC0/vm", "--json"])
        assert wrong.exit_code == 1
        assert "pw-for-thumbprint" not in wrong.output
