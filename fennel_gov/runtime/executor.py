"""Run exported runtime functions with wasmtime: compile (and cache), instantiate, call.

Layering, after smoldot's executor: ``Runtime`` owns the compiled module; each ``call`` makes a
fresh store, a zeroed memory of the node's fixed size (the runtime's declared pages plus 2048,
``HeapAllocStrategy::Static``), the freeing-bump allocator (wasm, sharing that memory) and the
host functions of ``host.py`` bound to a ``Storage``. Input goes in through the allocator; the
result comes back as the packed ``(len << 32) | ptr`` the calling convention defines.
"""

from __future__ import annotations

import atexit
import ctypes
import hashlib
import os
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
    """The runtime trapped (panicked) or a host function failed during a call."""


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

    def __init__(self, wasm: bytes, module, code_hash: bytes) -> None:
        self.wasm = wasm
        self.module = module
        _LIVE_MODULES.add(module)
        self.code_hash = code_hash
        self._memory_pages = self._memory_pages_declared()
        self._functions = self._exported_functions()

    @classmethod
    def from_code(cls, code: bytes, *, use_cache: bool = True) -> "Runtime":
        wasm = decompress_code(code)
        import wasmtime

        code_hash = hashlib.blake2b(code, digest_size=32).digest()
        cache_file = None
        cache = _cache_dir() if use_cache else None
        if cache is not None:
            key = hashlib.sha256(wasm + b"|" + _wasmtime_version().encode()).hexdigest()
            cache_file = cache / f"{key}.cwasm"
            if cache_file.exists():
                try:
                    return cls(wasm, wasmtime.Module.deserialize_file(engine(), str(cache_file)), code_hash)
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
            except OSError:
                pass  # a cache is an optimisation, never a reason to fail
        return cls(wasm, module, code_hash)

    def _memory_pages_declared(self) -> int:
        import wasmtime

        for item in self.module.imports:
            if isinstance(item.type, wasmtime.MemoryType):
                return item.type.limits.min
        raise BadInput("the runtime does not import its memory; it is not a Substrate runtime")

    def _exported_functions(self) -> list[str]:
        """The exported function names, read once; checks ``__heap_base`` (read per call) exists."""
        import wasmtime

        if not any(e.name == "__heap_base" and isinstance(e.type, wasmtime.GlobalType) for e in self.module.exports):
            raise BadInput("the runtime exports no __heap_base; it is not a Substrate runtime")
        return [e.name for e in self.module.exports if isinstance(e.type, wasmtime.FuncType)]

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
        store = wasmtime.Store(engine())
        pages = self._memory_pages + EXTRA_HEAP_PAGES
        memory = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(pages, pages)))
        allocator = wasmtime.Instance(store, _allocator_module(), [memory]).exports(store)
        heap = memory_view(ctypes.addressof(memory.data_ptr(store).contents), memory.data_len(store))
        py_allocator = PyAllocator(ctypes.addressof(allocator["state"].data_ptr(store).contents), heap, store)
        context = HostContext(
            store=store,
            memory=memory,
            allocator=py_allocator,
            heap=heap,
            storage=storage if storage is not None else Storage(),
            allow_key_generation=allow_key_generation,
            log_level=log_level,
            runtime_version=self._nested_version,
        )
        try:
            return self._run(function, data, store, memory, allocator, context)
        finally:
            from fennel_gov.runtime._rawfunc import release

            release(context.func_envs)

    def _run(self, function, data, store, memory, allocator, context) -> CallOutcome:
        import wasmtime

        from fennel_gov.runtime.host import HostError, host_imports

        imports = host_imports(self.module, context, allocator)
        try:
            instance = wasmtime.Instance(store, self.module, imports)
        except wasmtime.WasmtimeError as exc:
            raise BadInput(f"the runtime cannot be instantiated: {str(exc).splitlines()[0]}") from None
        exports = instance.exports(store)
        heap_base = exports["__heap_base"].value(store)
        allocator["init"](store, heap_base)
        try:
            pointer = context.give(data)
            packed = exports[function](store, pointer, len(data)) & _MASK64
        except (wasmtime.Trap, wasmtime.WasmtimeError, HostError) as exc:
            raise RuntimeTrap(context.explain_trap(function, exc)) from None
        out_ptr, out_len = packed & _MASK32, packed >> 32
        try:
            output = context.read(out_ptr, out_len)
        except HostError as exc:
            raise RuntimeTrap(f"{function} returned a result outside its memory: {exc}") from None
        return CallOutcome(output=output, logs=context.logs)

    def _nested_version(self, code: bytes) -> bytes | None:
        try:
            return Runtime.from_code(code).call("Core_version", b"").output
        except (BadInput, Failure):
            return None
