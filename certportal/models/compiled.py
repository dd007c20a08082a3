"""Queries compiled to SQL once per process: hot pages only bind new values.

Peewee builds the SQL text of a query on every execution; for a page's queries (a joined
select of some forty columns) that took longer than running them. A CompiledQuery builds its
query once per database engine with placeholder values, remembers where each one landed among
the parameters, and later runs the same SQL with the real values, turning rows into model
instances exactly as the query itself would.
"""

import logging
from datetime import date, datetime, timedelta

import peewee
from peewee import FieldAccessor

from certportal.db import database

log = logging.getLogger(__name__)

INT = "int"
TEXT = "text"
# A datetime, passed to the driver as it is (peewee's DateTimeField does the same).
DATETIME = "datetime"
# A date, likewise (peewee's DateField).
DATE = "date"
# A value searched for anywhere in a column, ignoring case (peewee's `contains`).
CONTAINS = "contains"


def like_pattern(text: str) -> str:
    """The pattern `contains` would send: wildcards in the text itself match literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _placeholder(kind: str, position: int):
    if kind == INT:
        return -(2**40) - position
    if kind == DATETIME:
        return datetime(1901, 2, 3, 4, 5, 6, 700000 + position)
    if kind == DATE:
        return date(1901, 3, 4) + timedelta(days=position)
    # The "%" makes peewee add its ESCAPE clause, which like_pattern relies on.
    marker = f"\x01placeholder{position}\x01"
    return f"{marker}%" if kind == CONTAINS else marker


class CompiledQuery:
    """`build(*values)` returns a select; calling the CompiledQuery returns its rows."""

    def __init__(self, build, *kinds: str):
        self._build = build
        self._kinds = kinds
        self._compiled = {}
        self._row_layouts = {}
        self._builders = {}

    def _compile(self):
        placeholders = [_placeholder(kind, i) for i, kind in enumerate(self._kinds)]
        query = self._build(*placeholders)
        sql, params = query.sql()
        slots = []
        for position, (kind, placeholder) in enumerate(zip(self._kinds, placeholders, strict=True)):
            probe = placeholder if kind in (INT, DATETIME, DATE) else str(placeholder).rstrip("%")
            found = [
                index
                for index, param in enumerate(params)
                if (param == probe if kind != CONTAINS else probe in str(param))
            ]
            if not found:
                raise ValueError(f"value {position} does not reach the SQL")
            slots.append((position, kind, found))
        return query, sql, params, slots

    def _execute(self, values):
        engine = type(database.obj)
        compiled = self._compiled.get(engine)
        if compiled is None:
            compiled = self._compiled[engine] = self._compile()
        query, sql, params, slots = compiled
        bound = list(params)
        for position, kind, indexes in slots:
            value = like_pattern(values[position]) if kind == CONTAINS else values[position]
            for index in indexes:
                bound[index] = value
        return query, database.execute_sql(sql, bound)

    def __call__(self, *values) -> list:
        query, cursor = self._execute(values)
        wrapper = query._get_cursor_wrapper(cursor)
        # Which column goes to which model and converter depends only on the SQL: peewee
        # works it out again for every execution; here once per engine, then reused.
        engine = type(database.obj)
        layout = self._row_layouts.get(engine)
        if layout is None:
            fresh = set(vars(wrapper))
            wrapper.initialize()
            layout = {name: value for name, value in vars(wrapper).items() if name not in fresh}
            self._row_layouts[engine] = layout
            self._builders[engine] = _RowBuilder.for_layout(wrapper)
        else:
            wrapper.__dict__.update(layout)
        wrapper.initialized = True
        builder = self._builders[engine]
        if builder is None:
            return list(wrapper)
        rows = cursor.fetchall()
        if not builder.verified:
            # Until one non-empty result came out the same both ways, peewee builds the rows
            # and the builder's are only compared with them.
            expected = [wrapper.process_row(row) for row in rows]
            if rows:
                if all(_same(mine, theirs) for mine, theirs
                       in zip([builder.build(row) for row in rows], expected, strict=True)):
                    builder.verified = True
                else:
                    log.warning("compiled query rows differ from peewee's; using peewee's")
                    self._builders[engine] = None
            return expected
        return [builder.build(row) for row in rows]

    def run(self, *values) -> int:
        """Execute a compiled UPDATE, INSERT or DELETE; returns the rows it touched."""
        _, cursor = self._execute(values)
        return cursor.rowcount


class _RowBuilder:
    """Model instances from rows as peewee's ModelObjectCursorWrapper.process_row makes them,
    without its per-column attribute protocol: a plain field's value goes straight into the
    instance's data, as peewee's accessor would put it. Joins are assigned as peewee does.
    Only for layouts of models (no dicts); CompiledQuery checks its rows against peewee's
    before using it.
    """

    def __init__(self, constructors, root, columns, joins, reachable):
        self.constructors = constructors  # one per slot
        self.root = root  # the slot of the query's own model
        self.columns = columns  # (row index, slot, column, converter, plain field?)
        self.joins = joins  # peewee's src_to_dest, keys turned into slots
        self.reachable = reachable  # slot -> slots reachable through joins from it
        self.verified = False

    @classmethod
    def for_layout(cls, wrapper):
        constructors = getattr(wrapper, "_constructor_list", None)
        if not constructors or not all(is_model for _, _, is_model in constructors):
            return None
        if any(is_dict for _, _, _, is_dict, _, _ in wrapper.src_to_dest):
            return None
        slots = {key: slot for slot, (key, _, _) in enumerate(constructors)}
        root = slots[wrapper.model]
        columns = []
        for index, key, column, converter in wrapper._row_spec:
            slot = slots.get(key, root)
            constructor = constructors[slot][1]
            plain = type(constructor.__dict__.get(column)) is FieldAccessor
            columns.append((index, slot, column, *_conversion(converter), plain))
        joins = [
            (slots.get(src), attr, slots.get(dest), is_outer, is_fk)
            for src, attr, dest, _is_dict, is_outer, is_fk in wrapper.src_to_dest
        ]
        reachable = {
            slots[dest]: frozenset(slots[key] for key in keys if key in slots)
            for dest, keys in wrapper._dest_reachable.items()
            if dest in slots
        }
        return cls([constructor for _, constructor, _ in constructors], root, columns, joins,
                   reachable)

    def build(self, row):
        instances = []
        for constructor in self.constructors:
            instance = constructor.__new__(constructor)
            instance.__data__ = {}
            instance._dirty = set()
            instance.__rel__ = {}
            instances.append(instance)
        filled = [False] * len(instances)
        for index, slot, column, python_type, convert, plain in self.columns:
            value = row[index]
            if value is not None:
                filled[slot] = True
                if convert is not None and type(value) is not python_type:
                    value = convert(value)
            elif convert is not None and python_type is None:
                value = convert(value)
            if plain:
                instances[slot].__data__[column] = value
            else:
                setattr(instances[slot], column, value)
        for src, attr, dest, is_outer, is_fk in self.joins:
            if dest is None:
                continue
            instance = instances[src] if src is not None else None
            joined = instances[dest]
            assign = False
            if not filled[dest] and dest in self.reachable:
                assign = any(filled[slot] for slot in self.reachable[dest])
            if not filled[dest] and not assign:
                if is_outer:
                    joined = None
                else:
                    continue
            if (src is None or not filled[src]) and not filled[dest] and is_outer:
                continue
            if is_fk and joined is None:
                instance.__rel__[attr] = None
            else:
                setattr(instance, attr, joined)
        for instance in instances:
            instance._dirty.clear()
        return instances[self.root]


# Parsed date and time texts kept per column (SQLite stores them as text): the same rows are
# read again and again, and parsing is most of what turning a row into a model costs. The
# values are immutable, so one can be shared by every row that has it.
PARSED_KEPT_PER_COLUMN = 10_000


# The Python type each of peewee's own field classes turns a value into: a value the driver
# already returned as that type goes through its python_value unchanged.
_PYTHON_TYPES = {
    peewee.AutoField: int,
    peewee.BigAutoField: int,
    peewee.IntegerField: int,
    peewee.BigIntegerField: int,
    peewee.SmallIntegerField: int,
    peewee.CharField: str,
    peewee.FixedCharField: str,
    peewee.TextField: str,
    peewee.DateTimeField: datetime,
    peewee.DateField: date,
    peewee.BooleanField: bool,
}


def _conversion(converter) -> tuple[type | None, object]:
    """(python type, conversion) for a column: with a type (peewee's own field classes), the
    conversion is needed only for a value not of that type and never for NULL, which their
    python_value returns as it is; without one, the converter runs on every value."""
    field = getattr(converter, "__self__", None)
    if isinstance(field, peewee.ForeignKeyField):
        field = field.rel_field
    python_type = _PYTHON_TYPES.get(type(field))
    if converter is None or python_type is None:
        return None, converter
    if python_type not in (datetime, date):
        return python_type, converter
    parsed_texts = {}

    def convert_text(value):
        if type(value) is not str:
            return converter(value)
        parsed = parsed_texts.get(value)
        if parsed is None:
            if len(parsed_texts) >= PARSED_KEPT_PER_COLUMN:
                parsed_texts.clear()
            parsed = parsed_texts[value] = converter(value)
        return parsed

    return python_type, convert_text


def _same(mine, theirs, depth: int = 0) -> bool:
    """Whether two built rows hold the same models, data, joined rows and extra attributes."""
    if type(mine) is not type(theirs):
        return False
    if not hasattr(theirs, "__data__"):
        return mine == theirs
    if depth > 4:
        return True
    if mine.__data__ != theirs.__data__ or mine._dirty != theirs._dirty:
        return False
    if set(mine.__rel__) != set(theirs.__rel__):
        return False
    extras = {name for name in vars(theirs) if name not in ("__data__", "_dirty", "__rel__")}
    if extras != {name for name in vars(mine) if name not in ("__data__", "_dirty", "__rel__")}:
        return False
    if any(getattr(mine, name) != getattr(theirs, name) for name in extras):
        return False
    return all(_same(mine.__rel__[name], theirs.__rel__[name], depth + 1)
               for name in theirs.__rel__)
