"""The Dockerfile and `.dockerignore`, read the way Docker reads them, for the tests that check them
and the test that performs the Dockerfile's steps without Docker (no image can be pulled here).

Only what the project's Dockerfile uses is understood: line continuations and comments, stages
(`FROM ... AS name`), `ARG`, `ENV` (`key=value` pairs, `$VAR` and `${VAR}` from the values before
the instruction), `WORKDIR`, `COPY` (with `--from`), `RUN` (with `--mount`, which needs no
counterpart here), `USER`, `VOLUME`, `EXPOSE`, `STOPSIGNAL`, `HEALTHCHECK` and `CMD`.
Anything else is an error, so that a new instruction is looked at rather than skipped.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

KNOWN = {
    "FROM",
    "ARG",
    "ENV",
    "WORKDIR",
    "COPY",
    "RUN",
    "USER",
    "VOLUME",
    "EXPOSE",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "CMD",
}
_FLAG = re.compile(r"--([a-z-]+)=(\S+)\s+")
_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


@dataclass
class Instruction:
    keyword: str
    flags: dict[str, str]
    text: str  # what follows the keyword and its flags
    line: int

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form instruction (`CMD ["python", ...]`), else None."""
        if not self.text.startswith("["):
            return None
        parsed = json.loads(self.text)
        assert isinstance(parsed, list) and all(isinstance(part, str) for part in parsed)
        return parsed


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [each for each in self.instructions if each.keyword == keyword]

    def last(self, keyword: str) -> Instruction:
        found = self.all(keyword)
        assert found, f"stage {self.name} has no {keyword}"
        return found[-1]

    def env(
        self, base: Mapping[str, str] | None = None, root: Path | None = None
    ) -> dict[str, str]:
        """The stage's environment: `base` (the base image's) with its ENV instructions applied;
        with `root`, the container's paths in them are moved under it (see `relocated`)."""
        values = dict(base or {})
        for each in self.all("ENV"):
            values.update(env_pairs(each.text, values, root))
        return values


def instructions(text: str) -> Iterator[Instruction]:
    """Each instruction, its continuation lines joined and the comment lines among them dropped."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not pending):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        joined = " ".join(part for part in pending if part)
        pending = []
        keyword, _, rest = joined.partition(" ")
        keyword = keyword.upper()
        if keyword not in KNOWN:
            raise ValueError(f"Dockerfile line {start}: {keyword} is not understood by the tests")
        flags: dict[str, str] = {}
        rest = rest.strip() + " "
        while keyword in {"COPY", "RUN", "FROM"} and (found := _FLAG.match(rest)):
            flags[found.group(1)] = found.group(2)
            rest = rest[found.end() :]
        yield Instruction(keyword, flags, rest.strip(), start)
    if pending:
        raise ValueError("the Dockerfile ends inside a continued line")


@dataclass
class Dockerfile:
    args: dict[str, str]  # ARG before the first FROM, with their defaults
    stages: list[Stage]

    def stage(self, name: str) -> Stage:
        for each in self.stages:
            if each.name == name:
                return each
        raise KeyError(name)

    @property
    def final(self) -> Stage:
        return self.stages[-1]


def read_dockerfile(path: Path = DOCKERFILE) -> Dockerfile:
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for each in instructions(path.read_text("utf-8")):
        if each.keyword == "FROM":
            words = each.text.split()
            base = expand(words[0], args)
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else str(len(stages))
            stages.append(Stage(name, base))
        elif not stages:
            assert each.keyword == "ARG", f"line {each.line}: {each.keyword} before FROM"
            name, _, default = each.text.partition("=")
            args[name] = default
        else:
            stages[-1].instructions.append(each)
    assert stages, "the Dockerfile has no FROM"
    return Dockerfile(args, stages)


def expand(value: str, env: Mapping[str, str]) -> str:
    """`$VAR` and `${VAR}` replaced by their values in `env` (empty when unset), as Docker does."""
    return _VARIABLE.sub(lambda found: env.get(found.group(1) or found.group(2), ""), value)


def env_pairs(text: str, before: Mapping[str, str], root: Path | None = None) -> dict[str, str]:
    """The `key=value` pairs of one ENV instruction; values expand what was set before it."""
    pairs: dict[str, str] = {}
    for word in shlex.split(text):
        name, equals, value = word.partition("=")
        assert equals, f"ENV {text!r}: write ENV as key=value pairs"
        pairs[name] = expand(value if root is None else relocated(value, root), before)
    return pairs


def healthcheck_command(stage: Stage) -> list[str]:
    """The argv of the stage's `HEALTHCHECK ... CMD [...]` (exec form)."""
    text = stage.last("HEALTHCHECK").text
    _, found, command = text.partition("CMD ")
    assert found, "HEALTHCHECK has no CMD"
    argv = json.loads(command)
    assert isinstance(argv, list)
    return [str(part) for part in argv]


def healthcheck_options(stage: Stage) -> dict[str, str]:
    options = stage.last("HEALTHCHECK").text.partition("CMD ")[0]
    return dict(option.removeprefix("--").split("=", 1) for option in options.split())


# --- .dockerignore ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IgnoreRule:
    pattern: re.Pattern[str]
    keep: bool  # a `!` exception: matching paths are kept after all


def ignore_rules(path: Path = DOCKERIGNORE) -> list[IgnoreRule]:
    rules = []
    for raw in path.read_text("utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keep = line.startswith("!")
        cleaned = os.path.normpath(line.removeprefix("!").strip()).lstrip("/")
        rules.append(IgnoreRule(_pattern(cleaned), keep))
    return rules


def _pattern(glob: str) -> re.Pattern[str]:
    """Docker's patterns (Go's filepath.Match, and `**` for any number of directories)."""
    out, index = "", 0
    while index < len(glob):
        if glob.startswith("**/", index):
            out, index = out + "(?:.*/)?", index + 3
        elif glob.startswith("**", index):
            out, index = out + ".*", index + 2
        elif glob[index] == "*":
            out, index = out + "[^/]*", index + 1
        elif glob[index] == "?":
            out, index = out + "[^/]", index + 1
        elif glob[index] == "[":
            end = glob.index("]", index)
            members = glob[index + 1 : end]
            negated = members.startswith(("!", "^"))
            out += "[" + ("^" if negated else "") + members.lstrip("!^").replace("\\", "\\\\") + "]"
            index = end + 1
        elif glob[index] == "\\" and index + 1 < len(glob):
            out, index = out + re.escape(glob[index + 1]), index + 2
        else:
            out, index = out + re.escape(glob[index]), index + 1
    return re.compile(out + r"\Z")


def ignored(relative: str, rules: list[IgnoreRule]) -> bool:
    """Whether the build context leaves out `relative` (a path with `/`): the last rule that
    matches it or one of its parent folders decides."""
    parts = PurePosixPath(relative).parts
    candidates = ["/".join(parts[: count + 1]) for count in range(len(parts))]
    verdict = False
    for rule in rules:
        if any(rule.pattern.match(candidate) for candidate in candidates):
            verdict = not rule.keep
    return verdict


def build_context(source: Path = ROOT, rules: list[IgnoreRule] | None = None) -> list[str]:
    """The files of `source` that `docker build` sends (paths with `/`, sorted). A folder left
    out is not walked unless an exception could bring part of it back."""
    rules = ignore_rules() if rules is None else rules
    exceptions = any(rule.keep for rule in rules)
    found = []
    for folder, folders, files in os.walk(source):
        here = Path(folder).relative_to(source).as_posix()
        prefix = "" if here == "." else here + "/"
        if not exceptions:
            folders[:] = [name for name in folders if not ignored(prefix + name, rules)]
        found += [prefix + name for name in files if not ignored(prefix + name, rules)]
    return sorted(found)


def copy_context(destination: Path, source: Path = ROOT) -> list[str]:
    """Copy the build context of `source` into `destination`; returns what was copied."""
    files = build_context(source)
    for relative in files:
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / relative, target)
    return files


# --- the container's paths on this machine -------------------------------------------------------


def relocated(value: str, root: Path) -> str:
    """A value written in the Dockerfile with the container's absolute paths moved under `root`
    (each `:`-separated part that starts with `/`); `$VAR` references are left to expand later,
    so what comes from outside (the base image's PATH) stays where it is."""
    return ":".join(
        str(root / part.lstrip("/")) if part.startswith("/") else part for part in value.split(":")
    )


def container_path(path: str, root: Path, workdir: Path) -> Path:
    """A path of an instruction (COPY's destination, WORKDIR) on this machine."""
    return root / path.lstrip("/") if path.startswith("/") else workdir / path
