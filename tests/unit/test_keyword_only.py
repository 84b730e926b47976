"""House style: the public functions of ``capmarket/domain`` and ``capmarket/calc`` take keyword-only arguments.

A call then names what it passes (``get_inquiry_for(user=u, pk=pk)``), so two arguments of one type cannot be
swapped unnoticed and a parameter can be added or reordered without touching every caller.

What the rule covers, and what it leaves aside:

- **public functions**: module-level ``def``s whose name does not start with ``_``, in every module of
  ``capmarket/domain/**`` and ``capmarket/calc/**`` except ``migrations``, ``models.py``, ``apps.py`` and
  ``admin.py`` (Django's declarations). Private helpers (``_x``) may take positional arguments.
- **methods aside**: a method's signature is usually fixed by a protocol it implements (Django's ``save``,
  ``clean``, ``__str__``, a manager's ``create_user``, a dataclass's helpers) and it is called on its object, so
  the rule does not reach into classes.
- **hooks aside**: a function whose signature a caller we do not own fixes — a template filter
  (``@register.filter``), a signal receiver (``@receiver``), or an entry of ``HOOKS`` below (a callback of a
  declared positional protocol).
- **keyword-only** means no positional parameter and no ``*args``: ``def f(*, a, b=1)``; a function with no
  parameter at all passes.

An entry of ``HOOKS`` that is no longer positional fails the second test, so the list stays exact.
"""

from __future__ import annotations

import ast
from pathlib import Path

import capmarket

PACKAGE = Path(capmarket.__file__).parent
CHECKED = ("domain", "calc")
DJANGO_DECLARATIONS = frozenset({"models.py", "apps.py", "admin.py"})
HOOK_DECORATORS = frozenset({"register.filter", "register.simple_tag", "receiver"})
#: callbacks whose positional signature is a declared protocol they implement
HOOKS: frozenset[str] = frozenset(
    {
        # a Progress callback (domain/jobs/progress.py): handlers call progress(done, total, message)
        "capmarket/domain/jobs/progress.py ignore_progress()",
        # a Callable[[date], bool] rule passed to zengin_transfer and dunning, which call is_business_day(day)
        "capmarket/domain/treasury/banks.py is_bank_business_day()",
        # command-line entry points: `capmarket calc|clear-auction ...` (interfaces/cli/main.py) calls main(argv)
        "capmarket/calc/cli.py main()",
        "capmarket/calc/auction_cli.py main()",
    }
)


def _checked_modules() -> list[Path]:
    modules = []
    for part in CHECKED:
        for path in (PACKAGE / part).rglob("*.py"):
            if "migrations" not in path.parts and path.name not in DJANGO_DECLARATIONS:
                modules.append(path)
    return sorted(modules)


def _is_hook(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if ast.unparse(target) in HOOK_DECORATORS:
            return True
    return False


def positional_functions(path: Path, *, root: Path = PACKAGE.parent) -> list[str]:
    """``path name()`` of each public module-level function of ``path`` taking a positional parameter."""
    name = str(path.relative_to(root))
    found = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or node.name.startswith("_"):
            continue
        arguments = node.args
        if (arguments.posonlyargs or arguments.args or arguments.vararg) and not _is_hook(node):
            found.append(f"{name} {node.name}()")
    return found


def test_public_domain_and_calc_functions_take_keyword_only_arguments() -> None:
    found = [key for path in _checked_modules() for key in positional_functions(path)]
    not_allowed = [key for key in found if key not in HOOKS]

    assert not not_allowed, "put * first in their parameters, and name the arguments at every call:\n" + "\n".join(
        not_allowed
    )


def test_the_hooks_name_only_functions_still_positional() -> None:
    found = {key for path in _checked_modules() for key in positional_functions(path)}

    assert sorted(HOOKS - found) == [], "no longer positional: remove these from HOOKS"


def test_the_checker_finds_positional_parameters_and_accepts_keyword_only_ones(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text(
        "from django.dispatch import receiver\n"
        "def plain(a, b=1): ...\n"
        "def only_positional(a, /): ...\n"
        "def variadic(*parts): ...\n"
        "def keyword_only(*, a, b=1, **rest): ...\n"
        "def no_parameters(): ...\n"
        "def _private(a): ...\n"
        "@receiver(object)\n"
        "def hook(sender, **kwargs): ...\n"
        "class Model:\n"
        "    def method(self, a): ...\n",
        encoding="utf-8",
    )

    assert positional_functions(module, root=tmp_path) == [
        "module.py plain()",
        "module.py only_positional()",
        "module.py variadic()",
    ]
