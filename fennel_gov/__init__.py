"""fennel-gov: key management, chain specs and governance for the Fennel proof-of-authority chain.

The command line (``fennel-gov``) is a thin layer over these packages:

* ``fennel_gov.keys``       offline keys: secret URIs, sr25519/ed25519/ecdsa, SS58, node keys,
                            session keys, node keystores, encrypted JSON, the OS keyring
* ``fennel_gov.chainspec``  chain specs: load, inspect, build, convert to raw (offline)
* ``fennel_gov.errors``     the error hierarchy and its exit codes

and the governance API, exported here (see ``docs/api.md``)::

    import fennel_gov
    net = fennel_gov.connect("ws://127.0.0.1:9944", genesis_hash=None)
    sudo = fennel_gov.KeyPair.from_uri("//Alice")
    st = net.status()
    receipt = net.add_validators([bob], signer=sudo, wait="finalized")

Offline packages never import network code: the names below are resolved on first use, so
``import fennel_gov`` (done by every command, offline ones included) loads none of them.
"""

__version__ = "0.1.0"

# name -> module that defines it; imported only when the name is first used
_EXPORTS = {
    "connect": "fennel_gov.governance.api",
    "Network": "fennel_gov.governance.api",
    "Status": "fennel_gov.governance.api",
    "Prepared": "fennel_gov.governance.api",
    "Receipt": "fennel_gov.governance.chain",
    "Effect": "fennel_gov.governance.effect",
    "PreparedUpgrade": "fennel_gov.governance.upgrade",
    "UpgradeReceipt": "fennel_gov.governance.upgrade",
    "UpgradeRejected": "fennel_gov.governance.upgrade",
    "KeyPair": "fennel_gov.keys",
    "SessionKeys": "fennel_gov.keys",
    "FennelGovError": "fennel_gov.errors",
    "BadInput": "fennel_gov.errors",
    "Failure": "fennel_gov.errors",
    "PreflightRefused": "fennel_gov.errors",
    "SubmissionFailed": "fennel_gov.errors",
    "ChangeDropped": "fennel_gov.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'fennel_gov' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
