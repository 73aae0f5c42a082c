"""The source documents the taxonomy quotes.

The policy paper (a UN General Assembly document) is in the repository; the defence-sector
chapter is copyrighted, so it is read from the team's shared folder beside the clone
(``../shared/seeds/004_*.txt``), where CI has it too.
"""

from pathlib import Path

import pytest

import seed_data

REPO = Path(__file__).resolve().parents[2]
POLICY_PAPER = Path(seed_data.__file__).parent / "sources" / "policy-paper.txt"
CHAPTER_GLOB = "004_*.txt"


def normalised(text: str) -> str:
    return " ".join(text.split())


def chapter_path() -> Path | None:
    found = sorted((REPO.parent / "shared" / "seeds").glob(CHAPTER_GLOB))
    return found[0] if found else None


def chapter_text() -> str:
    path = chapter_path()
    if path is None:
        pytest.skip(
            "the defence-sector chapter is copyrighted and not in the repository: "
            "put the team's shared/ folder beside the clone to check quotes from it"
        )
    return normalised(path.read_text(encoding="utf-8"))


def document(name: str) -> str:
    if name == "policy-paper.txt":
        return normalised(POLICY_PAPER.read_text(encoding="utf-8"))
    if name == "defence-sector-chapter.txt":
        return chapter_text()
    raise AssertionError(f"unknown source document {name}")
