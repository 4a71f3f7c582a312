"""YAML in and out. Out: block style, multi-line strings as literal blocks (the init script stays
readable in review). In: safe loading with anchors and aliases refused, since a rendered directory
may have been edited by anyone with commit rights (and aliases are the classic memory bomb)."""

from __future__ import annotations

from typing import Any

import yaml

from fennel_gov.errors import BadInput


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # never emit anchors: every object stands alone
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def dump(document: Any) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=4096)


class _NoAliasLoader(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise BadInput("YAML aliases are not accepted in a rendered directory; expand them")
        return super().compose_node(parent, index)


def load_all(text: str, source: str) -> list[Any]:
    try:
        return [d for d in yaml.load_all(text, Loader=_NoAliasLoader) if d is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise BadInput(f"{source} is not valid YAML{where}: fix or re-render it") from None
