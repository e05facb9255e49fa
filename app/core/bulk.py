"""Set-based reads and writes, written once per dialect: inserts that skip duplicates, batch updates
and upserts, and narrowing a query to a batch's keys. On PostgreSQL a batch travels as one array per
column spread out by `unnest`; on SQLite as an executemany.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Column, Select, String, Table, Text, TypeDecorator, bindparam, cast, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert
from sqlalchemy.types import TypeEngine

from app.core.db import dialect_of


def insert_ignoring_conflicts(table: Table, dialect: str) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING on any unique key: duplicates are no-ops, never check-then-insert."""
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    raise ValueError(f"unsupported dialect {dialect}")


def _spread(table: Table, rows: Sequence[Mapping[str, Any]]) -> Select[Any]:
    """PostgreSQL: the rows as one array per column, spread out again by `unnest` (which zips arrays
    side by side). One short statement whatever the batch, where a multi-row VALUES list is rebuilt and
    re-parsed parameter by parameter on every batch, and an executemany runs once per row."""
    return select(*(_spread_column(table.c[name], [row[name] for row in rows]) for name in rows[0]))


def _spread_column(column: Column[Any], values: list[Any]) -> Any:
    if isinstance(column.type, JSON):
        # A list of documents would be sent as a nested array: send each document as JSON text.
        texts = [None if value is None else json.dumps(value) for value in values]
        spread = func.unnest(bindparam(f"u_{column.name}", texts, type_=postgresql.ARRAY(Text())))
        return cast(spread, column.type).label(column.name)
    array = postgresql.ARRAY(_element_type(column))
    return func.unnest(bindparam(f"u_{column.name}", values, type_=array)).label(column.name)


def _element_type(column: Column[Any]) -> TypeEngine[Any]:
    """The array's element type: the column's, except that text goes unbounded. The array is sent
    with an explicit cast, and an explicit cast to `varchar(n)` silently cuts what is longer; the
    column's own assignment then refuses it, as a plain INSERT or UPDATE would."""
    declared = column.type
    stored = declared.impl_instance if isinstance(declared, TypeDecorator) else declared
    return Text() if isinstance(stored, String) else declared


def restrict_to(statement: Select[Any], column: Column[Any], values: Sequence[Any], dialect: str) -> Select[Any]:
    """`statement` narrowed to rows whose `column` is one of `values` (each counted once).

    On PostgreSQL the values are joined as an array spread by `unnest`, so the planner probes the
    index key by key whatever its statistics say: an IN list against a table it believes small (a
    shop's first burst, before autovacuum's next analyze) became a scan of the whole shop per batch.
    """
    distinct = list(dict.fromkeys(values))
    if dialect != "postgresql":
        return statement.where(column.in_(distinct))
    wanted = (
        func.unnest(bindparam(None, distinct, type_=postgresql.ARRAY(column.type)))
        .table_valued("value")
        .render_derived(name=f"wanted_{column.name}")
    )
    return statement.join(wanted, column == wanted.c.value)


async def insert_rows_ignoring_conflicts(
    session: AsyncSession,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    returning: Column[Any] | None = None,
) -> list[Any]:
    """Insert rows (each naming the same columns), skipping those that collide with a unique key;
    returns `returning` of the rows written (nothing when no column is asked for)."""
    if not rows:
        return []
    dialect = dialect_of(session)
    parameters: list[Mapping[str, Any]] | None = None
    statement: Insert
    if dialect == "postgresql":
        statement = postgresql.insert(table).from_select(list(rows[0]), _spread(table, rows)).on_conflict_do_nothing()
    else:
        statement = insert_ignoring_conflicts(table, dialect)
        parameters = list(rows)
    if returning is None:
        await session.execute(statement, parameters)
        return []
    result = await session.execute(statement.returning(returning), parameters)
    return list(result.scalars())


async def update_rows(
    session: AsyncSession,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    key: str = "id",
    increments: Collection[str] = (),
) -> None:
    """Update many rows in one statement: each row names its target by `key` (unique within the
    batch) and sets the other columns it names; a column in `increments` is added to, not set."""
    if not rows:
        return
    if len({row[key] for row in rows}) != len(rows):
        raise ValueError(f"update_rows: {key} repeats within the batch")
    names = [name for name in rows[0] if name != key]

    def assigned(name: str, incoming: Any) -> Any:
        return table.c[name] + incoming if name in increments else incoming

    if dialect_of(session) == "postgresql":
        incoming = _spread(table, rows).subquery("incoming")
        await session.execute(
            update(table)
            .where(table.c[key] == incoming.c[key])
            .values({name: assigned(name, incoming.c[name]) for name in names})
        )
        return
    await session.execute(
        update(table)
        .where(table.c[key] == bindparam(f"b_{key}"))
        .values({name: assigned(name, bindparam(f"b_{name}")) for name in names}),
        [{f"b_{name}": value for name, value in row.items()} for row in rows],
    )


async def upsert_rows(
    session: AsyncSession,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    key: Sequence[str],
    newer: str | None = None,
    changing: Collection[str] | None = None,
) -> None:
    """Insert each row, or update the row already stored under the same `key` with the row's other
    columns. With `newer`, a stored row is only updated by a row whose `newer` column is at least as
    recent (or when the stored one has none): a late, older snapshot never overwrites a newer one.
    Rows repeating a key within the batch are folded into the newest first. `changing` names the
    columns an existing row takes from the incoming one (all the row's other columns by default): a
    row may carry more, to fill a new row's required columns."""
    if not rows:
        return
    latest: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    for row in rows:
        identity = tuple(row[name] for name in key)
        kept = latest.get(identity)
        if kept is None or newer is None or _not_older(row[newer], kept[newer]):
            latest[identity] = row
    batch = list(latest.values())
    names = list(batch[0])
    dialect = dialect_of(session)
    parameters: list[Mapping[str, Any]] | None = None
    if dialect == "postgresql":
        statement: Any = postgresql.insert(table).from_select(names, _spread(table, batch))
    else:
        statement, parameters = sqlite.insert(table), batch
    changed = {
        name: statement.excluded[name] for name in names if name not in key and (changing is None or name in changing)
    }
    condition = None
    if newer is not None:
        condition = table.c[newer].is_(None) | (statement.excluded[newer] >= table.c[newer])
    await session.execute(
        statement.on_conflict_do_update(index_elements=list(key), set_=changed, where=condition), parameters
    )


def _not_older(candidate: Any, kept: Any) -> bool:
    return kept is None or (candidate is not None and candidate >= kept)
