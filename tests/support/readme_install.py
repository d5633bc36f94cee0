"""The README's "Install" section as steps a test carries out: what a user reads is what the consumer tests run.

A step is a fenced block after a marker comment, `<!-- install: LANGUAGE run -->` (a shell script run in the project
directory with `$DIST` naming the release directory) or `<!-- install: LANGUAGE file NAME -->` (the block is the
project's file NAME). `plugin` and `all` are steps every language that needs them takes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
STEP = re.compile(r"<!-- install: (\w+) (run|file)(?: (\S+))? -->\n```\w*\n(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class Step:
    language: str
    kind: str  # "run" or "file"
    name: str  # the file's name, for a file step
    text: str


def install_section(readme: Path = README) -> str:
    text = readme.read_text()
    start = text.index("\n## Install\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def steps(language: str, readme: Path = README) -> list[Step]:
    """The section's steps for language, in the README's order."""
    found = [Step(match[1], match[2], match[3] or "", match[4]) for match in STEP.finditer(install_section(readme))]
    chosen = [step for step in found if step.language == language]
    assert chosen, f"README.md's Install section has no steps for {language}"
    return chosen
