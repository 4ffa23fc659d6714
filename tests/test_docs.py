"""The documentation stays readable and whole: the README short, every link inside the repository
pointing at a file that exists, and nothing pointing at papers outside the repository, which a
reader of a clone does not have.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
README_MAX_LINES = 260

# Written by another change of the same restructuring; linked from the README already.
WRITTEN_ELSEWHERE = {DOCS / "adding-a-product-line.md"}

# `[text](target)` and `![alt](target "title")`; the target ends at a space or the parenthesis.
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # https:, mailto:, ...

# A path of the repository named in code spans: `bot/services/`, `providers/cloud.py`.
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_REPOSITORY_PATH = re.compile(
    r"(?:bot|handlers|providers|storage|sandbox|tests|bench|docs)(?:/[\w./-]*)?"
)

# Spelled in two pieces so that this file does not name them itself.
_OUTSIDE = tuple(
    "".join(parts)
    for parts in (("../", "shared"), ("shared/", "seeds"), ("DESI", "GN.md"), ("seeds ", "README"))
)
# Not the project's own files: the tools' caches, the installed environment, the shop's data.
_SKIPPED_DIRS = {".git", ".venv", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis"}
_SKIPPED_DIRS |= {"__pycache__", "data", "build", "node_modules"}


def _pages() -> list[Path]:
    return [README, *sorted(DOCS.rglob("*.md"))]


def _relative_links(page: Path) -> Iterator[tuple[int, str]]:
    in_code_block = False
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        if line.lstrip().startswith("```"):
            in_code_block = not in_code_block
            continue
        if in_code_block:
            continue
        for found in _LINK.finditer(line):
            target = found.group(1)
            if _EXTERNAL.match(target) or target.startswith("#"):
                continue
            yield number, target


def _anchors(page: Path) -> set[str]:
    """The fragments a page's headings answer to, as GitHub makes them."""
    anchors = set()
    in_code_block = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            in_code_block = not in_code_block
        elif not in_code_block and line.startswith("#"):
            heading = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", heading).replace(" ", "-"))
    return anchors


def _project_files() -> Iterator[Path]:
    for folder, folders, files in os.walk(ROOT):
        folders[:] = sorted(
            name for name in folders if name not in _SKIPPED_DIRS and not name.endswith(".egg-info")
        )
        yield from (Path(folder) / name for name in sorted(files))


def _text(path: Path) -> str | None:
    data = path.read_bytes()
    if b"\0" in data:
        return None  # a picture, a database
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def test_the_readme_is_read_in_minutes() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) < README_MAX_LINES, (
        f"README.md has {len(lines)} lines; move the detail to a page in docs/"
    )


@pytest.mark.parametrize("page", _pages(), ids=lambda page: str(page.relative_to(ROOT)))
def test_every_link_points_at_a_file_and_heading_of_the_repository(page: Path) -> None:
    broken = []
    for number, target in _relative_links(page):
        path, _, fragment = target.partition("#")
        resolved = (page.parent / path).resolve()
        if not resolved.is_relative_to(ROOT):
            broken.append(f"line {number}: {target} leaves the repository")
        elif not resolved.exists():
            if resolved not in WRITTEN_ELSEWHERE:
                broken.append(f"line {number}: {target} does not exist")
        elif fragment and resolved.suffix == ".md" and fragment not in _anchors(resolved):
            broken.append(f"line {number}: {target} names no heading of {path}")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)


@pytest.mark.parametrize("page", _pages(), ids=lambda page: str(page.relative_to(ROOT)))
def test_every_file_a_page_names_exists(page: Path) -> None:
    """Files move; the pages name packages where a module may, and exact files where they stay."""
    named = {
        span
        for span in _CODE_SPAN.findall(page.read_text(encoding="utf-8"))
        if _REPOSITORY_PATH.fullmatch(span)
    }
    gone = sorted(path for path in named if not (ROOT / path).exists())
    assert not gone, f"{page.relative_to(ROOT)} names files that do not exist: {gone}"


def test_the_readme_links_every_page_in_docs() -> None:
    linked = {
        (README.parent / target.split("#", 1)[0]).resolve() for _, target in _relative_links(README)
    }
    missing = [
        str(page.relative_to(ROOT)) for page in sorted(DOCS.rglob("*.md")) if page not in linked
    ]
    assert not missing, f"README.md does not link {missing}"


def test_nothing_refers_to_papers_outside_the_repository() -> None:
    found = []
    for path in _project_files():
        text = _text(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            found += [
                f"{path.relative_to(ROOT)}:{number}: {name}" for name in _OUTSIDE if name in line
            ]
    assert not found, "references outside the repository:\n" + "\n".join(found)
