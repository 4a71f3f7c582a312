"""fennel-gov: key management, chain specs and governance for the Fennel proof-of-authority chain.

The command line (``fennel-gov``) is a thin layer over these packages:

* ``fennel_gov.keys``       offline keys: secret URIs, sr25519/ed25519/ecdsa, SS58, node keys,
                            session keys, node keystores, encrypted JSON, the OS keyring
* ``fennel_gov.chainspec``  chain specs: load, inspect, build, convert to raw (offline)
* ``fennel_gov.errors``     the error hierarchy and its exit codes

Offline packages never import network code.
"""

__version__ = "0.1.0"
