"""Every customer-facing key exists in every language, and the code supplies every placeholder."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from fluent.syntax import FluentParser
from fluent.syntax import ast as fluent_ast
from fluent.syntax.visitor import Visitor

from bot.telegram.i18n import LANGUAGES, LOCALES_DIR

ROOT = Path(__file__).resolve().parent.parent
CODE_DIRS = ("bot", "handlers")


class _Variables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def visit_VariableReference(self, node: fluent_ast.VariableReference) -> None:
        self.names.add(node.id.name)
        self.generic_visit(node)


def _messages(language: str) -> dict[str, set[str]]:
    """Each message id of a language with the variables it uses."""
    found: dict[str, set[str]] = {}
    for path in sorted((LOCALES_DIR / language).glob("*.ftl")):
        resource = FluentParser().parse(path.read_text("utf-8"))
        junk = [entry for entry in resource.body if isinstance(entry, fluent_ast.Junk)]
        assert not junk, f"{path} has unparsable entries: {[str(j.content)[:60] for j in junk]}"
        for entry in resource.body:
            if isinstance(entry, fluent_ast.Message):
                assert entry.id.name not in found, f"{entry.id.name} defined twice in {language}"
                visitor = _Variables()
                visitor.visit(entry)
                found[entry.id.name] = visitor.names
    return found


def _literal_keys(node: ast.expr | None, where: str) -> list[str]:
    """A key is a literal, or `"a" if condition else "b"` of literals."""
    if isinstance(node, ast.IfExp):
        return _literal_keys(node.body, where) + _literal_keys(node.orelse, where)
    assert isinstance(node, ast.Constant) and isinstance(node.value, str), (
        f"{where}: the message key must be a literal so it can be checked"
    )
    return [node.value]


def _calls_in_code() -> list[tuple[str, str, set[str]]]:
    """(where, key, keyword names) for every `….get("key", ...)` on an i18n object."""
    calls: list[tuple[str, str, set[str]]] = []
    for directory in CODE_DIRS:
        for path in sorted((ROOT / directory).rglob("*.py")):
            tree = ast.parse(path.read_text("utf-8"))
            for node in ast.walk(tree):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "get"
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "i18n"
                ):
                    continue
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                supplied = {kw.arg for kw in node.keywords if kw.arg}
                for key in _literal_keys(node.args[0] if node.args else None, where):
                    calls.append((where, key, supplied))
    return calls


MESSAGES = {language: _messages(language) for language in LANGUAGES}
CALLS = _calls_in_code()


def test_the_code_uses_translations() -> None:
    assert len(CALLS) > 20


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_language_has_exactly_the_english_keys(language: str) -> None:
    assert set(MESSAGES[language]) == set(MESSAGES["en"])


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_placeholder_is_supplied_by_the_code(language: str) -> None:
    for where, key, supplied in CALLS:
        assert key in MESSAGES[language], f"{where}: {key!r} is missing in {language}"
        missing = MESSAGES[language][key] - supplied
        assert not missing, f"{where}: {key!r} in {language} needs {sorted(missing)}"


def test_every_key_is_used_somewhere() -> None:
    used = {key for _, key, _ in CALLS}
    assert set(MESSAGES["en"]) - used == set()
