"""Start the real `kg serve` process on a free port for the server tests (shared by test_server*.py)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from conftest import KG, ROOT

BASE = "https://w3id.org/nso-partnership/"
SCREENSHOTS = ROOT / "build" / "screenshots"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """`python -m kg.cli serve` in a subprocess; its log goes to a file (read with .log())."""

    def __init__(self, data_dir: Path, *options: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_file = tempfile.NamedTemporaryFile(prefix="kg-serve-", suffix=".log", delete=False)
        env = {**os.environ, "KG_DATA_DIR": str(data_dir), "KG_ROOT": str(ROOT)}
        self.process = subprocess.Popen([*KG, "serve", "--port", str(self.port), *options], cwd=ROOT, env=env,
                                        stdout=self.log_file, stderr=subprocess.STDOUT)
        self._wait_ready()

    def _wait_ready(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"kg serve exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/sparql?query=ASK%7B%7D", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"kg serve did not answer within {seconds} s:\n{self.log()}")

    def log(self) -> str:
        return Path(self.log_file.name).read_text(errors="replace")

    def stop(self, timeout: float = 20) -> int:
        """Ctrl-C (SIGINT), as a person stopping the server would; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode
