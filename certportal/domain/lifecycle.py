"""A candidate's certifications, replayed from facts: earn, recertify, renew, grant, expire.

`replay(rules, facts, today)` walks the dates of the candidate's facts in order and applies
the catalog's rules at each one. The result depends only on the facts and the rules (never
on the order facts were recorded), and replaying again gives the same answer, so recompute
can run any number of times.

Windows (which facts count):
- To earn: passed exams not expired that day, CE credits active that day and not used.
- To recertify: the same, but only facts from the current cycle's first day on that this
  certification has not used yet (the exam that earned it cannot recertify it).
- A certification is active through its expiration date and expired the day after.
- Recertifying extends the expiration from the old one ("expiration") or from the day
  ("completion"), always to a later date; it starts a new cycle, and the credits it used
  no longer count.
- Earning, recertifying or being granted a certification renews the lower ones it names
  (catalog `renews`) that are active: their expiration moves up to its new one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from certportal.domain.requirements import (
    Credit,
    ExamPass,
    NodeResult,
    Window,
    describe_completion,
    evaluate,
)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (Jan 31 + 1 = Feb 28)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate_day in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate_day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Rule:
    """One certification of the catalog, as the engine needs it."""

    code: str
    name: str
    validity_months: int
    earn: dict
    recertify: dict | None = None
    recertify_from: str = "expiration"
    renews: tuple[str, ...] = ()


@dataclass(frozen=True)
class Grant:
    code: str
    granted_on: date


@dataclass(frozen=True)
class Facts:
    exams: tuple[ExamPass, ...] = ()
    credits: tuple[Credit, ...] = ()
    grants: tuple[Grant, ...] = ()

    def dates(self) -> set[date]:
        return (
            {p.taken_on for p in self.exams}
            | {c.active_on for c in self.credits}
            | {g.granted_on for g in self.grants}
        )


@dataclass(frozen=True)
class Event:
    occurred_on: date
    kind: str  # earned | recertified | renewed | granted | expired
    description: str
    # The expiration the change set (None for "expired").
    expires_on: date | None = None


@dataclass
class State:
    """One certification's state for the candidate, as of the last replayed date."""

    code: str
    status: str = "none"  # none | active | expired
    first_earned_on: date | None = None
    active_on: date | None = None
    expires_on: date | None = None
    cycle_started_on: date | None = None
    events: list[Event] = field(default_factory=list)
    used_exam_ids: set[int] = field(default_factory=set)

    def is_active_on(self, day: date) -> bool:
        return self.status == "active" and self.expires_on is not None and day <= self.expires_on


@dataclass
class Outcome:
    states: dict[str, State]
    # Which certification consumed each used credit.
    credit_used_by: dict[int, str]


class Replay:
    def __init__(self, rules: list[Rule], facts: Facts):
        self.rules = {rule.code: rule for rule in rules}
        self.order = [rule.code for rule in rules]
        self.facts = facts
        self.states = {code: State(code) for code in self.order}
        self.credit_used_by: dict[int, str] = {}
        self.credits_by_id = {credit.id: credit for credit in facts.credits}
        self.names = {rule.code: rule.name for rule in rules}

    # -- windows --------------------------------------------------------------------------

    def holds(self, day: date):
        return lambda code: code in self.states and self.states[code].is_active_on(day)

    def window(self, state: State, day: date, recertifying: bool) -> Window:
        since = state.cycle_started_on if recertifying else None
        exams = tuple(
            p
            for p in self.facts.exams
            if p.id not in state.used_exam_ids and (since is None or p.taken_on >= since)
        )
        credits = tuple(
            c
            for c in self.facts.credits
            if c.id not in self.credit_used_by and (since is None or c.active_on >= since)
        )
        return Window(day, exams, credits, self.holds(day))

    def progress(self, code: str, day: date) -> tuple[str, NodeResult | None]:
        """The tree that matters now ("earn" or "recertify") evaluated at `day`."""
        rule, state = self.rules[code], self.states[code]
        if state.is_active_on(day):
            if rule.recertify is None:
                return "recertify", None
            window = self.window(state, day, recertifying=True)
            return "recertify", evaluate(rule.recertify, window, certification_names=self.names)
        window = self.window(state, day, recertifying=False)
        return "earn", evaluate(rule.earn, window, certification_names=self.names)

    # -- changes --------------------------------------------------------------------------

    def consume(self, state: State, result: NodeResult) -> None:
        state.used_exam_ids.update(result.exam_ids)
        for credit_id in result.credit_ids:
            self.credit_used_by[credit_id] = state.code

    def start(self, state: State, day: date, expires_on: date, event: Event) -> None:
        state.status = "active"
        if state.first_earned_on is None:
            state.first_earned_on = day
        state.expires_on = expires_on
        state.cycle_started_on = day
        state.events.append(replace(event, expires_on=expires_on))
        self.renew_lower(state, day)

    def renew_lower(self, higher: State, day: date) -> None:
        for code in self.rules[higher.code].renews:
            lower = self.states.get(code)
            if lower is None or not lower.is_active_on(day):
                continue
            if higher.expires_on > lower.expires_on:
                lower.expires_on = higher.expires_on
                lower.cycle_started_on = day
                lower.events.append(
                    Event(
                        day,
                        "renewed",
                        f"Renewed by certification {self.rules[higher.code].name}",
                        lower.expires_on,
                    )
                )

    def expire(self, day: date) -> None:
        for code in self.order:
            state = self.states[code]
            if state.status == "active" and state.expires_on < day:
                state.status = "expired"
                state.events.append(Event(state.expires_on, "expired", "Expired"))

    def step(self, code: str, day: date, grants_today: set[str]) -> bool:
        """Apply the rules to one certification at `day`; True if its state changed."""
        rule, state = self.rules[code], self.states[code]
        was_active = state.is_active_on(day)
        if code in grants_today:
            grants_today.discard(code)
            expires = add_months(day, rule.validity_months)
            if was_active:
                expires = max(expires, state.expires_on)
            else:
                state.active_on = day
            self.start(state, day, expires, Event(day, "granted", "Manually granted certification"))
            return True
        if was_active:
            if rule.recertify is None or day <= state.cycle_started_on:
                return False
            result = evaluate(
                rule.recertify, self.window(state, day, True), certification_names=self.names
            )
            if not result.met:
                return False
            base = state.expires_on if rule.recertify_from == "expiration" else day
            expires = max(add_months(base, rule.validity_months), state.expires_on + timedelta(1))
            self.consume(state, result)
            how = describe_completion(result, self.credits_by_id) or "by meeting the requirements"
            self.start(state, day, expires, Event(day, "recertified", f"Recertified {how}"))
            return True
        result = evaluate(rule.earn, self.window(state, day, False), certification_names=self.names)
        if not result.met:
            return False
        self.consume(state, result)
        state.active_on = day
        how = describe_completion(result, self.credits_by_id) or "by meeting the requirements"
        self.start(
            state, day, add_months(day, rule.validity_months), Event(day, "earned", f"Earned {how}")
        )
        return True

    def run(self, today: date) -> Outcome:
        days = sorted(d for d in self.facts.dates() if d <= today)
        pending = list(days)
        while True:
            # The next day something can happen: a fact's date or the day after an expiration.
            expiries = [
                s.expires_on + timedelta(1)
                for s in self.states.values()
                if s.status == "active" and s.expires_on + timedelta(1) <= today
            ]
            candidates = pending[:1] + expiries
            if not candidates:
                break
            day = min(candidates)
            if pending and pending[0] == day:
                pending.pop(0)
            self.expire(day)
            grants_today = {g.code for g in self.facts.grants if g.granted_on == day}
            # Until nothing changes: earning one certification can meet another's tree.
            for _ in range(len(self.order) + 1):
                changed = False
                for code in self.order:
                    changed = self.step(code, day, grants_today) or changed
                if not changed:
                    break
        self.expire(today)
        return Outcome(self.states, dict(self.credit_used_by))


def replay(rules: list[Rule], facts: Facts, today: date) -> Outcome:
    """Every certification's state at `today`, derived from the facts by the rules."""
    return Replay(rules, facts).run(today)
