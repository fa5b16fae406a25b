"""Split SQL scripts into statements, per dialect, without a SQL parser.

A linear-time lexical scanner: a per-dialect master regex jumps to the next
character that matters (delimiter, quote, comment start, dollar quote; and,
only inside CREATE FUNCTION/PROCEDURE/TRIGGER/EVENT statements, words and
parentheses for BEGIN/CASE/IF/LOOP/WHILE/REPEAT ... END block tracking);
quoted text and comments are then skipped with C-level searches.

Decisions worth knowing:

* ``Statement.sql`` starts at the first real token: leading whitespace, a
  leading BOM and comment-only lines *before* a statement are dropped; comments
  inside it (and trailing ones before its delimiter) are kept.  Pieces that hold
  only whitespace/comments (and empty ``;;`` pieces) are not statements.
* MySQL ``/*! ... */`` and ``/*M! ... */`` executable comments are statement
  text, never dropped.
* PostgreSQL: like psql, a ``;`` inside parentheses does not split.
* MySQL: ``IF (`` opens an IF block when in statement position (after ``;``,
  BEGIN, THEN, ELSE, DO, LOOP, REPEAT, ROW) and the parentheses do not hold
  three comma-separated arguments; otherwise ``IF(`` is the IF() function.
  Compound tracking is off while a custom DELIMITER is active (it is not needed).
* SQLite: every top-level ``;`` is a candidate; it ends the statement only if
  ``sqlite3.complete_statement`` agrees, so trigger bodies follow SQLite's own
  rules and no keyword tracking is done.
* Unterminated quotes/comments run to the end of input (no exception).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

__all__ = ["Dialect", "Statement", "split_statements"]

Dialect = Literal["postgresql", "mysql", "sqlite"]


@dataclass(frozen=True)
class Statement:
    """One statement: text without delimiter, its offset and 1-based line."""

    sql: str
    offset: int
    line: int


# Bodies of quoted tokens, matched just after the opening quote.  Each one also
# matches an unterminated token up to the end of the input.
_SQ = re.compile(r"[^']*+(?:''[^']*+)*+'?")
_SQ_BS = re.compile(r"(?:[^'\\]++|\\.?|'')*+'?", re.S)
_DQ = re.compile(r'[^"]*+(?:""[^"]*+)*+"?')
_DQ_BS = re.compile(r'(?:[^"\\]++|\\.?|"")*+"?', re.S)
_BT = re.compile(r"[^`]*+(?:``[^`]*+)*+`?")
_BR = re.compile(r"[^\]]*+\]?")
_NESTED = re.compile(r"/\*|\*/")
_MYSQL_DASH = re.compile(r"--(?:(?=[\s\x00-\x1f])|\Z)")
_DASH = re.compile("--")
_DELIM_LINE = re.compile(r"delimiter[ \t]+(\S+)[^\n]*", re.I)
_PAREN = re.compile(r"\s*\(")
_IF_ARGS = re.compile(r"[(),;'\"`]")
_EXISTS = re.compile(r"\s*(?:not\s+)?exists\b", re.I)
_END = re.compile(r"end", re.I)
_ACCOUNT = r"""(?:'(?:[^'\\]|\\.|'')*'|`[^`]*`|"[^"]*"|[^\s@'"`]+)"""
_COMPOUND = re.compile(
    r"create\s+(?:or\s+replace\s+)?"
    rf"(?:definer\s*=\s*{_ACCOUNT}(?:\s*@\s*{_ACCOUNT})?\s+)?"
    r"(?:(?:temp|temporary)\s+)?(?:aggregate\s+)?"
    r"(?:function|procedure|trigger|event)\b",
    re.I,
)
_PG_KEYWORDS = frozenset({"BEGIN", "CASE", "END"})
_MYSQL_KEYWORDS = _PG_KEYWORDS | {"IF", "LOOP", "WHILE", "REPEAT"}
_AFTER_END = frozenset({"IF", "CASE", "LOOP", "WHILE", "REPEAT"})
_STMT_START = frozenset({";", "BEGIN", "THEN", "ELSE", "DO", "LOOP", "REPEAT", "ROW"})
_BODIES: dict[str, dict[str, re.Pattern[str]]] = {
    "postgresql": {"sq": _SQ, "esq": _SQ_BS, "dq": _DQ},
    "mysql": {"sq": _SQ_BS, "dq": _DQ_BS, "bt": _BT},
    "sqlite": {"sq": _SQ, "dq": _DQ, "bt": _BT, "br": _BR},
}


@lru_cache(maxsize=64)
def _master(dialect: str, delim: str, compound: bool) -> re.Pattern[str]:
    """The regex finding the next significant token (order = priority)."""
    alts = [f"(?P<delim>{re.escape(delim)})"]
    if dialect == "mysql":
        alts.append(r"(?P<dline>^delimiter[ \t]+\S)")
        alts.append(r"(?P<lc>\#|--(?:(?=[\s\x00-\x1f])|\Z))")
    else:
        alts.append(r"(?P<lc>--)")
    alts.append(r"(?P<bc>/\*)")
    if dialect == "postgresql":
        alts.append(r"(?P<esq>(?<![\w$])[eE]')")
        alts.append(r"(?P<dollar>(?<![\w$])\$(?:[^\W\d]\w*)?\$)")
    alts += [r"(?P<sq>')", r'(?P<dq>")']
    if dialect != "postgresql":
        alts.append(r"(?P<bt>`)")
    if dialect == "sqlite":
        alts.append(r"(?P<br>\[)")
    if dialect == "postgresql" or compound:
        alts += [r"(?P<lp>\()", r"(?P<rp>\))"]
    if compound:
        alts.append(r"(?P<word>(?<![\w$.])[A-Za-z_][\w$]*)")
    return re.compile("|".join(alts), re.I | re.M)


def _match_end(pattern: re.Pattern[str], s: str, pos: int) -> int:
    m = pattern.match(s, pos)
    return len(s) if m is None else m.end()


class _Splitter:
    def __init__(self, script: str, dialect: Dialect) -> None:
        if dialect not in _BODIES:
            raise ValueError(f"unsupported dialect: {dialect!r}")
        self.s = script
        self.n = len(script)
        self.dialect = dialect
        self.bodies = _BODIES[dialect]
        self.delim = ";"
        self.out: list[Statement] = []
        self.line = 1
        self.line_pos = 0

    def run(self) -> list[Statement]:
        pos = 0
        while True:
            first = self._skip(pos)
            if first >= self.n:
                return self.out
            end, pos = self._scan(first)
            self._emit(first, end)

    def _block_end(self, i: int) -> int:
        """End of a block comment whose body starts at ``i``."""
        s = self.s
        if self.dialect == "postgresql":
            depth = 1
            while depth:
                m = _NESTED.search(s, i)
                if m is None:
                    return self.n
                i = m.end()
                depth += 1 if m.group() == "/*" else -1
            return i
        j = s.find("*/", i)
        return self.n if j < 0 else j + 2

    def _line_end(self, i: int) -> int:
        j = self.s.find("\n", i)
        return self.n if j < 0 else j

    def _skip(self, pos: int) -> int:
        """Skip whitespace, comments, empty statements and DELIMITER lines."""
        s, n, mysql = self.s, self.n, self.dialect == "mysql"
        while pos < n:
            c = s[pos]
            if c.isspace() or c == "\ufeff":
                pos += 1
            elif s.startswith(self.delim, pos):
                pos += len(self.delim)
            elif (
                mysql
                and c in "Dd"
                and (pos == 0 or s[pos - 1] == "\n" or (pos == 1 and s[0] == "\ufeff"))
                and (m := _DELIM_LINE.match(s, pos)) is not None
            ):
                self.delim = m.group(1)
                pos = m.end()
            elif (c == "#" and mysql) or (
                c == "-" and (_MYSQL_DASH if mysql else _DASH).match(s, pos)
            ):
                pos = self._line_end(pos)
            elif (
                c == "/"
                and s.startswith("/*", pos)
                and not (mysql and s.startswith(("/*!", "/*M!"), pos))
            ):
                pos = self._block_end(pos + 2)
            else:
                break
        return pos

    def _scan(self, first: int) -> tuple[int, int]:
        """Find the end of the statement starting at ``first``.

        Returns (end of statement text, position to resume scanning at).
        """
        s, n, dialect, bodies = self.s, self.n, self.dialect, self.bodies
        pg, mysql = dialect == "postgresql", dialect == "mysql"
        compound = (
            dialect != "sqlite" and self.delim == ";" and _COMPOUND.match(s, first) is not None
        )
        keywords = _MYSQL_KEYWORDS if mysql else _PG_KEYWORDS
        rx = _master(dialect, self.delim, compound)
        depth = paren = 0
        prev, prev_end = "", first
        seg, checked = first, False  # sqlite: segment since the last ';'
        i = first
        while True:
            m = rx.search(s, i)
            if m is None:
                return n, n
            kind, start, i = m.lastgroup, m.start(), m.end()
            if kind == "delim":
                if dialect == "sqlite":
                    # In a trigger, SQLite only completes at "; END ;", so a
                    # segment without "end" cannot complete it (keeps it linear).
                    if not checked or _END.search(s, seg, start):
                        text = s[first:i].replace("\x00", " ")
                        if sqlite3.complete_statement(text):
                            return start, i
                    seg, checked = i, True
                    continue
                if depth == 0 and (paren == 0 or not pg):
                    return start, i
                prev, prev_end = ";", i
            elif kind == "word":
                word = m.group().upper()
                if paren == 0 and word in keywords:
                    eff = prev if not s[prev_end:start].strip() else "?"
                    if word == "END":
                        depth -= depth > 0
                    elif eff == "END" and word in _AFTER_END:
                        pass  # END IF, END CASE, END LOOP, ...
                    elif word in ("BEGIN", "CASE", "LOOP", "WHILE"):
                        depth += 1
                    elif word == "REPEAT":
                        depth += _PAREN.match(s, i) is None
                    elif _EXISTS.match(s, i) is None and (
                        (pm := _PAREN.match(s, i)) is None
                        or (eff in _STMT_START and not self._if_call(pm.end()))
                    ):  # IF statement; not IF(c, a, b) function, not IF [NOT] EXISTS
                        depth += 1
                prev, prev_end = word, i
            elif kind == "lc":
                i = prev_end = self._line_end(i)
            elif kind == "bc":
                i = prev_end = self._block_end(i)
            elif kind == "lp":
                paren += 1
                prev, prev_end = "(", i
            elif kind == "rp":
                paren -= paren > 0
                prev, prev_end = ")", i
            elif kind == "dline":
                return start, start
            elif kind == "dollar":
                j = s.find(m.group(), i)
                i = n if j < 0 else j + len(m.group())
                prev, prev_end = "$", i
            else:
                assert kind is not None
                i = _match_end(bodies[kind], s, i)
                prev, prev_end = "'", i

    def _if_call(self, i: int) -> bool:
        """Whether the group whose body starts at ``i`` is ``(cond, a, b)``."""
        s, depth, commas = self.s, 1, 0
        while (m := _IF_ARGS.search(s, i)) is not None:
            c, i = m.group(), m.end()
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    return commas == 2
            elif c == ",":
                commas += depth == 1
            elif c == ";":
                break
            else:
                i = _match_end(self.bodies["bt" if c == "`" else "dq" if c == '"' else "sq"], s, i)
        return False

    def _emit(self, first: int, end: int) -> None:
        s = self.s
        while end > first and (s[end - 1].isspace() or s[end - 1] == "\ufeff"):
            end -= 1
        if end > first:
            self.line += s.count("\n", self.line_pos, first)
            self.line_pos = first
            self.out.append(Statement(s[first:end], first, self.line))


def split_statements(script: str, dialect: Dialect) -> list[Statement]:
    """Split ``script`` into statements for ``dialect`` (never raises on text).

    Raises ValueError only for an unknown dialect.
    """
    return _Splitter(script, dialect).run()
