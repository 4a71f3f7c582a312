"""What an installation needs: every package listed for the wheel, every import declared, the lock
files in step with pyproject.toml. (The wheel itself is built, installed into a fresh venv and run
by scripts/check-wheel.sh, which CI runs.)"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_wheel_lists_every_package_of_the_source_tree():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "fennel_gov").rglob("__init__.py")}
    assert listed == on_disk | {"fennel_gov.chainspecs"}
    assert PYPROJECT["tool"]["setuptools"]["package-dir"] == {"fennel_gov.chainspecs": "chainspecs"}


def test_every_third_party_import_is_a_declared_dependency():
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_imports.py")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def _pins(name: str) -> dict[str, str]:
    text = (ROOT / "requirements" / name).read_text()
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\$", text, re.M))


def test_the_lock_files_pin_with_hashes_and_agree():
    runtime, test = _pins("runtime.txt"), _pins("test.txt")
    assert runtime and runtime.items() <= test.items()  # the test lock adds tools, never other versions
    for name in ("runtime.txt", "test.txt"):
        entries = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / "requirements" / name).read_text().split("\n\n")[-1])
        unhashed = [e.split()[0] for e in entries if e.strip() and not e.startswith("#") and "--hash=sha256:" not in e]
        assert unhashed == [], f"{name}: entries without a hash"
    def names(requirements):
        return {re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements}

    # a dependency added to pyproject.toml without re-running scripts/lock.sh fails here
    assert names(PYPROJECT["project"]["dependencies"]) <= set(runtime)
    assert names(PYPROJECT["project"]["optional-dependencies"]["test"]) <= set(test)
    # wasmtime is bounded (private API in use) and the lock pins a major inside the bound
    bound = next(r for r in PYPROJECT["project"]["dependencies"] if r.startswith("wasmtime"))
    upper = int(re.search(r"<(\d+)", bound).group(1))
    assert int(runtime["wasmtime"].split(".")[0]) == upper - 1


def test_the_package_is_marked_typed_for_pep_561():
    # scripts/check-wheel.sh checks the marker is in the installed wheel; this keeps it declared
    assert (ROOT / "fennel_gov" / "py.typed").is_file()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["fennel_gov"]
    assert PYPROJECT["tool"]["mypy"]["files"] == ["fennel_gov"]
