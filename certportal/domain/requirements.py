"""Requirement trees: evaluate a catalog tree against a candidate's facts at one date.

A tree is the catalog's nested dicts ({"type": "all", "children": [...]}, see
db/catalog/README.md). Evaluation numbers every node (1, 1.1, 1.2 …), counts what is earned
against what is required ("1.2 – (10 / 30)"), says whether it is met, and names the facts
that met it, so a recertification can consume them. No Flask, no database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

# The icon legend: what each NodeResult.state is called, and its icon.
STATE_LABELS = {"met": "Met", "in_progress": "In progress", "not_started": "Not started"}
STATE_ICONS = {"met": "✓", "in_progress": "◐", "not_started": "○"}


@dataclass(frozen=True)
class ExamPass:
    """A passed exam result; only passes count toward requirements."""

    id: int
    code: str
    taken_on: date
    expires_on: date | None  # None: it never lapses

    def valid_on(self, day: date) -> bool:
        return self.taken_on <= day and (self.expires_on is None or day <= self.expires_on)


@dataclass(frozen=True)
class Credit:
    """CE credits: they count from active_on until the day before inactive_on."""

    id: int
    points: int
    active_on: date
    inactive_on: date

    def valid_on(self, day: date) -> bool:
        return self.active_on <= day < self.inactive_on


@dataclass(frozen=True)
class Window:
    """The facts a tree may use at one date (already filtered to the right cycle)."""

    day: date
    exams: tuple[ExamPass, ...] = ()
    credits: tuple[Credit, ...] = ()
    # Whether a certification code is held (active) at `day`.
    holds: Callable[[str], bool] = lambda code: False


@dataclass
class NodeResult:
    number: str
    type: str
    node: dict = field(repr=False, compare=False)
    earned: int
    required: int
    met: bool
    children: list[NodeResult] = field(default_factory=list)
    # The facts that met this node (for a met node) or count toward it (otherwise).
    exam_ids: tuple[int, ...] = ()
    credit_ids: tuple[int, ...] = ()
    exam_codes: tuple[str, ...] = ()
    points: int = 0
    certification_names: dict[str, str] | None = field(default=None, repr=False, compare=False)

    @property
    def label(self) -> str:
        """What the node asks for, in words (worked out only when shown)."""
        return node_label(self.node, self.certification_names)

    @property
    def state(self) -> str:
        """met | in_progress | not_started, for the icon legend."""
        if self.met:
            return "met"
        return "in_progress" if self.earned > 0 or self.points > 0 else "not_started"

    @property
    def heading(self) -> str:
        """The guide's "1.2 – (10 / 30)"."""
        return f"{self.number} – ({self.earned} / {self.required})"

    def walk(self, depth: int = 0) -> Iterable[tuple[int, NodeResult]]:
        """Every node, depth first, with its depth (the root is 0)."""
        yield depth, self
        for child in self.children:
            yield from child.walk(depth + 1)


def node_label(node: dict, certification_names: dict[str, str] | None = None) -> str:
    """What a node asks for, in words."""
    kind = node["type"]
    if kind == "all":
        return "All of the following"
    if kind == "any":
        return "One of the following"
    if kind == "at_least":
        return f"At least {node['n']} of the following"
    if kind == "exam":
        exams = node["exams"]
        if len(exams) == 1:
            return f"Pass exam {exams[0]}"
        return "Pass one of these exams: " + ", ".join(exams)
    if kind == "ce":
        return f"Earn {node['credits']} CE credits"
    if kind == "certification":
        name = (certification_names or {}).get(node["code"], node["code"])
        return f"Hold the {name} certification"
    raise ValueError(f"unknown requirement type {kind!r}")


def evaluate(
    node: dict,
    window: Window,
    number: str = "1",
    certification_names: dict[str, str] | None = None,
) -> NodeResult:
    """Evaluate one tree (or subtree) against the facts of `window`."""
    kind = node["type"]
    label = node  # NodeResult words its label from the node when it is shown
    if kind == "exam":
        wanted = set(node["exams"])
        matching = sorted(
            (p for p in window.exams if p.code in wanted and p.valid_on(window.day)),
            key=lambda p: (p.taken_on, p.id),
        )
        # The latest pass is the one that completes the requirement.
        used = matching[-1:]
        return NodeResult(
            number,
            kind,
            label,
            1 if used else 0,
            1,
            bool(used),
            exam_ids=tuple(p.id for p in used),
            exam_codes=tuple(p.code for p in used),
        )
    if kind == "ce":
        needed = node["credits"]
        valid = sorted(
            (c for c in window.credits if c.valid_on(window.day)),
            key=lambda c: (c.active_on, c.id),
        )
        total = sum(c.points for c in valid)
        # Consume the oldest credits first, only as many as the requirement needs.
        used, running = [], 0
        for credit in valid:
            if running >= needed:
                break
            used.append(credit.id)
            running += credit.points
        return NodeResult(
            number,
            kind,
            label,
            min(total, needed),
            needed,
            total >= needed,
            credit_ids=tuple(used),
            points=min(total, needed),
        )
    if kind == "certification":
        held = window.holds(node["code"])
        return NodeResult(
            number, kind, label, 1 if held else 0, 1, held, certification_names=certification_names
        )

    children = [
        evaluate(child, window, f"{number}.{position}", certification_names)
        for position, child in enumerate(node["children"], 1)
    ]
    met_children = [child for child in children if child.met]
    if kind == "all":
        required = len(children)
    elif kind == "any":
        required = 1
    elif kind == "at_least":
        required = node["n"]
    else:
        raise ValueError(f"unknown requirement type {kind!r}")
    met = len(met_children) >= required
    # A met node is met by its first `required` met children; an unmet one shows all progress.
    counted = met_children[:required] if met else children
    return NodeResult(
        number,
        kind,
        label,
        min(len(met_children), required),
        required,
        met,
        children,
        exam_ids=tuple(i for child in counted for i in child.exam_ids),
        credit_ids=tuple(dict.fromkeys(i for child in counted for i in child.credit_ids)),
        exam_codes=tuple(dict.fromkeys(c for child in counted for c in child.exam_codes)),
        points=sum(child.points for child in counted),
    )


def is_met(node: dict, window: Window) -> bool:
    """Whether a tree is met, without counting or naming anything: the replay's fast check."""
    kind = node["type"]
    if kind == "exam":
        wanted = node["exams"]
        day = window.day
        return any(p.code in wanted and p.valid_on(day) for p in window.exams)
    if kind == "ce":
        day = window.day
        return sum(c.points for c in window.credits if c.valid_on(day)) >= node["credits"]
    if kind == "certification":
        return window.holds(node["code"])
    children = node["children"]
    if kind == "all":
        return all(is_met(child, window) for child in children)
    if kind == "any":
        return any(is_met(child, window) for child in children)
    needed = node["n"]
    met = 0
    for child in children:
        if is_met(child, window):
            met += 1
            if met >= needed:
                return True
    return False


def describe_completion(result: NodeResult, credits_by_id: dict[int, Credit]) -> str:
    """How a met tree was met: "by exam 200-301", "with 30 CE credits", or both."""
    parts = []
    if result.exam_codes:
        noun = "exam" if len(result.exam_codes) == 1 else "exams"
        parts.append(f"by {noun} " + ", ".join(result.exam_codes))
    points = sum(credits_by_id[i].points for i in result.credit_ids if i in credits_by_id)
    if points:
        parts.append(f"with {points} CE credits")
    return " ".join(parts)


def first_progress(node: dict, window: Window) -> tuple[bool, date | None]:
    """Whether any part of a tree has progress, and the earliest fact behind it (fast path
    for the "Started" date of a certification in progress)."""
    kind = node["type"]
    day = window.day
    if kind == "exam":
        days = [p.taken_on for p in window.exams if p.code in node["exams"] and p.valid_on(day)]
        return bool(days), min(days, default=None)
    if kind == "ce":
        days = [c.active_on for c in window.credits if c.valid_on(day)]
        return bool(days), min(days, default=None)
    if kind == "certification":
        return window.holds(node["code"]), None
    started, earliest = False, None
    for child in node["children"]:
        child_started, child_earliest = first_progress(child, window)
        started = started or child_started
        if child_earliest is not None and (earliest is None or child_earliest < earliest):
            earliest = child_earliest
    return started, earliest
