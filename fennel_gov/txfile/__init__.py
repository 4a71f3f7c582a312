"""Offline signing: an unsigned-payload file made online, signed on the air-gapped machine,
submitted online. This package is offline; building and submitting live in ``governance.txbuild``."""
