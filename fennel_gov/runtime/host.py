"""The Substrate host functions (sp-io) the runtime imports, bound to one call's state.

Each function reads its arguments from the runtime's memory, acts on the ``Storage`` and hands
results back through the allocator, exactly as the node's host does. Pointer/length pairs arrive
as signed i64s and are masked. Key generation fails (genesis has no keystore); ed25519 signatures
verify by ed25519-zebra's ZIP-215 rules as in the node. An import this host does not provide is
linked to a stub that fails naming it, like the node's ``allow_missing_host_functions``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable

from fennel_gov._codec import decode_compact, encode_bytes
from fennel_gov.runtime._allocator import ERRORS, WASM_HOST_FUNCTIONS, AllocatorError
from fennel_gov.runtime.storage import Storage

_MASK32 = 0xFFFFFFFF
# ext_logging passes sp-core's LogLevel by variant index; max_level answers a LogLevelFilter index.
LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE = range(5)
FILTER_OFF, FILTER_ERROR, FILTER_WARN, FILTER_INFO, FILTER_DEBUG, FILTER_TRACE = range(6)


class HostError(Exception):
    """A host function refused the runtime's request; the message says why."""


@dataclass
class HostContext:
    """One call's host state: the runtime's memory (read and written in place), the allocator, the storage."""

    store: Any
    memory: Any
    allocator: Any  # PyAllocator sharing state with the wasm allocator the runtime calls
    storage: Storage
    allow_key_generation: bool = False
    log_level: int = FILTER_WARN
    runtime_version: Callable[[bytes], bytes | None] | None = None
    logs: list[tuple[int, str, str]] = field(default_factory=list)
    failure: str | None = None
    func_envs: list[int] = field(default_factory=list)  # host functions to release after the call
    heap: memoryview = field(kw_only=True)  # the runtime's memory, viewed in place
    max_storage_bytes: int | None = None  # Storage.size past which a write fails the call
    max_log_bytes: int = 1024 * 1024  # log text kept; later messages are dropped
    log_bytes: int = 0
    logs_dropped: int = 0
    last_error_log: str | None = None  # kept even when logs are dropped: it explains a panic

    def __post_init__(self) -> None:
        self._size = len(self.heap)

    def add_log(self, level: int, target: str, message: str) -> None:
        """Keep a log line unless the call's log budget is spent (the last error line is always kept)."""
        if level == LOG_ERROR:
            self.last_error_log = message[:1000]
        cost = len(target) + len(message)
        if self.log_bytes + cost > self.max_log_bytes:
            self.logs_dropped += 1
            return
        self.log_bytes += cost
        self.logs.append((level, target, message))

    def check_storage(self) -> None:
        if self.max_storage_bytes is not None and self.storage.size > self.max_storage_bytes:
            self.failure = (
                f"the runtime wrote more than {self.max_storage_bytes // (1024 * 1024):,} MiB of storage; "
                "no genesis of a real network comes near that"
            )
            raise HostError(self.failure)

    # -- memory -------------------------------------------------------------------------------

    def _check(self, ptr: int, length: int) -> None:
        if ptr + length > self._size:
            self.failure = f"the runtime passed a pointer outside its memory ({ptr}+{length} > {self._size})"
            raise HostError(self.failure)

    def read(self, ptr: int, length: int) -> bytes:
        if ptr + length > self._size:
            self._check(ptr, length)
        return self.heap[ptr : ptr + length].tobytes()

    def read_packed(self, packed: int) -> bytes:
        packed &= 0xFFFFFFFFFFFFFFFF
        ptr = packed & _MASK32
        end = ptr + (packed >> 32)
        if end > self._size:
            self._check(ptr, packed >> 32)
        return self.heap[ptr:end].tobytes()

    def write(self, ptr: int, data: bytes) -> None:
        if ptr + len(data) > self._size:
            self._check(ptr, len(data))
        self.heap[ptr : ptr + len(data)] = data

    def malloc(self, size: int) -> int:
        try:
            return self.allocator.malloc(size)
        except AllocatorError as exc:
            self.failure = str(exc)
            raise HostError(self.failure) from None

    def give(self, data: bytes) -> int:
        """Allocate, copy ``data`` in, return the pointer."""
        ptr = self.malloc(len(data))
        self.heap[ptr : ptr + len(data)] = data
        return ptr

    def give_packed(self, data: bytes) -> int:
        return (len(data) << 32) | self.give(data)

    def explain_trap(self, function: str, error: Exception) -> str:
        if self.failure:
            return f"{function} failed: {self.failure}"
        code = self.allocator.error_code
        if code:
            return f"{function} failed: {ERRORS.get(code, 'allocator error')}"
        panic = self.last_error_log
        if panic:
            return f"{function} trapped: {' '.join(panic.split())}"
        text = str(error)
        cause = text.split("Caused by:", 1)[1].strip() if "Caused by:" in text else text.strip()
        detail = " ".join(cause.split()) or type(error).__name__
        return f"{function} trapped ({detail})"


def _option(value: bytes | None) -> bytes:
    return b"\x00" if value is None else b"\x01" + encode_bytes(value)


def _decode_vec_of_bytes(data: bytes) -> list[bytes]:
    count, offset = decode_compact(data)
    items = []
    for _ in range(count):
        length, offset = decode_compact(data, offset)
        items.append(data[offset : offset + length])
        offset += length
    return items


def build_host_functions(ctx: HostContext) -> dict[str, Callable[..., Any]]:
    storage = ctx.storage

    def fail(message: str):
        ctx.failure = message
        raise HostError(message)

    # storage
    def storage_get(key):
        return ctx.give_packed(_option(storage.get(ctx.read_packed(key))))

    def storage_set(key, value):
        storage.set(ctx.read_packed(key), ctx.read_packed(value))
        ctx.check_storage()

    def storage_read(key, value_out, offset):
        value = storage.get(ctx.read_packed(key))
        if value is None:
            return ctx.give_packed(b"\x00")
        value_out &= 0xFFFFFFFFFFFFFFFF
        out_ptr, out_len = value_out & _MASK32, value_out >> 32
        offset &= _MASK32
        rest = value[min(offset, len(value)) :]
        if out_len and rest:
            ctx.write(out_ptr, rest[:out_len])
        return ctx.give_packed(b"\x01" + len(rest).to_bytes(4, "little"))

    def storage_clear(key):
        storage.clear(ctx.read_packed(key))

    def storage_exists(key):
        return 1 if ctx.read_packed(key) in storage else 0

    def storage_clear_prefix_v2(prefix, limit):
        # ``limit`` is ignored, as BasicExternalities (the node's genesis externalities) ignores it.
        removed = storage.clear_prefix(ctx.read_packed(prefix))
        return ctx.give_packed(b"\x00" + removed.to_bytes(4, "little"))  # KillStorageResult::AllRemoved

    def storage_append(key, value):
        storage.append(ctx.read_packed(key), ctx.read_packed(value))
        ctx.check_storage()

    def storage_next_key(key):
        return ctx.give_packed(_option(storage.next_key(ctx.read_packed(key))))

    def storage_root_v2(version):
        from fennel_gov.runtime.trie import trie_root

        return ctx.give_packed(trie_root(storage.as_dict(), version & _MASK32))

    def start_transaction():
        storage.start_transaction()

    def commit_transaction():
        if not storage.transaction_depth:
            fail("commit_transaction without a transaction")
        storage.commit_transaction()

    def rollback_transaction():
        if not storage.transaction_depth:
            fail("rollback_transaction without a transaction")
        storage.rollback_transaction()

    # hashing and tries (twox and blake2 are served by the wasm helper module: WASM_HOST_FUNCTIONS)
    def keccak_256(data):
        from Crypto.Hash import keccak  # pycryptodome (declared in pyproject.toml)

        return ctx.give(keccak.new(digest_bits=256, data=ctx.read_packed(data)).digest())

    def sha2_256(data):
        return ctx.give(hashlib.sha256(ctx.read_packed(data)).digest())

    def ordered_root_v2(data, version):
        from fennel_gov.runtime.trie import ordered_trie_root

        return ctx.give(ordered_trie_root(_decode_vec_of_bytes(ctx.read_packed(data)), version & _MASK32))

    def ordered_root_v1(data):
        return ordered_root_v2(data, 0)

    # logging and printing
    def log(level, target, message):
        level &= _MASK32
        if level < max(ctx.log_level, FILTER_ERROR):
            ctx.add_log(level, ctx.read_packed(target).decode("utf-8", "replace"), ctx.read_packed(message).decode("utf-8", "replace"))

    def max_level():
        return ctx.log_level

    def print_utf8(data):
        ctx.add_log(LOG_DEBUG, "runtime::print", ctx.read_packed(data).decode("utf-8", "replace"))

    def print_hex(data):
        ctx.add_log(LOG_DEBUG, "runtime::print", ctx.read_packed(data).hex())

    def print_num(value):
        ctx.add_log(LOG_DEBUG, "runtime::print", str(value))

    def runtime_version(code):
        version = ctx.runtime_version(ctx.read_packed(code)) if ctx.runtime_version else None
        return ctx.give_packed(_option(version))

    # crypto
    def ed25519_verify(sig, msg, public):
        import ed25519_zebra

        try:
            return 1 if ed25519_zebra.ed_verify(ctx.read(sig & _MASK32, 64), ctx.read_packed(msg), ctx.read(public & _MASK32, 32)) else 0
        except (ValueError, TypeError):
            return 0

    def sr25519_verify(sig, msg, public):
        import sr25519

        try:
            return 1 if sr25519.verify(ctx.read(sig & _MASK32, 64), ctx.read_packed(msg), ctx.read(public & _MASK32, 32)) else 0
        except ValueError:
            return 0

    def ecdsa_recover(sig, msg, compressed: bool):
        from fennel_gov.keys.schemes import ecdsa_recover as recover

        signature = ctx.read(sig & _MASK32, 65)
        v = signature[64] - 27 if signature[64] > 26 else signature[64]
        if v > 3:
            return ctx.give_packed(b"\x01\x01")  # Err(BadV)
        public = recover(signature, ctx.read(msg & _MASK32, 32))
        if public is None:
            return ctx.give_packed(b"\x01\x02")  # Err(BadSignature)
        if not compressed:
            import ecdsa

            public = ecdsa.VerifyingKey.from_string(public, curve=ecdsa.SECP256k1).to_string("raw")
        return ctx.give_packed(b"\x00" + public)

    def key_generation(scheme):
        def generate(key_type, seed):
            fail(f"the runtime asked to generate an {scheme} key; there is no keystore while building a genesis")

        return generate

    return {
        "ext_storage_get_version_1": storage_get,
        "ext_storage_set_version_1": storage_set,
        "ext_storage_read_version_1": storage_read,
        "ext_storage_clear_version_1": storage_clear,
        "ext_storage_exists_version_1": storage_exists,
        "ext_storage_clear_prefix_version_2": storage_clear_prefix_v2,
        "ext_storage_append_version_1": storage_append,
        "ext_storage_next_key_version_1": storage_next_key,
        "ext_storage_root_version_2": storage_root_v2,
        "ext_storage_start_transaction_version_1": start_transaction,
        "ext_storage_commit_transaction_version_1": commit_transaction,
        "ext_storage_rollback_transaction_version_1": rollback_transaction,
        "ext_hashing_keccak_256_version_1": keccak_256,
        "ext_hashing_sha2_256_version_1": sha2_256,
        "ext_trie_blake2_256_ordered_root_version_1": ordered_root_v1,
        "ext_trie_blake2_256_ordered_root_version_2": ordered_root_v2,
        "ext_logging_log_version_1": log,
        "ext_logging_max_level_version_1": max_level,
        "ext_misc_print_utf8_version_1": print_utf8,
        "ext_misc_print_hex_version_1": print_hex,
        "ext_misc_print_num_version_1": print_num,
        "ext_misc_runtime_version_version_1": runtime_version,
        "ext_crypto_ed25519_verify_version_1": ed25519_verify,
        "ext_crypto_sr25519_verify_version_2": sr25519_verify,
        "ext_crypto_secp256k1_ecdsa_recover_compressed_version_2": lambda s, m: ecdsa_recover(s, m, True),
        "ext_crypto_secp256k1_ecdsa_recover_version_2": lambda s, m: ecdsa_recover(s, m, False),
        "ext_crypto_ed25519_generate_version_1": key_generation("ed25519"),
        "ext_crypto_sr25519_generate_version_1": key_generation("sr25519"),
        "ext_crypto_ecdsa_generate_version_1": key_generation("ecdsa"),
    }


def host_imports(module, ctx: HostContext, wasm_allocator: Any) -> list[Any]:
    """The import list for ``module``, in its import order; the allocator imports are wasm functions."""
    import wasmtime

    from fennel_gov.runtime._rawfunc import raw_func

    functions = build_host_functions(ctx)
    imports: list[Any] = []
    for item in module.imports:
        if isinstance(item.type, wasmtime.MemoryType):
            imports.append(ctx.memory)
            continue
        if not isinstance(item.type, wasmtime.FuncType):
            raise HostError(f"the runtime imports {item.module}.{item.name}, which is not a function or memory")
        if item.name in WASM_HOST_FUNCTIONS:
            imports.append(wasm_allocator[WASM_HOST_FUNCTIONS[item.name]])
            continue
        function = functions.get(item.name)
        if function is None:
            function = _missing(ctx, item.name)
        imports.append(raw_func(ctx.store, item.type, function, ctx.func_envs))
    return imports


def _missing(ctx: HostContext, name: str):
    def stub(*_args):
        ctx.failure = f"the runtime called host function {name}, which fennel-gov does not provide"
        raise HostError(ctx.failure)

    return stub
