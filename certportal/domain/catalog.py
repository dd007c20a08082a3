"""The program catalog (db/catalog/*.toml): validate all of it, then upsert it by code."""

import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path

from playhouse.shortcuts import model_to_dict

from certportal.db import database
from certportal.models import (
    Agreement,
    BaseModel,
    CatalogLoad,
    Certification,
    Exam,
    FulfillmentItem,
    LogoFile,
)

# A check takes a value and where it sits ("earn.children[1]") and returns its problems.
Check = Callable[[object, str], list[str]]


class CatalogError(Exception):
    """The catalog was refused whole; `errors` names file, entry and field of every problem."""

    def __init__(self, errors: list[str]):
        super().__init__(f"The catalog has {len(errors)} error(s):\n" + "\n".join(errors))
        self.errors = errors


@dataclass
class Changes:
    """How many rows of one kind a load created, updated and left as they were."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


@dataclass
class CatalogSummary:
    """What a catalog load did, per kind of entry."""

    exams: Changes = field(default_factory=Changes)
    certifications: Changes = field(default_factory=Changes)
    agreements: Changes = field(default_factory=Changes)
    logos: Changes = field(default_factory=Changes)
    kits: Changes = field(default_factory=Changes)

    def __str__(self) -> str:
        return "\n".join(f"{kind.name}: {getattr(self, kind.name)}" for kind in fields(self))


def _describe(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check(accepts: Callable[[object], object], expectation: str) -> Check:
    def check(value: object, where: str) -> list[str]:
        return [] if accepts(value) else [f"{where}: must be {expectation}, got {_describe(value)}"]

    return check


def _is_int(value: object) -> bool:
    # TOML's true/false arrive as bool, which Python also counts as int.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_code_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(code, str) and code for code in value)


CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

check_code = _check(
    lambda value: isinstance(value, str) and CODE_PATTERN.fullmatch(value),
    "a code of letters, digits, '.', '_' and '-'",
)
check_text = _check(lambda value: isinstance(value, str) and value.strip(), "non-empty text")
check_any_text = _check(lambda value: isinstance(value, str), "text")
check_bool = _check(lambda value: isinstance(value, bool), "true or false")
check_int = _check(_is_int, "an integer")
check_positive = _check(lambda value: _is_int(value) and value > 0, "a positive integer")
check_cents = _check(lambda value: _is_int(value) and value >= 0, "whole cents, an integer >= 0")
check_currency = _check(
    lambda value: isinstance(value, str) and re.fullmatch(r"[A-Z]{3}", value),
    'a three-letter currency code such as "USD"',
)
check_codes = _check(_is_code_list, "a list of codes")
check_some_codes = _check(lambda value: _is_code_list(value) and value, "a non-empty list of codes")


def _one_of(*choices: str) -> Check:
    return _check(lambda value: value in choices, "one of " + ", ".join(f'"{c}"' for c in choices))


def _check_children(value: object, where: str) -> list[str]:
    if not (isinstance(value, list) and value):
        return [f"{where}: must be a non-empty list of requirement tables, got {_describe(value)}"]
    return [
        problem
        for position, child in enumerate(value)
        for problem in validate_tree(child, f"{where}[{position}]")
    ]


# Each node type and its fields; every field of a node is required.
NODE_FIELDS: dict[str, dict[str, Check]] = {
    "all": {"children": _check_children},
    "any": {"children": _check_children},
    "at_least": {"n": check_positive, "children": _check_children},
    "exam": {"exams": check_some_codes},
    "ce": {"credits": check_positive},
    "certification": {"code": check_text},
}


def validate_tree(node: object, where: str = "tree") -> list[str]:
    """The problems of a requirement tree's shape, each prefixed with its path from `where`."""
    if not isinstance(node, dict):
        return [f"{where}: must be a requirement table with a type, got {_describe(node)}"]
    node_types = ", ".join(f'"{name}"' for name in NODE_FIELDS)
    if "type" not in node:
        return [f"{where}.type: required, one of {node_types}"]
    node_type = node["type"]
    if not isinstance(node_type, str) or node_type not in NODE_FIELDS:
        return [f"{where}.type: must be one of {node_types}, got {_describe(node_type)}"]
    node_fields = NODE_FIELDS[node_type]
    problems = [
        f'{where}.{key}: not a field of type "{node_type}"'
        for key in node
        if key != "type" and key not in node_fields
    ]
    for key, check in node_fields.items():
        if key in node:
            problems += check(node[key], f"{where}.{key}")
        else:
            problems.append(f'{where}.{key}: required by type "{node_type}"')
    children = node.get("children")
    if node_type == "at_least" and isinstance(children, list) and children:
        needed = node.get("n")
        if _is_int(needed) and needed > len(children):
            problems.append(
                f"{where}.n: must be at most {len(children)} (the number of children), got {needed}"
            )
    return problems


def _tree_references(node: object) -> Iterator[tuple[str, str]]:
    """(kind, code) of each exam and certification a tree names, skipping malformed parts."""
    if not isinstance(node, dict):
        return
    if node.get("type") == "exam" and isinstance(node.get("exams"), list):
        yield from (("exam", code) for code in node["exams"] if isinstance(code, str))
    if node.get("type") == "certification" and isinstance(node.get("code"), str):
        yield "certification", node["code"]
    if isinstance(node.get("children"), list):
        for child in node["children"]:
            yield from _tree_references(child)


@dataclass(frozen=True)
class FieldSpec:
    check: Check
    required: bool = True
    model_field: str = ""  # when the model names it differently from the TOML key


@dataclass(frozen=True)
class EntryKind:
    name: str  # the TOML array of tables: [[exam]]
    plural: str  # its CatalogSummary attribute
    model: type[BaseModel]
    fields: dict[str, FieldSpec]


EXAM = EntryKind(
    "exam",
    "exams",
    Exam,
    {
        "code": FieldSpec(check_code),
        "name": FieldSpec(check_text),
        "validity_months": FieldSpec(check_positive, required=False),
        "retired": FieldSpec(check_bool, required=False),
    },
)
CERTIFICATION = EntryKind(
    "certification",
    "certifications",
    Certification,
    {
        "code": FieldSpec(check_code),
        "abbreviation": FieldSpec(check_text),
        "name": FieldSpec(check_text),
        "group": FieldSpec(check_text, model_field="group_name"),
        "group_order": FieldSpec(check_int, required=False),
        "sort_order": FieldSpec(check_int, required=False),
        "validity_months": FieldSpec(check_positive),
        "recertify_from": FieldSpec(_one_of("expiration", "completion"), required=False),
        "renews": FieldSpec(check_codes, required=False),
        "pdf_certificate": FieldSpec(check_bool, required=False),
        "description": FieldSpec(check_any_text, required=False),
        "earn": FieldSpec(validate_tree, model_field="earn_tree"),
        "recertify": FieldSpec(validate_tree, required=False, model_field="recertify_tree"),
    },
)
AGREEMENT = EntryKind(
    "agreement",
    "agreements",
    Agreement,
    {
        "code": FieldSpec(check_code),
        "kind": FieldSpec(_one_of("certification", "logo")),
        "name": FieldSpec(check_text),
        "version": FieldSpec(check_text),
        "text": FieldSpec(check_text),
        "current": FieldSpec(check_bool, required=False, model_field="is_current"),
    },
)
LOGO = EntryKind(
    "logo",
    "logos",
    LogoFile,
    {
        "code": FieldSpec(check_code),
        "certification": FieldSpec(check_text),
        "title": FieldSpec(check_text),
        "milestone_years": FieldSpec(check_positive, required=False),
        "sort_order": FieldSpec(check_int, required=False),
    },
)
KIT = EntryKind(
    "kit",
    "kits",
    FulfillmentItem,
    {
        "code": FieldSpec(check_code),
        "certification": FieldSpec(check_text),
        "name": FieldSpec(check_text),
        "kind": FieldSpec(_one_of("Certificate", "Plaque", "Letter")),
        "initial_price_cents": FieldSpec(check_cents, required=False),
        "additional_price_cents": FieldSpec(check_cents),
        "currency": FieldSpec(check_currency, required=False),
        "free_on_recertification": FieldSpec(check_bool, required=False),
    },
)

# In load order: logos and kits point at certifications.
ENTRY_KINDS = (EXAM, CERTIFICATION, AGREEMENT, LOGO, KIT)
KINDS_BY_NAME = {kind.name: kind for kind in ENTRY_KINDS}


@dataclass
class Entry:
    """One [[kind]] table of one catalog file."""

    file: str
    kind: EntryKind
    position: int  # 1-based, among the file's tables of this kind
    data: dict

    @property
    def code(self) -> str | None:
        code = self.data.get("code")
        return code if isinstance(code, str) and code else None

    def problem(self, message: str) -> str:
        name = f'"{self.code}"' if self.code else f"#{self.position}"
        return f"{self.file}: {self.kind.name} {name}: {message}"

    def value(self, key: str) -> object:
        """The entry's value for a key, or the model's default when the file leaves it out."""
        if key in self.data:
            return self.data[key]
        default = self.kind.model._meta.fields[self._model_field(key)].default
        return default() if callable(default) else default

    def model_values(self) -> dict[str, object]:
        return {self._model_field(key): self.value(key) for key in self.kind.fields}

    def _model_field(self, key: str) -> str:
        return self.kind.fields[key].model_field or key


def _read_entries(directory: Path, errors: list[str]) -> list[Entry]:
    paths = sorted(directory.glob("*.toml"))
    if not paths:
        errors.append(f"{directory}: no *.toml files")
    entries = []
    for path in paths:
        try:
            with path.open("rb") as file:
                document = tomllib.load(file)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            errors.append(f"{path.name}: not valid TOML: {error}")
            continue
        for section, tables in document.items():
            kind = KINDS_BY_NAME.get(section)
            if kind is None:
                expected = ", ".join(f"[[{name}]]" for name in KINDS_BY_NAME)
                errors.append(f'{path.name}: "{section}": unknown section, expected {expected}')
            elif not (isinstance(tables, list) and all(isinstance(t, dict) for t in tables)):
                errors.append(f"{path.name}: {section}: must be tables written [[{section}]]")
            else:
                entries += [Entry(path.name, kind, n, table) for n, table in enumerate(tables, 1)]
    return entries


def _field_problems(entry: Entry) -> list[str]:
    specs = entry.kind.fields
    problems = [f"{key}: unknown field" for key in entry.data if key not in specs]
    for key, spec in specs.items():
        if key not in entry.data:
            if spec.required:
                problems.append(f"{key}: required")
            continue
        value = entry.data[key]
        value_problems = spec.check(value, key)
        # SQLite would store an over-long value; PostgreSQL would refuse it mid-load.
        limit = getattr(entry.kind.model._meta.fields[spec.model_field or key], "max_length", None)
        if not value_problems and limit and len(value) > limit:
            value_problems.append(f"{key}: must be at most {limit} characters, got {len(value)}")
        problems += value_problems
    return [entry.problem(problem) for problem in problems]


def _index_by_code(entries: list[Entry], errors: list[str]) -> dict[str, dict[str, Entry]]:
    """Each kind's entries by code, reporting a code defined twice (in any files)."""
    index: dict[str, dict[str, Entry]] = {kind.name: {} for kind in ENTRY_KINDS}
    for entry in entries:
        first = index[entry.kind.name].setdefault(entry.code, entry) if entry.code else entry
        if first is not entry:
            errors.append(entry.problem(f"code: already defined in {first.file}"))
    return index


def _reference_problems(entry: Entry, known: dict[str, dict[str, Entry]]) -> list[str]:
    problems = []
    if entry.kind is CERTIFICATION:
        for key in ("earn", "recertify"):
            for kind, code in _tree_references(entry.data.get(key)):
                if code not in known[kind]:
                    problems.append(f'{key}: {kind} "{code}" is not in the catalog')
        renews = entry.data.get("renews")
        for code in renews if isinstance(renews, list) else []:
            if code == entry.code:
                problems.append("renews: a certification cannot renew itself")
            elif isinstance(code, str) and code not in known["certification"]:
                problems.append(f'renews: certification "{code}" is not in the catalog')
    elif "certification" in entry.kind.fields:
        code = entry.data.get("certification")
        if isinstance(code, str) and code not in known["certification"]:
            problems.append(f'certification: certification "{code}" is not in the catalog')
    # An option may repeat a code another option names; one message per missing code is enough.
    return [entry.problem(problem) for problem in dict.fromkeys(problems)]


def _cycle_problems(certifications: dict[str, Entry]) -> list[str]:
    """A certification that requires itself, through the certification nodes of its trees."""
    requires = {
        code: [
            (key, target)
            for key in ("earn", "recertify")
            for kind, target in _tree_references(entry.data.get(key))
            if kind == "certification" and target in certifications
        ]
        for code, entry in certifications.items()
    }
    problems = []
    path: list[str] = []  # the certifications being visited, outermost first
    path_keys: list[str] = []  # path_keys[i]: the tree by which path[i] requires path[i + 1]
    finished: set[str] = set()

    def visit(code: str) -> None:
        path.append(code)
        for key, target in requires[code]:
            if target in path:
                start = path.index(target)
                first_key = path_keys[start] if start < len(path_keys) else key
                loop = " -> ".join([*path[start:], target])
                problems.append(
                    certifications[target].problem(f"{first_key}: requires itself: {loop}")
                )
            elif target not in finished:
                path_keys.append(key)
                visit(target)
                path_keys.pop()
        path.pop()
        finished.add(code)

    for code in sorted(requires):
        if code not in finished:
            visit(code)
    return problems


def _group_order_problems(certifications: list[Entry]) -> list[str]:
    """Certifications of one group must agree on where its header goes."""
    first_in_group: dict[str, Entry] = {}
    problems = []
    for entry in certifications:
        group, order = entry.value("group"), entry.value("group_order")
        if not (isinstance(group, str) and _is_int(order)):
            continue
        first = first_in_group.setdefault(group, entry)
        if order != first.value("group_order"):
            problems.append(
                entry.problem(
                    f"group_order: {order} differs from {first.value('group_order')} given by "
                    f'certification "{first.code}" in {first.file} for group "{group}"'
                )
            )
    return problems


def _current_agreement_problems(agreements: list[Entry]) -> list[str]:
    """The portal shows one current agreement of each kind, so at most one may be current."""
    current_of_kind: dict[str, Entry] = {}
    problems = []
    for entry in agreements:
        kind = entry.value("kind")
        if entry.value("current") is not True or not isinstance(kind, str):
            continue
        first = current_of_kind.setdefault(kind, entry)
        if first is not entry:
            problems.append(
                entry.problem(
                    f'current: {kind} agreement "{first.code}" in {first.file} is current too; '
                    "set current = false on all but one"
                )
            )
    return problems


def _validate(directory: Path) -> list[Entry]:
    """Every entry of the catalog, or CatalogError with every problem found."""
    errors: list[str] = []
    entries = _read_entries(directory, errors)
    for entry in entries:
        errors += _field_problems(entry)
    index = _index_by_code(entries, errors)
    for entry in entries:
        errors += _reference_problems(entry, index)
    errors += _cycle_problems(index["certification"])
    errors += _group_order_problems([e for e in entries if e.kind is CERTIFICATION])
    errors += _current_agreement_problems([e for e in entries if e.kind is AGREEMENT])
    if errors:
        raise CatalogError(errors)
    return entries


def _upsert(kind: EntryKind, rows: list[dict[str, object]], changes: Changes) -> None:
    model = kind.model
    stored = {row.code: row for row in model.select()}
    for values in rows:
        row = stored.get(values["code"])
        if row is None:
            model.create(**values)
            changes.created += 1
            continue
        # recurse=False gives a foreign key as its id, as the catalog rows carry it.
        current = model_to_dict(row, recurse=False)
        differing = {name: value for name, value in values.items() if current[name] != value}
        if differing:
            model.update(**differing).where(model.id == row.id).execute()
            changes.updated += 1
        else:
            changes.unchanged += 1


def load_catalog(directory: Path) -> CatalogSummary:
    """Validate every *.toml file in `directory`, then create or update its entries by code.

    The whole catalog is checked before anything is written, and written in one transaction:
    an invalid catalog raises CatalogError listing every problem and changes nothing. Loading
    the same files again changes nothing. Entries removed from the files are NOT deleted from
    the database, because candidates' records still reference them: retire an exam with
    `retired = true` and an agreement with `current = false` instead.
    """
    try:
        entries = _validate(directory)
    except CatalogError as error:
        CatalogLoad.create(directory=str(directory)[:255], succeeded=False,
                           errors=list(error.errors))
        raise
    summary = CatalogSummary()
    with database.atomic():
        for kind in ENTRY_KINDS:
            rows = [entry.model_values() for entry in entries if entry.kind is kind]
            if "certification" in kind.fields:
                certification_ids = dict(
                    Certification.select(Certification.code, Certification.id).tuples()
                )
                for row in rows:
                    row["certification"] = certification_ids[row["certification"]]
            _upsert(kind, rows, getattr(summary, kind.plural))
        CatalogLoad.create(directory=str(directory)[:255], succeeded=True, summary=str(summary))
    return summary


def last_load_errors() -> list[str]:
    """The errors of the last `catalog load`, when it was refused (none when it loaded)."""
    last = CatalogLoad.select().order_by(CatalogLoad.loaded_at.desc(), CatalogLoad.id.desc()
                                         ).first()
    return list(last.errors) if last is not None and not last.succeeded else []
