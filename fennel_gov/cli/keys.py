"""``fennel-gov keys``: offline key management (subkey's commands, and more).

Every command parses its options, calls ``fennel_gov.keys`` and renders; secrets are read from a
hidden prompt, standard input, a file, the OS keyring or an encrypted JSON file — never argv.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from fennel_gov.cli._options import (
    Json,
    KeyringName,
    KeystoreJson,
    Network,
    PasswordStdin,
    SchemeOpt,
    ShowSecret,
    SuriFile,
    hidden_prompt,
    read_secret,
    secret_source,
    stdin_is_tty,
)
from fennel_gov.cli._render import emit_json, emit_lines, note, table

AllowInsecureKeyring = Annotated[
    bool,
    typer.Option("--allow-insecure-keyring", help="Store the secret even in a plain-text or null keyring backend (rehearsals only)."),
]

app = typer.Typer(help="Generate, inspect and store keys, offline.", no_args_is_help=True, rich_markup_mode=None)
session_app = typer.Typer(help="Validator session keys (aura sr25519 + grandpa ed25519).", no_args_is_help=True, rich_markup_mode=None)
keyring_app = typer.Typer(help="Named secret URIs in the OS keyring.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(session_app, name="session-keys")
app.add_typer(keyring_app, name="keyring")


def _prefix(network: str | None, default: int | None = None) -> int:
    from fennel_gov.keys.ss58 import network_prefix

    if network is not None:
        return network_prefix(network)
    return 42 if default is None else default


def _render_key(info: dict, title: str, as_json: bool) -> None:
    if as_json:
        emit_json(info)
        return
    rows = []
    if "secretPhrase" in info:
        rows.append(("Secret phrase", info["secretPhrase"] if info["secretPhrase"] is not None else "n/a"))
    rows.append(("Network ID", info["networkId"]))
    if "secretSeed" in info:
        rows.append(("Secret seed", info["secretSeed"]))
    rows += [
        ("Public key (hex)", info["publicKey"]),
        ("Account ID", info["accountId"]),
        ("Public key (SS58)", info["ss58PublicKey"]),
        ("SS58 Address", info["ss58Address"]),
    ]
    emit_lines([title, *table(rows)])


def _new_password(password_stdin: bool):
    from fennel_gov.keys.sources import read_password

    return read_password(
        from_stdin=password_stdin, prompt=hidden_prompt, is_tty=stdin_is_tty(), what="new password", confirm=True
    )


def _check_new_output(path: Path) -> None:
    """Refuse a key-file target before any secret is made or asked for: it must not exist yet
    (key files are never overwritten) and nothing but a regular file may be in the way."""
    from fennel_gov._files import check_output_target
    from fennel_gov.errors import RefusedOverwrite

    check_output_target(path)
    if path.exists():
        raise RefusedOverwrite(f"{path} already exists; move it away or choose another path")


def _write_encrypted(path: Path, pair, password, *, name: str, prefix: int) -> None:
    import json

    from fennel_gov._files import write_atomic
    from fennel_gov.keys.encrypted_json import encrypt_account

    document = encrypt_account(pair, password, name=name, when_created_ms=int(time.time() * 1000), ss58_prefix=prefix)
    write_atomic(path, json.dumps(document, indent=2) + "\n", secret=True)


@app.command()
def generate(
    scheme: SchemeOpt = None,
    words: Annotated[int, typer.Option("--words", help="Mnemonic length: 12, 15, 18, 21 or 24.")] = 12,
    network: Network = None,
    out: Annotated[
        Optional[Path], typer.Option("-o", "--output", help="Write the key to this polkadot-js encrypted JSON file (0600, never overwritten).", dir_okay=False)
    ] = None,
    keyring: Annotated[Optional[str], typer.Option("--keyring", help="Store the secret URI in this OS-keyring entry.")] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="Account name inside --output.")] = None,
    password_stdin: PasswordStdin = False,
    allow_insecure_keyring: AllowInsecureKeyring = False,
    show_secret: ShowSecret = False,
    as_json: Json = False,
) -> None:
    """Generate a new key from a fresh BIP39 mnemonic.

    The secret goes where you say: -o/--output (encrypted JSON), --keyring, or the screen with --show-secret.
    """
    from fennel_gov.errors import BadInput
    from fennel_gov.keys import keyring_store
    from fennel_gov.cli._subkey import describe_pair
    from fennel_gov.keys.mnemonic import WORD_COUNTS, generate_mnemonic
    from fennel_gov.keys.schemes import Scheme, pair_from_suri
    from fennel_gov.keys.secret import SecretStr

    if not (out or keyring or show_secret):
        raise BadInput("say where the secret goes: -o/--output FILE (encrypted), --keyring NAME, or --show-secret")
    if out:
        _check_new_output(out)
    if keyring:  # refused keyrings are found before a secret exists or a file is written
        try:
            keyring_store.check_can_store(keyring, allow_insecure=allow_insecure_keyring)
        except BadInput as exc:
            raise type(exc)(f"{exc}; nothing was generated or written") from None
    if words not in WORD_COUNTS:
        raise BadInput(f"--words must be one of 12, 15, 18, 21, 24, not {words}")
    scheme_value = Scheme.parse(scheme or "sr25519")
    prefix = _prefix(network)
    phrase = SecretStr(generate_mnemonic(words, os.urandom(words * 4 // 3)))
    pair = pair_from_suri(phrase, scheme_value)
    password = _new_password(password_stdin) if out else None
    if out:
        _write_encrypted(out, pair, password, name=name or out.stem, prefix=prefix)
    if keyring:
        try:
            keyring_store.store(keyring, phrase, allow_insecure=allow_insecure_keyring)
        except BaseException:
            if out:  # a key only half-kept is worse than none: the file goes too
                out.unlink(missing_ok=True)
            raise
    info = describe_pair(pair, prefix, suri=phrase, show_secret=show_secret)
    _render_key(info, "Secret phrase generated; account:", as_json)
    if out:
        note(f"wrote {out} (encrypted, mode 0600)")
    if keyring:
        note(f"stored in the OS keyring as {keyring!r}")


@app.command()
def inspect(
    public: Annotated[
        Optional[str],
        typer.Argument(help="An SS58 address, or with --public a hex public key, optionally with /soft junctions. "
                       "Omit it to inspect a secret, read from a prompt or standard input."),
    ] = None,
    public_key: Annotated[
        bool, typer.Option("--public", help="The argument is a public key (as subkey's --public): 0x and 64 hex digits "
                           "is otherwise a secret seed, which is never taken as an argument.")
    ] = False,
    scheme: SchemeOpt = None,
    network: Network = None,
    expect_public: Annotated[
        Optional[str], typer.Option("--expect-public", help="Fail unless the key's public key or address is this.")
    ] = None,
    suri_file: SuriFile = None,
    keyring: KeyringName = None,
    keystore_json: KeystoreJson = None,
    password_stdin: PasswordStdin = False,
    show_secret: ShowSecret = False,
    as_json: Json = False,
) -> None:
    """Show the public key, account id and addresses of a secret URI or a public key."""
    from fennel_gov.errors import BadInput, VerificationFailed
    from fennel_gov.cli._subkey import describe_pair, describe_public
    from fennel_gov.keys.inspect import is_seed_like, parse_public, public_matches
    from fennel_gov.keys.schemes import Scheme

    scheme_value = Scheme.parse(scheme) if scheme else None
    if public is not None:
        if public.startswith("/") or "//" in public or len(public.split()) > 1:
            raise BadInput(
                "secret URIs are never taken as arguments (they would show in ps and shell history); "
                "omit the argument and type it at the prompt or pipe it on standard input"
            )
        if not public_key and is_seed_like(public):
            # subkey reads 0x + 64 hex digits as a secret seed unless --public says otherwise; we never
            # take a secret from argv, so the argument is refused instead of read either way.
            raise BadInput(
                "0x and 64 hex digits is a secret seed to subkey, and secrets are never taken as arguments (they show "
                "in ps and shell history): pipe the seed on standard input or type it at the prompt; "
                "to inspect a public key, add --public"
            )
        key, address_prefix = parse_public(public, scheme_value or Scheme.SR25519)
        info = describe_public(scheme_value or Scheme.SR25519, key, _prefix(network, address_prefix))
        pair_public, title = key, f"Public key {info['publicKey']}:"
    elif public_key:
        raise BadInput("--public inspects the public key or address given as the argument; give one")
    else:
        material = read_secret(secret_source(suri_file, keyring, keystore_json, password_stdin))
        pair = material.key_pair(scheme_value)
        info = describe_pair(pair, _prefix(network), suri=material.suri, show_secret=show_secret)
        if show_secret and material.suri is None:
            info["secretPhrase"] = None
        pair_public, title = pair.public, "Secret Key URI `***` is account:" if not show_secret else "Secret Key URI is account:"
        scheme_value = pair.scheme
    if expect_public is not None and not public_matches(expect_public, pair_public, scheme_value or Scheme.SR25519):
        raise VerificationFailed(f"the key is {info['ss58Address']}, not the expected {expect_public}")
    _render_key(info, title, as_json)


MessageFile = Annotated[
    Optional[Path],
    typer.Option("--message-file", help="Read the message from this file instead of standard input.", dir_okay=False),
]


def _read_message(hex_message: bool, message_file: Path | None = None) -> bytes:
    from fennel_gov._codec import from_hex

    limit = 64 * 1024 * 1024  # a message to sign; /dev/zero on standard input must not grow forever
    if message_file is not None:
        from fennel_gov._files import read_bytes

        data = read_bytes(message_file, "message")
    else:
        data = sys.stdin.buffer.read(limit + 1)
    if len(data) > limit:
        from fennel_gov.errors import BadInput

        raise BadInput(f"the message is longer than {limit:,} bytes; sign its hash instead")
    if hex_message:
        return from_hex(data.decode("ascii", "replace").strip(), what="the message")
    return data


@app.command()
def sign(
    scheme: SchemeOpt = None,
    hex_message: Annotated[bool, typer.Option("--hex", help="The message is hex text.")] = False,
    message_file: MessageFile = None,
    suri_file: SuriFile = None,
    keyring: KeyringName = None,
    keystore_json: KeystoreJson = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the --keystore-json password from standard input (give the message with --message-file).")] = False,
    as_json: Json = False,
) -> None:
    """Sign a message: standard input, or --message-file (the secret comes from --suri-file, --keyring, --keystore-json or the prompt).

    Scripted with an encrypted key: keys sign --keystore-json KEY.json --password-stdin --message-file MSG < password
    """
    from fennel_gov.errors import BadInput
    from fennel_gov.keys.sources import read_secret as _read_secret

    if password_stdin and not keystore_json:
        raise BadInput("--password-stdin goes with --keystore-json")
    if password_stdin and message_file is None:
        raise BadInput("standard input carries the password; give the message with --message-file")
    source = secret_source(suri_file, keyring, keystore_json, password_stdin)
    if not (suri_file or keyring or keystore_json) and message_file is None and not stdin_is_tty_for_prompt():
        raise BadInput("the message is read from standard input; give the secret with --suri-file, --keyring or --keystore-json")
    material = _read_secret(source, stdin=sys.stdin, prompt=_tty_prompt, is_tty=True)
    from fennel_gov.keys.schemes import Scheme

    pair = material.key_pair(Scheme.parse(scheme) if scheme else None)
    signature = pair.sign(_read_message(hex_message, message_file))
    if as_json:
        emit_json({"signature": "0x" + signature.hex(), "publicKey": "0x" + pair.public.hex(), "scheme": pair.scheme.value})
    else:
        emit_lines(["0x" + signature.hex()])


def stdin_is_tty_for_prompt() -> bool:
    """Prompts for the secret go to the controlling terminal, since stdin carries the message."""
    try:
        with open("/dev/tty"):
            return True
    except OSError:
        return False


def _tty_prompt(text: str) -> str:
    import getpass

    return getpass.getpass(text, stream=None)


@app.command()
def verify(
    signature: Annotated[str, typer.Argument(help="The signature, 0x hex.")],
    public: Annotated[str, typer.Argument(help="The signer's public key (0x…) or SS58 address.")],
    scheme: SchemeOpt = None,
    hex_message: Annotated[bool, typer.Option("--hex", help="The message is hex text.")] = False,
    message_file: MessageFile = None,
    as_json: Json = False,
) -> None:
    """Verify a signature over the message on standard input (exit 1 when it does not verify)."""
    from fennel_gov._codec import from_hex
    from fennel_gov.errors import VerificationFailed
    from fennel_gov.keys.inspect import parse_public
    from fennel_gov.keys.schemes import Scheme, verify as verify_signature

    scheme_value = Scheme.parse(scheme or "sr25519")
    key, _ = parse_public(public, scheme_value)
    raw_signature = from_hex(signature, what="the signature")
    valid = verify_signature(scheme_value, key, _read_message(hex_message, message_file), raw_signature)
    if as_json:
        emit_json({"valid": valid, "publicKey": "0x" + key.hex(), "scheme": scheme_value.value})
    if not valid:
        raise VerificationFailed("the signature does not verify for this message and key")
    if not as_json:
        emit_lines(["Signature verifies correctly."])


@app.command("generate-node-key")
def generate_node_key(
    file: Annotated[
        Optional[Path],
        typer.Option("-o", "--output", help="Write the key here (hex, as the node reads it; mode 0600). Never overwrites.", dir_okay=False),
    ] = None,
    binary: Annotated[bool, typer.Option("--bin", help="Write the 32 raw bytes instead of hex.")] = False,
    show_secret: ShowSecret = False,
    as_json: Json = False,
) -> None:
    """Generate a libp2p node key and print its peer id."""
    from fennel_gov._files import write_atomic
    from fennel_gov.errors import BadInput
    from fennel_gov.keys.node_key import node_key_from_secret

    if not (file or show_secret):
        raise BadInput("say where the node key goes: -o/--output PATH, or --show-secret to print it")
    if file:
        _check_new_output(file)
    key = node_key_from_secret(os.urandom(32))
    if file:
        write_atomic(file, key.secret_bytes() if binary else key.secret_hex(), secret=True)
    info = {"peer_id": key.peer_id, "publicKey": "0x" + key.public.hex()}
    if show_secret:
        info["secret_key"] = key.secret_hex()
    if file:
        info["file"] = str(file)
    if as_json:
        emit_json(info)
    else:
        emit_lines(table([("Peer ID", key.peer_id), ("Public key", info["publicKey"])]
                         + ([("Secret key", info["secret_key"])] if show_secret else [])
                         + ([("Written to", str(file))] if file else []), indent=""))


@app.command("inspect-node-key")
def inspect_node_key(
    file: Annotated[Path, typer.Argument(help="The node key file (hex text or 32 raw bytes).", dir_okay=False)],
    as_json: Json = False,
) -> None:
    """Print the peer id and public key of a node key file."""
    from fennel_gov.errors import InvalidKeyFile
    from fennel_gov.keys.node_key import parse_node_key_file

    from fennel_gov._files import read_bytes

    content = read_bytes(file, "node key", error=InvalidKeyFile)
    key = parse_node_key_file(content, source=str(file))
    if as_json:
        emit_json({"peer_id": key.peer_id, "publicKey": "0x" + key.public.hex()})
    else:
        emit_lines(table([("Peer ID", key.peer_id), ("Public key", "0x" + key.public.hex())], indent=""))


@app.command()
def insert(
    keystore: Annotated[Path, typer.Option("--keystore", help="The node's keystore directory (…/chains/<id>/keystore).", file_okay=False)],
    key_type: Annotated[str, typer.Option("--key-type", help="aura, gran (grandpa), or another 4-letter key type.")],
    scheme: SchemeOpt = None,
    suri_file: SuriFile = None,
    keyring: KeyringName = None,
    keystore_json: KeystoreJson = None,
    password_stdin: PasswordStdin = False,
    as_json: Json = False,
) -> None:
    """Write a key into a node's keystore directory, as 'polkadot key insert' does (no unsafe RPC)."""
    from fennel_gov.keys.keystore import insert_key
    from fennel_gov.keys.schemes import Scheme

    material = read_secret(secret_source(suri_file, keyring, keystore_json, password_stdin))
    path, pair = insert_key(keystore, key_type, material.require_suri("a node keystore entry"), Scheme.parse(scheme) if scheme else None)
    if as_json:
        emit_json({"file": str(path), "key_type": key_type, "publicKey": "0x" + pair.public.hex(), "scheme": pair.scheme.value})
    else:
        emit_lines(table([("Key type", key_type), ("Public key", "0x" + pair.public.hex()), ("Written to", str(path))], indent=""))


@app.command("export-json")
def export_json(
    out: Annotated[Path, typer.Option("-o", "--output", help="The encrypted JSON file to write (0600, never overwritten).", dir_okay=False)],
    scheme: SchemeOpt = None,
    network: Network = None,
    name: Annotated[Optional[str], typer.Option("--name", help="Account name stored in the file.")] = None,
    suri_file: SuriFile = None,
    keyring: KeyringName = None,
    password_stdin: PasswordStdin = False,
    as_json: Json = False,
) -> None:
    """Encrypt a secret into a polkadot-js account JSON file (importable by wallets and polkadot-js apps)."""
    from fennel_gov.errors import BadInput
    from fennel_gov.keys.schemes import Scheme

    if password_stdin and not (suri_file or keyring):
        raise BadInput("standard input can carry the secret or the password, not both; use --suri-file or --keyring")
    _check_new_output(out)
    material = read_secret(secret_source(suri_file, keyring, None, False))
    pair = material.key_pair(Scheme.parse(scheme) if scheme else None)
    prefix = _prefix(network)
    _write_encrypted(out, pair, _new_password(password_stdin), name=name or out.stem, prefix=prefix)
    from fennel_gov.keys import ss58

    address = ss58.encode(pair.account_id, prefix)
    if as_json:
        emit_json({"file": str(out), "ss58Address": address, "scheme": pair.scheme.value})
    else:
        emit_lines(table([("Account", address), ("Written to", f"{out} (encrypted, mode 0600)")], indent=""))


# -- session keys -------------------------------------------------------------------------------


def _session_info(keys, prefix: int) -> dict:
    from fennel_gov.keys import ss58

    return {
        "session_keys": keys.to_hex(),
        "aura": {"publicKey": "0x" + keys.aura.hex(), "ss58Address": ss58.encode(keys.aura, prefix), "scheme": "sr25519"},
        "grandpa": {"publicKey": "0x" + keys.grandpa.hex(), "ss58Address": ss58.encode(keys.grandpa, prefix), "scheme": "ed25519"},
    }


def _render_session(info: dict, as_json: bool, extra: tuple[tuple[str, str], ...] | list[tuple[str, str]] = ()) -> None:
    if as_json:
        emit_json(info)
        return
    emit_lines(table([
        ("Session keys", info["session_keys"]),
        ("aura (sr25519)", f"{info['aura']['publicKey']}  {info['aura']['ss58Address']}"),
        ("grandpa (ed25519)", f"{info['grandpa']['publicKey']}  {info['grandpa']['ss58Address']}"),
        *extra,
    ], indent=""))


@session_app.command("generate")
def session_generate(
    keystore: Annotated[
        Optional[Path], typer.Option("--keystore", help="Also write both keys into this node keystore directory.", file_okay=False)
    ] = None,
    network: Network = None,
    words: Annotated[int, typer.Option("--words", help="Mnemonic length for each key.")] = 24,
    show_secret: ShowSecret = False,
    as_json: Json = False,
) -> None:
    """Generate a validator's aura + grandpa keys (independent mnemonics) and print the SessionKeys bytes."""
    from fennel_gov.errors import BadInput
    from fennel_gov.keys.keystore import insert_key
    from fennel_gov.keys.mnemonic import generate_mnemonic
    from fennel_gov.keys.schemes import Scheme, pair_from_suri
    from fennel_gov.keys.secret import SecretStr
    from fennel_gov.keys.session_keys import SessionKeys

    if not (keystore or show_secret):
        raise BadInput("say where the secrets go: --keystore DIR (the validator's node keystore), or --show-secret")
    aura_suri = SecretStr(generate_mnemonic(words, os.urandom(words * 4 // 3)))
    grandpa_suri = SecretStr(generate_mnemonic(words, os.urandom(words * 4 // 3)))
    keys = SessionKeys.from_pairs(pair_from_suri(aura_suri, Scheme.SR25519), pair_from_suri(grandpa_suri, Scheme.ED25519))
    files = []
    if keystore:
        files = [str(insert_key(keystore, "aura", aura_suri)[0]), str(insert_key(keystore, "gran", grandpa_suri)[0])]
    info = _session_info(keys, _prefix(network))
    if show_secret:
        info["aura"]["secretPhrase"] = aura_suri.reveal()
        info["grandpa"]["secretPhrase"] = grandpa_suri.reveal()
    if files:
        info["keystore_files"] = files
    extra = [("Keystore files", ", ".join(files))] if files else []
    if show_secret:
        extra += [("aura phrase", aura_suri.reveal()), ("grandpa phrase", grandpa_suri.reveal())]
    _render_session(info, as_json, extra)


@session_app.command("derive")
def session_derive(
    network: Network = None,
    suri_file: SuriFile = None,
    keyring: KeyringName = None,
    keystore_json: KeystoreJson = None,
    password_stdin: PasswordStdin = False,
    as_json: Json = False,
) -> None:
    """The session keys of one secret URI used for both (aura sr25519, grandpa ed25519), as dev chains do."""
    from fennel_gov.keys.schemes import Scheme, pair_from_suri
    from fennel_gov.keys.session_keys import SessionKeys

    material = read_secret(secret_source(suri_file, keyring, keystore_json, password_stdin))
    suri = material.require_suri("deriving session keys")
    keys = SessionKeys.from_pairs(pair_from_suri(suri, Scheme.SR25519), pair_from_suri(suri, Scheme.ED25519))
    _render_session(_session_info(keys, _prefix(network)), as_json)


@session_app.command("decode")
def session_decode(
    session_keys: Annotated[str, typer.Argument(help="SCALE-encoded SessionKeys, 0x hex (64 bytes).")],
    network: Network = None,
    as_json: Json = False,
) -> None:
    """Decode SessionKeys bytes (from author_rotateKeys) into the aura and grandpa public keys."""
    from fennel_gov.keys.session_keys import SessionKeys

    _render_session(_session_info(SessionKeys.decode(session_keys), _prefix(network)), as_json)


# -- OS keyring ---------------------------------------------------------------------------------


@keyring_app.command("add")
def keyring_add(
    name: Annotated[str, typer.Argument(help="Entry name, e.g. fennel-sudo.")],
    scheme: SchemeOpt = None,
    network: Network = None,
    suri_file: SuriFile = None,
    keystore_json: KeystoreJson = None,
    password_stdin: PasswordStdin = False,
    allow_insecure_keyring: AllowInsecureKeyring = False,
    as_json: Json = False,
) -> None:
    """Store a secret URI (typed at a hidden prompt, piped in, or from a seed-keeping JSON file) in the OS keyring."""
    from fennel_gov.keys import keyring_store
    from fennel_gov.cli._subkey import describe_pair
    from fennel_gov.keys.schemes import Scheme

    keyring_store.check_can_store(name, allow_insecure=allow_insecure_keyring)
    material = read_secret(secret_source(suri_file, None, keystore_json, password_stdin))
    suri = material.require_suri("a keyring entry")
    pair = material.key_pair(Scheme.parse(scheme) if scheme else None)  # validates before storing
    keyring_store.store(name, suri, allow_insecure=allow_insecure_keyring)
    _render_key(describe_pair(pair, _prefix(network)), f"Stored {name!r}; account:", as_json)


@keyring_app.command("list")
def keyring_list(as_json: Json = False) -> None:
    """List the names of the stored entries (never their secrets)."""
    from fennel_gov.keys import keyring_store

    entries = keyring_store.names()
    if as_json:
        emit_json({"entries": entries})
    else:
        emit_lines(entries or ["(no entries)"])


@keyring_app.command("show")
def keyring_show(
    name: Annotated[str, typer.Argument(help="Entry name.")],
    scheme: SchemeOpt = None,
    network: Network = None,
    show_secret: ShowSecret = False,
    as_json: Json = False,
) -> None:
    """Show the account of a stored entry."""
    from fennel_gov.keys import keyring_store
    from fennel_gov.cli._subkey import describe_pair
    from fennel_gov.keys.schemes import Scheme, pair_from_suri

    suri = keyring_store.fetch(name)
    pair = pair_from_suri(suri, Scheme.parse(scheme or "sr25519"))
    _render_key(describe_pair(pair, _prefix(network), suri=suri, show_secret=show_secret), f"Keyring entry {name!r}:", as_json)


@keyring_app.command("remove")
def keyring_remove(
    name: Annotated[str, typer.Argument(help="Entry name.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    as_json: Json = False,
) -> None:
    """Delete a stored entry."""
    from fennel_gov.errors import BadInput
    from fennel_gov.keys import keyring_store

    if not yes:
        if not stdin_is_tty():
            raise BadInput("removing a keyring entry needs --yes when there is no terminal to confirm on")
        if not typer.confirm(f"Delete keyring entry {name!r}? The secret is gone unless you have a backup", default=False):
            raise typer.Abort()
    keyring_store.delete(name)
    if as_json:
        emit_json({"removed": name})
    else:
        emit_lines([f"Removed {name!r}."])
