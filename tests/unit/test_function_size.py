"""Every function of `vae` and `ui` reads at once: at most MAX_LINES lines from its `def` to its last line, and
at most MAX_POSITIONAL positional parameters (self and cls not counted; keyword-only ones are free). A function
may break either rule only under a comment, in the comment lines just above its `def` (above its decorators),
that says why it is "longer because …": the allow-list is in the code, beside the function, not here."""

from __future__ import annotations

import ast

from tests.conftest import REPO

MAX_LINES = 60
MAX_POSITIONAL = 6
EXCUSE = "longer because"
PACKAGES = ("vae", "ui")


def excused(lines: list[str], first_line: int) -> bool:
    """Whether the comment block right above line `first_line` (1-based) says why the function is longer."""
    k = first_line - 2
    while k >= 0 and lines[k].lstrip().startswith("#"):
        if EXCUSE in lines[k]:
            return True
        k -= 1
    return False


def offenders(source: str, filename: str) -> list[str]:
    """'file:line: what is wrong' for each function of `source` that is too long or takes too many
    positional parameters and has no comment saying why."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if excused(lines, min([node.lineno, *(d.lineno for d in node.decorator_list)])):
            continue
        length = node.end_lineno - node.lineno + 1
        positional = [a.arg for a in node.args.posonlyargs + node.args.args]
        if positional[:1] in (["self"], ["cls"]):
            positional = positional[1:]
        if length > MAX_LINES:
            found.append(f"{filename}:{node.lineno}: {node.name}() is {length} lines long (at most {MAX_LINES})")
        if len(positional) > MAX_POSITIONAL:
            found.append(
                f"{filename}:{node.lineno}: {node.name}() takes {len(positional)} positional parameters (at most {MAX_POSITIONAL})"
            )
    return found


def test_no_function_is_too_long_or_takes_too_many_positional_parameters():
    paths = sorted(path for package in PACKAGES for path in (REPO / package).rglob("*.py"))
    assert len(paths) > 50  # the packages were found: an empty walk would pass
    found = [line for path in paths for line in offenders(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))]
    assert not found, (
        f"{len(found)} function(s) to split, or to give keyword-only options, or to excuse with a "
        f"'# {EXCUSE} …' comment just above the def:\n" + "\n".join(found)
    )


def _function(name: str, params: str, body_lines: int, indent: str = "") -> str:
    body = "".join(f"{indent}    x{i} = {i}\n" for i in range(body_lines))
    return f"{indent}def {name}({params}):\n{body}"


def test_the_checker_flags_a_long_function_and_seven_positional_parameters():
    source = (
        _function("long", "", MAX_LINES)  # the def line and MAX_LINES more: one too many
        + _function("fits", "", MAX_LINES - 1)
        + _function("seven", "a, b, c, d, e, f, g", 1)
        + _function("six_and_options", "a, b, c, d, e, f, *, g, h", 1)
        + _function("positional_only", "a, b, c, d, /, e, f, g", 1)
        + "class Thing:\n"
        + _function("method", "self, a, b, c, d, e, f", 1, indent="    ")
        + "    @classmethod\n"
        + _function("build", "cls, a, b, c, d, e, f, g", 1, indent="    ")
    )
    found = offenders(source, "synthetic.py")
    assert found == [
        f"synthetic.py:1: long() is {MAX_LINES + 1} lines long (at most {MAX_LINES})",
        f"synthetic.py:{2 * MAX_LINES + 2}: seven() takes 7 positional parameters (at most 6)",
        f"synthetic.py:{2 * MAX_LINES + 6}: positional_only() takes 7 positional parameters (at most 6)",
        f"synthetic.py:{2 * MAX_LINES + 12}: build() takes 7 positional parameters (at most 6)",
    ], found


def test_a_comment_just_above_that_says_why_excuses_a_function():
    excuse = f"# {EXCUSE} it is one table of cases, read top to bottom\n"
    decorated = "@staticmethod\n" + _function("long", "a, b, c, d, e, f, g", MAX_LINES + 5)
    assert len(offenders(decorated, "s.py")) == 2
    assert offenders(excuse + decorated, "s.py") == []
    assert offenders(excuse + "# a second comment line\n" + _function("long", "", MAX_LINES + 5), "s.py") == []
    # a comment elsewhere, or one that does not say why, excuses nothing
    assert len(offenders(excuse + "\n" + _function("long", "", MAX_LINES + 5), "s.py")) == 1
    assert len(offenders("# long on purpose\n" + _function("long", "", MAX_LINES + 5), "s.py")) == 1
