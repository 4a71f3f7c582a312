"""sc-allocator's freeing-bump heap allocator, as a tiny wasm module that shares the runtime's memory.

Hazmat. The runtime calls ``ext_allocator_malloc/free`` some 57 times per endowed account while
building a genesis; through Python each call costs microseconds, so the allocator is generated here
as WebAssembly and linked straight into the runtime's imports: those calls never enter Python.

Semantics follow ``FreeingBumpHeapAllocator`` (on-chain context): sizes round up to a power of two
from 8 bytes to 32 MiB (23 orders); each block has an 8-byte header (occupied: ``1 << 32 | order``,
free: the link to the next free header, ``u32::MAX`` for nil); freed blocks go to per-order
free lists; fresh blocks come from a bump pointer that starts at ``__heap_base`` rounded up to 8.
When the bump would pass the end of memory, memory grows (doubling, at least to what is needed)
up to its maximum; the node gives a runtime a fixed heap, so there it fails as the node does. Any
failure poisons the allocator, and ``error_code`` tells the host why.
"""

from __future__ import annotations

N_ORDERS = 23
MAX_ALLOCATION = 32 * 1024 * 1024
NIL = 0xFFFFFFFF

ERRORS = {
    1: "the runtime asked for more than 32 MiB in one allocation",
    2: "the runtime's heap is exhausted (allocator out of space); the node has the same fixed heap, so "
    "this genesis or call is too large for it too",
    3: "the runtime corrupted its heap (a free list points to an occupied block)",
    4: "the runtime freed a pointer that was not allocated",
    5: "the allocator was used after an earlier failure",
}


def allocator_wat() -> str:
    heads = "\n".join(f"  (global $h{i} (mut i32) (i32.const -1))" for i in range(N_ORDERS))
    get_cases = "".join(f"(block $g{i} " for i in reversed(range(N_ORDERS)))
    get_targets = " ".join(f"$g{i}" for i in range(N_ORDERS))
    get_arms = "".join(f") (return (global.get $h{i}))\n" for i in range(N_ORDERS))
    set_cases = "".join(f"(block $s{i} " for i in reversed(range(N_ORDERS)))
    set_targets = " ".join(f"$s{i}" for i in range(N_ORDERS))
    set_arms = "".join(f") (global.set $h{i} (local.get $v)) (return)\n" for i in range(N_ORDERS))
    reset_heads = "\n".join(f"    (global.set $h{i} (i32.const -1))" for i in range(N_ORDERS))
    return f"""
(module
  (import "env" "memory" (memory 0))
  (global $bumper (mut i32) (i32.const 0))
  (global $error (mut i32) (i32.const 0))
{heads}
  (func $get_head (param $o i32) (result i32)
    (block $bad {get_cases}
      (br_table {get_targets} $bad (local.get $o))
    {get_arms})
    (unreachable))
  (func $set_head (param $o i32) (param $v i32)
    (block $bad {set_cases}
      (br_table {set_targets} $bad (local.get $o))
    {set_arms})
    (unreachable))
  (func $fail (param $code i32)
    (global.set $error (local.get $code))
    (unreachable))
  (func (export "init") (param $heap_base i32)
    (global.set $bumper (i32.and (i32.add (local.get $heap_base) (i32.const 7)) (i32.const -8)))
    (global.set $error (i32.const 0))
{reset_heads})
  (func (export "error_code") (result i32) (global.get $error))
  (func (export "bumper") (result i32) (global.get $bumper))
  (func (export "malloc") (param $size i32) (result i32)
    (local $order i32) (local $block i32) (local $head i32) (local $header i64)
    (local $need i64) (local $pages i32) (local $want i32)
    (if (global.get $error) (then (call $fail (i32.const 5))))
    (if (i32.gt_u (local.get $size) (i32.const {MAX_ALLOCATION})) (then (call $fail (i32.const 1))))
    (if (i32.lt_u (local.get $size) (i32.const 8)) (then (local.set $size (i32.const 8))))
    ;; order = ceil(log2(size)) - 3
    (local.set $order (i32.sub (i32.sub (i32.const 32) (i32.clz (i32.sub (local.get $size) (i32.const 1)))) (i32.const 3)))
    (local.set $block (i32.shl (i32.const 8) (local.get $order)))
    (local.set $head (call $get_head (local.get $order)))
    (if (i32.ne (local.get $head) (i32.const -1))
      (then
        (local.set $header (i64.load (local.get $head)))
        (if (i64.ne (i64.and (local.get $header) (i64.const 0x100000000)) (i64.const 0))
          (then (call $fail (i32.const 3))))
        (call $set_head (local.get $order) (i32.wrap_i64 (local.get $header))))
      (else
        (local.set $head (global.get $bumper))
        (local.set $need (i64.add (i64.extend_i32_u (local.get $head))
                                  (i64.extend_i32_u (i32.add (local.get $block) (i32.const 8)))))
        (if (i64.gt_u (local.get $need) (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16)))
          (then
            (local.set $pages (memory.size))
            (local.set $want (i32.wrap_i64 (i64.shr_u (i64.add (local.get $need) (i64.const 65535)) (i64.const 16))))
            (if (i32.lt_u (i32.shl (local.get $pages) (i32.const 1)) (local.get $want))
              (then (nop))
              (else (local.set $want (i32.shl (local.get $pages) (i32.const 1)))))
            (if (i32.eq (memory.grow (i32.sub (local.get $want) (local.get $pages))) (i32.const -1))
              (then
                ;; doubling failed: try exactly what is needed, as the node caps at its maximum
                (local.set $want (i32.wrap_i64 (i64.shr_u (i64.add (local.get $need) (i64.const 65535)) (i64.const 16))))
                (if (i32.eq (memory.grow (i32.sub (local.get $want) (memory.size))) (i32.const -1))
                  (then (call $fail (i32.const 2))))))))
        (global.set $bumper (i32.wrap_i64 (local.get $need)))))
    (i64.store (local.get $head) (i64.or (i64.extend_i32_u (local.get $order)) (i64.const 0x100000000)))
    (i32.add (local.get $head) (i32.const 8)))
  (func (export "free") (param $ptr i32)
    (local $header_ptr i32) (local $header i64) (local $order i32)
    (if (global.get $error) (then (call $fail (i32.const 5))))
    (if (i32.lt_u (local.get $ptr) (i32.const 8)) (then (call $fail (i32.const 4))))
    (local.set $header_ptr (i32.sub (local.get $ptr) (i32.const 8)))
    (local.set $header (i64.load (local.get $header_ptr)))
    (if (i64.eq (i64.and (local.get $header) (i64.const 0x100000000)) (i64.const 0))
      (then (call $fail (i32.const 4))))
    (local.set $order (i32.wrap_i64 (local.get $header)))
    (if (i32.ge_u (local.get $order) (i32.const {N_ORDERS})) (then (call $fail (i32.const 4))))
    (i64.store (local.get $header_ptr) (i64.extend_i32_u (call $get_head (local.get $order))))
    (call $set_head (local.get $order) (local.get $header_ptr)))
)
"""
