"""Issue 8: no module of ``capmarket`` (migrations aside) over ~500 lines and no function over ~80 lines without a
reason written next to it.

A reason is a comment naming why splitting would hurt reading:

- for a function, on the line(s) right above its ``def`` (or its decorators): ``# long: <reason>``;
- for a module, on a line of its own (right after the docstring): ``# long module: <reason>``.

Split what grows too long; write a reason only where one piece reads better than several.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import capmarket

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
PACKAGE = Path(capmarket.__file__).parent
FUNCTION_REASON = re.compile(r"^\s*# long: \S.{9,}")
MODULE_REASON = re.compile(r"^# long module: \S.{9,}")


@dataclass(frozen=True)
class TooLong:
    where: str
    lines: int
    limit: int

    def __str__(self) -> str:
        return f"{self.where}: {self.lines} lines (limit {self.limit}) and no reason written"


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.relative_to(PACKAGE).parts)


def _has_function_reason(lines: list[str], first_line: int) -> bool:
    """A ``# long:`` comment in the block of comment lines right above line ``first_line`` (1-based)."""
    index = first_line - 2
    while index >= 0 and lines[index].strip().startswith("#"):
        if FUNCTION_REASON.match(lines[index]):
            return True
        index -= 1
    return False


def too_long(path: Path, *, root: Path = PACKAGE.parent) -> list[TooLong]:
    """The module and its functions (methods and nested functions too) over the limits without a reason."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    name = str(path.relative_to(root))
    found = []
    if len(lines) > MAX_MODULE_LINES and not any(MODULE_REASON.match(line) for line in lines):
        found.append(TooLong(name, len(lines), MAX_MODULE_LINES))
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = (node.end_lineno or node.lineno) - first + 1
            if length > MAX_FUNCTION_LINES and not _has_function_reason(lines, first):
                found.append(TooLong(f"{name}:{node.lineno} {node.name}()", length, MAX_FUNCTION_LINES))
    return found


def test_no_module_or_function_is_too_long_without_a_written_reason() -> None:
    found = [problem for path in _modules() for problem in too_long(path)]

    assert not found, "split these, or write why not next to them:\n" + "\n".join(map(str, found))


def test_the_checker_finds_a_long_function_and_accepts_a_reason(tmp_path: Path) -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    bare, reasoned = tmp_path / "bare.py", tmp_path / "reasoned.py"
    bare.write_text(f"def f() -> None:\n{body}", encoding="utf-8")
    reasoned.write_text(f"# long: a table of eighty steps reads best in one place\ndef f() -> None:\n{body}")

    assert [p.lines for p in too_long(bare, root=tmp_path)] == [MAX_FUNCTION_LINES + 1]
    assert too_long(reasoned, root=tmp_path) == []


def test_the_checker_finds_a_long_module_and_accepts_a_reason(tmp_path: Path) -> None:
    body = "".join(f"x{i} = {i}\n" for i in range(MAX_MODULE_LINES))
    bare, reasoned = tmp_path / "bare.py", tmp_path / "reasoned.py"
    bare.write_text(f'"""A module."""\n{body}', encoding="utf-8")
    reasoned.write_text(f'"""A module."""\n\n# long module: one declaration per line, read as a table\n{body}')

    assert [p.lines for p in too_long(bare, root=tmp_path)] == [MAX_MODULE_LINES + 1]
    assert too_long(reasoned, root=tmp_path) == []
