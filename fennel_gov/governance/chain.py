"""A connection to a Fennel node (substrate-interface), with the reads and writes governance needs.

Reads come back as plain data (``SetSnapshot``) so that the decisions in ``preflight.py`` are pure
functions. Submission never relies on a subscription: the extrinsic is sent once, then found by
its hash in new blocks, so a dropped connection is survived by reconnecting and looking again —
and a change is never submitted twice.
"""

from __future__ import annotations

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
        try:
            self.substrate.close()
        except Exception:  # noqa: BLE001 - the old connection is already broken
            pass
        self.substrate = self._connect()

    def _check_chain(self) -> str:
        from fennel_gov.governance.rpc import RpcUnreachable

        try:
            genesis = self.client.call("chain_getBlockHash", [0])
        except RpcUnreachable as exc:
            raise Unreachable(f"cannot reach the node: {exc}; or open the SSH tunnel") from None
        expected = self.network.genesis_hash
        if expected:
            if genesis == CHOPSTICKS_PLACEHOLDER:
                raise ChainMismatch(
                    f"{self.network.url} reports the placeholder genesis hash {genesis} (a chopsticks fork?), "
                    f"so it cannot be confirmed to be {self.network.name or expected}"
                )
            if genesis.lower() != expected.lower():
                raise ChainMismatch(
                    f"{self.network.url} serves the chain with genesis {genesis}, not {self.network.name or 'the configured'} "
                    f"({expected}); check the URL"
                )
        self.substrate.init_runtime()
        names = {p.name for p in self.substrate.metadata.pallets}
        missing = [p for p in REQUIRED_PALLETS if p not in names]
        if missing:
            raise BadInput(f"the runtime at {self.network.url} has no {', '.join(missing)} pallet; is this a Fennel node?")
        return genesis

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
        result = self.substrate.query(pallet, item, params or [], block_hash=block_hash)
        return result.value if result is not None else None

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
        value = self.query("Session", "NextKeys", [account], block_hash)
        if not value:
            return None
        return SessionKeys(aura=bytes.fromhex(value["aura"][2:]), grandpa=bytes.fromhex(value["grandpa"][2:]))

    def best_number(self) -> int:
        return int(self.rpc("chain_getHeader", [])["number"], 16)

    def finalized_number(self) -> int:
        head = self.rpc("chain_getFinalizedHead", [])
        return int(self.rpc("chain_getHeader", [head])["number"], 16)

    def block_hash(self, number: int | None = None) -> str:
        if number is None:
            number = self.best_number()
        block_hash = self.rpc("chain_getBlockHash", [number])
        if block_hash is None:
            raise Failure(f"the node has no block #{number}")
        return block_hash

    def snapshot(self, extra_accounts: list[str] = (), *, at: int | None = None) -> SetSnapshot:
        """The whole validator-set state at block ``at`` (default: the best block)."""
        number = self.best_number() if at is None else at
        block_hash = self.block_hash(number)
        validators = [self.address(a) for a in self.query("Session", "Validators", block_hash=block_hash) or []]
        queued = [self.address(entry[0]) for entry in self.query("Session", "QueuedKeys", block_hash=block_hash) or []]
        additions = [self.address(a) for a in self.query("ValidatorManager", "ValidatorsToAdd", block_hash=block_hash) or []]
        removals = [self.address(a) for a in self.query("ValidatorManager", "ValidatorsToRemove", block_hash=block_hash) or []]
        sudo = self.query("Sudo", "Key", block_hash=block_hash)
        accounts = list(dict.fromkeys([*validators, *queued, *additions, *extra_accounts]))
        grandpa = self.query("Grandpa", "Authorities", block_hash=block_hash) or []
        return SetSnapshot(
            block_number=number,
            block_hash=block_hash,
            finalized_number=self.finalized_number(),
            session_index=int(self.query("Session", "CurrentIndex", block_hash=block_hash) or 0),
            session_period=int(self.constant("ValidatorManager", "SessionPeriod") or 0),
            session_offset=int(self.constant("ValidatorManager", "SessionOffset") or 0),
            validators=validators,
            queued_validators=queued,
            queued_additions=additions,
            queued_removals=removals,
            min_authorities=int(self.constant("ValidatorManager", "MinAuthorities") or 0),
            sudo=self.address(sudo) if sudo else None,
            next_keys={a: self.next_keys(a, block_hash) for a in accounts},
            aura_authorities=[self.address(a) for a in self.query("Aura", "Authorities", block_hash=block_hash) or []],
            grandpa_authorities=[self.address(entry[0]) for entry in grandpa],
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
        try:
            info = self.substrate.get_payment_info(call=call, keypair=signer)
        except Exception:  # noqa: BLE001 - a fee estimate is informative only
            return None
        fee = (info or {}).get("partialFee", (info or {}).get("partial_fee"))
        return int(fee) if fee is not None else None

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


def extrinsic_hash(extrinsic_hex: str) -> str:
    return "0x" + blake2_256(bytes.fromhex(extrinsic_hex[2:])).hex()
