"""Queries compiled to SQL once per process: hot pages only bind new values.

Peewee builds the SQL text of a query on every execution; for a page's queries (a joined
select of some forty columns) that took longer than running them. A CompiledQuery builds its
query once per database engine with placeholder values, remembers where each one landed among
the parameters, and later runs the same SQL with the real values, turning rows into model
instances exactly as the query itself would.
"""

from datetime import date, datetime, timedelta

from certportal.db import database

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
        else:
            wrapper.__dict__.update(layout)
        wrapper.initialized = True
        return list(wrapper)

    def run(self, *values) -> int:
        """Execute a compiled UPDATE, INSERT or DELETE; returns the rows it touched."""
        _, cursor = self._execute(values)
        return cursor.rowcount
