"""Renaming a fork's state_dict keys onto a registered layout (`--key-map`).

A rule `OLD=NEW` renames dotted key components: `block=conv_block` turns `model.10.block.1.weight`
into `model.10.conv_block.1.weight` and leaves `model.10.conv_block.1.weight` alone (whole
components only, never parts of a name); `netG.=` (an empty NEW, OLD ending in a dot) drops a leading
prefix; a multi-component OLD (`enc.down=model`) matches that run of components. Rules apply in
order. A TOML file of `"OLD" = "NEW"` lines gives the same rules (`--key-map keys.toml`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stylelite.runtime.errors import ConfigError


@dataclass(frozen=True)
class KeyRule:
    old: tuple[str, ...]
    new: tuple[str, ...]
    prefix_only: bool = False  # OLD ended with a dot: only a leading run is renamed

    def apply(self, parts: list[str]) -> list[str]:
        n = len(self.old)
        if self.prefix_only:
            return [*self.new, *parts[n:]] if tuple(parts[:n]) == self.old else parts
        out, i = [], 0
        while i < len(parts):
            if tuple(parts[i : i + n]) == self.old:
                out += self.new
                i += n
            else:
                out.append(parts[i])
                i += 1
        return out

    def __str__(self) -> str:
        return f"{'.'.join(self.old)}{'.' if self.prefix_only else ''}={'.'.join(self.new)}"


def parse_key_map(specs: tuple[str, ...] | list[str]) -> tuple[KeyRule, ...]:
    """Rules from `OLD=NEW` strings and TOML files (ConfigError, one line, on a malformed one)."""
    rules: list[KeyRule] = []
    for spec in specs:
        if "=" not in spec and Path(spec).suffix == ".toml":
            rules += [_rule(f"{old}={new}", spec) for old, new in _read_toml(Path(spec)).items()]
        else:
            rules.append(_rule(spec, "--key-map"))
    return tuple(rules)


def remap_keys(state: dict, rules: tuple[KeyRule, ...]) -> dict:
    """`state` with every key renamed by `rules`; two keys that end up equal are an error."""
    if not rules:
        return state
    out: dict = {}
    for key, value in state.items():
        parts = key.split(".")
        for rule in rules:
            parts = rule.apply(parts)
        new = ".".join(parts)
        if new in out:
            raise ConfigError(f"--key-map renames two keys to {new}: make the rules more specific")
        out[new] = value
    return out


def _rule(spec: str, where: str) -> KeyRule:
    old, sep, new = spec.partition("=")
    old, new = old.strip(), new.strip()
    if not sep or not old or old == "." or any(not p for p in old.rstrip(".").split(".")):
        raise ConfigError(f"{where}: {spec!r} is not a rule; write OLD=NEW, e.g. --key-map 'block=conv_block'")
    prefix = old.endswith(".")
    new_parts = tuple(new.rstrip(".").split(".")) if new.rstrip(".") else ()
    if any(not p for p in new_parts):
        raise ConfigError(f"{where}: {spec!r} has an empty component in NEW")
    return KeyRule(tuple(old.rstrip(".").split(".")), new_parts, prefix)


def _read_toml(path: Path) -> dict[str, str]:
    from stylelite.runtime.files import read_toml

    table = read_toml(path, "key map", ConfigError)
    bad = [k for k, v in table.items() if not isinstance(v, str)]
    if bad:
        raise ConfigError(f'{path}: {bad[0]} must map to a string ("OLD" = "NEW")')
    return table
