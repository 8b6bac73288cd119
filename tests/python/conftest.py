"""Fixtures that run the real `s3lab serve` binary for Python clients (boto3, the AWS CLI).

Run the suite with `cargo xtask test` (or `cargo xtask test --python-only -- -k NAME`): it builds the
binary, sets `S3LAB_BIN`, puts the venv first on `PATH` and isolates the AWS configuration.

Fixtures:
- `lab` (session): one server for the whole run, on ephemeral loopback ports, `--seed 42`.
- `fresh_lab` (function): a server with its own data directory that a test can `stop()` and
  `start()` again on the same directory.

Both give a `LabServer` with `http`, `https`, `ca_pem`, `region`, `credentials`, and the helpers
`boto3_client(service, identity="admin", secure=True)` and `aws(*args, identity="admin", secure=True)`.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

READY_LINE = "s3lab is ready."
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
AWS_CLI_TIMEOUT_S = 60.0
SEED = "42"
# How many of the last lines of server output an error report shows, at most.
TAIL_LINES = 200

# The servers running now, for the per-test stderr marks (see the hooks at the end).
_SERVERS: list["ServerProcess"] = []


def _repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def _s3lab_bin() -> Path:
    value = os.environ.get("S3LAB_BIN")
    if value:
        path = Path(value)
    else:
        # Running pytest by hand: fall back to the default debug build.
        path = _repo_root() / "target" / "debug" / "s3lab"
    if not path.is_file():
        how = f"S3LAB_BIN={value}" if value else f"S3LAB_BIN is not set and {path}"
        raise ServerStartError(
            f"{how} does not exist: build the server first "
            "(`cargo xtask test` builds it and runs this suite)"
        )
    return path


# --- keeping the developer's own AWS setup out -----------------------------------------------------

_KEEP_AWS_VARS = {"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED"}


def pytest_configure(config: pytest.Config) -> None:
    """Isolate AWS settings even when pytest is run by hand rather than through the xtask."""
    for key in list(os.environ):
        if key.startswith("AWS_") and key not in _KEEP_AWS_VARS:
            del os.environ[key]
    if "AWS_CONFIG_FILE" not in os.environ or "AWS_SHARED_CREDENTIALS_FILE" not in os.environ:
        empty = Path(tempfile.mkdtemp(prefix="s3lab-aws-"))
        for name, var in (("config", "AWS_CONFIG_FILE"), ("credentials", "AWS_SHARED_CREDENTIALS_FILE")):
            (empty / name).write_text("")
            os.environ[var] = str(empty / name)
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    for var in ("NO_PROXY", "no_proxy"):
        current = os.environ.get(var, "")
        if "127.0.0.1" not in current.split(","):
            os.environ[var] = ",".join(filter(None, [current, "127.0.0.1,localhost,::1"]))


# --- the server process ------------------------------------------------------------------------------


class ServerStartError(RuntimeError):
    """The server binary is missing, or did not come up."""


class ServerProcess:
    """One run of `s3lab serve`: started, read until ready, drained, stopped."""

    def __init__(self, binary: Path, data_dir: Path, ready_file: Path, log: "ServerLog", seed: str | None):
        self.data_dir = data_dir
        self.ready_file = ready_file
        self.log = log
        self.stopped = False
        if ready_file.exists():
            ready_file.unlink()
        self.argv = [
            str(binary), "serve",
            "--data-dir", str(data_dir),
            "--http-port", "0",
            "--https-port", "0",
            "--ready-file", str(ready_file),
            # Most tests predate the 2026 SSE-C block; the block itself is tested on a bucket that
            # sets BlockedEncryptionTypes explicitly.
            "--allow-sse-c",
        ]
        if seed is not None:
            self.argv += ["--seed", seed]
        env = dict(os.environ)
        env.setdefault("RUST_BACKTRACE", "1")
        try:
            self.proc = self._spawn(env)
        except OSError as e:
            raise ServerStartError(f"could not start {' '.join(self.argv)}: {e}") from e
        _SERVERS.append(self)
        self._stdout_lines: queue.Queue[str | None] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, "stdout"), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, "stderr"), daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        try:
            self.ready = self._wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def _spawn(self, env: dict[str, str]) -> subprocess.Popen:
        return subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=self.data_dir.parent,
            env=env,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
        )

    def _pump(self, stream, name: str) -> None:
        """Reader thread: keeps the pipe drained for the life of the process."""
        for line in stream:
            line = line.rstrip("\r\n")
            if name == "stdout":
                self.log.stdout.append(line)
                self._stdout_lines.put(line)
            else:
                self.log.stderr.append(line)
        if name == "stdout":
            self._stdout_lines.put(None)  # EOF

    def _wait_until_ready(self) -> dict:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ServerStartError(self._describe(f"did not print {READY_LINE!r} within {READY_TIMEOUT_S:.0f} s"))
            try:
                line = self._stdout_lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                try:
                    code = self.proc.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    code = "(still running)"
                raise ServerStartError(self._describe(f"closed stdout before it was ready; exit code {code}"))
            if line == READY_LINE:
                break
        try:
            return json.loads(self.ready_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ServerStartError(self._describe(f"printed {READY_LINE!r} but its ready file is unusable: {e}")) from e

    def _describe(self, problem: str) -> str:
        self._join_readers(timeout=1.0)
        return (
            f"s3lab server {problem}\ncommand: {' '.join(self.argv)}\n"
            f"--- stdout ---\n{self.log.tail('stdout')}\n--- stderr ---\n{self.log.tail('stderr')}"
        )

    def _join_readers(self, timeout: float) -> None:
        for thread in self._threads:
            thread.join(timeout=timeout)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> int | None:
        """SIGTERM, wait, then SIGKILL. Returns the exit code."""
        if self.stopped:
            return self.proc.returncode
        self.stopped = True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.log.stderr.append(f"[conftest] no exit {STOP_TIMEOUT_S:.0f} s after SIGTERM; killed")
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT_S)
        self._join_readers(timeout=STOP_TIMEOUT_S)
        if self in _SERVERS:
            _SERVERS.remove(self)
        return self.proc.returncode


@dataclass
class ServerLog:
    """Everything the server printed, across restarts."""

    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)

    def tail(self, stream: str, start: int = 0) -> str:
        lines = getattr(self, stream)[start:]
        cut = len(lines) - TAIL_LINES
        if cut > 0:
            lines = [f"[... {cut} earlier lines cut ...]"] + lines[cut:]
        return "\n".join(lines)


class AwsCliError(RuntimeError):
    """The AWS CLI exited non-zero. `code` is the AWS error code when the CLI printed one."""

    def __init__(self, argv: list[str], returncode: int, stdout: str, stderr: str):
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        match = re.search(r"An error occurred \(([^)]+)\)", stderr)
        self.code = match.group(1) if match else None
        super().__init__(f"aws {' '.join(argv)} exited with {returncode}:\n{stderr.strip()}")


class LabServer:
    """A running (or stopped) `s3lab serve`, and the clients that talk to it."""

    def __init__(self, root: Path, seed: str | None = SEED):
        self.root = root
        self.seed = seed
        self.data_dir = root / "data"
        self.ready_file = root / "ready.json"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log = ServerLog()
        self.process: ServerProcess | None = None
        self.ready: dict = {}

    # -- life cycle

    def start(self) -> "LabServer":
        if self.process is not None and self.process.alive():
            raise RuntimeError("the server is already running; stop() it first")
        if self.process is not None:
            self.log.stderr.append("[conftest] --- server started again on the same data dir ---")
        self.process = ServerProcess(_s3lab_bin(), self.data_dir, self.ready_file, self.log, self.seed)
        self.ready = self.process.ready
        return self

    def stop(self) -> int | None:
        """Stops the server (SIGTERM, then SIGKILL after a timeout). Returns its exit code."""
        if self.process is None:
            return None
        return self.process.stop()

    def restart(self) -> "LabServer":
        self.stop()
        return self.start()

    # -- what the ready file says

    @property
    def http(self) -> str:
        return self.ready["http"]

    @property
    def https(self) -> str:
        return self.ready["https"]

    @property
    def ca_pem(self) -> str:
        return self.ready["ca_pem"]

    @property
    def region(self) -> str:
        return self.ready["region"]

    @property
    def credentials(self) -> list[dict]:
        return self.ready["credentials"]

    def keys(self, identity: str = "admin") -> tuple[str, str]:
        """(access key id, secret access key) of a named identity from the ready file."""
        for cred in self.credentials:
            if cred["name"] == identity:
                return cred["access_key_id"], cred["secret_access_key"]
        names = [c["name"] for c in self.credentials]
        raise KeyError(f"no identity {identity!r} in the ready file (it has {names})")

    def endpoint(self, secure: bool = True) -> str:
        return self.https if secure else self.http

    # -- clients

    def boto3_client(
        self,
        service: str,
        identity: str = "admin",
        secure: bool = True,
        *,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        **config: object,
    ):
        """A boto3 client for `service` at the lab, signed with `identity`'s keys.

        `access_key_id` / `secret_access_key` override the identity's (for signature tests).
        Extra keyword arguments go into botocore's `Config`.
        """
        akid, secret = self.keys(identity)
        settings: dict = {
            "region_name": self.region,
            # One attempt: a mock on loopback has nothing to retry, and retries hide bugs.
            "retries": {"max_attempts": 1, "mode": "standard"},
            "connect_timeout": 10,
            "read_timeout": 60,
            "s3": {"addressing_style": "path"},
        }
        settings.update(config)
        session = boto3.session.Session(
            aws_access_key_id=access_key_id or akid,
            aws_secret_access_key=secret_access_key or secret,
            region_name=self.region,
        )
        return session.client(
            service,
            endpoint_url=self.endpoint(secure),
            verify=self.ca_pem if secure else None,
            config=Config(**settings),
        )

    def aws_env(self, identity: str = "admin") -> dict[str, str]:
        """Environment for the AWS CLI: this identity's keys and nothing of the developer's."""
        akid, secret = self.keys(identity)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") or k in _KEEP_AWS_VARS}
        env.update(
            AWS_ACCESS_KEY_ID=akid,
            AWS_SECRET_ACCESS_KEY=secret,
            AWS_DEFAULT_REGION=self.region,
            AWS_MAX_ATTEMPTS="1",
            AWS_RETRY_MODE="standard",
            AWS_PAGER="",
        )
        return env

    def aws(self, *args: str, identity: str = "admin", secure: bool = True, timeout: float = AWS_CLI_TIMEOUT_S):
        """Runs the venv's AWS CLI against the lab and returns its parsed JSON output.

        Returns None for commands that print nothing (e.g. `kms create-alias`). Raises
        `AwsCliError` (with `.code` and `.stderr`) when the CLI fails.
        """
        argv = [str(a) for a in args] + [
            "--endpoint-url", self.endpoint(secure),
            "--output", "json",
            "--cli-connect-timeout", "10",
            "--cli-read-timeout", "60",
        ]
        if secure:
            argv += ["--ca-bundle", self.ca_pem]
        # `python -m awscli` is the venv's `aws` script without its shebang line (which can be too
        # long for the kernel when the checkout path is deep).
        result = subprocess.run(
            [sys.executable, "-m", "awscli", *argv],
            env=self.aws_env(identity),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise AwsCliError(argv, result.returncode, result.stdout, result.stderr)
        out = result.stdout.strip()
        if not out:
            return None
        if args and args[0] == "s3":
            # The high-level `aws s3` commands print progress lines, not JSON.
            return out
        return json.loads(out)


# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory):
    """One `s3lab serve` for the whole session. Tests must not depend on each other's state."""
    server = _started(LabServer(tmp_path_factory.mktemp("lab")))
    yield server
    _stop_and_check(server)


@pytest.fixture
def fresh_lab(tmp_path: Path):
    """A server of this test's own, on its own data directory; `stop()` and `start()` as needed."""
    server = _started(LabServer(tmp_path / "lab"))
    yield server
    _stop_and_check(server)


def _started(server: LabServer) -> LabServer:
    try:
        return server.start()
    except ServerStartError as e:
        problem = str(e)
    # The message says everything (command, stdout, stderr); a traceback per test would bury it.
    pytest.fail(problem, pytrace=False)


def _stop_and_check(server: LabServer) -> None:
    crashed = server.process is not None and not server.process.stopped and not server.process.alive()
    code = server.stop()
    if crashed:
        raise RuntimeError(
            f"the s3lab server exited on its own (code {code}) before the tests were done\n"
            f"--- stderr ---\n{server.log.tail('stderr')}"
        )


# --- showing the server's stderr with a failed test ---------------------------------------------------

_STDERR_MARK = pytest.StashKey[dict]()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Remember how much each running server had printed, so a failure shows only its own part.
    item.stash[_STDERR_MARK] = {id(s.log): len(s.log.stderr) for s in _SERVERS}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.failed:
        marks = item.stash.get(_STDERR_MARK, {})
        for name, value in (getattr(item, "funcargs", None) or {}).items():
            if isinstance(value, LabServer):
                start = marks.get(id(value.log), 0)
                if len(value.log.stderr) > start:
                    report.sections.append(
                        (f"s3lab server stderr ({name}, {report.when})", value.log.tail("stderr", start))
                    )
                if value.process is not None and not value.process.stopped and not value.process.alive():
                    report.sections.append(
                        (f"s3lab server ({name})", f"the server has exited, code {value.process.proc.returncode}")
                    )
    return report
