"""The air-gapped key ceremony: generate a network's keys offline, keep every secret encrypted,
publish only a manifest. Nothing here opens a network connection."""
