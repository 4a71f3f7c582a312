"""Run exported runtime functions with wasmtime: compile (and cache), instantiate, call.

Layering, after smoldot's executor: ``Runtime`` owns the compiled module; each ``call`` makes a
fresh store, a zeroed memory of the node's fixed size (the runtime's declared pages plus 2048,
``HeapAllocStrategy::Static``), the freeing-bump allocator (wasm, sharing that memory) and the
host functions of ``host.py`` bound to a ``Storage``. Input goes in through the allocator; the
result comes back as the packed ``(len << 32) | ptr`` the calling convention defines.

Every call is bounded (``RuntimeLimits``), since CI runs this on specs from pull requests: a
wall-clock deadline through wasmtime's epoch interruption (a ticker thread advances the engine's
epoch while a call runs; compiled code checks it at function entries and loop headers, which costs
far less than fuel metering), a cap on the memory a runtime may ask for, and caps on what host
calls accumulate (storage bytes, log bytes). Exceeding one is a ``RuntimeTrap`` (exit 1) naming it;
code that is not a runtime at all (wrong imports or exports) is ``BadInput`` (exit 2).
"""

from __future__ import annotations

import atexit
import ctypes
import hashlib
import math
import os
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from fennel_gov.errors import BadInput, Failure
from fennel_gov.runtime._allocator import PyAllocator, memory_view
from fennel_gov.runtime.code import decompress_code
from fennel_gov.runtime.storage import Storage

EXTRA_HEAP_PAGES = 2048  # sc-executor DEFAULT_HEAP_ALLOC_PAGES
_MASK32 = 0xFFFFFFFF
_MASK64 = 0xFFFFFFFFFFFFFFFF


class RuntimeTrap(Failure):
    """The runtime trapped (panicked), ran past a limit, or a host function failed during a call."""


DEADLINE_ENV = "FENNEL_GOV_RUNTIME_DEADLINE"
_TICK_SECONDS = 0.05


@dataclass(frozen=True)
class RuntimeLimits:
    """Bounds on one runtime call. The defaults are far above any real Fennel call (building a
    genesis with 100,000 endowed accounts takes ~9 s and ~70 MB of storage) and far below what
    would take a CI runner down."""

    deadline_seconds: float = 120.0
    max_memory_pages: int = 8192  # 512 MiB: the runtime's declared pages plus the 2048-page heap
    max_storage_bytes: int = 256 * 1024 * 1024  # keys + values + a per-entry overhead
    max_log_bytes: int = 1024 * 1024  # logs past this are dropped (the last error is kept)

    @classmethod
    def from_env(cls) -> "RuntimeLimits":
        """The defaults, with the deadline from FENNEL_GOV_RUNTIME_DEADLINE (seconds) when set."""
        configured = os.environ.get(DEADLINE_ENV)
        if not configured:
            return cls()
        try:
            seconds = float(configured)
        except ValueError:
            seconds = float("nan")
        if not (0 < seconds <= 86400):
            raise BadInput(f"{DEADLINE_ENV} is a number of seconds between 0 and 86400")
        return cls(deadline_seconds=seconds)


class _EpochTicker:
    """Advances the engine's epoch every _TICK_SECONDS while at least one call runs (and sleeps
    otherwise), so a store's epoch deadline is a wall-clock deadline.

    It also ends a call early when SIGINT or SIGTERM arrives: Python runs signal handlers only
    between bytecodes, never inside compiled wasm, so while a call runs on the main thread the
    signal module's wakeup file descriptor tells this thread, which then advances the epoch past
    every deadline. The handler (``defer_signal``) keeps the exception to raise after the call.
    """

    def __init__(self) -> None:
        self._active = 0
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None
        self._wakeup_read, self._wakeup_write = os.pipe()
        os.set_blocking(self._wakeup_read, False)
        os.set_blocking(self._wakeup_write, False)
        self.most_ticks = 1  # the largest deadline, in ticks, of a call running now

    def __enter__(self) -> None:
        with self._condition:
            self._active += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="fennel-gov-epoch", daemon=True)
                self._thread.start()
            self._condition.notify()

    def __exit__(self, *_exc) -> None:
        with self._condition:
            self._active -= 1

    def wakeup_fd(self) -> int:
        """The write end for ``signal.set_wakeup_fd``; anything left from an earlier call is dropped."""
        try:
            while os.read(self._wakeup_read, 4096):
                pass
        except BlockingIOError:
            pass
        return self._wakeup_write

    def stop_all(self) -> None:
        """Advance the epoch past every running call's deadline: each traps at its next check."""
        if _ENGINE is None:
            return
        for _ in range(self.most_ticks + 1):
            _ENGINE.increment_epoch()

    def _run(self) -> None:
        import select

        while True:
            with self._condition:
                while not self._active:
                    self._condition.wait()
            readable, _, _ = select.select([self._wakeup_read], [], [], _TICK_SECONDS)
            if _ENGINE is None:
                return
            try:
                if readable:
                    signals = os.read(self._wakeup_read, 64)
                    if any(s in (2, 15) for s in signals):  # SIGINT, SIGTERM
                        self.stop_all()
                        continue
                _ENGINE.increment_epoch()
            except Exception:  # noqa: BLE001 - the engine is gone (interpreter exit)
                return


_TICKER = _EpochTicker()
_NESTING = threading.local()  # depth of ext_misc_runtime_version calls (a runtime asking about code)
_MAIN_THREAD_CALLS = [0]  # runtime calls in progress on the main thread (where signal handlers run)


def defer_signal(exception: BaseException) -> bool:
    """For a signal handler: if a runtime call is running on this (main) thread, keep ``exception``
    to raise when the call has unwound, stop the call, and return True; else return False.

    Raising inside a host function would be lost in wasmtime's C frames; raising is left to
    ``Runtime.call`` once wasm has returned.
    """
    from fennel_gov.runtime._rawfunc import PENDING

    if not _MAIN_THREAD_CALLS[0] or threading.current_thread() is not threading.main_thread():
        return False
    PENDING.append(exception)
    _TICKER.stop_all()
    return True


class _SignalWakeup:
    """While the outermost call runs on the main thread, signals also wake the ticker thread."""

    def __enter__(self) -> None:
        import signal

        self._previous = None
        if threading.current_thread() is threading.main_thread() and _MAIN_THREAD_CALLS[0] == 0:
            try:
                self._previous = signal.set_wakeup_fd(_TICKER.wakeup_fd(), warn_on_full_buffer=False)
            except ValueError:
                self._previous = None
        if threading.current_thread() is threading.main_thread():
            _MAIN_THREAD_CALLS[0] += 1
            self._counted = True
        else:
            self._counted = False

    def __exit__(self, *_exc) -> None:
        import signal

        if self._counted:
            _MAIN_THREAD_CALLS[0] -= 1
        if self._previous is not None:
            signal.set_wakeup_fd(self._previous)


def _cache_dir() -> Path | None:
    configured = os.environ.get("FENNEL_GOV_CACHE_DIR")
    if configured == "":
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "fennel-gov"


def _engine():
    import wasmtime

    config = wasmtime.Config()
    # The node's wasmtime semantics: no SIMD or threads, deterministic NaNs.
    config.wasm_simd = False
    config.wasm_relaxed_simd = False
    config.wasm_threads = False
    config.cranelift_nan_canonicalization = True
    # Only the allocator module uses a second memory (its state, shared with the Python host).
    config.wasm_multi_memory = True
    # Deadlines (see RuntimeLimits); compiled code checks the epoch at function entries and loops.
    config.epoch_interruption = True
    return wasmtime.Engine(config)


_ENGINE = None
_ALLOCATOR_MODULE = None
_LIVE_MODULES: "weakref.WeakSet" = weakref.WeakSet()


@atexit.register
def _release_wasmtime() -> None:
    """At exit, let the interpreter free nothing of wasmtime's: stores still alive may need the
    engine and modules, and wasmtime's bindings are torn down before late finalizers run. Free what
    is unreachable now, then leave the rest to the operating system."""
    import gc

    gc.collect()
    for item in [*_LIVE_MODULES, _ALLOCATOR_MODULE, _ENGINE]:
        if item is not None:
            item._Managed__ptr = None  # skip the destructor; the process is ending


def engine():
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = _engine()
    return _ENGINE


def new_store(limits: RuntimeLimits | None = None):
    """A store on the shared engine with the epoch deadline of ``limits`` (the epoch only advances
    while a ``Runtime.call`` runs)."""
    import wasmtime

    limits = limits if limits is not None else RuntimeLimits.from_env()
    store = wasmtime.Store(engine())
    store.set_epoch_deadline(max(1, math.ceil(limits.deadline_seconds / _TICK_SECONDS)))
    return store


def _allocator_module():
    global _ALLOCATOR_MODULE
    if _ALLOCATOR_MODULE is None:
        import wasmtime

        from fennel_gov.runtime._allocator import allocator_wat

        _ALLOCATOR_MODULE = wasmtime.Module(engine(), allocator_wat())
    return _ALLOCATOR_MODULE


def _wasmtime_version() -> str:
    from importlib.metadata import version

    return version("wasmtime")


@dataclass
class CallOutcome:
    output: bytes
    logs: list[tuple[int, str, str]] = field(default_factory=list)


class Runtime:
    """A compiled runtime. ``Runtime.from_code`` accepts plain or zstd-compressed wasm."""

    def __init__(self, wasm: bytes, module, code_hash: bytes, limits: RuntimeLimits | None = None) -> None:
        self.wasm = wasm
        self.module = module
        _LIVE_MODULES.add(module)
        self.code_hash = code_hash
        self.limits = limits if limits is not None else RuntimeLimits.from_env()
        self._memory_pages = self._memory_pages_declared()
        self._functions = self._exported_functions()

    @classmethod
    def from_code(cls, code: bytes, *, use_cache: bool = True, limits: RuntimeLimits | None = None) -> "Runtime":
        wasm = decompress_code(code)
        import wasmtime

        code_hash = hashlib.blake2b(code, digest_size=32).digest()
        cache_file = None
        cache = _cache_dir() if use_cache else None
        if cache is not None:
            # The engine settings are part of the key: code compiled without epoch checks must not be reused.
            key = hashlib.sha256(wasm + b"|" + _wasmtime_version().encode() + b"|epoch").hexdigest()
            cache_file = cache / f"{key}.cwasm"
            if cache_file.exists():
                try:
                    return cls(wasm, wasmtime.Module.deserialize_file(engine(), str(cache_file)), code_hash, limits)
                except wasmtime.WasmtimeError:
                    pass  # stale or damaged cache entry: compile again
        try:
            module = wasmtime.Module(engine(), wasm)
        except wasmtime.WasmtimeError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else "invalid module"
            raise BadInput(f"the runtime wasm does not compile ({first}); it is truncated or not a Substrate runtime") from None
        if cache_file is not None:
            try:
                from fennel_gov._files import write_atomic

                cache_file.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(cache_file, module.serialize(), overwrite=True)
            except (OSError, BadInput):
                pass  # a cache is an optimisation, never a reason to fail
        return cls(wasm, module, code_hash, limits)

    def _memory_pages_declared(self) -> int:
        import wasmtime

        memories = [item for item in self.module.imports if isinstance(item.type, wasmtime.MemoryType)]
        if len(memories) != 1:
            raise BadInput(f"the runtime imports {len(memories)} memories, not one; it is not a Substrate runtime")
        limits = memories[0].type.limits
        pages = limits.min + EXTRA_HEAP_PAGES
        if pages > self.limits.max_memory_pages:
            raise RuntimeTrap(
                f"the runtime asks for {limits.min:,} pages of memory ({limits.min * 64 // 1024:,} MiB) before its heap; "
                f"fennel-gov runs runtimes in at most {self.limits.max_memory_pages * 64 // 1024:,} MiB"
            )
        if limits.max is not None and limits.max < pages:
            raise BadInput(f"the runtime's memory is capped at {limits.max} pages, below the node's heap; it is not a Substrate runtime")
        return limits.min

    def _exported_functions(self) -> list[str]:
        """The exported runtime API names (``(i32, i32) -> i64``), read once; checks ``__heap_base`` exists."""
        import wasmtime

        if not any(e.name == "__heap_base" and isinstance(e.type, wasmtime.GlobalType) for e in self.module.exports):
            raise BadInput("the runtime exports no __heap_base; it is not a Substrate runtime")
        return [
            e.name for e in self.module.exports
            if isinstance(e.type, wasmtime.FuncType)
            and [str(t) for t in e.type.params] == ["i32", "i32"] and [str(t) for t in e.type.results] == ["i64"]
        ]

    def exports(self) -> list[str]:
        return list(self._functions)

    def call(
        self,
        function: str,
        data: bytes,
        storage: Storage | None = None,
        *,
        allow_key_generation: bool = False,
        log_level: int = 2,
    ) -> CallOutcome:
        """Call an exported runtime function with SCALE ``data`` against ``storage``."""
        import wasmtime

        from fennel_gov.runtime.host import HostContext

        if function not in self._functions:
            raise BadInput(f"the runtime has no function {function}; is this the right runtime?")
        store = new_store(self.limits)
        pages = self._memory_pages + EXTRA_HEAP_PAGES
        memory = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(pages, pages)))
        allocator = wasmtime.Instance(store, _allocator_module(), [memory]).exports(store)
        heap = memory_view(ctypes.addressof(memory.data_ptr(store).contents), memory.data_len(store))
        state = allocator["state"]
        assert isinstance(state, wasmtime.Memory)  # our own allocator module exports it as a memory
        py_allocator = PyAllocator(ctypes.addressof(state.data_ptr(store).contents), heap, store)
        context = HostContext(
            store=store,
            memory=memory,
            allocator=py_allocator,
            heap=heap,
            storage=storage if storage is not None else Storage(),
            allow_key_generation=allow_key_generation,
            log_level=log_level,
            runtime_version=self._nested_version,
            max_storage_bytes=self.limits.max_storage_bytes,
            max_log_bytes=self.limits.max_log_bytes,
        )
        from fennel_gov.runtime._rawfunc import PENDING, release

        _TICKER.most_ticks = max(_TICKER.most_ticks, math.ceil(self.limits.deadline_seconds / _TICK_SECONDS))
        outermost = not _MAIN_THREAD_CALLS[0]
        try:
            with _TICKER, _SignalWakeup():
                outcome = self._run(function, data, store, memory, allocator, context)
        except (RuntimeTrap, BadInput):
            if PENDING and outermost:  # the "trap" was a signal stopping the call
                raise PENDING.pop(0) from None
            raise
        finally:
            release(context.func_envs)
        if PENDING and outermost:  # a signal that arrived as the call finished
            raise PENDING.pop(0)
        return outcome

    def _run(self, function, data, store, memory, allocator, context) -> CallOutcome:
        import wasmtime

        from fennel_gov.runtime.host import HostError, host_imports

        try:
            imports = host_imports(self.module, context, allocator)
        except (HostError, TypeError) as exc:
            raise BadInput(f"{exc}; it is not a Substrate runtime") from None
        try:
            instance = wasmtime.Instance(store, self.module, imports)
        except wasmtime.Trap as exc:  # the start function trapped or ran past the deadline
            raise RuntimeTrap(self._explain(context, "the runtime's start function", exc)) from None
        except wasmtime.WasmtimeError as exc:
            first = (str(exc).strip().splitlines() or ["unknown reason"])[0]
            raise BadInput(f"the runtime cannot be instantiated ({first}); it is not a Substrate runtime") from None
        exports = instance.exports(store)
        heap_base_global = exports["__heap_base"]
        assert isinstance(heap_base_global, wasmtime.Global)  # _exported_functions checked its type
        heap_base = heap_base_global.value(store)
        entry = exports[function]
        assert isinstance(entry, wasmtime.Func)  # _exported_functions lists only (i32, i32) -> i64 functions
        if not isinstance(heap_base, int) or not 0 <= heap_base < memory.data_len(store):
            raise BadInput("the runtime's __heap_base is not an address in its memory; it is not a Substrate runtime")
        try:
            allocator["init"](store, heap_base)
            pointer = context.give(data)
            packed = entry(store, pointer, len(data)) & _MASK64
        except (wasmtime.Trap, wasmtime.WasmtimeError, HostError) as exc:
            raise RuntimeTrap(self._explain(context, function, exc)) from None
        out_ptr, out_len = packed & _MASK32, packed >> 32
        try:
            output = context.read(out_ptr, out_len)
        except HostError as exc:
            raise RuntimeTrap(f"{function} returned a result outside its memory: {exc}") from None
        return CallOutcome(output=output, logs=context.logs)

    def _explain(self, context, function: str, error: Exception) -> str:
        import wasmtime

        if isinstance(error, wasmtime.Trap) and error.trap_code == wasmtime.TrapCode.INTERRUPT:
            return (
                f"{function} ran longer than {self.limits.deadline_seconds:g} s and was stopped; the runtime loops, "
                f"or the work is larger than expected (raise {DEADLINE_ENV} if it is real)"
            )
        return context.explain_trap(function, error)

    def _nested_version(self, code: bytes) -> bytes | None:
        # A runtime asking for the version of code that itself asks, and so on: stop at one level.
        depth = getattr(_NESTING, "depth", 0)
        if depth >= 1:
            return None
        _NESTING.depth = depth + 1
        try:
            return Runtime.from_code(code, limits=self.limits).call("Core_version", b"").output
        except (BadInput, Failure):
            return None
        finally:
            _NESTING.depth = depth
