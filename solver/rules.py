"""The hard rules of the CP-SAT model, one ``add_<rule>`` each, on one boolean per candidate pair."""

from collections import defaultdict

from ortools.sat.python import cp_model
from ortools.sat.python.cp_model import IntVar, LinearExpr

from solver.structure import Structure


def add_one_supplier_per_position(model: cp_model.CpModel, st: Structure, x: list[IntVar]) -> None:
    for pairs in st.pos_pairs:
        if len(pairs) > 1:
            model.add_at_most_one(x[k] for k in pairs)


def add_no_overlap(model: cp_model.CpModel, st: Structure, x: list[IntVar]) -> None:
    """Per supplier, per maximal clique of overlapping windows (rest gap included): at most its free slots."""
    for pairs, cap in st.cliques:
        if cap == 1:
            model.add_at_most_one(x[k] for k in pairs)
        else:
            model.add(LinearExpr.sum([x[k] for k in pairs]) <= cap)


def _filled(st: Structure, x: list[IntVar], i: int) -> LinearExpr:
    return LinearExpr.sum([x[k] for k in st.pos_pairs[i]])


Guards = dict[int, str] | None


def _guard(model: cp_model.CpModel, guards: Guards, name: str) -> list[IntVar]:
    """An assumption literal naming a commitment, when explaining an infeasible model; else nothing."""
    if guards is None:
        return []
    lit = model.new_bool_var(name)
    guards[lit.index] = name
    return [lit]


def add_all_or_nothing(model: cp_model.CpModel, st: Structure, x: list[IntVar], guards: Guards = None) -> None:
    for group, members in st.all_or_nothing.items():
        lits = _guard(model, guards, f"group {group} is all-or-nothing")
        first = _filled(st, x, members[0])
        for j in members[1:]:
            model.add(_filled(st, x, j) == first).only_enforce_if(lits)


def add_same_offer(model: cp_model.CpModel, st: Structure, x: list[IntVar], guards: Guards = None) -> None:
    """All filled positions of a same-offer group come from one offer."""
    for group, members in st.same_offer.items():
        by_offer = defaultdict(list)
        for i in members:
            for k in st.pos_pairs[i]:
                by_offer[int(st.pair_sup[k])].append(k)
        if len(by_offer) <= 1:
            continue
        lits = _guard(model, guards, f"group {group} comes from one offer")
        chosen = {o: model.new_bool_var("") for o in by_offer}
        model.add_at_most_one(chosen.values()).only_enforce_if(lits)
        for o, pairs in by_offer.items():
            for k in pairs:
                model.add_implication(x[k], chosen[o])


def add_pins(model: cp_model.CpModel, st: Structure, x: list[IntVar], guards: Guards = None) -> None:
    for k in st.pinned_pairs:
        pair = f"{st.inst.positions[st.pair_pos[k]].id}/{st.sup.ids[st.pair_sup[k]]}"
        model.add(x[k] == 1).only_enforce_if(_guard(model, guards, f"pin {pair}"))


def conflicting_commitments(st: Structure) -> list[str]:
    """A small set of pins and groups that cannot hold together (CP-SAT assumptions, one worker)."""
    model = cp_model.CpModel()
    x = [model.new_bool_var("") for _ in range(st.n_pairs)]
    add_one_supplier_per_position(model, st, x)
    add_no_overlap(model, st, x)
    guards: dict[int, str] = {}
    for rule in (add_all_or_nothing, add_same_offer, add_pins):
        rule(model, st, x, guards)
    model.add_assumptions([model.get_bool_var_from_proto_index(i) for i in guards])
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 10
    if solver.solve(model) != cp_model.INFEASIBLE:
        return []
    return sorted(guards[i] for i in solver.sufficient_assumptions_for_infeasibility())


HARD_RULES = [add_one_supplier_per_position, add_no_overlap, add_all_or_nothing, add_same_offer, add_pins]


def build_model(st: Structure) -> tuple[cp_model.CpModel, list[IntVar]]:
    model = cp_model.CpModel()
    x = [model.new_bool_var("") for _ in range(st.n_pairs)]
    for rule in HARD_RULES:
        rule(model, st, x)
    return model, x
