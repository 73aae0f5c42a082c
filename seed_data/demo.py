"""The demo roster: experts, Member State offers and capacity requests, generated deterministically.

Run ``python -m seed_data.demo --experts 400 > demo.json`` to see it.
"""

import argparse
import json
import random
import sys
from dataclasses import dataclass
from datetime import date

from schemas.roster import CapacityRequestCreate, ExpertCreate, OfferCreate
from seed_data.capacity_requests import make_requests
from seed_data.credentials import experts_with_credentials, offers_with_credentials
from seed_data.experts import make_experts
from seed_data.offers import make_offers
from seed_data.reference import load_member_states, load_missions, load_skills, skill_codes

__all__ = ["Demo", "generate", "load_member_states", "load_missions", "load_skills", "skill_codes"]

DEFAULT_SEED = 2027
DEFAULT_TODAY = date(2027, 1, 4)


@dataclass(frozen=True)
class Demo:
    experts: list[ExpertCreate]
    offers: list[OfferCreate]
    requests: list[CapacityRequestCreate]

    def as_json(self) -> dict[str, list[dict]]:
        """Plain JSON-ready data, e.g. to compare two runs or to post to the API."""
        return {
            "experts": [e.model_dump(mode="json") for e in self.experts],
            "offers": [o.model_dump(mode="json") for o in self.offers],
            "requests": [r.model_dump(mode="json") for r in self.requests],
        }


def generate(
    *,
    experts: int = 400,
    offers: int = 40,
    requests: int = 30,
    seed: int = DEFAULT_SEED,
    today: date = DEFAULT_TODAY,
) -> Demo:
    """A demo roster: the same seed and arguments always give the same data."""
    # One stream per kind, so that asking for more experts leaves offers and requests unchanged.
    people = make_experts(random.Random(f"{seed}:experts"), experts, today)
    teams = make_offers(random.Random(f"{seed}:offers"), offers, today)
    return Demo(
        experts=experts_with_credentials(random.Random(f"{seed}:expert-credentials"), people, today),
        offers=offers_with_credentials(random.Random(f"{seed}:offer-credentials"), teams, today),
        requests=make_requests(random.Random(f"{seed}:requests"), requests, today),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=400)
    parser.add_argument("--offers", type=int, default=40)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--today", type=date.fromisoformat, default=DEFAULT_TODAY)
    args = parser.parse_args(argv)
    demo = generate(experts=args.experts, offers=args.offers, requests=args.requests, seed=args.seed, today=args.today)
    json.dump(demo.as_json(), sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
