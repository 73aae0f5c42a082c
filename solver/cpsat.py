"""The CP-SAT model: one boolean per candidate pair, hard rules as ``add_<rule>``,
soft terms as ``(literals, weights)``, objectives solved in strict order (staged)."""

import time
from collections import defaultdict
from collections.abc import Callable

import numpy as np
from ortools.sat.python import cp_model

from schemas.plan import ModelSize, Plan, SolveStatus
from solver.explain import pin_conflicts
from solver.score import assemble, gender_target, state_quota
from solver.structure import Structure, build_structure

Progress = Callable[[dict], None] | None


def add_one_supplier_per_position(model: cp_model.CpModel, st: Structure, x: list) -> None:
    for pairs in st.pos_pairs:
        if len(pairs) > 1:
            model.add_at_most_one(x[k] for k in pairs)


def add_no_overlap(model: cp_model.CpModel, st: Structure, x: list) -> None:
    """Per supplier, per maximal clique of overlapping windows (rest gap included): at most its free slots."""
    for pairs, cap in st.cliques:
        if cap == 1:
            model.add_at_most_one(x[k] for k in pairs)
        else:
            model.add(sum(x[k] for k in pairs) <= cap)


def _filled(st: Structure, x: list, i: int):
    return sum(x[k] for k in st.pos_pairs[i])


Guards = dict[int, str] | None


def _guard(model: cp_model.CpModel, guards: Guards, name: str) -> list:
    """An assumption literal naming a commitment, when explaining an infeasible model; else nothing."""
    if guards is None:
        return []
    lit = model.new_bool_var(name)
    guards[lit.index] = name
    return [lit]


def add_all_or_nothing(model: cp_model.CpModel, st: Structure, x: list, guards: Guards = None) -> None:
    for group, members in st.all_or_nothing.items():
        lits = _guard(model, guards, f"group {group} is all-or-nothing")
        first = _filled(st, x, members[0])
        for j in members[1:]:
            model.add(_filled(st, x, j) == first).only_enforce_if(lits)


def add_same_offer(model: cp_model.CpModel, st: Structure, x: list, guards: Guards = None) -> None:
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


def add_pins(model: cp_model.CpModel, st: Structure, x: list, guards: Guards = None) -> None:
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


def priority_term(st: Structure, x: list):
    return list(x), st.priority_weight.tolist()


def fit_term(st: Structure, x: list):
    return list(x), st.fit.tolist()


def spc_term(st: Structure, x: list):
    return list(x), st.spc.tolist()


def stability_term(st: Structure, x: list):
    """Kept previous assignments (maximised); changes = previous total - kept."""
    ks = np.flatnonzero(st.previous)
    return [x[k] for k in ks], [1] * len(ks)


def fairness_term(model: cp_model.CpModel, st: Structure, x: list):
    """Penalty literals/ints: positions above a state's fair share, women missing from a target."""
    w = st.inst.parameters.weights
    quota = state_quota(st)
    by_state = defaultdict(list)
    for k, s in enumerate(st.pair_sup):
        ms = st.sup.member_state[s]
        if ms is not None:
            by_state[ms].append(k)
    terms, weights = [], []
    for pairs in by_state.values():
        if len(pairs) <= quota:
            continue
        reach = len(np.unique(st.pair_pos[pairs]))
        if reach <= quota:
            continue
        over = model.new_int_var(0, reach - quota, "")
        model.add(over >= sum(x[k] for k in pairs) - quota)
        terms.append(over)
        weights.append(w.state_over_share)
    by_request = defaultdict(list)
    for k, i in enumerate(st.pair_pos):
        by_request[st.inst.positions[i].request_id].append(k)
    for r, t in st.inst.parameters.gender_targets.items():
        pairs = by_request.get(r, [])
        if not pairs or t <= 0:
            continue
        short = model.new_int_var(0, len(pairs), "")
        filled = sum(x[k] for k in pairs)
        women = sum(x[k] for k in pairs if st.sup.female[st.pair_sup[k]])
        model.add(100 * short >= gender_target(t) * filled - 100 * women)
        terms.append(short)
        weights.append(w.gender_shortfall)
    return terms, weights


class _Reporter(cp_model.CpSolverSolutionCallback):
    def __init__(self, phase: str, progress: Callable[[dict], None], t0: float):
        super().__init__()
        self.phase, self.progress, self.t0 = phase, progress, t0

    def on_solution_callback(self) -> None:
        obj, bound = self.objective_value, self.best_objective_bound
        self.progress({"phase": self.phase, "objective": obj, "bound": bound,
                       "gap": _gap(obj, bound), "elapsed": round(time.perf_counter() - self.t0, 3)})


def _gap(obj: float, bound: float) -> float:
    return abs(bound - obj) / max(1.0, abs(bound))


def _params(solver: cp_model.CpSolver, time_limit: float, workers: int, seed: int) -> None:
    p = solver.parameters
    p.max_time_in_seconds = max(0.05, time_limit)
    p.num_workers = workers
    p.random_seed = seed
    if workers == 1:
        p.linearization_level = 2
    else:
        p.extra_subsolvers.append("max_lp")


def build_model(st: Structure):
    model = cp_model.CpModel()
    x = [model.new_bool_var("") for _ in range(st.n_pairs)]
    for rule in HARD_RULES:
        rule(model, st, x)
    return model, x


def add_keep_tiers(model: cp_model.CpModel, st: Structure, x: list, current: np.ndarray) -> None:
    """Keep the priority level: at least as many filled positions in every priority tier.

    With strict tier weights the level's value decomposes uniquely into tier counts, so
    this equals fixing the weighted sum, with small coefficients the LP handles well.
    """
    prio = np.array([p.priority for p in st.inst.positions])[st.pair_pos]
    for tier in np.unique(prio):
        ks = np.flatnonzero(prio == tier)
        n = int(current[ks].sum())
        if n:
            model.add(sum(x[k] for k in ks) >= n)


MERGE_LIMIT = 2**48


def _level_range(terms, weights, model: cp_model.CpModel) -> int:
    """An upper bound on a level's value (every term at its upper bound).

    The proto's repeated fields do not support negative indices: ``domain[-1]`` reads 0.
    """
    total = 0
    for t, w in zip(terms, weights):
        domain = model.proto.variables[t.index].domain
        total += abs(w) * domain[len(domain) - 1]
    return total


def _pair_range(st: Structure, weights: list[int]) -> int:
    """An upper bound on a per-pair level: the best pair of every position, summed."""
    w = np.zeros(st.n_pairs, dtype=np.int64)
    if len(weights) == st.n_pairs:
        w[:] = weights
    else:
        w[np.flatnonzero(st.previous)] = weights
    return int(sum(w[p].max() for p in st.pos_pairs if len(p)))


def merge_levels(levels: list) -> list[list[tuple]]:
    """Group consecutive lower levels into one weighted stage when strict weights stay small.

    Walking up from the last level, each level's weight exceeds the whole range of the
    levels below it in the group, so the weighted sum is exactly lexicographic.
    """
    groups: list[list[tuple]] = []
    group, mult = [], 1
    for name, terms, weights, sign, rng in reversed(levels):
        if group and mult * (rng + 1) > MERGE_LIMIT:
            groups.append(group)
            group, mult = [], 1
        group.append((name, terms, [sign * mult * w for w in weights]))
        mult *= rng + 1
    if group:
        groups.append(group)
    return [list(reversed(g)) for g in reversed(groups)]


def _stage_expr(group):
    return sum(w * t for _, terms, weights in group for t, w in zip(terms, weights) if w)


def _stages(model: cp_model.CpModel, st: Structure, x: list) -> list[tuple[str, object]]:
    fair_terms, fair_weights = fairness_term(model, st, x)
    levels = []
    for name, (terms, weights), sign in [("fit", fit_term(st, x), 1), ("fairness", (fair_terms, fair_weights), -1),
                                         ("spc", spc_term(st, x), 1), ("stability", stability_term(st, x), 1)]:
        if any(weights):
            rng = _pair_range(st, weights) if name != "fairness" else _level_range(terms, weights, model)
            levels.append((name, terms, weights, sign, rng))
    stages = _priority_stages(st, x)
    for group in merge_levels(levels):
        stages.append(("+".join(g[0] for g in group), _stage_expr(group)))
    return stages


PRIORITY_LIMIT = 2**61


def _priority_stages(st: Structure, x: list) -> list[tuple[str, object]]:
    """One weighted stage for the priority level; one stage per tier if the weighted sum could overflow."""
    terms, weights = priority_term(st, x)
    if sum(weights) <= PRIORITY_LIMIT:
        return [("priority", sum(w * t for t, w in zip(terms, weights)))]
    prio = np.array([p.priority for p in st.inst.positions])[st.pair_pos]
    return [(f"priority:{t}", sum(x[k] for k in np.flatnonzero(prio == t))) for t in np.unique(prio)]


def _unsolved_tiers(st: Structure, names: list[str]) -> int:
    """Bound contribution of priority tiers whose stage never ran: every fillable position filled."""
    total = 0
    for name in names:
        if name.startswith("priority"):
            tiers = [int(name.split(":")[1])] if ":" in name else list(st.tier_weight)
            for t in tiers:
                n = sum(1 for f in st.filtered if f.position.priority == t and len(f.candidates))
                total += n * st.tier_weight[t]
    return total


def _share(n: int, stages: int, left: float) -> float:
    """Time for stage n: the first gets 60 %, the rest split what is left evenly."""
    if n == stages - 1:
        return left
    return 0.6 * left if n == 0 else left / (stages - n)


def _set_hint(model: cp_model.CpModel, x: list, current: np.ndarray, full: list[int] | None) -> None:
    """Hint the previous stage's complete solution (every variable), else the pairs alone."""
    model.clear_hints()
    hint = model.proto.solution_hint
    if full is not None:
        hint.vars.extend(range(len(full)))
        hint.values.extend(full)
    else:
        hint.vars.extend(v.index for v in x)
        hint.values.extend(int(b) for b in current)


def solve_structure(st: Structure, *, time_limit: float, workers: int, seed: int,
                    progress: Progress = None, hint: list[int] | None = None) -> Plan:
    """Staged lexicographic solve: priority, then fit, fairness, SPC, stability (merged when exact)."""
    t0 = time.perf_counter()
    model, x = build_model(st)
    stages = _stages(model, st, x) if st.n_pairs else []
    size = ModelSize(candidates=st.n_pairs, variables=len(model.proto.variables),
                     constraints=len(model.proto.constraints), build_seconds=round(time.perf_counter() - t0, 3))
    current = np.zeros(st.n_pairs, dtype=bool)
    if hint is not None:
        current[hint] = True
    status, bound, messages, full = SolveStatus.optimal, 0, [], None
    for n, (name, expr) in enumerate(stages):
        _set_hint(model, x, current, full)
        model.maximize(expr)
        left = time_limit * 0.95 - (time.perf_counter() - t0)
        solver = cp_model.CpSolver()
        _params(solver, _share(n, len(stages), left), workers, seed)
        code = solver.solve(model, _Reporter(name, progress, t0) if progress else None)
        if code in (cp_model.INFEASIBLE, cp_model.MODEL_INVALID) and n == 0:
            return _infeasible(st, size, t0, solver.status_name(code))
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            messages.append(f"stage {name}: {solver.status_name(code)}; kept the previous stage's (or greedy) plan")
            status = SolveStatus.time_limit
            bound += _unsolved_tiers(st, [s[0] for s in stages[n:]])
            break
        value = int(solver.value(expr))
        current = np.array(solver.boolean_values(x), dtype=bool)
        full = list(solver.response_proto.solution)
        if name == "priority":
            bound = int(round(solver.best_objective_bound))
            add_keep_tiers(model, st, x, current)
        else:
            model.add(expr >= value)
        if name.startswith("priority:"):
            tier = int(name.split(":")[1])
            bound += int(round(solver.best_objective_bound)) * int(st.tier_weight[tier])
        if code == cp_model.FEASIBLE:
            status = SolveStatus.time_limit
            messages.append(f"stage {name}: time limit, objective {value}, bound {solver.best_objective_bound:.0f}")
    gap = _gap(float(st.priority_weight[current].sum()), bound) if stages else 0.0
    plan = assemble(st, np.flatnonzero(current), status, best_bound=bound, gap=round(gap, 6),
                    model=size, messages=messages)
    plan.wall_time = round(time.perf_counter() - t0, 3)
    return plan


def _infeasible(st: Structure, size: ModelSize, t0: float, why: str) -> Plan:
    msg = f"no plan satisfies the pins and groups together ({why})"
    found = pin_conflicts(st.inst)
    if not found:
        names = conflicting_commitments(st)
        found = [f"these cannot hold together: {'; '.join(names)}"] if names else []
    plan = assemble(st, [], SolveStatus.infeasible, model=size, messages=[msg, *found])
    plan.wall_time = round(time.perf_counter() - t0, 3)
    return plan


def solve(inst, *, time_limit: float | None = None, workers: int | None = None, seed: int | None = None,
          progress: Progress = None) -> Plan:
    """Instance in, plan out: candidates, greedy hint, staged CP-SAT."""
    from solver.greedy import greedy_pairs

    t0 = time.perf_counter()
    limit = time_limit if time_limit is not None else inst.parameters.time_limit
    st = build_structure(inst)
    hint = greedy_pairs(st)
    if progress:
        progress({"phase": "greedy", "objective": float(st.priority_weight[hint].sum()), "bound": None,
                  "gap": None, "elapsed": round(time.perf_counter() - t0, 3)})
    plan = solve_structure(st, time_limit=limit - (time.perf_counter() - t0), workers=workers or 2,
                           seed=seed or 0, progress=progress, hint=hint)
    plan.wall_time = round(time.perf_counter() - t0, 3)
    return plan
