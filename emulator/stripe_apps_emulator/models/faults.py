"""Seeded fault injection: rules matched per request, decisions drawn from one `random.Random(seed)`."""

from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import dataclass
from typing import Any

KINDS = ("error_before", "error_after", "rate_limit", "lock_timeout", "drop", "latency")


@dataclass(frozen=True)
class Rule:
    route: str
    kind: str
    probability: float
    latency_ms: int

    @classmethod
    def parse(cls, raw: Any) -> Rule:
        if not isinstance(raw, dict):
            raise ValueError("each rule must be an object")
        unknown = set(raw) - {"route", "kind", "probability", "latency_ms"}
        if unknown:
            raise ValueError(f"unknown rule fields: {', '.join(sorted(unknown))}")
        route, kind = raw.get("route"), raw.get("kind")
        probability, latency = raw.get("probability", 1.0), raw.get("latency_ms", 0)
        if not isinstance(route, str) or " " not in route:
            raise ValueError("route must be 'METHOD /path' (with * wildcards)")
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        if isinstance(probability, bool) or not isinstance(probability, int | float) or not 0 <= probability <= 1:
            raise ValueError("probability must be a number from 0 to 1")
        if isinstance(latency, bool) or not isinstance(latency, int) or latency < 0:
            raise ValueError("latency_ms must be a non-negative integer")
        return cls(route=route, kind=kind, probability=float(probability), latency_ms=latency)

    def matches(self, method: str, path: str) -> bool:
        rule_method, rule_path = self.route.split(" ", 1)
        return fnmatch.fnmatchcase(method, rule_method.upper()) and fnmatch.fnmatchcase(path, rule_path)


@dataclass(frozen=True)
class Decision:
    kind: str
    latency_ms: int


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self.seed: int | None = None
            self.rules: list[Rule] = []
            self._random = random.Random(0)
            self.log: list[dict[str, Any]] = []

    def configure(self, seed: int, rules: list[Rule]) -> None:
        with self._lock:
            self.seed = seed
            self.rules = rules
            self._random = random.Random(seed)
            self.log = []

    def decide(self, method: str, path: str, request_id: str) -> Decision | None:
        """Draw once per matching rule, in rule order; the first that fires decides."""
        with self._lock:
            for index, rule in enumerate(self.rules):
                if not rule.matches(method, path):
                    continue
                draw = self._random.random()
                fired = draw < rule.probability
                self.log.append(
                    {
                        "request_id": request_id,
                        "method": method,
                        "path": path,
                        "rule": index,
                        "kind": rule.kind,
                        "draw": draw,
                        "fired": fired,
                    }
                )
                if fired:
                    return Decision(kind=rule.kind, latency_ms=rule.latency_ms)
            return None

    def describe(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "rules": [
                {"route": r.route, "kind": r.kind, "probability": r.probability, "latency_ms": r.latency_ms}
                for r in self.rules
            ],
        }
