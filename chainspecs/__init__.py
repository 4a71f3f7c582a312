"""Chain specs shipped with fennel-gov: installed as ``fennel_gov.chainspecs`` (see pyproject.toml).

Read them through ``fennel_gov.chainspec.spec.embedded_development_spec``, never by a path
relative to the source tree: an installed wheel has no source tree.
"""
