"""The built wheel is complete: it ships the JSON Schemas and the playbooks, and `remediator demo` runs
from it, installed in a fresh virtual environment, outside the source tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "remediator", "playbooks", "schemas")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel from a copy of the sources (a build writes build/ and *.egg-info beside them)."""
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        item = REPO / name
        if item.is_dir():
            shutil.copytree(item, src / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(item, src / name)
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(src), "-w", str(out)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    (path,) = out.glob("remediator-*.whl")
    return path


def test_the_wheel_ships_the_schemas_and_the_playbooks(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for folder, pattern in (("schemas", "*.json"), ("playbooks", "*.yml")):
            files = sorted((REPO / folder).glob(pattern))
            assert files
            for file in files:
                inside = f"remediator/shipped/{folder}/{file.name}"
                assert inside in names, f"{inside} is not in the wheel"
                assert archive.read(inside) == file.read_bytes()
        assert "remediator/hunt/rules/lapsus-2022.yml" in names


def test_demo_runs_from_the_installed_wheel_outside_the_source_tree(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # remediator's dependencies come from this environment (installing them would need the network);
    # a path in a .pth file is appended after the venv's own site-packages, and its .pth files
    # (this checkout's editable install) are not run: the wheel's remediator is the one imported.
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                                "--no-index", "-q", str(wheel)], capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    where = subprocess.run([str(python), "-c", "import remediator; print(remediator.__file__)"], cwd=elsewhere,
                           capture_output=True, text=True, env=env, check=True).stdout.strip()
    assert Path(where).is_relative_to(site), where
    demo = subprocess.run([str(venv / "bin" / "remediator"), "demo", "--users", "200", "--workdir", "work"],
                          cwd=elsewhere, capture_output=True, text=True, env=env, timeout=300)
    assert demo.returncode == 0, (demo.stdout + demo.stderr)[-3000:]
    assert (elsewhere / "work" / "journal.jsonl").is_file()
