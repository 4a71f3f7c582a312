"""The host, call by call, on small hand-written modules (allocator, storage, failures) — the real
runtime is exercised by the golden chain-spec tests."""

from __future__ import annotations

import random

import pytest
import wasmtime

from fennel_gov.runtime import Runtime, RuntimeTrap, Storage
from fennel_gov.runtime._allocator import AllocatorError, PyAllocator, memory_view
from fennel_gov.runtime.executor import _allocator_module, new_store


def _allocators(pages: int = 1, heap_base: int = 0):
    store = new_store()
    memory = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(pages, pages)))
    wasm = wasmtime.Instance(store, _allocator_module(), [memory]).exports(store)
    wasm["init"](store, heap_base)
    import ctypes

    heap = memory_view(ctypes.addressof(memory.data_ptr(store).contents), memory.data_len(store))
    python = PyAllocator(ctypes.addressof(wasm["state"].data_ptr(store).contents), heap, store)
    return store, wasm, python


def test_allocator_matches_sc_allocator_reference_cases():
    store, wasm, python = _allocators(heap_base=13)
    # sc-allocator: heap base 13 aligns to 16; 1 byte → 8-byte block after an 8-byte header
    assert wasm["malloc"](store, 1) == 24
    assert python.malloc(9) == 40
    python.free(40)
    assert wasm["malloc"](store, 9) == 40  # reused from the free list
    store, wasm, python = _allocators()
    pointers = [python.malloc(8) for _ in range(4)]
    for pointer in reversed(pointers):
        wasm["free"](store, pointer)
    assert [python.malloc(8) for _ in range(4)] == pointers == [8, 24, 40, 56]


def test_wasm_and_python_allocators_agree_on_random_workloads():
    rng = random.Random(7)
    store_a, wasm_a, _ = _allocators(pages=64, heap_base=1000)
    _, _, python_b = _allocators(pages=64, heap_base=1000)
    live_a, live_b = [], []
    for _ in range(3000):
        if live_a and rng.random() < 0.45:
            index = rng.randrange(len(live_a))
            wasm_a["free"](store_a, live_a.pop(index))
            python_b.free(live_b.pop(index))
        else:
            size = rng.choice([0, 1, 7, 8, 9, 31, 33, 100, 1000, 5000])
            live_a.append(wasm_a["malloc"](store_a, size))
            live_b.append(python_b.malloc(size))
        assert live_a == live_b


def test_allocator_out_of_space_and_poisoning():
    store, wasm, python = _allocators()
    with pytest.raises(AllocatorError, match="heap is exhausted"):
        python.malloc(65536)
    with pytest.raises(AllocatorError, match="after an earlier failure"):
        python.malloc(8)
    with pytest.raises(wasmtime.Trap):
        wasm["malloc"](store, 8)
    _, _, python = _allocators()
    with pytest.raises(AllocatorError, match="32 MiB"):
        python.malloc(32 * 1024 * 1024 + 1)
    _, _, python = _allocators()
    with pytest.raises(AllocatorError, match="not allocated"):
        python.free(64)


def test_storage_append_and_transactions_follow_the_node():
    storage = Storage()
    storage.append(b"k", b"\x01")
    storage.append(b"k", b"\x02")
    assert storage.get(b"k") == b"\x08\x01\x02"  # SCALE Vec of two one-byte items
    storage.set(b"bad", b"\xff\xff")  # not a SCALE compact prefix: appending replaces it
    storage.append(b"bad", b"\x07")
    assert storage.get(b"bad") == b"\x04\x07"
    storage.start_transaction()
    storage.set(b"a", b"1")
    storage.clear(b"k")
    storage.start_transaction()
    storage.set(b"a", b"2")
    storage.rollback_transaction()
    assert storage.get(b"a") == b"1"
    storage.commit_transaction()
    assert storage.get(b"a") == b"1" and storage.get(b"k") is None
    storage.start_transaction()
    storage.set(b"z", b"9")
    storage.rollback_transaction()
    assert b"z" not in storage
    assert storage.next_key(b"a") == b"bad" and storage.next_key(b"bad") is None
    assert storage.clear_prefix(b"a") == 1 and storage.next_key(b"") == b"bad"


def _module(body: str, imports: str) -> bytes:
    wat = f"""
    (module
      {imports}
      (import "env" "memory" (memory 1))
      (global (export "__heap_base") i32 (i32.const 1024))
      {body})
    """
    return wasmtime.wat2wasm(wat)


def test_key_generation_fails_during_genesis_with_a_clear_message():
    code = _module(
        '(func (export "go") (param i32 i32) (result i64) (drop (call $gen (i32.const 0) (i64.const 0))) (i64.const 0))',
        '(import "env" "ext_crypto_sr25519_generate_version_1" (func $gen (param i32 i64) (result i32)))',
    )
    with pytest.raises(RuntimeTrap, match="no keystore while building a genesis"):
        Runtime.from_code(code, use_cache=False).call("go", b"")


def test_an_unknown_import_fails_naming_it_when_called():
    code = _module(
        '(func (export "go") (param i32 i32) (result i64) (call $x) (i64.const 0))',
        '(import "env" "ext_offchain_http_request_start_version_1" (func $x))',
    )
    with pytest.raises(RuntimeTrap, match="ext_offchain_http_request_start_version_1"):
        Runtime.from_code(code, use_cache=False).call("go", b"")


def test_a_pointer_outside_memory_is_an_error_not_a_crash():
    code = _module(
        '(func (export "go") (param i32 i32) (result i64) (call $set (i64.const 0xffff00000000ffff) (i64.const 0)) (i64.const 0))',
        '(import "env" "ext_storage_set_version_1" (func $set (param i64 i64)))',
    )
    with pytest.raises(RuntimeTrap, match="outside its memory"):
        Runtime.from_code(code, use_cache=False).call("go", b"")


def test_storage_host_functions_round_trip_through_the_calling_convention():
    # go(ptr, len): storage_set(input, input); return storage_get(input) (Option<Vec<u8>>)
    code = _module(
        """(func (export "go") (param $p i32) (param $l i32) (result i64)
             (local $packed i64)
             (local.set $packed (i64.or (i64.shl (i64.extend_i32_u (local.get $l)) (i64.const 32)) (i64.extend_i32_u (local.get $p))))
             (call $set (local.get $packed) (local.get $packed))
             (call $get (local.get $packed)))""",
        """(import "env" "ext_storage_set_version_1" (func $set (param i64 i64)))
           (import "env" "ext_storage_get_version_1" (func $get (param i64) (result i64)))""",
    )
    storage = Storage()
    outcome = Runtime.from_code(code, use_cache=False).call("go", b"fennel", storage)
    assert storage.get(b"fennel") == b"fennel"
    assert outcome.output == b"\x01\x18fennel"


def test_truncated_and_non_wasm_code_are_bad_input():
    from fennel_gov.errors import BadInput

    with pytest.raises(BadInput, match="not WebAssembly"):
        Runtime.from_code(b"\x01\x02\x03", use_cache=False)
    code = _module('(func (export "go") (param i32 i32) (result i64) (i64.const 0))', "")
    with pytest.raises(BadInput, match="does not compile"):
        Runtime.from_code(code[: len(code) - 5], use_cache=False)


def test_hashes_served_from_wasm_match_the_references():
    import hashlib

    import xxhash

    store, wasm, python = _allocators(pages=4, heap_base=16384)  # inputs live below the heap base
    heap = python._heap  # the runtime memory both allocators (and the hash functions) work on
    rng = random.Random(11)
    for length in [*range(0, 140), 255, 256, 257, 1000, 8000]:
        data = rng.randbytes(length)
        heap[:length] = data
        packed = (length << 32) | 0
        for name, size, reference in (
            ("blake2_128", 16, hashlib.blake2b(data, digest_size=16).digest()),
            ("blake2_256", 32, hashlib.blake2b(data, digest_size=32).digest()),
            ("twox_64", 8, xxhash.xxh64_intdigest(data, seed=0).to_bytes(8, "little")),
            ("twox_128", 16, b"".join(xxhash.xxh64_intdigest(data, seed=s).to_bytes(8, "little") for s in (0, 1))),
        ):
            pointer = wasm[name](store, packed)
            assert bytes(heap[pointer : pointer + size]) == reference, (name, length)



def test_hash_host_calls_a_runtime_makes_return_the_reference_digests():
    # Through the real linking (host_imports): each ext_hashing_* import of a module is answered by
    # the host, and what the module gets back is the digest of its input.
    import hashlib

    import xxhash

    hashes = {
        "ext_hashing_twox_64_version_1": (8, lambda d: xxhash.xxh64_intdigest(d, seed=0).to_bytes(8, "little")),
        "ext_hashing_twox_128_version_1": (16, lambda d: b"".join(xxhash.xxh64_intdigest(d, seed=s).to_bytes(8, "little") for s in range(2))),
        "ext_hashing_twox_256_version_1": (32, lambda d: b"".join(xxhash.xxh64_intdigest(d, seed=s).to_bytes(8, "little") for s in range(4))),
        "ext_hashing_blake2_128_version_1": (16, lambda d: hashlib.blake2b(d, digest_size=16).digest()),
        "ext_hashing_blake2_256_version_1": (32, lambda d: hashlib.blake2b(d, digest_size=32).digest()),
        "ext_hashing_keccak_256_version_1": (32, lambda d: KECCAK_256[d]),
        "ext_hashing_sha2_256_version_1": (32, lambda d: hashlib.sha256(d).digest()),
    }
    imports = "\n".join(f'(import "env" "{name}" (func ${i} (param i64) (result i32)))' for i, name in enumerate(hashes))
    exports = "\n".join(
        f"""(func (export "h{i}") (param $p i32) (param $l i32) (result i64)
             (i64.or (i64.shl (i64.const {size}) (i64.const 32))
                     (i64.extend_i32_u (call ${i} (i64.or (i64.shl (i64.extend_i32_u (local.get $l)) (i64.const 32))
                                                          (i64.extend_i32_u (local.get $p)))))))"""
        for i, (size, _) in enumerate(hashes.values())
    )
    runtime = Runtime.from_code(_module(exports, imports), use_cache=False)
    rng = random.Random(5)
    for data in (b"", b"abc", b"fennel", b":code", rng.randbytes(31), rng.randbytes(32), rng.randbytes(33), rng.randbytes(1000)):
        for i, (name, (_, reference)) in enumerate(hashes.items()):
            if name.startswith("ext_hashing_keccak") and data not in KECCAK_256:
                continue
            assert runtime.call(f"h{i}", data).output == reference(data), (name, len(data))


# Keccak-256 (Ethereum's padding, not NIST SHA3-256): the published vectors
KECCAK_256 = {
    b"": bytes.fromhex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"),
    b"abc": bytes.fromhex("4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"),
}
