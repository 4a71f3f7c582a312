"""Every third-party import is declared: fennel_gov's in [project] dependencies, the tests' and
benchmarks' in dependencies or the `test` extra. Run with the project's venv (it reads the installed
distributions to map an import name such as `Crypto` to its distribution, `pycryptodome`).

    .venv/bin/python scripts/check_imports.py      # exit 1 and one line per undeclared import
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_PARTY = {"fennel_gov", "tests", "chainspecs"}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    return _normal(re.split(r"[\s\[<>=!~;]", requirement.strip(), maxsplit=1)[0])


def declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_requirement_name(r) for r in project["dependencies"]}
    test = {_requirement_name(r) for r in project["optional-dependencies"]["test"]}
    return runtime, runtime | test


def imported_top_levels(paths: list[Path]) -> dict[str, set[str]]:
    """Top-level module name -> the files importing it (absolute imports only; relative ones are ours)."""
    found: dict[str, set[str]] = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in FIRST_PARTY:
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def _python_scripts(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_file() and p.read_text().startswith("#!/usr/bin/env python"))


def undeclared() -> list[str]:
    distributions = importlib.metadata.packages_distributions()
    runtime, everything = declared()
    problems = []
    groups = [
        (sorted((ROOT / "fennel_gov").rglob("*.py")), runtime, "dependencies"),
        (sorted((ROOT / "tests").rglob("*.py")) + _python_scripts(ROOT / "benchmarks"), everything, "the test extra"),
    ]
    for files, allowed, where in groups:
        for module, users in sorted(imported_top_levels(files).items()):
            providers = {_normal(d) for d in distributions.get(module, [])}
            if not providers:
                problems.append(f"{module}: imported by {', '.join(sorted(users))} but no installed distribution provides it")
            elif not providers & allowed:
                problems.append(f"{module}: imported by {', '.join(sorted(users))}; declare {' or '.join(sorted(providers))} in {where}")
    return problems


if __name__ == "__main__":
    problems = undeclared()
    print("\n".join(problems) or "every import is declared")
    sys.exit(1 if problems else 0)
