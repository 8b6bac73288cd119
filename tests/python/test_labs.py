"""The labs' authoring check, for every lab that runs against a server (command and investigation).

For each such lab, with a fresh `S3LAB_HOME`:

1. `s3lab lab start N` (ports 0) seeds the lab's server from its fixed seed;
2. `s3lab lab check N` must FAIL on the starter files as shipped (exit status 1);
3. the reference solution (`labs/solutions/NN_topic/`) is laid over the work folder and its
   `solution.sh` is run there by bash, after the exact `export` and `cd` lines `start` printed,
   with the AWS CLI from the test venv and this build's `s3lab` on `PATH`;
4. `s3lab lab check N` must PASS (exit status 0, every goal ✓).

Code labs (a Rust crate each) are checked on the Rust side: `cargo test -p s3lab-labs`.
Run with `cargo xtask test --python-only -- -k labs`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import READY_LINE, ServerLog, ServerProcess, _repo_root, _s3lab_bin

LABS = _repo_root() / "labs"
SOLUTION_TIMEOUT_S = 300.0
CHECK_TIMEOUT_S = 120.0


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


@pytest.mark.parametrize(("number", "name", "folder"), SERVER_LABS, ids=[f"{n:02}_{name}" for n, name, _ in SERVER_LABS])
def test_labs_starter_fails_and_solution_passes(number: int, name: str, folder: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    bin_dir = _tools(tmp_path)
    env = _lab_env(home, bin_dir)
    log = ServerLog()
    ready_file = home / "server" / folder / "ready.json"
    server = LabStartProcess(_s3lab_bin(), number, home, ready_file, log)
    try:
        # The starter, as shipped, must not pass.
        first = _check(number, env)
        assert first.returncode == 1, (
            f"lab {number} ({name}): the starter should fail its check with status 1, got "
            f"{first.returncode}\n{first.stdout}{first.stderr}"
        )
        assert "✗" in first.stdout and "Traceback" not in first.stderr, first.stdout + first.stderr

        # The exact lines `start` printed for the learner.
        paste = [line.strip() for line in log.stdout if line.strip().startswith(("export ", "cd "))]
        assert len(paste) == 3, f"expected two export lines and a cd line:\n" + "\n".join(log.stdout)
        work = home / "work" / folder
        solution = LABS / "solutions" / folder
        shutil.copytree(solution, work, dirs_exist_ok=True)
        script = "\n".join(["set -e", *paste, f"bash {work / 'solution.sh'}"]) + "\n"
        run = subprocess.run(
            ["bash", "-c", script],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=SOLUTION_TIMEOUT_S,
        )
        assert run.returncode == 0, (
            f"lab {number} ({name}): solution.sh failed with {run.returncode}\n"
            f"--- stdout ---\n{run.stdout}\n--- stderr ---\n{run.stderr}\n"
            f"--- server stderr ---\n{log.tail('stderr')}"
        )

        # The reference solution must pass.
        second = _check(number, env)
        assert second.returncode == 0, (
            f"lab {number} ({name}): the reference solution should pass its check\n"
            f"{second.stdout}{second.stderr}\n--- solution.sh stdout ---\n{run.stdout}\n"
            f"--- solution.sh stderr ---\n{run.stderr}"
        )
        assert "✗" not in second.stdout and f"Lab {number} done ✓" in second.stdout, second.stdout
    finally:
        server.stop()
    assert READY_LINE in log.stdout
