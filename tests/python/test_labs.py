"""The labs' authoring check, for every lab that runs against a server (command and investigation).

For each such lab, with a fresh `S3LAB_HOME`:

1. `s3lab lab start N` (ports 0) seeds the lab's server from its fixed seed;
2. `s3lab lab check N` must FAIL on the starter files as shipped (exit status 1);
3. the reference solution (`labs/solutions/NN_topic/`) is laid over the work folder and its
   `solution.sh` is run there by bash, after the exact `export` and `cd` lines `start` printed,
   with the AWS CLI from the test venv and this build's `s3lab` on `PATH`;
4. `s3lab lab check N` must PASS (exit status 0, every goal ✓);
5. with the server stopped, `s3lab scan-secrets` must find nothing in the lab's data folder and in
   everything its server printed (logged at `s3lab=trace`, saved to `server.log` beside the lab's
   home): no key the lab's services hold, no key file of the work folder (`*.key`: SSE-C and
   client-side master keys), and no plaintext of the objects the lab wrote — the work folder's files
   of 16 bytes or more (the reference solution uploads them) and the bodies of `check.toml`'s setup
   steps. Answer files are left out: they quote the lab's state (key ids, object keys) on purpose.
   Objects written unencrypted on purpose are allowed to hold their plaintext, by their metadata.

Code labs (a Rust crate each) are checked on the Rust side: `cargo test -p s3lab-labs`.
Run with `cargo xtask test --python-only -- -k labs`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import READY_LINE, ServerLog, ServerProcess, _repo_root, _s3lab_bin

LABS = _repo_root() / "labs"
SOLUTION_TIMEOUT_S = 300.0
CHECK_TIMEOUT_S = 120.0
# Labs checked at once (each has its own data folder and server on free ports).
PARALLEL_LABS = 2
SCAN_TIMEOUT_S = 120.0
# What the lab's server logs, for the secrets scan: s3lab's own crates at every level.
SERVER_LOG_FILTER = "s3lab=trace,info"


def _server_labs() -> list[tuple[int, str, str]]:
    info = tomllib.loads((LABS / "info.toml").read_text(encoding="utf-8"))
    out = []
    for number, entry in enumerate(info["labs"], start=1):
        spec = tomllib.loads((LABS / entry["dir"] / "check.toml").read_text(encoding="utf-8"))
        if "server" in spec:
            out.append((number, entry["name"], entry["dir"]))
    return out


SERVER_LABS = _server_labs()


class LabStartProcess(ServerProcess):
    """`s3lab lab start N` run like conftest's `s3lab serve`: read until ready, stopped with SIGTERM."""

    def __init__(self, binary: Path, number: int, home: Path, ready_file: Path, log: ServerLog):
        self._binary = binary
        self._number = number
        self._home = home
        super().__init__(binary, home, ready_file, log, seed=None)

    def _spawn(self, env: dict[str, str]) -> subprocess.Popen:
        self.argv = [
            str(self._binary), "lab", "start", str(self._number),
            "--http-port", "0", "--https-port", "0",
        ]
        env["S3LAB_HOME"] = str(self._home)
        env["RUST_LOG"] = SERVER_LOG_FILTER
        return subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=self._home,
            env=env,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
        )


def _tools(tmp: Path) -> Path:
    """A folder with `aws` (this venv's CLI) and `s3lab` (this build), to put first on PATH."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    aws = bin_dir / "aws"
    # `python -m awscli` rather than the venv's `aws` script, whose shebang can be too long.
    aws.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m awscli "$@"\n', encoding="utf-8")
    aws.chmod(0o755)
    (bin_dir / "s3lab").symlink_to(_s3lab_bin())
    return bin_dir


def _lab_env(home: Path, bin_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["S3LAB_HOME"] = str(home)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["AWS_MAX_ATTEMPTS"] = "1"
    env["AWS_PAGER"] = ""
    env.pop("S3LAB_READY", None)
    return env


def _check(number: int, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(_s3lab_bin()), "lab", "check", str(number)],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=CHECK_TIMEOUT_S,
    )


def _scan_secrets(number: int, name: str, folder: str, root: Path, log: ServerLog) -> str | None:
    """`s3lab scan-secrets` on the lab's data folder and its server's log, for the lab's keys and
    plaintexts (see the module's docstring); returns what it found, or None."""
    home = root / "home"
    work = home / "work" / folder
    spec = tomllib.loads((LABS / folder / "check.toml").read_text(encoding="utf-8"))
    answers = {g["file"] for g in spec.get("goals", []) if g.get("kind") == "answer" and "file" in g}
    secrets: list[Path] = []
    plaintexts: list[Path] = []
    for path in sorted(p for p in work.rglob("*") if p.is_file() and not p.is_symlink()):
        relative = path.relative_to(work).as_posix()
        if path.suffix == ".key":
            secrets.append(path)
        elif relative != "solution.sh" and relative not in answers and path.stat().st_size >= 16:
            plaintexts.append(path)
    setup_bodies = root / "setup-bodies"
    setup_bodies.mkdir()
    for i, step in enumerate(spec.get("setup", [])):
        body = step.get("body", "").encode("utf-8")
        if len(body) >= 16:
            path = setup_bodies / f"{i:02}-{step['step']}"
            path.write_bytes(body)
            plaintexts.append(path)
    log_file = root / "server.log"
    log_file.write_text("\n".join([*log.stdout, *log.stderr]) + "\n", encoding="utf-8")
    argv = [str(_s3lab_bin()), "scan-secrets", str(home / "server" / folder), "--log", str(log_file)]
    argv += [arg for path in secrets for arg in ("--secret-file", str(path))]
    argv += [arg for path in plaintexts for arg in ("--plaintext-file", str(path))]
    scan = subprocess.run(
        argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=SCAN_TIMEOUT_S
    )
    if scan.returncode != 0 or "nothing found" not in scan.stdout:
        return (
            f"lab {number} ({name}): the secrets scan of its data folder and server log "
            f"(exit status {scan.returncode}):\n{scan.stdout}{scan.stderr}\ncommand: {' '.join(argv)}"
        )
    if not plaintexts or " 0 plaintexts" in scan.stdout:
        return f"lab {number} ({name}): the secrets scan had no plaintext to look for:\n{scan.stdout}"
    return None


def _run_lab(number: int, name: str, folder: str, root: Path) -> str | None:
    """Runs one lab's authoring check; returns what went wrong, or None."""
    home = root / "home"
    home.mkdir()
    bin_dir = _tools(root)
    env = _lab_env(home, bin_dir)
    log = ServerLog()
    ready_file = home / "server" / folder / "ready.json"
    server = LabStartProcess(_s3lab_bin(), number, home, ready_file, log)
    try:
        # The starter, as shipped, must not pass.
        first = _check(number, env)
        if first.returncode != 1 or "✗" not in first.stdout or "Traceback" in first.stderr:
            return (
                f"lab {number} ({name}): the starter should fail its check with status 1, got "
                f"{first.returncode}\n{first.stdout}{first.stderr}"
            )

        # The exact lines `start` printed for the learner.
        paste = [line.strip() for line in log.stdout if line.strip().startswith(("export ", "cd "))]
        if len(paste) != 3:
            return "expected two export lines and a cd line:\n" + "\n".join(log.stdout)
        work = home / "work" / folder
        shutil.copytree(LABS / "solutions" / folder, work, dirs_exist_ok=True)
        script = "\n".join(["set -e", *paste, f"bash {work / 'solution.sh'}"]) + "\n"
        run = subprocess.run(
            ["bash", "-c", script],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=SOLUTION_TIMEOUT_S,
        )
        if run.returncode != 0:
            return (
                f"lab {number} ({name}): solution.sh failed with {run.returncode}\n"
                f"--- stdout ---\n{run.stdout}\n--- stderr ---\n{run.stderr}\n"
                f"--- server stderr ---\n{log.tail('stderr')}"
            )

        # The reference solution must pass.
        second = _check(number, env)
        if second.returncode != 0 or "✗" in second.stdout or f"Lab {number} done ✓" not in second.stdout:
            return (
                f"lab {number} ({name}): the reference solution should pass its check\n"
                f"{second.stdout}{second.stderr}\n--- solution.sh stdout ---\n{run.stdout}\n"
                f"--- solution.sh stderr ---\n{run.stderr}"
            )
    finally:
        server.stop()
    if READY_LINE not in log.stdout:
        return f"lab {number} ({name}): `start` never printed {READY_LINE!r}"
    return _scan_secrets(number, name, folder, root, log)


@pytest.fixture(scope="session")
def lab_outcomes(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[int, str | None]:
    """Every selected lab's authoring check, two at a time: most of a lab's time is the AWS CLI
    starting up, and the labs are independent (own S3LAB_HOME, own server on free ports)."""
    selected = [
        item.callspec.params
        for item in request.session.items
        if getattr(item, "originalname", "") == "test_labs_starter_fails_and_solution_passes"
    ]
    with ThreadPoolExecutor(max_workers=PARALLEL_LABS) as pool:
        futures = {
            p["number"]: pool.submit(
                _run_lab, p["number"], p["name"], p["folder"], tmp_path_factory.mktemp(f"lab{p['number']:02}")
            )
            for p in selected
        }
        return {number: future.result() for number, future in futures.items()}


@pytest.mark.parametrize(("number", "name", "folder"), SERVER_LABS, ids=[f"{n:02}_{name}" for n, name, _ in SERVER_LABS])
def test_labs_starter_fails_and_solution_passes(number: int, name: str, folder: str, lab_outcomes: dict) -> None:
    problem = lab_outcomes[number]
    if problem is not None:
        pytest.fail(problem, pytrace=False)
