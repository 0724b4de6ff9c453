"""Name -> object registries with errors that list the valid names."""

from __future__ import annotations

from typing import Any, Callable


class Registry:
    """Maps names (and aliases) to factories producing objects of one kind.

    ``get`` accepts a registered name (case-insensitive, '-' and '_' alike) or an
    object that already is of the kind, which it returns unchanged. An unknown
    name raises ``ValueError`` naming the valid ones.
    """

    def __init__(self, kind: str, base: type):
        self.kind = kind
        self.base = base
        self._factories: dict[str, Callable[[], Any]] = {}
        self._canonical: dict[str, str] = {}

    @staticmethod
    def _key(name: str) -> str:
        return name.strip().lower().replace("-", "_")

    def register(self, name: str, factory: Callable[[], Any], aliases: tuple[str, ...] = ()) -> None:
        self._factories[name] = factory
        for key in (name, *aliases):
            self._canonical[self._key(key)] = name

    @property
    def names(self) -> list[str]:
        """The canonical names, in registration order."""
        return list(self._factories)

    def canonical(self, name: str) -> str:
        if not isinstance(name, str):
            raise ValueError(f"{self.kind} must be a name (one of {self._listing()}), got {name!r}")
        try:
            return self._canonical[self._key(name)]
        except KeyError:
            raise ValueError(
                f"unknown {self.kind} {name!r}; valid {self.kind}s are: {self._listing()}"
            ) from None

    def get(self, spec: Any) -> Any:
        if isinstance(spec, self.base):
            return spec
        return self._factories[self.canonical(spec)]()

    def _listing(self) -> str:
        return ", ".join(self.names)

    def __contains__(self, name: str) -> bool:
        return isinstance(name, str) and self._key(name) in self._canonical
