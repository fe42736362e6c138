"""Inserting many rows in one statement, on SQLite and PostgreSQL (the sweeper's escalations).

SQLAlchemy runs a many-row ``INSERT … RETURNING`` as batches of multi-row ``VALUES`` with one
placeholder per value. That suits SQLite, but psycopg parses every such statement again to turn
its named placeholders into positional ones: the 60,000 notices of 30,000 escalations took 23 s
on PostgreSQL, most of it in that parsing. So PostgreSQL gets one
``INSERT … SELECT … FROM unnest(array, array, …)`` with one array parameter per column (one plain
parameter for a column whose value is the same in every row, as a batch's timestamps often are).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Column, Connection, String, Table, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def insert_many(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    skip_conflicts_on: Sequence[str] = (),
    conflict_where: str | None = None,
    returning: Column | tuple[Column, ...] | None = None,
) -> list[Any]:
    """Insert ``rows`` (dicts with the same keys) into ``table``; rows clashing on the unique
    columns ``skip_conflicts_on`` are skipped (``ON CONFLICT DO NOTHING``; ``conflict_where`` is
    the predicate of a partial unique index over them). Returns the
    ``returning`` column of the rows inserted (not of those skipped) — a tuple per row when it
    names several columns — or [] without it.

    Columns the rows leave out get their Python-side defaults, as with SQLAlchemy's own insert.
    """
    if not rows:
        return []
    if connection.dialect.name == "postgresql":
        return _insert_unnest(connection, table, rows, skip_conflicts_on, conflict_where, returning)
    statement = sqlite_insert(table)
    if skip_conflicts_on:
        statement = statement.on_conflict_do_nothing(
            index_elements=list(skip_conflicts_on),
            index_where=text(conflict_where) if conflict_where else None,
        )
    if returning is None:
        connection.execute(statement, list(rows))
        return []
    if isinstance(returning, tuple):
        return [tuple(row) for row in connection.execute(statement.returning(*returning), list(rows))]
    return list(connection.execute(statement.returning(returning), list(rows)).scalars())


def _insert_unnest(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    skip_conflicts_on: Sequence[str],
    conflict_where: str | None,
    returning: Column | tuple[Column, ...] | None,
) -> list[Any]:
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    given = list(rows[0])
    defaulted = [c.name for c in table.columns if c.name not in given and c.default is not None]
    params: dict[str, Any] = {}
    arrays: list[str] = []  # one array parameter per column whose values differ between rows
    aliases: list[str] = []
    selected: list[str] = []
    for index, name in enumerate(given + defaulted):
        column = table.c[name]
        if name in given:
            values = [row[name] for row in rows]
        elif column.default.is_callable:  # type: ignore[union-attr]
            values = [column.default.arg(None) for _row in rows]  # type: ignore[union-attr]
        elif column.default.is_scalar:  # type: ignore[union-attr]
            values = [column.default.arg] * len(rows)  # type: ignore[union-attr]
        else:
            raise ValueError(f"insert_many: give {table.name}.{name} (its default is an SQL expression)")
        impl = column.type.dialect_impl(dialect)
        # Strings travel as TEXT: an explicit cast to VARCHAR(n) would truncate silently, while the
        # insert's own assignment to the column refuses a value that is too long, as it should.
        sql_type = "TEXT" if isinstance(impl, String) else column.type.compile(dialect=dialect)
        key = f"c{index}"
        if isinstance(impl, JSON):  # sent as text, turned into JSON by the database
            processor: Any = _json_text
            wire_type, cast = "TEXT", sql_type
        else:
            processor = impl.bind_processor(dialect)
            wire_type, cast = sql_type, None
        if all(value == values[0] for value in values):  # the same for every row: sent once
            params[key] = processor(values[0]) if processor else values[0]
            selected.append(f"CAST(%({key})s AS {cast or wire_type})")
            continue
        params[key] = [processor(v) for v in values] if processor else values
        arrays.append(f"CAST(%({key})s AS {wire_type}[])")
        aliases.append(key)
        selected.append(f"CAST({key} AS {cast})" if cast else key)
    names = ", ".join(quote(name) for name in given + defaulted)
    if arrays:
        source = f"unnest({', '.join(arrays)}) AS t({', '.join(aliases)})"
    else:  # every column the same (one row, or identical rows)
        params["row_count"] = len(rows)
        source = "generate_series(1, %(row_count)s)"
    sql = (
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) "
        f"SELECT {', '.join(selected)} FROM {source}"
    )
    if skip_conflicts_on:
        sql += f" ON CONFLICT ({', '.join(quote(name) for name in skip_conflicts_on)})"
        sql += f" WHERE {conflict_where} DO NOTHING" if conflict_where else " DO NOTHING"
    if returning is None:
        connection.exec_driver_sql(sql, params)
        return []
    columns = returning if isinstance(returning, tuple) else (returning,)
    result = connection.exec_driver_sql(f"{sql} RETURNING {', '.join(quote(c.name) for c in columns)}", params)
    return [tuple(row) if isinstance(returning, tuple) else row[0] for row in result]


def _json_text(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)
