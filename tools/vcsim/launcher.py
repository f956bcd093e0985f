"""Build and run govmomi's vCenter simulator (``tools/vcsim/main.go``).

Pure standard library, so tests, benchmarks and the command line can all use it::

    with Vcsim.for_vm_count(8) as sim:
        print(sim.url)                  # http://127.0.0.1:PORT/sdk

    python tools/vcsim/launcher.py --vm-count 2000

The binary is built once per version of ``main.go`` into
``<repo>/.cache/vcsim/vcsim-<sha256[:12]>``. Building needs Go and the govmomi
sources from the Debian packages in :data:`APT_PACKAGES` (no network access).

Inventory size, for the default vCenter (VPX) model of govmomi 0.24::

    VMs = dc * (hosts + clusters) * vms

Every standalone host gets ``vms`` VMs, and so does every cluster (in its root
resource pool, whatever ``cluster_hosts`` is). The ESX model (``esx=True``) is a
single host with ``vms`` VMs. The defaults (1 DC, 1 standalone host, 1 cluster
of 3 hosts, 2 VMs each) give 4 VMs; :meth:`Vcsim.for_vm_count` picks the sizes
for a given count, e.g. 8 VMs = 2 x 4, and 2,000 VMs = 40 x 50 (39 standalone
hosts and a cluster).

Any non-empty user name and password log in, unless ``username`` and
``password`` are given, in which case only that pair does.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

SOURCE = Path(__file__).resolve().with_name("main.go")
REPO_ROOT = SOURCE.parents[2]
CACHE_DIR = REPO_ROOT / ".cache" / "vcsim"
GOPATH = Path("/usr/share/gocode")
GOVMOMI = GOPATH / "src" / "github.com" / "vmware" / "govmomi"
APT_PACKAGES = ("golang-go", "golang-github-vmware-govmomi-dev")

_URL_PREFIX = "VCSIM_URL="


class VcsimError(RuntimeError):
    """vcsim could not be built or started."""


def build(cache_dir: Path = CACHE_DIR) -> Path:
    """Return the path of the vcsim binary for the current ``main.go``, building it if needed.

    Safe to call from several processes at once: each builds into its own
    temporary directory and atomically renames the result into place.
    """
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:12]
    binary = cache_dir / f"vcsim-{digest}"
    if binary.is_file():
        return binary

    go = shutil.which("go")
    if go is None or not GOVMOMI.is_dir():
        missing = "`go` is not on PATH" if go is None else f"{GOVMOMI} does not exist"
        raise VcsimError(
            f"cannot build vcsim: {missing}. Install Go and govmomi with:\n"
            f"    apt-get install -y {' '.join(APT_PACKAGES)}"
        )

    env = {**os.environ, "GOPATH": str(GOPATH), "GO111MODULE": "off"}
    if not {"GOCACHE", "XDG_CACHE_HOME", "HOME"} & env.keys():
        env["GOCACHE"] = str(cache_dir / "go-build")  # go refuses to guess one
    cache_dir.mkdir(parents=True, exist_ok=True)
    print("vcsim: building the simulator once (about 15 s)...", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".build-") as tmp:
        output = Path(tmp) / binary.name
        result = subprocess.run(
            [go, "build", "-o", str(output), "."],
            cwd=SOURCE.parent,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise VcsimError(f"building vcsim failed:\n{result.stdout}{result.stderr}")
        output.replace(binary)
    return binary


class Vcsim:
    """A vcsim process serving plain HTTP on 127.0.0.1, as a context manager.

    ``url`` (``http://127.0.0.1:PORT/sdk``) is set once the server listens.
    vcsim also exits if this process dies, since it watches its stdin.
    """

    def __init__(
        self,
        *,
        dc: int = 1,
        clusters: int = 1,
        cluster_hosts: int = 3,
        hosts: int = 1,
        vms: int = 2,
        datastores: int = 1,
        esx: bool = False,
        username: str | None = None,
        password: str | None = None,
        trace: bool = False,
        listen: str = "127.0.0.1:0",
        startup_timeout: float = 60.0,
        stderr: IO[Any] | None = None,
    ) -> None:
        """Describe the simulator; nothing runs until :meth:`start` or ``with``.

        ``stderr`` receives vcsim's log (and its SOAP trace with ``trace``); by
        default it goes to a temporary file, quoted if vcsim fails to start.
        """
        if (username is None) != (password is None):
            raise ValueError("give both username and password, or neither")
        self.dc, self.clusters, self.cluster_hosts = dc, clusters, cluster_hosts
        self.hosts, self.vms, self.datastores, self.esx = hosts, vms, datastores, esx
        self.username, self.password = username, password
        self.trace, self.listen = trace, listen
        self.startup_timeout = startup_timeout
        self._stderr = stderr
        self._log: IO[bytes] | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._url: str | None = None

    @classmethod
    def for_vm_count(cls, n: int, *, max_vms_per_pool: int = 50, **kwargs: Any) -> Vcsim:
        """A VPX inventory of about ``n`` VMs: one cluster plus standalone hosts.

        VMs go ``vms`` per standalone host or cluster, at most ``max_vms_per_pool``
        each, over at least one of both; the total is ``n`` whenever the number
        of hosts plus clusters divides it (as for 8 or 2,000), else slightly more.
        """
        pools = max(2, math.ceil(n / max_vms_per_pool))
        return cls(dc=1, clusters=1, hosts=pools - 1, vms=math.ceil(n / pools), **kwargs)

    @property
    def vm_count(self) -> int:
        """How many VMs the simulated inventory holds."""
        if self.esx:
            return self.vms
        return self.dc * (self.hosts + self.clusters) * self.vms

    @property
    def pid(self) -> int:
        """vcsim's process id."""
        if self._proc is None:
            raise RuntimeError("vcsim is not running")
        return self._proc.pid

    @property
    def url(self) -> str:
        """The SDK endpoint, ``http://127.0.0.1:PORT/sdk``."""
        if self._url is None:
            raise RuntimeError("vcsim is not running")
        return self._url

    def args(self) -> list[str]:
        """vcsim's command line flags (without the binary)."""
        args = ["-listen", self.listen, "-exit-on-eof", "-ds", str(self.datastores)]
        args += ["-vm", str(self.vms)]
        if self.esx:
            args.append("-esx")
        else:
            args += ["-dc", str(self.dc), "-cluster", str(self.clusters)]
            args += ["-cluster-host", str(self.cluster_hosts), "-host", str(self.hosts)]
        if self.username is not None and self.password is not None:
            args += ["-username", self.username, "-password", self.password]
        if self.trace:
            args.append("-trace")
        return args

    def start(self) -> Self:
        """Build vcsim if needed, start it and wait until it listens."""
        if self._proc is not None:
            raise RuntimeError("vcsim is already running")
        binary = build()
        if self._stderr is None:
            self._log = tempfile.TemporaryFile()
        self._proc = proc = subprocess.Popen(
            [str(binary), *self.args()],
            stdin=subprocess.PIPE,  # closed when we exit, even by SIGKILL: vcsim then exits
            stdout=subprocess.PIPE,
            stderr=self._log if self._stderr is None else self._stderr,
            start_new_session=True,  # a Ctrl-C reaches us, and we stop vcsim
        )
        try:
            self._url = self._read_url(proc)
        except BaseException:
            self.stop()
            raise
        return self

    def _read_url(self, proc: subprocess.Popen[bytes]) -> str:
        assert proc.stdout is not None
        lines: queue.Queue[bytes] = queue.Queue()
        stdout = proc.stdout
        threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
        try:
            line = lines.get(timeout=self.startup_timeout).decode().strip()
        except queue.Empty:
            raise VcsimError(
                f"vcsim did not start within {self.startup_timeout}s{self._log_tail()}"
            ) from None
        if line.startswith(_URL_PREFIX):
            return line.removeprefix(_URL_PREFIX)
        if line:
            raise VcsimError(f"unexpected output from vcsim: {line!r}")
        proc.wait()
        raise VcsimError(f"vcsim exited with status {proc.returncode}{self._log_tail()}")

    def _log_tail(self, limit: int = 4000) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        text = self._log.read().decode(errors="replace")[-limit:].strip()
        return f":\n{text}" if text else ""

    def stop(self, grace: float = 5.0) -> None:
        """Stop vcsim (SIGTERM, then SIGKILL after ``grace`` seconds) and wait for it."""
        proc, self._proc, self._url = self._proc, None, None
        if proc is not None:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(grace)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    pipe.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def wait(self) -> int:
        """Block until vcsim exits; return its exit status."""
        if self._proc is None:
            raise RuntimeError("vcsim is not running")
        return self._proc.wait()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """Run vcsim until Ctrl-C, printing its URL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vm-count", type=int, help="about this many VMs (overrides sizes)")
    parser.add_argument("--dc", type=int, default=1, help="datacenters")
    parser.add_argument("--clusters", type=int, default=1, help="clusters per datacenter")
    parser.add_argument("--cluster-hosts", type=int, default=3, help="hosts per cluster")
    parser.add_argument("--hosts", type=int, default=1, help="standalone hosts per datacenter")
    parser.add_argument("--vms", type=int, default=2, help="VMs per standalone host and cluster")
    parser.add_argument("--datastores", type=int, default=1)
    parser.add_argument("--esx", action="store_true", help="simulate a standalone ESXi host")
    parser.add_argument("--username", help="accept only this user (with --password)")
    parser.add_argument("--password", help="accept only this password (with --username)")
    parser.add_argument("--trace", action="store_true", help="log SOAP traffic to stderr")
    parser.add_argument("--listen", default="127.0.0.1:0", help="host:port to listen on")
    opts = parser.parse_args(argv)

    common: dict[str, Any] = {
        "username": opts.username,
        "password": opts.password,
        "trace": opts.trace,
        "listen": opts.listen,
        "datastores": opts.datastores,
        "stderr": sys.stderr,
    }
    if opts.vm_count is not None:
        sim = Vcsim.for_vm_count(opts.vm_count, **common)
    else:
        sim = Vcsim(
            dc=opts.dc,
            clusters=opts.clusters,
            cluster_hosts=opts.cluster_hosts,
            hosts=opts.hosts,
            vms=opts.vms,
            esx=opts.esx,
            **common,
        )
    try:
        with sim:
            print(sim.url, flush=True)
            print(f"vcsim: {sim.vm_count} VMs; Ctrl-C to stop", file=sys.stderr)
            return sim.wait()
    except KeyboardInterrupt:
        return 0
    except VcsimError as e:
        print(e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
