"""Offline signing: an unsigned-payload file made online, signed on the air-gapped machine,
submitted online. This package is offline; building and submitting live in ``governance.txbuild``.

``fields`` reads the tx files strictly (``UnsignedTx``, ``SignedTx``); ``trusted`` executes the
signer's own runtime (``from_spec``, ``from_runtime`` → ``TrustedRuntime``); ``review`` holds a file
against it and says what is signed (``review`` → ``Review``); ``payload`` encodes the signing
payload and the signed extrinsic. The threat model is in docs/key-ceremony.md.
"""
