"""The README's first command on the distribution's own Python (Debian 12's /usr/bin/python3,
where PEP 668 refuses `pip install` outside a virtual environment), in a throwaway copy of
the project: it installs into .venv and runs one cycle of the daemon on the shipped cop.toml."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.peers import free_port

ROOT = Path(__file__).resolve().parent.parent
SYSTEM_PYTHON = Path("/usr/bin/python3")

pytestmark = pytest.mark.slow


def system_python_ok() -> bool:
    if not SYSTEM_PYTHON.exists():
        return False
    done = subprocess.run([str(SYSTEM_PYTHON), "-c",
                           "import sys; sys.exit(sys.version_info < (3, 11))"], check=False)
    return done.returncode == 0


@pytest.mark.timeout(600)
@pytest.mark.skipif(not system_python_ok(), reason="no /usr/bin/python3 3.11+ here")
def test_scripts_run_installs_into_a_venv_with_the_system_python(tmp_path: Path) -> None:
    copy = tmp_path / "cop-mailer"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    config = copy / "cop.toml"
    config.write_text(config.read_text().replace("port = 2525", f"port = {free_port()}"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env["PYTHON"] = str(SYSTEM_PYTHON)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if Path(sys.prefix) not in Path(p).parents)
    done = subprocess.run(["bash", "scripts/run", "--once"], cwd=copy, env=env,
                          capture_output=True, text=True, timeout=540, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "home = /usr/bin" in (copy / ".venv" / "pyvenv.cfg").read_text()
    invitations = list((copy / "var" / "outbox" / "new").iterdir())
    assert len(invitations) == 4  # the shipped KKG's four members, each invited
    check = subprocess.run([str(copy / ".venv" / "bin" / "cop"), "check"], cwd=copy,
                           capture_output=True, text=True, timeout=120, check=False)
    assert check.returncode == 0 and "OK" in check.stdout
