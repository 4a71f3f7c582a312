"""Runtime upgrades, offline: what a runtime wasm is (``inspect``) and what changes from one to
another (``diff``), read by executing both runtimes. Above ``chainspec`` in the layers: a runtime's
consensus answers are read over a genesis built from its own preset."""
