"""Token-level reading for MySQL/MariaDB and SQLite where sqlglot's parser falls short.

sqlglot's tokenizer is a real lexer (quotes, comments, backquotes, escapes); its parser falls
back to an opaque ``Command`` for a few statements a migration uses (``RENAME TABLE``,
``OPTIMIZE TABLE``, ``LOCK TABLES``, ``CREATE TRIGGER``, ``REPLACE``) and rejects a few
clauses (``CREATE INDEX ... ALGORITHM=INPLACE``, MariaDB's ``ALTER ONLINE TABLE``,
``WAIT n``, SQLite's ``WITHOUT ROWID``). This module reads the first kind from the tokens
and takes the second kind out of the token stream, remembering what they said, so that the
parser reads the rest. Never the SQL text: only tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlglot.tokenizer_core import Token, TokenType

from .ops import OnlineClause, Op, ParseError, TableMaintenance

_NOT_WORDS = (TokenType.IDENTIFIER, TokenType.STRING, TokenType.NUMBER)


def word(token: Token) -> str:
    """The token as an upper-case keyword; "" for a quoted name, a string or a number."""
    return "" if token.token_type in _NOT_WORDS else token.text.upper()


def fold(token: Token) -> str:
    """An identifier token as ``ops`` names it: unquoted folded to lower case."""
    return token.text if token.token_type == TokenType.IDENTIFIER else token.text.lower()


def read_name(tokens: Sequence[Token], i: int) -> tuple[str, int]:
    """The (possibly qualified) name starting at ``tokens[i]``, and the index after it."""
    if i >= len(tokens):
        raise ParseError("a name was expected at the end of the statement")
    parts = [fold(tokens[i])]
    i += 1
    while i + 1 < len(tokens) and tokens[i].token_type == TokenType.DOT:
        parts.append(fold(tokens[i + 1]))
        i += 2
    return ".".join(parts), i


def _depths(tokens: Sequence[Token]) -> list[int]:
    """Parenthesis depth of each token (a parenthesis itself counts as outside)."""
    depth, out = 0, []
    for token in tokens:
        if token.token_type == TokenType.R_PAREN:
            depth -= 1
        out.append(depth)
        if token.token_type == TokenType.L_PAREN:
            depth += 1
    return out


# -- statements read from tokens alone ---------------------------------------------------------


def command_rest(tokens: Sequence[Token], tokenize: Callable[[str], list[Token]]) -> list[Token]:
    """sqlglot's tokenizer keeps what follows a command keyword (RENAME, OPTIMIZE, LOCK
    TABLES) as one string token; the same lexer reads it."""
    if len(tokens) > 1 and tokens[1].token_type == TokenType.STRING:
        return tokenize(tokens[1].text)
    return list(tokens[1:])


def _table_list(tokens: Sequence[Token], i: int) -> list[str]:
    names = []
    while i < len(tokens):
        name, i = read_name(tokens, i)
        names.append(name)
        while i < len(tokens) and tokens[i].token_type != TokenType.COMMA:
            i += 1
        i += 1
    return names


def read_rename(tokens: Sequence[Token], tokenize: Callable[[str], list[Token]]) -> tuple[Op, ...]:
    """``RENAME TABLE a TO b, c TO d`` (MySQL); ``RENAME USER`` needs no rule."""
    from .ops import Other, RenameTable

    rest = command_rest(tokens, tokenize)
    if not rest or word(rest[0]) != "TABLE":
        return (Other(kind="rename_" + (word(rest[0]).lower() if rest else "")),)
    ops: list[Op] = []
    i = 1
    while i < len(rest):
        old, i = read_name(rest, i)
        if i >= len(rest) or word(rest[i]) != "TO":
            raise ParseError("RENAME TABLE: TO expected")
        new, i = read_name(rest, i + 1)
        ops.append(RenameTable(table=old, new_name=new))
        if i < len(rest) and rest[i].token_type == TokenType.COMMA:
            i += 1
    if not ops:
        raise ParseError("RENAME TABLE names no table")
    return tuple(ops)


def read_optimize(
    tokens: Sequence[Token], tokenize: Callable[[str], list[Token]]
) -> tuple[Op, ...]:
    """``OPTIMIZE [NO_WRITE_TO_BINLOG | LOCAL] TABLE t, u``: an InnoDB table rebuild."""
    rest = command_rest(tokens, tokenize)
    i = 0
    while i < len(rest) and word(rest[i]) in ("NO_WRITE_TO_BINLOG", "LOCAL"):
        i += 1
    if i >= len(rest) or word(rest[i]) not in ("TABLE", "TABLES"):
        raise ParseError("OPTIMIZE: TABLE expected")
    names = _table_list(rest, i + 1)
    return tuple(TableMaintenance(table=name, kind="optimize") for name in names)


def read_lock_tables(
    tokens: Sequence[Token], tokenize: Callable[[str], list[Token]]
) -> tuple[Op, ...]:
    """``LOCK TABLES t WRITE, u READ``: an explicit lock held until UNLOCK TABLES."""
    return tuple(
        TableMaintenance(table=name, kind="lock_table")
        for name in _table_list(command_rest(tokens, tokenize), 0)
    )


def read_trigger(tokens: Sequence[Token]) -> tuple[Op, ...] | None:
    """``CREATE [DEFINER=...] [TEMP] TRIGGER [IF NOT EXISTS] name ... ON table``; None when
    the statement is not a CREATE TRIGGER."""
    from .ops import CreateTrigger

    at = next((k for k, t in enumerate(tokens[:12]) if word(t) == "TRIGGER"), None)
    if at is None or any(t.token_type == TokenType.L_PAREN for t in tokens[:at]):
        return None
    i = at + 1
    if word(tokens[i]) == "IF" if i < len(tokens) else False:
        i += 3
    name, i = read_name(tokens, i)
    on = next((k for k in range(i, len(tokens)) if word(tokens[k]) == "ON"), None)
    if on is None:
        raise ParseError("CREATE TRIGGER: ON table expected")
    table, _ = read_name(tokens, on + 1)
    return (CreateTrigger(table=table, name=name),)


# -- clauses taken out of the stream before the parser reads it --------------------------------


@dataclass
class Clauses:
    """What the removed clauses said."""

    algorithm: str | None = None
    lock: str | None = None
    wait: str | None = None
    index_method: str | None = None  # FULLTEXT / SPATIAL / a USING method of CREATE INDEX
    extra: list[Op] = field(default_factory=list)  # e.g. CONVERT TO CHARACTER SET
    nothing_left: bool = False  # the clauses were the whole statement

    def online(self, table: str | None) -> OnlineClause | None:
        if self.algorithm is None and self.lock is None and self.wait is None:
            return None
        return OnlineClause(
            table=table, algorithm=self.algorithm, lock=self.lock, wait_timeout=self.wait
        )


def _option_value(tokens: list[Token], i: int) -> tuple[str, int]:
    """``NAME [=] value`` from ``tokens[i]`` (the NAME): the value upper case, and the end."""
    j = i + 1
    if j < len(tokens) and tokens[j].token_type == TokenType.EQ:
        j += 1
    if j >= len(tokens):
        raise ParseError(f"{tokens[i].text}: a value was expected")
    return tokens[j].text.upper(), j + 1


def _drop_comma_before(tokens: list[Token]) -> None:
    if tokens and tokens[-1].token_type == TokenType.COMMA:
        tokens.pop()


def _strip_index_options(tokens: list[Token], start: int, found: Clauses) -> list[Token]:
    """CREATE/DROP INDEX: take out ALGORITHM, LOCK, USING, and index options at depth 0
    from ``start`` on (sqlglot reads none of them for MySQL)."""
    depths, out, i = _depths(tokens), list(tokens[:start]), start
    while i < len(tokens):
        name = word(tokens[i]) if depths[i] == 0 else ""
        if name in ("ALGORITHM", "LOCK"):
            value, i = _option_value(tokens, i)
            setattr(found, name.lower(), value)
        elif name == "USING" and i + 1 < len(tokens):
            found.index_method = found.index_method or tokens[i + 1].text.lower()
            i += 2
        elif name in ("VISIBLE", "INVISIBLE"):
            i += 1
        elif name in ("COMMENT", "KEY_BLOCK_SIZE"):
            _, i = _option_value(tokens, i)
        else:
            out.append(tokens[i])
            i += 1
    return out


def _normalise_create_index(tokens: list[Token], found: Clauses) -> list[Token]:
    kinds = {"FULLTEXT", "SPATIAL"}
    at = next((k for k, t in enumerate(tokens[:5]) if word(t) == "INDEX"), None)
    if at is None:
        return tokens
    head = [t for t in tokens[:at] if word(t) not in kinds]
    for t in tokens[:at]:
        if word(t) in kinds:
            found.index_method = word(t).lower()
    return _strip_index_options(head + tokens[at:], len(head) + 1, found)


def _normalise_alter_table(
    tokens: list[Token], found: Clauses, keyword: Callable[[str], Token]
) -> list[Token]:
    """MariaDB's ONLINE/IGNORE/WAIT/NOWAIT, CONVERT TO CHARACTER SET, ``ADD CHECK``, and
    ``IF [NOT] EXISTS`` where sqlglot does not take it."""
    head = [tokens[0]]
    i = 1
    while i < len(tokens) and word(tokens[i]) in ("ONLINE", "IGNORE"):
        if word(tokens[i]) == "ONLINE":  # MariaDB: ALTER ONLINE TABLE is LOCK=NONE
            found.lock = found.lock or "NONE"
        i += 1
    if i >= len(tokens) or word(tokens[i]) != "TABLE":
        return tokens
    head.append(tokens[i])
    table, end = read_name(tokens, i + 1)
    head.extend(tokens[i + 1 : end])
    i = end
    if i < len(tokens) and word(tokens[i]) == "WAIT":
        found.wait, i = tokens[i + 1].text, i + 2
    elif i < len(tokens) and word(tokens[i]) == "NOWAIT":
        found.wait, i = "0", i + 1
    actions = _normalise_actions(tokens[i:], table, found, keyword)
    found.nothing_left = not actions  # e.g. only CONVERT TO CHARACTER SET: nothing to parse
    return head + actions


def _normalise_actions(
    tokens: list[Token], table: str, found: Clauses, keyword: Callable[[str], Token]
) -> list[Token]:
    depths, i, action = _depths(tokens), 0, ""
    out: list[Token] = []
    while i < len(tokens):
        name = word(tokens[i]) if depths[i] == 0 else ""
        prev = word(out[-1]) if out else ""
        nxt = word(tokens[i + 1]) if i + 1 < len(tokens) else ""
        if name and (not out or out[-1].token_type == TokenType.COMMA):
            action = name
        if name == "CONVERT" and nxt == "TO":
            i = _skip_convert(tokens, i + 2)
            found.extra.append(TableMaintenance(table=table, kind="convert_charset"))
            _drop_comma_before(out)
            if not out and i < len(tokens):
                i += 1  # the comma after it
        elif name == "IF" and (
            action in ("MODIFY", "CHANGE") or (action == "ADD" and prev in _IF_AFTER_ADD)
        ):
            # MariaDB's IF [NOT] EXISTS where sqlglot does not read it (it reads it after
            # ADD COLUMN and every DROP): the operation is the same either way
            i += 3 if nxt == "NOT" else 2
        elif name == "CHECK" and prev == "ADD":
            out.extend((keyword("CONSTRAINT"), tokens[i]))
            i += 1
        else:
            out.append(tokens[i])
            i += 1
    return out


_IF_AFTER_ADD = {"INDEX", "KEY", "CONSTRAINT"}


def _skip_convert(tokens: list[Token], i: int) -> int:
    """Past ``CHARACTER SET x [COLLATE y]`` / ``CHARSET x`` after CONVERT TO."""
    while i < len(tokens) and tokens[i].token_type != TokenType.COMMA:
        i += 1
    return i


def _normalise_sqlite_create_table(tokens: list[Token]) -> list[Token]:
    """SQLite: ``WITHOUT ROWID`` and the column conflict clause ``ON CONFLICT x`` (neither
    read by sqlglot; neither matters to a lock or a rewrite)."""
    depths, i = _depths(tokens), 0
    out: list[Token] = []
    while i < len(tokens):
        name = word(tokens[i])
        nxt = word(tokens[i + 1]) if i + 1 < len(tokens) else ""
        if name == "WITHOUT" and nxt == "ROWID" and depths[i] == 0:
            _drop_comma_before(out)
            i += 2
        elif name == "ON" and nxt == "CONFLICT" and depths[i] == 1:
            i += 3
        else:
            out.append(tokens[i])
            i += 1
    return out


def _normalise_column_words(tokens: list[Token], keyword: Callable[[str], Token]) -> list[Token]:
    """MySQL ``SRID n`` and ``NATIONAL`` in column types; MariaDB ``PERSISTENT`` (= STORED)."""
    out, i = [], 0
    while i < len(tokens):
        name = word(tokens[i])
        if name == "SRID" and i + 1 < len(tokens) and tokens[i + 1].token_type == TokenType.NUMBER:
            i += 2
            continue
        if name == "PERSISTENT":
            out.append(keyword("STORED"))
        elif name != "NATIONAL":
            out.append(tokens[i])
        i += 1
    return out


def normalise(
    tokens: list[Token], dialect: str, keyword: Callable[[str], Token]
) -> tuple[list[Token], Clauses]:
    """The tokens the parser can read, and what the clauses taken out said.

    ``keyword("STORED")`` makes a keyword token of the dialect's lexer."""
    found = Clauses()
    first = word(tokens[0])
    second = word(tokens[1]) if len(tokens) > 1 else ""
    if dialect == "sqlite":
        if first == "CREATE" and "TABLE" in {word(t) for t in tokens[1:4]}:
            tokens = _normalise_sqlite_create_table(tokens)
        return tokens, found
    if first in ("CREATE", "ALTER"):
        tokens = _normalise_column_words(tokens, keyword)
    if first == "CREATE" and any(word(t) == "INDEX" for t in tokens[1:5]):
        tokens = _normalise_create_index(tokens, found)
    elif first == "DROP" and second == "INDEX":
        tokens = _strip_index_options(tokens, 2, found)
    elif first == "ALTER":
        tokens = _normalise_alter_table(tokens, found, keyword)
    return tokens, found
