"""sc-allocator's freeing-bump heap allocator, shared by a tiny wasm module and its Python twin.

Hazmat. The runtime calls ``ext_allocator_malloc/free`` some 57 times per endowed account while
building a genesis; through Python each call costs microseconds, so the allocator is WebAssembly
linked straight into the runtime's imports: those calls never leave wasm. The host functions
allocate too (every returned value), and a call from Python into wasm costs ~35 µs, so the host
uses ``PyAllocator``, the same algorithm in Python over the *same state*: the allocator's state
lives in its module's own small memory (multi-memory), which both sides read and write.

State (allocator memory): ``bumper`` u32 at 0, ``error`` u32 at 4, 23 free-list heads u32 at 8.
Semantics follow ``FreeingBumpHeapAllocator`` (on-chain context): sizes round up to a power of two
from 8 bytes to 32 MiB (23 orders); each block has an 8-byte header (occupied: ``1 << 32 | order``,
free: the link to the next free header, ``u32::MAX`` for nil); freed blocks go to per-order free
lists; fresh blocks come from the bump pointer, which starts at ``__heap_base`` rounded up to 8.
When the bump would pass the end of memory, memory grows (doubling, at least to what is needed)
up to its maximum; the node gives a runtime a fixed heap, so there it fails as the node does. Any
failure poisons the allocator, and the error code tells the host why.
"""

from __future__ import annotations

import ctypes

from fennel_gov.runtime._blake2 import blake2b_wat

N_ORDERS = 23
MAX_ALLOCATION = 32 * 1024 * 1024
NIL = 0xFFFFFFFF
_OCCUPIED = 1 << 32
_BUMPER, _ERROR, _HEADS = 0, 4, 8
PAGE = 65536

ERRORS = {
    1: "the runtime asked for more than 32 MiB in one allocation",
    2: "the runtime's heap is exhausted (allocator out of space); the node has the same fixed heap, so "
    "this genesis or call is too large for it too",
    3: "the runtime corrupted its heap (a free list points to an occupied block)",
    4: "the runtime freed a pointer that was not allocated",
    5: "the allocator was used after an earlier failure",
}


class AllocatorError(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(ERRORS.get(code, "allocator error"))
        self.code = code


# XXH64 (the twox hashes of Substrate storage keys) in wasm, so the hottest host calls of genesis
# building never reach Python: twox_64 = xxh64(seed 0); twox_128 = xxh64(seed 0) ++ xxh64(seed 1),
# each little-endian. Results are allocated with the same allocator, as the node's host does.
_P1, _P2, _P3, _P4, _P5 = (
    11400714785074694791, 14029467366897019727, 1609587929392839161, 9650029242287828579, 2870177450012600261,
)


def _i64(value: int) -> str:
    return str(value - (1 << 64) if value >= 1 << 63 else value)


_XXH64_WAT = f"""
  (func $xxh_round (param $acc i64) (param $input i64) (result i64)
    (i64.mul (i64.rotl (i64.add (local.get $acc) (i64.mul (local.get $input) (i64.const {_i64(_P2)}))) (i64.const 31))
             (i64.const {_i64(_P1)})))
  (func $xxh_merge (param $acc i64) (param $val i64) (result i64)
    (i64.add (i64.mul (i64.xor (local.get $acc) (call $xxh_round (i64.const 0) (local.get $val))) (i64.const {_i64(_P1)}))
             (i64.const {_i64(_P4)})))
  (func $xxh64 (param $p i32) (param $len i32) (param $seed i64) (result i64)
    (local $end i32) (local $limit i32) (local $h i64) (local $v1 i64) (local $v2 i64) (local $v3 i64) (local $v4 i64)
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (if (i32.ge_u (local.get $len) (i32.const 32))
      (then
        (local.set $limit (i32.sub (local.get $end) (i32.const 32)))
        (local.set $v1 (i64.add (local.get $seed) (i64.const {_i64((_P1 + _P2) % (1 << 64))})))
        (local.set $v2 (i64.add (local.get $seed) (i64.const {_i64(_P2)})))
        (local.set $v3 (local.get $seed))
        (local.set $v4 (i64.sub (local.get $seed) (i64.const {_i64(_P1)})))
        (loop $stripe
          (local.set $v1 (call $xxh_round (local.get $v1) (i64.load $heap (local.get $p))))
          (local.set $v2 (call $xxh_round (local.get $v2) (i64.load $heap offset=8 (local.get $p))))
          (local.set $v3 (call $xxh_round (local.get $v3) (i64.load $heap offset=16 (local.get $p))))
          (local.set $v4 (call $xxh_round (local.get $v4) (i64.load $heap offset=24 (local.get $p))))
          (local.set $p (i32.add (local.get $p) (i32.const 32)))
          (br_if $stripe (i32.le_u (local.get $p) (local.get $limit))))
        (local.set $h (i64.add (i64.add (i64.rotl (local.get $v1) (i64.const 1)) (i64.rotl (local.get $v2) (i64.const 7)))
                               (i64.add (i64.rotl (local.get $v3) (i64.const 12)) (i64.rotl (local.get $v4) (i64.const 18)))))
        (local.set $h (call $xxh_merge (local.get $h) (local.get $v1)))
        (local.set $h (call $xxh_merge (local.get $h) (local.get $v2)))
        (local.set $h (call $xxh_merge (local.get $h) (local.get $v3)))
        (local.set $h (call $xxh_merge (local.get $h) (local.get $v4))))
      (else (local.set $h (i64.add (local.get $seed) (i64.const {_i64(_P5)})))))
    (local.set $h (i64.add (local.get $h) (i64.extend_i32_u (local.get $len))))
    (block $done8 (loop $eight
      (br_if $done8 (i32.gt_u (i32.add (local.get $p) (i32.const 8)) (local.get $end)))
      (local.set $h (i64.xor (local.get $h) (call $xxh_round (i64.const 0) (i64.load $heap (local.get $p)))))
      (local.set $h (i64.add (i64.mul (i64.rotl (local.get $h) (i64.const 27)) (i64.const {_i64(_P1)})) (i64.const {_i64(_P4)})))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (br $eight)))
    (if (i32.le_u (i32.add (local.get $p) (i32.const 4)) (local.get $end))
      (then
        (local.set $h (i64.xor (local.get $h) (i64.mul (i64.load32_u $heap (local.get $p)) (i64.const {_i64(_P1)}))))
        (local.set $h (i64.add (i64.mul (i64.rotl (local.get $h) (i64.const 23)) (i64.const {_i64(_P2)})) (i64.const {_i64(_P3)})))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))))
    (block $done1 (loop $one
      (br_if $done1 (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $h (i64.xor (local.get $h) (i64.mul (i64.load8_u $heap (local.get $p)) (i64.const {_i64(_P5)}))))
      (local.set $h (i64.mul (i64.rotl (local.get $h) (i64.const 11)) (i64.const {_i64(_P1)})))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $one)))
    (local.set $h (i64.mul (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 33))) (i64.const {_i64(_P2)})))
    (local.set $h (i64.mul (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 29))) (i64.const {_i64(_P3)})))
    (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 32))))
  (func $twox (param $data i64) (param $rounds i32) (result i32)
    (local $ptr i32) (local $len i32) (local $out i32) (local $i i32)
    (local.set $ptr (i32.wrap_i64 (local.get $data)))
    (local.set $len (i32.wrap_i64 (i64.shr_u (local.get $data) (i64.const 32))))
    (local.set $out (call $malloc (i32.shl (local.get $rounds) (i32.const 3))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $rounds)))
      (i64.store $heap (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 3)))
        (call $xxh64 (local.get $ptr) (local.get $len) (i64.extend_i32_u (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $out))
  (func (export "twox_64") (param $data i64) (result i32) (call $twox (local.get $data) (i32.const 1)))
  (func (export "twox_128") (param $data i64) (result i32) (call $twox (local.get $data) (i32.const 2)))
  (func (export "twox_256") (param $data i64) (result i32) (call $twox (local.get $data) (i32.const 4)))
"""

# Host functions served by the wasm module itself (import name → export name).
WASM_HOST_FUNCTIONS = {
    "ext_allocator_malloc_version_1": "malloc",
    "ext_allocator_free_version_1": "free",
    "ext_hashing_twox_64_version_1": "twox_64",
    "ext_hashing_twox_128_version_1": "twox_128",
    "ext_hashing_twox_256_version_1": "twox_256",
    "ext_hashing_blake2_128_version_1": "blake2_128",
    "ext_hashing_blake2_256_version_1": "blake2_256",
}


def allocator_wat() -> str:
    return f"""
(module
  (import "env" "memory" (memory $heap 0))
  (memory $state (export "state") 1)
  (func $fail (param $code i32)
    (i32.store $state (i32.const {_ERROR}) (local.get $code))
    (unreachable))
  (func $head_addr (param $order i32) (result i32)
    (i32.add (i32.const {_HEADS}) (i32.shl (local.get $order) (i32.const 2))))
  (func (export "init") (param $heap_base i32)
    (local $i i32)
    (i32.store $state (i32.const {_BUMPER}) (i32.and (i32.add (local.get $heap_base) (i32.const 7)) (i32.const -8)))
    (i32.store $state (i32.const {_ERROR}) (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (i32.const {N_ORDERS})))
      (i32.store $state (call $head_addr (local.get $i)) (i32.const -1))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next))))
  (func $malloc (export "malloc") (param $size i32) (result i32)
    (local $order i32) (local $block i32) (local $head i32) (local $header i64)
    (local $need i64) (local $pages i32) (local $want i32)
    (if (i32.load $state (i32.const {_ERROR})) (then (call $fail (i32.const 5))))
    (if (i32.gt_u (local.get $size) (i32.const {MAX_ALLOCATION})) (then (call $fail (i32.const 1))))
    (if (i32.lt_u (local.get $size) (i32.const 8)) (then (local.set $size (i32.const 8))))
    ;; order = ceil(log2(size)) - 3
    (local.set $order (i32.sub (i32.sub (i32.const 32) (i32.clz (i32.sub (local.get $size) (i32.const 1)))) (i32.const 3)))
    (local.set $block (i32.shl (i32.const 8) (local.get $order)))
    (local.set $head (i32.load $state (call $head_addr (local.get $order))))
    (if (i32.ne (local.get $head) (i32.const -1))
      (then
        (local.set $header (i64.load $heap (local.get $head)))
        (if (i64.ne (i64.and (local.get $header) (i64.const {_OCCUPIED})) (i64.const 0))
          (then (call $fail (i32.const 3))))
        (i32.store $state (call $head_addr (local.get $order)) (i32.wrap_i64 (local.get $header))))
      (else
        (local.set $head (i32.load $state (i32.const {_BUMPER})))
        (local.set $need (i64.add (i64.extend_i32_u (local.get $head))
                                  (i64.extend_i32_u (i32.add (local.get $block) (i32.const 8)))))
        (if (i64.gt_u (local.get $need) (i64.shl (i64.extend_i32_u (memory.size $heap)) (i64.const 16)))
          (then
            (local.set $pages (memory.size $heap))
            (local.set $want (i32.wrap_i64 (i64.shr_u (i64.add (local.get $need) (i64.const 65535)) (i64.const 16))))
            (if (i32.ge_u (i32.shl (local.get $pages) (i32.const 1)) (local.get $want))
              (then (local.set $want (i32.shl (local.get $pages) (i32.const 1)))))
            (if (i32.eq (memory.grow $heap (i32.sub (local.get $want) (local.get $pages))) (i32.const -1))
              (then
                ;; doubling failed: try exactly what is needed, as the node caps at its maximum
                (local.set $want (i32.wrap_i64 (i64.shr_u (i64.add (local.get $need) (i64.const 65535)) (i64.const 16))))
                (if (i32.eq (memory.grow $heap (i32.sub (local.get $want) (memory.size $heap))) (i32.const -1))
                  (then (call $fail (i32.const 2))))))))
        (i32.store $state (i32.const {_BUMPER}) (i32.wrap_i64 (local.get $need)))))
    (i64.store $heap (local.get $head) (i64.or (i64.extend_i32_u (local.get $order)) (i64.const {_OCCUPIED})))
    (i32.add (local.get $head) (i32.const 8)))
{_XXH64_WAT}
{blake2b_wat()}
  (func (export "free") (param $ptr i32)
    (local $header_ptr i32) (local $header i64) (local $order i32)
    (if (i32.load $state (i32.const {_ERROR})) (then (call $fail (i32.const 5))))
    (if (i32.lt_u (local.get $ptr) (i32.const 8)) (then (call $fail (i32.const 4))))
    (local.set $header_ptr (i32.sub (local.get $ptr) (i32.const 8)))
    (local.set $header (i64.load $heap (local.get $header_ptr)))
    (if (i64.eq (i64.and (local.get $header) (i64.const {_OCCUPIED})) (i64.const 0))
      (then (call $fail (i32.const 4))))
    (local.set $order (i32.wrap_i64 (local.get $header)))
    (if (i32.ge_u (local.get $order) (i32.const {N_ORDERS})) (then (call $fail (i32.const 4))))
    (i64.store $heap (local.get $header_ptr) (i64.extend_i32_u (i32.load $state (call $head_addr (local.get $order)))))
    (i32.store $state (call $head_addr (local.get $order)) (local.get $header_ptr)))
)
"""


def memory_view(address: int, size: int) -> memoryview:
    """A byte view of wasm linear memory at ``address`` (the memory never moves: min = max pages)."""
    return memoryview((ctypes.c_char * size).from_address(address)).cast("B")


class PyAllocator:
    """The same allocator in Python, over the wasm allocator's state memory and the runtime's heap."""

    def __init__(self, state_address: int, heap: memoryview, owner: object) -> None:
        self._owner = owner  # the wasmtime store that owns both memories: keeps them alive while we point into them
        self._state = memory_view(state_address, PAGE).cast("I")
        self._heap = heap
        self._heap_words = heap.cast("Q") if len(heap) % 8 == 0 else heap[: len(heap) // 8 * 8].cast("Q")
        self._heap_size = len(heap)

    @property
    def error_code(self) -> int:
        return self._state[_ERROR // 4]

    def _fail(self, code: int) -> None:
        self._state[_ERROR // 4] = code
        raise AllocatorError(code)

    def malloc(self, size: int) -> int:
        state = self._state
        if state[1]:
            self._fail(5)
        if size > MAX_ALLOCATION:
            self._fail(1)
        order = max(size - 1, 7).bit_length() - 3
        slot = 2 + order  # heads start at byte 8, one u32 each
        head = state[slot]
        if head != NIL:
            header = self._heap_words[head >> 3]
            if header & _OCCUPIED:
                self._fail(3)
            state[slot] = header & 0xFFFFFFFF
        else:
            head = state[0]
            need = head + (8 << order) + 8
            if need > self._heap_size:
                # The node's heap for a runtime is fixed (static pages): out of space, as there.
                self._fail(2)
            state[0] = need
        self._heap_words[head >> 3] = order | _OCCUPIED
        return head + 8

    def free(self, ptr: int) -> None:
        state = self._state
        if state[1]:
            self._fail(5)
        if ptr < 8 or ptr & 7:
            self._fail(4)
        index = (ptr - 8) >> 3
        header = self._heap_words[index]
        if not header & _OCCUPIED:
            self._fail(4)
        order = header & 0xFFFFFFFF
        if order >= N_ORDERS:
            self._fail(4)
        self._heap_words[index] = state[2 + order]
        state[2 + order] = ptr - 8
