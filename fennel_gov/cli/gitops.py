"""``fennel-gov gitops``: Kubernetes objects for a GitOps repository, from the ceremony (offline)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from fennel_gov.cli._options import Json, hidden_prompt, stdin_is_tty
from fennel_gov.cli._render import emit_json, emit_lines, note

app = typer.Typer(help="Kubernetes outputs for GitOps: Parity node chart, Sealed Secrets, SOPS (offline).", no_args_is_help=True,
                  rich_markup_mode=None)

SpecOpt = Annotated[Path, typer.Option("--spec", help="The raw chain spec (JSON).", dir_okay=False)]
ManifestOpt = Annotated[Path, typer.Option("--manifest", help="The ceremony's public manifest, keys/<network>.json.", dir_okay=False)]


class _Passphrases:
    """Custodians' passphrases: stdin lines in the order 'ceremony custodians' would give for these nodes, or hidden prompts."""

    def __init__(self, order: list[str], from_stdin: bool) -> None:
        from fennel_gov.errors import BadInput, SecretUnavailable
        from fennel_gov.keys import SecretStr

        self._cache: dict[str, SecretStr] = {}
        if from_stdin:
            lines = sys.stdin.read().splitlines()
            if len(lines) < len(order):
                raise SecretUnavailable(f"standard input has {len(lines)} passphrase line(s); these custodians need one each, in order: {', '.join(order)}")
            self._cache = {c: SecretStr(lines[i]) for i, c in enumerate(order)}
        elif not stdin_is_tty():
            raise BadInput("no terminal to ask the custodians' passphrases on; use --passphrases-stdin")

    def __call__(self, custodian: str):
        from fennel_gov.keys import SecretStr

        if custodian not in self._cache:
            self._cache[custodian] = SecretStr(hidden_prompt(f"Passphrase for custodian {custodian}: "))
        return self._cache[custodian]


@app.command()
def render(
    manifest: ManifestOpt,
    ceremony: Annotated[Path, typer.Option("--ceremony", help="The ceremony directory (encrypted secrets).", file_okay=False)],
    spec: SpecOpt,
    namespace: Annotated[str, typer.Option("--namespace", help="Kubernetes namespace of every object.")],
    image: Annotated[str, typer.Option("--image", help="The node's image, REPOSITORY:TAG (pinned).")],
    out: Annotated[Path, typer.Option("-o", "--output", help="New directory to write (committed to the GitOps repository).", file_okay=False)],
    seal_cert: Annotated[Optional[Path], typer.Option("--seal-cert", help="Seal the Secrets for this Sealed Secrets controller certificate (kubeseal --fetch-cert).", dir_okay=False)] = None,
    sops_age: Annotated[list[str], typer.Option("--sops-age", help="Encrypt the Secrets with SOPS for this age recipient (repeat for more).")] = [],
    command: Annotated[str, typer.Option("--command", help="The node binary in the image.")] = "fennel-node",
    init_image: Annotated[str, typer.Option("--init-image", help="Image of the chain-spec init container (a POSIX sh with gunzip and sha256sum).")] = "busybox:1.37.0",
    chart_version: Annotated[str, typer.Option("--chart-version", help="Version of Parity's node chart.")] = "5.17.0",
    rpc_nodes: Annotated[int, typer.Option("--rpc-nodes", help="Also render this many RPC (full, keyless) nodes.")] = 0,
    flux_path: Annotated[Optional[str], typer.Option("--flux-path", help="Path of the output directory in the Git repository, for the Flux Kustomization.")] = None,
    part_kib: Annotated[int, typer.Option("--part-kib", help="Largest chain-spec part (compressed KiB per ConfigMap).")] = 512,
    passphrases_stdin: Annotated[bool, typer.Option("--passphrases-stdin", help="Read the passphrases from standard input: validators, then bootnodes, one line each.")] = False,
    allow_network: Annotated[bool, typer.Option("--allow-network", help="Run although a network interface is up (the secrets are opened here).")] = False,
    as_json: Json = False,
) -> None:
    """Render ConfigMaps (chain spec), sealed or SOPS-encrypted key Secrets, HelmReleases and kustomization.yaml."""
    from fennel_gov.ceremony.airgap import interfaces_up
    from fennel_gov.ceremony.manifest import load_manifest
    from fennel_gov.errors import BadInput
    from fennel_gov.gitops import nodes
    from fennel_gov.gitops.render import RenderOptions
    from fennel_gov.gitops.render import render as do_render

    up = interfaces_up()
    if up and not allow_network:
        raise BadInput(f"network interface(s) {', '.join(up)} are up: the ceremony's secrets are opened here; disconnect, or pass --allow-network")
    options = RenderOptions(
        manifest=manifest, ceremony=ceremony, spec=spec, namespace=namespace, out=out, image=image, seal_cert=seal_cert,
        sops_age=tuple(sops_age), command=command, init_image=init_image, chart=nodes.Chart(version=chart_version),
        rpc_nodes=rpc_nodes, part_bytes=part_kib * 1024, flux_path=flux_path,
    )
    options.check()
    order = nodes.custodians(load_manifest(manifest))
    result = do_render(options, _Passphrases(order, passphrases_stdin))
    if as_json:
        emit_json(result)
        return
    how = f"sealed for certificate {result['sealing_cert_sha256'][:16]}…" if result["sealing_cert_sha256"] else f"SOPS for {', '.join(result['sops_age_recipients'])}"
    emit_lines([
        f"Wrote {result['out']}/ ({len(result['files'])} files, namespace {result['namespace']})",
        f"Chain spec: sha256 {result['chainspec_sha256']}, genesis {result['genesis_hash']}, {result['chainspec_parts']} ConfigMap part(s)",
        f"Secrets:    {how}",
        *[f"Release {n['release']}: {n['role']}" + (f"  peer {n['peer_id']}" if n["peer_id"] else "") for n in result["nodes"]],
        f"Manifest fingerprint {result['manifest_fingerprint']}",
        f"Next: 'fennel-gov gitops verify {result['out']} --spec {spec} --manifest {manifest}', then commit; add flux-kustomization.yaml to flux-system.",
    ])


@app.command()
def verify(
    directory: Annotated[Path, typer.Argument(help="A rendered directory.", file_okay=False)],
    spec: SpecOpt,
    manifest: ManifestOpt,
    as_json: Json = False,
) -> None:
    """Check a rendered directory: objects valid, spec parts = the spec, every node's keys present, no Secret in clear."""
    from fennel_gov.errors import VerificationFailed
    from fennel_gov.gitops.verify import verify_directory

    result = verify_directory(directory, spec, manifest)
    if as_json:
        emit_json(result)
    else:
        emit_lines([f"problem: {p}" for p in result["problems"]]
                   + [f"{result['objects']} objects checked; chain spec {result['chainspec_parts']} part(s), genesis {result['genesis_hash']}"])
    if not result["ok"]:
        if not as_json:
            note(f"{len(result['problems'])} problem(s)")
        raise VerificationFailed(f"{len(result['problems'])} problem(s) in {directory}")
