"""Governance signers are loaded by the offline ``fennel_gov.keys.signer`` (``tx sign`` shares it)."""

from fennel_gov.keys.signer import load_signer, parse_signer

__all__ = ["load_signer", "parse_signer"]
