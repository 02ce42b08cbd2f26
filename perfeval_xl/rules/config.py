"""Compatibility names for code written before schemes were files: a ``RuleSet`` is a ``Scheme``.

``PRESETS`` maps each shipped scheme's id to the scheme (loaded on first use); ``DEFAULT_RULES`` is the
national scheme. New code uses ``rules.scheme`` directly.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from .scheme import Scheme, SchemeError, builtin_ids, default_scheme, get_scheme

RuleSet = Scheme


class _Presets(Mapping[str, Scheme]):
    """The shipped schemes by id, loaded when first asked for."""

    def __getitem__(self, key: str) -> Scheme:
        if key not in builtin_ids():
            raise KeyError(key)
        try:
            return get_scheme(key)
        except SchemeError as exc:  # a shipped file is broken: a bug, not a user error
            raise RuntimeError(str(exc)) from exc

    def __iter__(self) -> Iterator[str]:
        return iter(builtin_ids())

    def __len__(self) -> int:
        return len(builtin_ids())


PRESETS: Mapping[str, Scheme] = _Presets()
DEFAULT_RULES: Scheme = default_scheme()

__all__ = ["DEFAULT_RULES", "PRESETS", "RuleSet"]
