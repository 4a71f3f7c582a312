"""From ceremony to cluster: Kubernetes objects for a GitOps repository (Flux + Parity's ``node`` chart).

Offline, like the ceremony: nothing here opens a network connection. ``render`` turns a ceremony's
encrypted secrets, its public manifest and a raw chain spec into a directory an operator commits;
``verify_directory`` checks such a directory (possibly edited by hand) against the spec and manifest.

Modules, each for one thing:

- ``sealed``    the Sealed Secrets hybrid format (RSA-OAEP SHA-256 + AES-256-GCM) and ``SealedSecret`` objects
- ``sops``      SOPS-encrypted documents (AES-256-GCM values, SHA-512 MAC, age recipients)
- ``chainspec`` the raw spec as gzip parts in ConfigMaps, and the init container that reassembles and checks it
- ``nodes``     the nodes to deploy, their keys opened from the ceremony, their HelmRelease values
- ``render``    the directory: objects, kustomization.yaml, Flux snippet; written atomically
- ``verify``    every check ``gitops verify`` makes
- ``schemas``   Kubernetes object validation (bundled JSON schemas; required fields for the CRDs)
"""

from fennel_gov.gitops.render import RenderOptions, render
from fennel_gov.gitops.verify import verify_directory

__all__ = ["RenderOptions", "render", "verify_directory"]
