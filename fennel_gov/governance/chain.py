"""A connection to a Fennel node (substrate-interface), with the reads and writes governance needs.

Reads come back as plain data (``SetSnapshot``) so that the decisions in ``preflight.py`` are pure
functions. Submission never relies on a subscription: the extrinsic is sent once, then found by
its hash in new blocks, so a dropped connection is survived by reconnecting and looking again —
and a change is never submitted twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from dataclasses import dataclass, field
from typing import Any, Callable

from fennel_gov._codec import blake2_256
from fennel_gov.errors import BadInput, Failure
from fennel_gov.governance.config import Network
from fennel_gov.governance.rpc import TransportError
from fennel_gov.governance.validator_set import SetSnapshot
from fennel_gov.keys import KeyPair, Scheme, SessionKeys, ss58

CHOPSTICKS_PLACEHOLDER = "0x" + "45" * 32
REQUIRED_PALLETS = ("Sudo", "Session", "ValidatorManager")


class Unreachable(BadInput):
    """The node could not be reached (exit 2: fix the URL, the tunnel or the node)."""


# A dropped or garbled connection in the middle of a command: reconnect and look again.
LINK_ERRORS = (Unreachable, TransportError)


class ChainMismatch(BadInput):
    """The node serves another chain than the one configured."""


def _connection_errors() -> tuple[type[BaseException], ...]:
    import websocket

    errors: list[type[BaseException]] = [ConnectionError, OSError, TimeoutError, websocket.WebSocketException]
    try:
        import requests

        errors.append(requests.exceptions.RequestException)
    except ImportError:  # pragma: no cover
        pass
    return tuple(errors)


class Chain:
    def __init__(self, network: Network, *, ss58_format: int = 42, timeout: float = 10.0) -> None:
        self.network = network
        self.ss58_format = ss58_format
        self.timeout = timeout
        self._pin_fresh = True
        self.prefetch: list[tuple[str, str, list[Any]]] = []  # storage read along with the next new block's
        self.substrate = self._connect()
        self.genesis_hash = self._check_chain()

    # -- connection -----------------------------------------------------------------------------

    def _connect(self):
        from substrateinterface import SubstrateInterface

        from fennel_gov.governance.rpc import RpcClient, bounded_transport

        url = self.network.url
        self.client = RpcClient(url, self.timeout)
        # Built on the http form of the URL (which opens nothing), then given our bounded transport:
        # every request substrate-interface makes has a deadline and a size cap.
        substrate = SubstrateInterface(url="http" + url[url.index(":"):] if url.startswith("ws") else url,
                                       ss58_format=self.ss58_format, auto_reconnect=False, auto_discover=False)
        substrate.transport = bounded_transport(self.client)
        substrate.url = url
        return substrate

    def reconnect(self) -> None:
        # The next request opens a new connection; the runtime (metadata) stays as it was.
        self.client.close()

    def _check_chain(self) -> str:
        from fennel_gov.governance.rpc import RpcUnreachable

        try:
            genesis = self.client.call("chain_getBlockHash", [0])
        except RpcUnreachable as exc:
            raise Unreachable(f"cannot reach the node: {exc}; or open the SSH tunnel") from None
        expected = self.network.genesis_hash
        if expected and genesis.lower() != expected.lower():
            if genesis == CHOPSTICKS_PLACEHOLDER and self._is_chopsticks():
                raise ChainMismatch(
                    f"{self.network.url} is chopsticks, which reports block 0's hash as the placeholder {genesis}, "
                    f"never the real genesis: the genesis_hash configured for {self.network.name or 'this network'} cannot "
                    "match it; rehearse on chopsticks with --url, or a network entry without genesis_hash"
                )
            if genesis == CHOPSTICKS_PLACEHOLDER:
                raise ChainMismatch(
                    f"{self.network.url} reports the placeholder genesis hash {genesis} (a chopsticks fork?), "
                    f"so it cannot be confirmed to be {self.network.name or expected}"
                )
            raise ChainMismatch(
                f"{self.network.url} serves the chain with genesis {genesis}, not {self.network.name or 'the configured'} "
                f"({expected}); check the URL"
            )
        self._load_runtime(genesis)
        names = {p.name for p in self.substrate.metadata.pallets}
        missing = [p for p in REQUIRED_PALLETS if p not in names]
        if missing:
            raise BadInput(f"the runtime at {self.network.url} has no {', '.join(missing)} pallet; is this a Fennel node?")
        return genesis

    def _is_chopsticks(self) -> bool:
        """Chopsticks names itself in ``system_version`` ("chopsticks-v1"); a node gives its release."""
        from fennel_gov.errors import FennelGovError

        try:
            version = self.client.call("system_version")
        except FennelGovError:
            return False
        return isinstance(version, str) and version.lower().startswith("chopsticks")

    def _load_runtime(self, genesis: str) -> None:
        """Pin the best block, and set the runtime there: metadata from the disk cache when it has this
        (genesis, spec_version), else fetched once and cached. substrate-interface is then held to it
        (its own ``init_runtime`` would re-read head, header and version before every call)."""
        from scalecodec.base import ScaleBytes

        from fennel_gov.governance import runtime_cache

        self.pin()
        version = self.rpc("state_getRuntimeVersion", [self.pinned_hash])
        if not isinstance(version, dict) or not isinstance(version.get("specVersion"), int):
            raise Failure(f"{self.network.url} answered state_getRuntimeVersion without a spec version")
        cached = runtime_cache.load(genesis, version["specVersion"])
        if cached is not None and cached[0] == version:
            metadata_hex = cached[1]
        else:
            metadata_hex = self.rpc("state_getMetadata", [self.pinned_hash])
            if not isinstance(metadata_hex, str) or not metadata_hex.startswith("0x"):
                raise Failure(f"{self.network.url} answered state_getMetadata without metadata")
            runtime_cache.store(genesis, version, metadata_hex)
        substrate = self.substrate
        try:
            metadata = substrate.runtime_config.create_scale_object("MetadataVersioned", data=ScaleBytes(metadata_hex))
            metadata.decode()
        except Exception as exc:  # noqa: BLE001 - undecodable metadata is the node's fault, said plainly
            raise Failure(f"the metadata from {self.network.url} does not decode ({type(exc).__name__})") from None
        substrate.metadata = metadata
        self.metadata_bytes = bytes.fromhex(metadata_hex[2:])  # what tx build carries to the offline signer
        substrate.runtime_version = version["specVersion"]
        substrate.transaction_version = version.get("transactionVersion")
        substrate.block_hash = self.pinned_hash
        substrate.reload_type_registry(use_remote_preset=False, auto_discover=False)
        substrate.runtime_config.add_portable_registry(metadata)
        substrate.runtime_config.set_active_spec_version_id(substrate.runtime_version)
        substrate.init_runtime = lambda block_hash=None, block_id=None: None  # one command, one runtime
        self.runtime_version = version
        self.client.known[("chain_getBlockHash", (0,))] = genesis

    def pin(self) -> tuple[int, str]:
        """Read the best header once: its number and (computed) hash are the block every read uses."""
        header = self.rpc("chain_getHeader", [])
        self.pinned_number, self.pinned_hash = header_number(header), header_hash(header)
        self._pin_fresh = True
        self.client.known[("chain_getBlockHash", (self.pinned_number,))] = self.pinned_hash
        return self.pinned_number, self.pinned_hash

    def storage_key(self, pallet: str, item: str, params: list[Any] | None = None):
        from substrateinterface.storage import StorageKey

        return StorageKey.create_from_storage_function(
            pallet, item, params or [], runtime_config=self.substrate.runtime_config, metadata=self.substrate.metadata
        )

    def read_many(self, items: list[tuple[str, str, list[Any]]], block_hash: str | None = None) -> list[Any]:
        """Many storage values in one ``state_queryStorageAt`` at one block (the pinned one by default).

        State at a block hash never changes, so each value is read once per command; the keys in
        ``self.prefetch`` ride along with the next read at a block not read before."""
        from scalecodec.base import ScaleBytes

        block_hash = block_hash or self.pinned_hash
        memo = self.__dict__.setdefault("_reads", {})

        def slot(entry) -> tuple:
            return (block_hash, entry[0], entry[1], repr(entry[2]))

        todo = list({slot(e): e for e in [*items, *self.prefetch] if slot(e) not in memo}.values())
        if any(slot(e) not in memo for e in items):
            keys = [self.storage_key(pallet, item, params) for pallet, item, params in todo]
            hexes = [key.to_hex() for key in keys]
            answer = self.rpc("state_queryStorageAt", [hexes, block_hash]) or []
            values: dict[str, str | None] = {}
            for change_set in answer if isinstance(answer, list) else []:
                for pair in (change_set or {}).get("changes", []) if isinstance(change_set, dict) else []:
                    if isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str):
                        values[pair[0].lower()] = pair[1]
            for entry, key, text in zip(todo, keys, hexes):
                data = values.get(text.lower())
                try:
                    decoded = key.decode_scale_value(ScaleBytes(data) if data else None)
                except Exception as exc:  # noqa: BLE001 - a value this runtime cannot decode is the node's fault
                    raise Failure(f"the node's value of {entry[0]}.{entry[1]} does not decode ({type(exc).__name__})") from None
                memo[slot(entry)] = decoded.value if decoded is not None else None
        return [memo[slot(e)] for e in items]

    def rpc(self, method: str, params: list[Any]) -> Any:
        from substrateinterface.exceptions import SubstrateRequestException

        try:
            reply = self.substrate.rpc_request(method, params)
        except SubstrateRequestException as exc:
            raise Failure(f"the node refused {method}: {exc}") from None
        except TransportError:
            raise
        except _connection_errors() as exc:
            raise TransportError(f"lost the connection to {self.network.url} during {method} ({type(exc).__name__})") from None
        if "error" in reply:
            raise Failure(f"the node refused {method}: {reply['error']}")
        return reply.get("result")

    def submit_watched(self, extrinsic_hex: str, signer_address: str) -> str:
        """``author_submitAndWatchExtrinsic`` (ws): the subscription whose notifications follow the extrinsic."""
        from fennel_gov.governance.rpc import NodeRefused

        try:
            return self.client.subscribe("author_submitAndWatchExtrinsic", [extrinsic_hex])
        except NodeRefused as exc:
            raise Failure(_explain_pool_error(exc.error, signer_address)) from None

    def submit_raw(self, extrinsic_hex: str, signer_address: str) -> None:
        """``author_submitExtrinsic``, with the pool's refusal reasons in words."""
        from substrateinterface.exceptions import SubstrateRequestException

        try:
            reply = self.substrate.rpc_request("author_submitExtrinsic", [extrinsic_hex])
        except SubstrateRequestException as exc:
            raise Failure(_explain_pool_error(exc.args[0] if exc.args else exc, signer_address)) from None
        except TransportError:
            raise
        except _connection_errors() as exc:
            raise TransportError(f"lost the connection to {self.network.url} while submitting ({type(exc).__name__})") from None
        if "error" in reply:
            raise Failure(_explain_pool_error(reply["error"], signer_address))

    # -- reads ----------------------------------------------------------------------------------

    def query(self, pallet: str, item: str, params: list[Any] | None = None, block_hash: str | None = None) -> Any:
        """One storage value at ``block_hash`` (default: the pinned block)."""
        return self.read_many([(pallet, item, params or [])], block_hash)[0]

    def sudo_key(self, block_hash: str | None = None) -> str | None:
        """``Sudo.Key`` as an address at ``block_hash`` (default: the pinned block); None when there is none."""
        key = self.query("Sudo", "Key", [], block_hash)
        return self.address(key) if key else None

    def constant(self, pallet: str, name: str) -> Any:
        value = self.substrate.get_constant(pallet, name)
        return value.value if value is not None else None

    def address(self, account: bytes | str) -> str:
        if isinstance(account, str):
            if account.startswith("0x"):
                return ss58.encode(bytes.fromhex(account[2:]), self.ss58_format)
            return account
        return ss58.encode(account, self.ss58_format)

    def next_keys(self, account: str, block_hash: str | None = None) -> SessionKeys | None:
        return _session_keys(self.query("Session", "NextKeys", [account], block_hash))

    def best_number(self) -> int:
        return header_number(self.rpc("chain_getHeader", []))

    def finalized_number(self) -> int:
        head = self.rpc("chain_getFinalizedHead", [])
        return header_number(self.rpc("chain_getHeader", [head]))

    def block_hash(self, number: int | None = None) -> str:
        if number is None:
            number = self.best_number()
        block_hash = self.rpc("chain_getBlockHash", [number])
        if block_hash is None:
            raise Failure(f"the node has no block #{number}")
        return block_hash

    def snapshot(self, extra_accounts: Sequence[str] = (), *, at: int | None = None) -> SetSnapshot:
        """The whole validator-set state at block ``at`` (default: the best block), in two batched reads."""
        if at is None:
            # The block pinned at connection serves the command's first snapshot; later ones read afresh.
            if not self._pin_fresh:
                self.pin()
            self._pin_fresh = False
            number, block_hash = self.pinned_number, self.pinned_hash
        else:
            number, block_hash = at, self.block_hash(at)
        (validators, queued, additions, removals, sudo, index, aura, grandpa) = self.read_many([
            ("Session", "Validators", []), ("Session", "QueuedKeys", []),
            ("ValidatorManager", "ValidatorsToAdd", []), ("ValidatorManager", "ValidatorsToRemove", []),
            ("Sudo", "Key", []), ("Session", "CurrentIndex", []), ("Aura", "Authorities", []), ("Grandpa", "Authorities", []),
        ], block_hash)
        validators = [self.address(a) for a in validators or []]
        queued = [self.address(entry[0]) for entry in queued or []]
        additions = [self.address(a) for a in additions or []]
        removals = [self.address(a) for a in removals or []]
        accounts = list(dict.fromkeys([*validators, *queued, *additions, *extra_accounts]))
        keys = self.read_many([("Session", "NextKeys", [a]) for a in accounts], block_hash)
        return SetSnapshot(
            block_number=number,
            block_hash=block_hash,
            finalized_number=self.finalized_number(),
            session_index=int(index or 0),
            session_period=int(self.constant("ValidatorManager", "SessionPeriod") or 0),
            session_offset=int(self.constant("ValidatorManager", "SessionOffset") or 0),
            validators=validators,
            queued_validators=queued,
            queued_additions=additions,
            queued_removals=removals,
            min_authorities=int(self.constant("ValidatorManager", "MinAuthorities") or 0),
            sudo=self.address(sudo) if sudo else None,
            next_keys={a: _session_keys(value) for a, value in zip(accounts, keys)},
            aura_authorities=[self.address(a) for a in aura or []],
            grandpa_authorities=[self.address(entry[0]) for entry in grandpa or []],
        )

    def decode_session_keys(self, keys: bytes) -> bool:
        """Whether this runtime decodes ``keys`` as its SessionKeys (``SessionKeys_decode_session_keys``)."""
        from fennel_gov._codec import encode_bytes

        result = self.rpc("state_call", ["SessionKeys_decode_session_keys", "0x" + encode_bytes(keys).hex()])
        return bool(result) and result not in ("0x", "0x00")

    # -- calls ----------------------------------------------------------------------------------

    def compose(self, pallet: str, function: str, params: dict[str, Any]):
        return self.substrate.compose_call(call_module=pallet, call_function=function, call_params=params)

    def call_hex(self, call) -> str:
        return call.data.to_hex()

    def fee(self, call, signer: "ChainSigner") -> int | None:
        """The fee estimate (``TransactionPaymentApi_query_info`` on a zero-signed copy): one request."""
        try:
            extrinsic = self.substrate.create_signed_extrinsic(
                call=call, keypair=signer, nonce=0, signature="0x" + "00" * 64,
            )
            raw = bytes(extrinsic.data.data)
            answer = self.rpc("state_call", ["TransactionPaymentApi_query_info",
                                             "0x" + (raw + len(raw).to_bytes(4, "little")).hex(), self.pinned_hash])
            info = bytes.fromhex(answer[2:]) if isinstance(answer, str) and answer.startswith("0x") else b""
        except Exception:  # noqa: BLE001 - a fee estimate is informative only
            return None
        # RuntimeDispatchInfo { weight, class, partial_fee: u128 } — the fee is the last 16 bytes.
        return int.from_bytes(info[-16:], "little") if len(info) >= 16 else None

    def account(self, address: str) -> dict[str, Any]:
        """``System.Account`` at the pinned block (read once per pinned block)."""
        memo = self.__dict__.setdefault("_accounts", {})
        if (self.pinned_hash, address) not in memo:
            memo[(self.pinned_hash, address)] = self.query("System", "Account", [address]) or {}
        return memo[(self.pinned_hash, address)]

    def submit(
        self,
        call,
        signer: "ChainSigner",
        *,
        wait: str = "finalized",
        timeout: float = 300.0,
        progress: Callable[[str], None] | None = None,
    ) -> "Receipt":
        """Sign, send once, then find the extrinsic in blocks; survives dropped connections."""
        from fennel_gov.governance.submit import submit_and_watch

        return submit_and_watch(self, call, signer, wait=wait, timeout=timeout, progress=progress)


class ChainSigner:
    """What substrate-interface needs of a keypair, backed by a fennel-gov ``KeyPair`` (secret never exposed)."""

    def __new__(cls, pair: KeyPair, ss58_format: int = 42):
        from substrateinterface import Keypair, KeypairType
        from scalecodec.base import ScaleBytes

        if pair.scheme is Scheme.ECDSA:
            raise BadInput("governance signers are sr25519 or ed25519 accounts")

        class _Signer(Keypair):
            def __init__(self) -> None:
                crypto = KeypairType.SR25519 if pair.scheme is Scheme.SR25519 else KeypairType.ED25519
                super().__init__(public_key=pair.public, ss58_format=ss58_format, crypto_type=crypto)
                self._pair = pair

            def sign(self, data):
                if isinstance(data, ScaleBytes):
                    data = bytes(data.data)
                elif isinstance(data, str):
                    data = bytes.fromhex(data[2:]) if data.startswith("0x") else data.encode()
                return self._pair.sign(bytes(data))

            def __repr__(self) -> str:
                return f"ChainSigner({self.ss58_address})"

        return _Signer()


@dataclass
class Receipt:
    extrinsic_hash: str
    block_hash: str
    block_number: int
    finalized: bool
    success: bool
    events: list[dict[str, Any]]
    error: dict[str, Any] | None = None  # {"pallet", "name", "docs", "hint"} for a failed call
    # Filled in by the API (fennel_gov.governance.api):
    action: str | None = None
    call_data: str | None = None
    fee_estimate: int | None = None
    warnings: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    effect: Any = None  # an effect.Effect once wait="effective" saw the change live

    @property
    def module_error(self) -> str | None:
        return f"{self.error['pallet']}.{self.error['name']}" if self.error else None


_POOL_REASONS = {
    "payment": "the signer {who} cannot pay the fee: fund the account first",
    "stale": "the nonce was already used: another transaction from {who} landed first; check 'fennel-gov status'",
    "future": "the nonce is ahead of the chain: an earlier transaction from {who} is still pending",
    "badProof": "the signature does not verify: wrong key, or a node of another chain",
    "ancientBirthBlock": "the transaction's era is too old; try again",
    "exhaustsResources": "the block is full; try again",
    "badSigner": "the runtime refuses this signer",
    "mandatory": "this call cannot be submitted as a transaction",
    "call": "the runtime filters this call",
    "Priority is too low": "another transaction from {who} with the same nonce is already in the pool; wait for it",
    "already imported": "this very transaction is already in the pool",
    # the same refusals as the node words them in the error's data
    "Inability to pay": "the signer {who} cannot pay the fee: fund the account first",
    "Transaction is outdated": "the nonce was already used: another transaction from {who} landed first; check 'fennel-gov status'",
    "valid in the future": "the nonce is ahead of the chain: an earlier transaction from {who} is still pending",
}


def _explain_pool_error(error: Any, who: str) -> str:
    import json

    text = error.get("message") if isinstance(error, dict) else str(error)
    data = error.get("data") if isinstance(error, dict) else None
    try:
        detail = json.loads(text) if text and text.startswith("{") else None
    except ValueError:
        detail = None
    blob = json.dumps(detail) if detail else f"{text} {data or ''}"
    for key, reason in _POOL_REASONS.items():
        if f'"{key}"' in blob or key in str(data or "") or (" " in key and key in str(text)):
            return f"the node refused the transaction: {reason.format(who=who)}"
    return f"the node refused the transaction: {text}{' ' + str(data) if data else ''}"


def _session_keys(value: Any) -> SessionKeys | None:
    if not value:
        return None
    return SessionKeys(aura=bytes.fromhex(value["aura"][2:]), grandpa=bytes.fromhex(value["grandpa"][2:]))


def header_number(header: Any) -> int:
    if not isinstance(header, dict) or not isinstance(header.get("number"), str):
        raise Failure("the node answered chain_getHeader without a header")
    return int(header["number"], 16)


def header_hash(header: dict[str, Any]) -> str:
    """A block's hash from its header (blake2-256 of the SCALE-encoded header), saving a round trip."""
    from fennel_gov._codec import encode_compact, require_hex

    try:
        logs = header["digest"]["logs"]
        encoded = (
            require_hex(header["parentHash"], "parentHash") + encode_compact(header_number(header))
            + require_hex(header["stateRoot"], "stateRoot") + require_hex(header["extrinsicsRoot"], "extrinsicsRoot")
            + encode_compact(len(logs)) + b"".join(require_hex(log, "a digest item") for log in logs)
        )
    except (KeyError, TypeError, BadInput) as exc:
        raise Failure(f"the node answered chain_getHeader with an incomplete header ({exc})") from None
    return "0x" + blake2_256(encoded).hex()


def extrinsic_hash(extrinsic_hex: str) -> str:
    return "0x" + blake2_256(bytes.fromhex(extrinsic_hex[2:])).hex()
