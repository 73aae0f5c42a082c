"""Reference data (skills, Member States, missions) and the demo roster generator."""

from seed_data.reference import load_member_states, load_missions, load_skills, skill_codes

__all__ = ["load_member_states", "load_missions", "load_skills", "skill_codes"]
