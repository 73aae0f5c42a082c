"""Loaders for the reference data shipped as JSON beside this module."""

import json
from functools import cache
from pathlib import Path

from schemas.roster import MemberStateBase, MissionCreate, SkillCreate

DATA_DIR = Path(__file__).parent


@cache
def _rows(name: str) -> tuple[dict, ...]:
    with (DATA_DIR / name).open(encoding="utf-8") as f:
        return tuple(json.load(f))


def load_skills() -> list[SkillCreate]:
    """The skills taxonomy, validated."""
    return [SkillCreate.model_validate(row) for row in _rows("skills.json")]


def load_member_states() -> list[MemberStateBase]:
    """The 193 UN Member States, validated."""
    return [MemberStateBase.model_validate(row) for row in _rows("member_states.json")]


def load_missions() -> list[MissionCreate]:
    """UN peace operations, active and closed, validated."""
    return [MissionCreate.model_validate(row) for row in _rows("missions.json")]


def skill_codes() -> list[str]:
    """Codes of the skills taxonomy, in file order."""
    return [row["code"] for row in _rows("skills.json")]
