"""Runtime code as it sits in a chain spec: plain wasm, or zstd-compressed behind Substrate's prefix."""

from __future__ import annotations

from fennel_gov.errors import BadInput

WASM_MAGIC = b"\x00asm"
# sp-maybe-compressed-blob: 8-byte magic, then a zstd frame.
ZSTD_PREFIX = bytes([82, 188, 83, 118, 70, 219, 142, 5])
# The node refuses to decompress past this bound (sp-maybe-compressed-blob CODE_BLOB_BOMB_LIMIT).
CODE_BOMB_LIMIT = 50 * 1024 * 1024


def decompress_code(code: bytes) -> bytes:
    """Plain wasm bytes from what a chain spec's ``:code`` holds; BadInput for anything else."""
    if code.startswith(ZSTD_PREFIX):
        import zstandard

        try:
            reader = zstandard.ZstdDecompressor().stream_reader(code[len(ZSTD_PREFIX) :])
            plain = reader.read(CODE_BOMB_LIMIT + 1)
        except zstandard.ZstdError:
            raise BadInput("the runtime code has the zstd prefix but is not a valid zstd frame; it is damaged") from None
        if len(plain) > CODE_BOMB_LIMIT:
            raise BadInput("the compressed runtime code expands past 50 MiB; the node would refuse it too")
        if not plain.startswith(WASM_MAGIC):  # a cut-off frame yields little or nothing, without an error
            raise BadInput("the runtime code has the zstd prefix but does not decompress to WebAssembly; it is truncated or damaged")
        code = plain
    if not code.startswith(WASM_MAGIC):
        raise BadInput("the runtime code is not WebAssembly (no \\0asm header and no zstd prefix)")
    return code
