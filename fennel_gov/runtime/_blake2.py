"""BLAKE2b (RFC 7693) as WebAssembly text, for the blake2_128/256 host functions.

Hazmat. Genesis building hashes every account key with blake2_128 (``Blake2_128Concat``); served from
wasm, those calls never enter Python. Unkeyed, digest sizes 16 and 32 only; results are allocated
with the shared allocator, exactly as the Python host functions do.
"""

from __future__ import annotations

_IV = (
    0x6A09E667F3BCC908, 0xBB67AE8584CAA73B, 0x3C6EF372FE94F82B, 0xA54FF53A5F1D36F1,
    0x510E527FADE682D1, 0x9B05688C2B3E6C1F, 0x1F83D9ABFB41BD6B, 0x5BE0CD19137E2179,
)
_SIGMA = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
    (14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3),
    (11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4),
    (7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8),
    (9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13),
    (2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9),
    (12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11),
    (13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10),
    (6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5),
    (10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0),
)
SCRATCH = 1024  # 128-byte block buffer in the allocator's state memory


def _i64(value: int) -> str:
    return str(value - (1 << 64) if value >= 1 << 63 else value)


def _g(a: int, b: int, c: int, d: int, x: int, y: int) -> str:
    def add3(p, q, m):
        return f"(local.set $v{p} (i64.add (i64.add (local.get $v{p}) (local.get $v{q})) (local.get $m{m})))"

    def rot(p, q, r):
        return f"(local.set $v{p} (i64.rotr (i64.xor (local.get $v{p}) (local.get $v{q})) (i64.const {r})))"

    def add2(p, q):
        return f"(local.set $v{p} (i64.add (local.get $v{p}) (local.get $v{q})))"

    return "\n".join([add3(a, b, x), rot(d, a, 32), add2(c, d), rot(b, c, 24),
                      add3(a, b, y), rot(d, a, 16), add2(c, d), rot(b, c, 63)])


def _rounds() -> str:
    out = []
    for r in range(12):
        s = _SIGMA[r % 10]
        out += [_g(0, 4, 8, 12, s[0], s[1]), _g(1, 5, 9, 13, s[2], s[3]), _g(2, 6, 10, 14, s[4], s[5]),
                _g(3, 7, 11, 15, s[6], s[7]), _g(0, 5, 10, 15, s[8], s[9]), _g(1, 6, 11, 12, s[10], s[11]),
                _g(2, 7, 8, 13, s[12], s[13]), _g(3, 4, 9, 14, s[14], s[15])]
    return "\n".join(out)


def blake2b_wat() -> str:
    """Functions to splice into the allocator module (needs its $heap, $state and $malloc)."""
    locals_ = " ".join(f"(local $v{i} i64)" for i in range(16)) + " " + " ".join(f"(local $m{i} i64)" for i in range(16))
    h_locals = " ".join(f"(local $h{i} i64)" for i in range(8))
    load_m = "\n".join(f"(local.set $m{i} (i64.load $state (i32.const {SCRATCH + 8 * i})))" for i in range(16))
    init_v = "\n".join(
        [f"(local.set $v{i} (local.get $h{i}))" for i in range(8)]
        + [f"(local.set $v{8 + i} (i64.const {_i64(_IV[i])}))" for i in range(8)]
    )
    finish = "\n".join(
        f"(local.set $h{i} (i64.xor (local.get $h{i}) (i64.xor (local.get $v{i}) (local.get $v{i + 8}))))" for i in range(8)
    )
    compress = f"""
        {load_m}
        {init_v}
        (local.set $v12 (i64.xor (local.get $v12) (local.get $t)))
        (if (local.get $last) (then (local.set $v14 (i64.xor (local.get $v14) (i64.const -1)))))
        {_rounds()}
        {finish}"""
    init_h = "\n".join(f"(local.set $h{i} (i64.const {_i64(_IV[i])}))" for i in range(8))
    return f"""
  (func $blake2b (param $data i64) (param $size i32) (result i32)
    (local $p i32) (local $len i32) (local $t i64) (local $last i32) (local $chunk i32) (local $out i32)
    {h_locals} {locals_}
    (local.set $p (i32.wrap_i64 (local.get $data)))
    (local.set $len (i32.wrap_i64 (i64.shr_u (local.get $data) (i64.const 32))))
    {init_h}
    (local.set $h0 (i64.xor (local.get $h0) (i64.extend_i32_u (i32.or (i32.const 0x01010000) (local.get $size)))))
    (loop $block
      (local.set $last (i32.le_u (local.get $len) (i32.const 128)))
      (local.set $chunk (select (local.get $len) (i32.const 128) (local.get $last)))
      (memory.fill $state (i32.const {SCRATCH}) (i32.const 0) (i32.const 128))
      (memory.copy $state $heap (i32.const {SCRATCH}) (local.get $p) (local.get $chunk))
      (local.set $t (i64.add (local.get $t) (i64.extend_i32_u (local.get $chunk))))
      {compress}
      (local.set $p (i32.add (local.get $p) (local.get $chunk)))
      (local.set $len (i32.sub (local.get $len) (local.get $chunk)))
      (br_if $block (i32.eqz (local.get $last))))
    (local.set $out (call $malloc (local.get $size)))
    (i64.store $heap (local.get $out) (local.get $h0))
    (i64.store $heap offset=8 (local.get $out) (local.get $h1))
    (if (i32.eq (local.get $size) (i32.const 32))
      (then
        (i64.store $heap offset=16 (local.get $out) (local.get $h2))
        (i64.store $heap offset=24 (local.get $out) (local.get $h3))))
    (local.get $out))
  (func (export "blake2_128") (param $data i64) (result i32) (call $blake2b (local.get $data) (i32.const 16)))
  (func (export "blake2_256") (param $data i64) (result i32) (call $blake2b (local.get $data) (i32.const 32)))
"""
