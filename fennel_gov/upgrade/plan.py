"""The local checks of a runtime upgrade, as a pure function of what is known before anything is sent.

``plan_upgrade(diff, ...)`` turns the diff between the running runtime and the new one (plus the
operator's expectations: a code hash, an srtool digest) into an ``UpgradePlan``:

- ``problems``: what the chain would refuse, or what would stop the chain (``runtime diff``'s
  errors); refused unless the operator forces it, and then the chain's own checks still apply;
- ``blocking``: the file is not the one the operator meant (another code hash, a digest that does
  not match): refused even with force, since forcing would upgrade to an unknown runtime;
- ``warnings``: the diff's warnings, and what force overrode.

Whether the ``*_without_checks`` calls are used is decided here too: only when the spec_name changes
and the operator allowed it, since those calls skip the chain's spec_version check as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fennel_gov._codec import from_hex
from fennel_gov.errors import BadInput
from fennel_gov.upgrade.diff import RuntimeDiff
from fennel_gov.upgrade.inspect import SrtoolReport

METHODS = ("authorize", "set-code")


def check_code_hash(text: str) -> str:
    """An ``--expect-code-hash`` value as lower-case 0x-hex, or BadInput (before anything is read)."""
    return "0x" + from_hex(text, what="the expected code hash", length=32).hex()


@dataclass
class UpgradePlan:
    old_spec: str  # "name/version", e.g. "solochain-runtime/101"
    new_spec: str
    code_hash: str
    without_checks: bool
    problems: list[str] = field(default_factory=list)
    blocking: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "old": self.old_spec,
            "new": self.new_spec,
            "code_hash": self.code_hash,
            "without_checks": self.without_checks,
            "problems": self.problems,
            "blocking": self.blocking,
            "warnings": self.warnings,
        }


def plan_upgrade(
    diff: RuntimeDiff, *, allow_spec_name_change: bool = False, expect_code_hash: str | None = None,
    srtool: SrtoolReport | None = None,
) -> UpgradePlan:
    old, new = diff.old.version, diff.new.version
    renamed = old.spec_name != new.spec_name
    plan = UpgradePlan(
        old_spec=f"{old.spec_name}/{old.spec_version}", new_spec=f"{new.spec_name}/{new.spec_version}",
        code_hash=diff.new.code_hash, without_checks=renamed and allow_spec_name_change,
    )
    if expect_code_hash is not None and check_code_hash(expect_code_hash) != diff.new.code_hash.lower():
        plan.blocking.append(
            f"the file's code hash is {diff.new.code_hash}, not the expected {check_code_hash(expect_code_hash)} "
            "(--expect-code-hash): this is not the runtime you meant to deploy (the plain and compressed forms of "
            "one build differ)"
        )
    if srtool is not None and not srtool.ok:
        bad = ", ".join(c.field for c in srtool.checks if not c.ok)
        plan.blocking.append(f"the file does not match the srtool digest ({bad}); rebuild or take the file srtool built")
    for finding in diff.by_severity("error"):
        if finding.code == "spec_name_changed" and allow_spec_name_change:
            plan.warnings.append(
                f"spec_name changes ({old.spec_name} → {new.spec_name}), allowed: the *_without_checks call is used, "
                "so the chain checks neither the name nor the version; fennel-gov checked the version"
            )
            continue
        change = f" ({finding.old} → {finding.new})" if finding.old is not None or finding.new is not None else ""
        hint = "; if the rename is intended, add --allow-spec-name-change" if finding.code == "spec_name_changed" else ""
        plan.problems.append(f"{finding.subject}{change}: {finding.message}{hint}")
    plan.warnings += [f"{f.subject}: {f.message}" for f in diff.by_severity("warning")]
    return plan


def method_call(method: str, without_checks: bool) -> str:
    """The System call an upgrade by ``method`` dispatches (through Sudo)."""
    if method not in METHODS:
        raise BadInput(f"--method takes authorize or set-code, not {method!r}")
    base = "authorize_upgrade" if method == "authorize" else "set_code"
    return base + ("_without_checks" if without_checks else "")
