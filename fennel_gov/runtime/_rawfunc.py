"""Host functions through wasmtime's *unchecked* C API: integer arguments in, one integer out.

Hazmat. wasmtime-py's ``Func`` converts every argument and result through ``Val`` objects and
compares ``ValType``s on each call (~40 µs a call, measured); genesis building makes ~20 host calls
per endowed account, so the host would spend most of its time there. ``wasmtime_func_new_unchecked``
hands the callback the raw argument/result slots instead. Only i32/i64 signatures are supported,
which is all sp-io uses. A Python exception in a host function becomes a trap carrying its message.
"""

from __future__ import annotations

import ctypes
from typing import Any, Callable

import wasmtime
from wasmtime import _ffi as ffi

_REGISTRY: dict[int, tuple[Callable[..., Any], tuple[bool, ...], int]] = {}
# BaseExceptions (KeyboardInterrupt, the CLI's signal exceptions) raised inside a host function:
# they cannot cross the C frames, so they end the call as a trap and are raised again after it.
PENDING: list[BaseException] = []
_NEXT_ID = [1]
_NONE, _I32, _I64 = 0, 1, 2


def _signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


@ffi.wasmtime_func_unchecked_callback_t
def _trampoline(env, caller, slots, count):  # pragma: no cover - exercised through wasm calls
    try:
        function, wide, result = _REGISTRY[env or 0]
        args = [slots[i].i64 if is_wide else slots[i].i32 & 0xFFFFFFFF for i, is_wide in enumerate(wide)]
        value = function(*args)
        if result == _I32:
            slots[0].i32 = _signed(value, 32)
        elif result == _I64:
            slots[0].i64 = _signed(value, 64)
        return 0
    except BaseException as exc:  # noqa: BLE001 - every failure must become a trap, never unwind into C
        if not isinstance(exc, Exception):  # a signal (SIGINT/SIGTERM) or exit: re-raised after the call
            PENDING.append(exc)
        message = str(exc).encode("utf-8", "replace") or type(exc).__name__.encode()
        trap = ffi.wasmtime_trap_new(ctypes.create_string_buffer(message), len(message))
        return ctypes.cast(trap, ctypes.c_void_p).value


@ctypes.CFUNCTYPE(None, ctypes.c_void_p)
def _finalize(env):  # pragma: no cover - called by wasmtime when the store drops the function
    registry = _REGISTRY
    if registry is not None:  # None while the interpreter shuts down
        registry.pop(env or 0, None)


def _kind(valtype: wasmtime.ValType) -> int:
    text = str(valtype)
    if text == "i32":
        return _I32
    if text == "i64":
        return _I64
    raise TypeError(f"unsupported host function value type {text}")


def release(envs: list[int]) -> None:
    """Forget the Python callables of a finished call, so nothing keeps its store (and memory) alive."""
    for env in envs:
        _REGISTRY.pop(env, None)


def raw_func(store: wasmtime.Store, functype: wasmtime.FuncType, function: Callable[..., Any], envs: list[int] | None = None) -> wasmtime.Func:
    """A host function for ``functype`` that calls ``function`` with plain ints (i32 as unsigned).

    The function's id is appended to ``envs``; pass them to ``release`` when the store is done.
    """
    wide = tuple(_kind(p) == _I64 for p in functype.params)
    results = functype.results
    if len(results) > 1:
        raise TypeError("host functions return at most one value")
    result = _kind(results[0]) if results else _NONE
    env = _NEXT_ID[0]
    _NEXT_ID[0] += 1
    _REGISTRY[env] = (function, wide, result)
    if envs is not None:
        envs.append(env)
    raw = ffi.wasmtime_func_t()
    ffi.wasmtime_func_new_unchecked(store._context(), functype.ptr(), _trampoline, env, _finalize, ctypes.byref(raw))
    return wasmtime.Func._from_raw(raw)
