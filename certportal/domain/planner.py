"""The recertification planner: for each active certification, when it expires and what would
keep it, worded from the catalog's rules and the candidate's own facts.

Every answer comes from the engine itself (lifecycle.Replay over the candidate's facts), so
the plan cannot disagree with what recompute will do: "20 more" CE credits is the number of
points that, earned today, recompute would recertify the certification with. No Flask, and
nothing here writes (the what-if, which runs the real recompute, lives in domain/whatif.py).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

from certportal.domain.lifecycle import Facts, Replay, Rule, add_months
from certportal.domain.requirements import Credit, NodeResult
from certportal.formatting import guide_date

# A self-submitted or imported CE credit counts this long when nothing else is said.
CE_VALIDITY_MONTHS = 36
# Up to this many days away a deadline is said in days, beyond it in months.
DAYS_SAID_IN_DAYS = 60


def time_until(day: date, today: date) -> str:
    """"today", "in 1 day", "in 45 days", "in 5 months" (whole months, rounded down)."""
    days = (day - today).days
    if days < 0:
        return f"{-days} day{'s' if days != -1 else ''} ago"
    if days == 0:
        return "today"
    if days <= DAYS_SAID_IN_DAYS:
        return f"in {days} day{'s' if days != 1 else ''}"
    months = 0
    while add_months(today, months + 1) <= day:
        months += 1
    return f"in {months} month{'s' if months != 1 else ''}"


def deadline_text(day: date, today: date) -> str:
    """The guide's date and how far off it is: "2031-Oct-26 (in 5 months)"."""
    return f"{guide_date(day)} ({time_until(day, today)})"


@dataclass(frozen=True)
class CreditShown:
    """A CE credit as a certification's page lists it."""

    credit_id: int
    points: int
    active_on: date
    inactive_on: date
    # The certification (display name) that used it, when it was another one; such a credit
    # no longer counts here.
    used_for: str | None = None

    @property
    def counts(self) -> bool:
        return self.used_for is None


@dataclass(frozen=True)
class CreditStep:
    """Earn `points` more CE credits, which recertify `name`."""

    code: str
    name: str
    points: int


@dataclass(frozen=True)
class Way:
    """One way to recertify, worded, with what the candidate already has toward it."""

    text: str
    # Exams that, passed today, would complete this way on their own (the what-if's choices).
    exam_codes: tuple[str, ...] = ()
    credits_required: int = 0
    credits_have: int = 0
    # For a way made of CE credits alone: what recompute needs, in order. The last step is
    # this certification's; an earlier one is a certification that would take new credits
    # first (the engine recertifies in the program's order, oldest credits first).
    credit_steps: tuple[CreditStep, ...] = ()

    @property
    def credits_more(self) -> int | None:
        """CE credits still to earn for this way (None if it asks for none)."""
        if self.credit_steps:
            return self.credit_steps[-1].points
        if self.credits_required:
            return max(self.credits_required - self.credits_have, 0)
        return None


@dataclass(frozen=True)
class CertificationPlan:
    code: str
    name: str
    expires_on: date
    days_left: int
    deadline: str  # "2031-Oct-26 (in 5 months)"
    ways: tuple[Way, ...]
    # The CE credits named by the plan: those that count, then those another certification used.
    credits: tuple[CreditShown, ...]
    # Certifications whose earning or recertifying also renews this one.
    renewed_by: tuple[str, ...] = ()

    @property
    def ways_text(self) -> str:
        """The ways, in one sentence without the deadline ("" when there is none)."""
        text = " or ".join(way.text for way in self.ways)
        return f"{text[0].upper()}{text[1:]}" if text else ""

    @property
    def summary(self) -> str:
        """One line for Home and the reminder email."""
        if not self.ways:
            return f"It cannot be recertified; it expires on {self.deadline}."
        return f"{self.ways_text} by {self.deadline}."

    @property
    def exam_codes(self) -> tuple[str, ...]:
        """Every exam a way names that would recertify it alone, in the ways' order."""
        return tuple(dict.fromkeys(code for way in self.ways for code in way.exam_codes))


# -- wording the tree ------------------------------------------------------------------------


def _uses_ce(node: dict | None) -> bool:
    if node is None:
        return False
    if node["type"] == "ce":
        return True
    return any(_uses_ce(child) for child in node.get("children", ()))


def _exam_list(codes) -> str:
    codes = list(codes)
    if len(codes) == 1:
        return f"pass exam {codes[0]}"
    return f"pass one of these exams ({', '.join(codes)})"


def _ce_text(result: NodeResult, more: int, steps: tuple[CreditStep, ...]) -> str:
    text = f"earn {result.required} CE credits; you have {result.earned}"
    if len(steps) > 1:
        first = steps[0]
        return (
            f"{text}; {first.name} would use new CE credits first ({first.points} more "
            f"recertify it), then {more} more"
        )
    return f"{text}; {more} more"


class _Wording:
    """Words one certification's recertify tree, with the engine at hand for CE numbers."""

    def __init__(self, planner: _Planner, code: str):
        self.planner = planner
        self.code = code

    def way(self, result: NodeResult) -> Way:
        node = result.node
        kind = node["type"]
        if kind == "exam":
            return Way(_exam_list(node["exams"]), exam_codes=tuple(node["exams"]))
        if kind == "ce":
            steps = self.planner.credit_steps(self.code, result.number)
            more = steps[-1].points if steps else max(result.required - result.earned, 0)
            return Way(
                _ce_text(result, more, steps),
                credits_required=result.required,
                credits_have=result.earned,
                credit_steps=steps,
            )
        return Way(
            self.text(result),
            credits_required=sum(c.required for _, c in result.walk() if c.type == "ce"),
            credits_have=sum(c.earned for _, c in result.walk() if c.type == "ce"),
        )

    def text(self, result: NodeResult) -> str:
        node = result.node
        kind = node["type"]
        if kind == "exam":
            done = f" (done: {', '.join(result.exam_codes)})" if result.met else ""
            return _exam_list(node["exams"]) + done
        if kind == "ce":
            more = max(result.required - result.earned, 0)
            return f"earn {result.required} CE credits (you have {result.earned}; {more} more)"
        if kind == "certification":
            name = self.planner.names.get(node["code"], node["code"])
            return f"hold {name}" + (" (you do)" if result.met else "")
        if kind == "at_least" and all(
            child.node["type"] == "exam" and len(child.node["exams"]) == 1
            for child in result.children
        ):
            codes = ", ".join(child.node["exams"][0] for child in result.children)
            passed = [child.node["exams"][0] for child in result.children if child.met]
            have = f"; you have passed {', '.join(passed)}" if passed else ""
            return f"pass {node['n']} of these exams ({codes}){have}"
        parts = [self.text(child) for child in result.children]
        if kind == "all":
            return " and ".join(parts)
        if kind == "any":
            return "either " + " or ".join(parts)
        return f"{node['n']} of: " + "; ".join(parts)


# -- the plan --------------------------------------------------------------------------------


class _Planner:
    def __init__(self, rules: list[Rule], facts: Facts, today: date):
        self.rules = rules
        self.rules_by_code = {rule.code: rule for rule in rules}
        self.facts = facts
        self.today = today
        self.replay = Replay(rules, facts)
        self.outcome = self.replay.run(today)
        self.names = {rule.code: rule.name for rule in rules}
        # Hypothetical credits get the next ids, as new rows would: the engine breaks ties
        # between credits of one day by id.
        self.next_credit_id = 1 + max((credit.id for credit in facts.credits), default=0)

    def credit_day(self, code: str) -> date:
        """The first day a new credit can count toward recertifying `code`: today, unless
        its cycle started today (a cycle counts only facts dated after its first day)."""
        state = self.outcome.states[code]
        return max(self.today, state.cycle_started_on + timedelta(days=1))

    def recertified_with(self, points_list: list[int], day: date) -> Replay:
        """The engine's replay with new credits of these points, earned on `day`."""
        if not points_list and day == self.today:
            return self.replay
        extra = tuple(
            Credit(self.next_credit_id + n, points, day, add_months(day, CE_VALIDITY_MONTHS))
            for n, points in enumerate(points_list)
        )
        replay = Replay(
            self.rules, Facts(self.facts.exams, self.facts.credits + extra, self.facts.grants)
        )
        replay.run(day)
        return replay

    def _recertified(self, replay: Replay, code: str, day: date) -> bool:
        return any(
            event.kind == "recertified" and event.occurred_on == day
            for event in replay.states[code].events
        )

    def _ce_deficit(self, replay: Replay, code: str, day: date, number: str | None) -> int | None:
        """Points the CE node `number` of `code`'s recertify tree still lacks in `replay` (any
        CE-only way when `number` is None); None if there is no such node."""
        if not replay.states[code].is_active_on(day):
            return None
        kind, result = replay.progress(code, day)
        if kind != "recertify" or result is None:
            return None
        children = result.children if result.type == "any" else [result]
        deficits = [
            max(child.required - child.earned, 1)
            for child in children
            if child.type == "ce" and (number is None or child.number == number)
        ]
        return min(deficits, default=None)

    def _others_take_credits(self, code: str, day: date) -> bool:
        """Whether another certification's tree in force on `day` asks for CE credits (it
        could then use a new credit before this one does)."""
        for rule in self.rules:
            if rule.code == code:
                continue
            active = self.outcome.states[rule.code].is_active_on(day)
            if _uses_ce(rule.recertify if active else rule.earn):
                return True
        return False

    def credit_steps(self, code: str, number: str) -> tuple[CreditStep, ...]:
        """The CE credits recompute needs to recertify `code` through its CE node `number`
        with credits earned from today: the fewest points for it, after those of any
        certification that would take new credits first. Found by running the engine, so the
        numbers are what recompute will do; () when new credits alone cannot do it."""
        day = self.credit_day(code)
        if not self._others_take_credits(code, day):
            # Nothing else could use a new credit: the tree's count is what recompute needs.
            need = self._ce_deficit(self.recertified_with([], day), code, day, number)
            return () if need is None else (CreditStep(code, self.names[code], need),)
        steps: list[CreditStep] = []
        while len(steps) < len(self.rules):
            points = [step.points for step in steps]
            replay = self.recertified_with(points, day)
            need = self._ce_deficit(replay, code, day, number)
            if need is None:
                return ()
            trial = self.recertified_with([*points, need], day)
            if self._recertified(trial, code, day):
                return (*steps, CreditStep(code, self.names[code], need))
            # Another certification took the new credit: its credits come first.
            taker = trial.credit_used_by.get(self.next_credit_id + len(points))
            if taker is None or taker == code or any(step.code == taker for step in steps):
                return ()
            taker_need = self._ce_deficit(replay, taker, day, None)
            if taker_need is None or not self._recertified(
                self.recertified_with([*points, taker_need], day), taker, day
            ):
                return ()
            steps.append(CreditStep(taker, self.names[taker], taker_need))
        return ()

    def credits_toward(self, code: str) -> tuple[CreditShown, ...]:
        """The CE credits to show under a certification: only if the tree in force (recertify
        while active, earn otherwise) asks for CE credits; those that count, then those in the
        same period that another certification already used."""
        rule, state = self.rules_by_code[code], self.outcome.states[code]
        recertifying = state.is_active_on(self.today)
        tree = rule.recertify if recertifying else rule.earn
        if not _uses_ce(tree):
            return ()
        since = state.cycle_started_on if recertifying else None
        shown = []
        used_by = self.outcome.credit_used_by
        for credit in sorted(self.facts.credits, key=lambda c: (c.active_on, c.id)):
            if not credit.valid_on(self.today) or (since is not None and credit.active_on <= since):
                continue
            taker = used_by.get(credit.id)
            if taker == code:
                continue  # used by this certification's own earlier cycle: in its history
            shown.append(
                CreditShown(
                    credit.id,
                    credit.points,
                    credit.active_on,
                    credit.inactive_on,
                    used_for=self.names[taker] if taker else None,
                )
            )
        return tuple(sorted(shown, key=lambda c: c.used_for is not None))

    def plan(self, code: str) -> CertificationPlan | None:
        state = self.outcome.states.get(code)
        if state is None or not state.is_active_on(self.today):
            return None
        rule = self.rules_by_code[code]
        ways: tuple[Way, ...] = ()
        if rule.recertify is not None:
            _, result = self.replay.progress(code, self.today)
            wording = _Wording(self, code)
            children = result.children if result.node["type"] == "any" else [result]
            ways = tuple(wording.way(child) for child in children)
        renewed_by = tuple(
            other.name for other in self.rules if code in other.renews and other.code != code
        )
        return CertificationPlan(
            code=code,
            name=rule.name,
            expires_on=state.expires_on,
            days_left=(state.expires_on - self.today).days,
            deadline=deadline_text(state.expires_on, self.today),
            ways=ways,
            credits=self.credits_toward(code),
            renewed_by=renewed_by,
        )


@dataclass(frozen=True)
class Outlook:
    """What a certification's page shows from the engine."""

    tree_kind: str  # earn | recertify
    progress: NodeResult | None
    plan: CertificationPlan | None
    credits: tuple[CreditShown, ...]


def outlook(rules: list[Rule], facts: Facts, today: date, code: str) -> Outlook:
    """One certification's progress, plan and CE credits, from one replay."""
    planner = _Planner(rules, facts, today)
    tree_kind, progress = planner.replay.progress(code, today)
    return Outlook(tree_kind, progress, planner.plan(code), planner.credits_toward(code))


def plan_from_facts(
    rules: list[Rule], facts: Facts, today: date, codes: Collection[str] | None = None
) -> dict[str, CertificationPlan]:
    """Every active certification's plan, in the program's order, from facts and rules; only
    those of `codes` when given (a reminder needs one)."""
    planner = _Planner(rules, facts, today)
    plans = {}
    for rule in rules:
        if codes is not None and rule.code not in codes:
            continue
        plan = planner.plan(rule.code)
        if plan is not None:
            plans[rule.code] = plan
    return plans


def credits_shown(rules: list[Rule], facts: Facts, today: date, code: str):
    """The CE credits a certification's page lists (see _Planner.credits_toward)."""
    return _Planner(rules, facts, today).credits_toward(code)


def plans_for(candidate_id: int, today: date, rules: list[Rule] | None = None):
    """A stored candidate's plans: {code: CertificationPlan} for every active certification."""
    from certportal.domain.certifications import load_facts, load_rules

    rules = rules or load_rules()
    return plan_from_facts(rules, load_facts([candidate_id])[candidate_id], today)


def plan_for(candidate_id: int, code: str, today: date) -> CertificationPlan | None:
    return plans_for(candidate_id, today).get(code)
