"""What upgrading from one runtime to another changes, and what of that would hurt the chain.

``diff_runtimes(old, new)`` compares two ``RuntimeFacts`` and returns findings by severity:

- ``error``: the upgrade is refused on chain (``System.InvalidSpecName``,
  ``SpecVersionNeedsToIncrease``) or would stop block production or finality (Aura's slot
  duration changes, a consensus API vanishes or fails on the new runtime);
- ``warning``: it goes through but breaks something outside the chain (saved call data and
  offline-signed files: moved or vanished pallets and calls, changed transaction extensions or
  transaction_version; storage needing a migration; session timing; address format);
- ``info``: worth knowing (added pallets, calls, storage; other constants).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fennel_gov.upgrade.inspect import RuntimeFacts

# Pallets whose loss stops the chain or its governance.
_VITAL_PALLETS = {"System", "Timestamp", "Aura", "Grandpa", "Session", "Sudo", "ValidatorManager"}
# Runtime APIs the node calls to author, import and finalise blocks.
_VITAL_APIS = {"Core", "BlockBuilder", "TaggedTransactionQueue", "AuraApi", "GrandpaApi", "SessionKeys"}
# Constants compared by name, with the severity of a change and why it matters.
_CONSTANT_RULES: dict[tuple[str, str], tuple[str, str]] = {
    ("Aura", "SlotDuration"): ("error", "Aura cannot change its slot duration across an upgrade: block production stops"),
    ("Timestamp", "MinimumPeriod"): ("warning", "half the slot duration on an Aura chain; blocks built at the old pace may be refused"),
    ("System", "SS58Prefix"): ("warning", "addresses render differently; signers and address books must follow"),
    ("ValidatorManager", "MinAuthorities"): ("warning", "the floor that remove-validator refuses below"),
    ("ValidatorManager", "SessionPeriod"): ("warning", "sessions change length: queued validator changes go live at other heights"),
    ("ValidatorManager", "SessionOffset"): ("warning", "the session boundaries move"),
    ("Grandpa", "MaxAuthorities"): ("warning", "more GRANDPA authorities than this stop finality"),
    ("Aura", "MaxAuthorities"): ("warning", "more Aura authorities than this are cut off"),
    ("System", "Version"): ("skip", ""),  # the runtime version, compared field by field above
}


@dataclass(frozen=True)
class Finding:
    severity: str  # error | warning | info
    code: str  # stable, snake_case: what kind of change
    subject: str  # what changed, e.g. "Grandpa.report_equivocation" or "spec_version"
    message: str
    old: Any = None
    new: Any = None

    def as_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "subject": self.subject,
            "message": self.message,
            "old": self.old,
            "new": self.new,
        }


@dataclass
class RuntimeDiff:
    old: RuntimeFacts
    new: RuntimeFacts
    findings: list[Finding] = field(default_factory=list)

    def by_severity(self, severity: str) -> list[Finding]:
        return [f for f in self.findings if f.severity == severity]

    @property
    def has_errors(self) -> bool:
        return bool(self.by_severity("error"))

    def codes(self) -> set[tuple[str, str]]:
        return {(f.code, f.subject) for f in self.findings}

    def as_json(self) -> dict[str, Any]:
        def side(facts: RuntimeFacts) -> dict[str, Any]:
            return {
                "spec_name": facts.version.spec_name,
                "spec_version": facts.version.spec_version,
                "transaction_version": facts.version.transaction_version,
                "code_hash": facts.code_hash,
            }

        return {
            "old": side(self.old),
            "new": side(self.new),
            "errors": len(self.by_severity("error")),
            "warnings": len(self.by_severity("warning")),
            "findings": [f.as_json() for f in self.findings],
        }


_ORDER = {"error": 0, "warning": 1, "info": 2}


def diff_runtimes(old: RuntimeFacts, new: RuntimeFacts) -> RuntimeDiff:
    findings: list[Finding] = []
    _versions(old, new, findings)
    _apis(old, new, findings)
    calls_broken = _pallets_and_calls(old, new, findings)
    _storage(old, new, findings)
    _constants(old, new, findings)
    _extensions(old, new, findings)
    _consensus(old, new, findings)
    if calls_broken and new.version.transaction_version <= old.version.transaction_version:
        findings.append(Finding(
            "warning", "transaction_version_not_bumped", "transaction_version",
            "calls moved, vanished or changed arguments but transaction_version did not increase: "
            "wallets and signers will encode the old calls without noticing",
            old.version.transaction_version, new.version.transaction_version,
        ))
    findings.sort(key=lambda f: _ORDER[f.severity])  # stable: within a severity, the order above
    return RuntimeDiff(old, new, findings)


def _versions(old: RuntimeFacts, new: RuntimeFacts, out: list[Finding]) -> None:
    a, b = old.version, new.version
    if a.spec_name != b.spec_name:
        out.append(Finding(
            "error", "spec_name_changed", "spec_name",
            "set_code and authorize_upgrade refuse another spec_name (System.InvalidSpecName); "
            "only the *_without_checks calls accept it",
            a.spec_name, b.spec_name,
        ))
    if b.spec_version <= a.spec_version:
        out.append(Finding(
            "error", "spec_version_not_increasing", "spec_version",
            "the new spec_version must be greater than the old (System.SpecVersionNeedsToIncrease)",
            a.spec_version, b.spec_version,
        ))
    else:
        out.append(Finding("info", "spec_version_changed", "spec_version", "spec_version increases", a.spec_version, b.spec_version))
    if a.transaction_version != b.transaction_version:
        out.append(Finding(
            "warning", "transaction_version_changed", "transaction_version",
            "transactions signed for the old version (offline-signed files) are refused after the upgrade",
            a.transaction_version, b.transaction_version,
        ))
    if a.state_version != b.state_version:
        out.append(Finding(
            "warning", "state_version_changed", "state_version",
            "the trie layout changes: state written before is migrated only as it is rewritten",
            a.state_version, b.state_version,
        ))
    for name in ("impl_name", "authoring_version", "impl_version"):
        before, after = getattr(a, name), getattr(b, name)
        if before != after:
            out.append(Finding("info", f"{name}_changed", name, f"{name} changes", before, after))


def _apis(old: RuntimeFacts, new: RuntimeFacts, out: list[Finding]) -> None:
    before = {a.id: a for a in old.apis}
    after = {a.id: a for a in new.apis}
    for api_id, api in before.items():
        name = api.name or api_id
        if api_id not in after:
            vital = api.name in _VITAL_APIS
            out.append(Finding(
                "error" if vital else "warning", "api_removed", name,
                "the node needs this API to build, import or finalise blocks" if vital else "clients using this API break",
                api.version, None,
            ))
        elif after[api_id].version != api.version:
            out.append(Finding("info", "api_version_changed", name, "the API's version changes", api.version, after[api_id].version))
    for api_id, api in after.items():
        if api_id not in before:
            out.append(Finding("info", "api_added", api.name or api_id, "a new runtime API", None, api.version))


def _pallets_and_calls(old: RuntimeFacts, new: RuntimeFacts, out: list[Finding]) -> bool:
    """Pallet and call changes; True when saved call data or signed transactions break."""
    broken = False
    after = {p.name: p for p in new.pallets}
    before = {p.name: p for p in old.pallets}
    for pallet in old.pallets:
        moved_to = after.get(pallet.name)
        if moved_to is None:
            vital = pallet.name in _VITAL_PALLETS
            out.append(Finding(
                "error" if vital else "warning", "pallet_removed", pallet.name,
                "the pallet vanishes: its calls in saved call data no longer decode"
                + ("; the chain cannot run or be governed without it" if vital else ""),
                pallet.index, None,
            ))
            broken = True
            continue
        if moved_to.index != pallet.index:
            out.append(Finding(
                "warning", "pallet_index_changed", pallet.name,
                "every saved or signed call of this pallet now means something else or nothing",
                pallet.index, moved_to.index,
            ))
            broken = True
        new_calls = {c.name: c for c in moved_to.calls}
        for call in pallet.calls:
            subject = f"{pallet.name}.{call.name}"
            twin = new_calls.get(call.name)
            if twin is None:
                out.append(Finding("warning", "call_removed", subject, "saved call data for it no longer decodes", call.index, None))
                broken = True
            elif twin.index != call.index:
                out.append(Finding("warning", "call_index_changed", subject, "saved call data for it now means another call", call.index, twin.index))
                broken = True
            elif twin.signature != call.signature:
                out.append(Finding("warning", "call_arguments_changed", subject, "its arguments change type: saved call data for it no longer decodes"))
                broken = True
        old_calls = {c.name for c in pallet.calls}
        for call in moved_to.calls:
            if call.name not in old_calls:
                out.append(Finding("info", "call_added", f"{pallet.name}.{call.name}", "a new call", None, call.index))
    for pallet in new.pallets:
        if pallet.name not in before:
            out.append(Finding("info", "pallet_added", pallet.name, "a new pallet", None, pallet.index))
    return broken


def _storage(old: RuntimeFacts, new: RuntimeFacts, out: list[Finding]) -> None:
    after = {p.name: p for p in new.pallets}
    for pallet in old.pallets:
        twin = after.get(pallet.name)
        new_items = twin.storage if twin else {}
        for item, signature in pallet.storage.items():
            subject = f"{pallet.name}.{item}"
            if item not in new_items:
                out.append(Finding("warning", "storage_removed", subject, "the item is no longer read; its data stays unless a migration removes it"))
            elif new_items[item] != signature:
                out.append(Finding("warning", "storage_type_changed", subject, "the item's type changes: existing values need a migration or fail to decode"))
        if twin:
            for item in twin.storage:
                if item not in pallet.storage:
                    out.append(Finding("info", "storage_added", f"{pallet.name}.{item}", "a new storage item"))
    before = {p.name for p in old.pallets}
    for pallet in new.pallets:
        if pallet.name not in before:
            for item in pallet.storage:
                out.append(Finding("info", "storage_added", f"{pallet.name}.{item}", "a new storage item"))


def _constants(old: RuntimeFacts, new: RuntimeFacts, out: list[Finding]) -> None:
    after = {p.name: p for p in new.pallets}
    for pallet in old.pallets:
        twin = after.get(pallet.name)
        if twin is None:
            continue
        for name in sorted(set(pallet.constants) | set(twin.constants)):
            a, b = pallet.constants.get(name), twin.constants.get(name)
            if a == b:
                continue
            severity, why = _CONSTANT_RULES.get((pallet.name, name), ("info", "a constant changes"))
            if severity == "skip":
                continue
            if a is None or b is None:  # newly exposed or no longer exposed: no comparison possible
                severity = "info"
                why = "the constant is newly exposed" if a is None else "the constant is no longer exposed"
            out.append(Finding(severity, "constant_changed", f"{pallet.name}.{name}", why, _show(a), _show(b)))


def _show(raw: bytes | None) -> Any:
    if raw is None:
        return None
    if len(raw) in (1, 2, 4, 8):
        return int.from_bytes(raw, "little")
    if len(raw) == 16:
        return str(int.from_bytes(raw, "little"))  # u128: a string, JSON numbers lose precision
    return "0x" + raw.hex()


def _extensions(old: RuntimeFacts, new: RuntimeFacts, out: list[Finding]) -> None:
    if old.transaction_extensions != new.transaction_extensions:
        out.append(Finding(
            "warning", "transaction_extensions_changed", "transaction_extensions",
            "signers must encode the new extension list; transactions built for the old one are refused",
            list(old.transaction_extensions), list(new.transaction_extensions),
        ))


def _consensus(old: RuntimeFacts, new: RuntimeFacts, out: list[Finding]) -> None:
    a, b = old.consensus, new.consensus
    if a is None or b is None:
        return
    for problem in b.problems:
        out.append(Finding("error", "consensus_api_failed", "new runtime", f"{problem}: block production or finality would stop"))
    for problem in a.problems:
        out.append(Finding("warning", "consensus_api_failed", "old runtime", problem))
    if a.slot_duration_ms is not None and b.slot_duration_ms is not None and a.slot_duration_ms != b.slot_duration_ms:
        out.append(Finding(
            "error", "slot_duration_changed", "AuraApi_slot_duration",
            "Aura cannot change its slot duration across an upgrade: block production stops",
            a.slot_duration_ms, b.slot_duration_ms,
        ))
    if b.aura_authorities is not None and not b.aura_authorities:
        out.append(Finding("error", "no_aura_authorities", "AuraApi_authorities", "the new runtime reports no Aura authority over its own genesis"))
    if b.grandpa_authorities is not None and not b.grandpa_authorities:
        out.append(Finding("error", "no_grandpa_authorities", "GrandpaApi_grandpa_authorities", "the new runtime reports no GRANDPA authority over its own genesis"))
    # On a live chain the authorities come from its state, not from a preset: a difference here
    # only says the presets differ, so it is information.
    if a.aura_authorities is not None and b.aura_authorities is not None and a.aura_authorities != b.aura_authorities:
        out.append(Finding("info", "preset_authorities_changed", "AuraApi_authorities", "the development presets name other Aura authorities", list(a.aura_authorities), list(b.aura_authorities)))
    if a.grandpa_authorities is not None and b.grandpa_authorities is not None and a.grandpa_authorities != b.grandpa_authorities:
        out.append(Finding("info", "preset_authorities_changed", "GrandpaApi_grandpa_authorities", "the development presets name other GRANDPA authorities"))
