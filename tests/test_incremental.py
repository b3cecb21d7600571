"""Incremental scoring: exact group sums, locality of a write, and the adjusted board's fit state."""

import json
import math
import random
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from tracker import stages
from tracker.errors import TrackerError
from tracker.imports import forecast_rows
from tracker.imports.forecast_rows import import_forecasts
from tracker.imports.outcome_rows import import_outcomes
from tracker.ledger.connection import writing
from tracker.ledger.outcomes import resolve, unresolve
from tracker.scores import board, calibration, reports, terms
from tracker.scores import sums as sufficient
from tracker.scores.derived import open_db

from conftest import derived, rescored_copy

# ------------------------------------------------------------------ exact sums

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(st.lists(finite, max_size=60), st.randoms())
def test_exact_sums_round_once_and_forget_what_is_taken_out(xs, rnd):
    total = sum(sufficient.exact(x) for x in xs)
    # Python's fsum is the correctly rounded sum too: an independent check of exactness
    assert sufficient.value(total) == math.fsum(xs)
    shuffled = xs[:]
    rnd.shuffle(shuffled)
    for x in shuffled:
        total -= sufficient.exact(x)
    assert total == 0


@given(st.integers(min_value=-(2 ** 3000), max_value=2 ** 3000))
def test_packed_sums_round_trip(units):
    assert sufficient.unpack(sufficient.pack(units)) == units


@given(st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=40))
def test_moments_give_the_textbook_mean_and_t_interval(xs):
    mean, low, high = sufficient.mean_interval(sufficient.moments(xs))
    assert mean == math.fsum(xs) / len(xs) or mean == pytest.approx(math.fsum(xs) / len(xs), rel=1e-15)
    if len(xs) < 2:
        assert low is None and high is None
        return
    sd = stats.tstd(xs) if len(set(xs)) > 1 else 0.0
    half = stats.t.ppf(0.975, len(xs) - 1) * sd / math.sqrt(len(xs))
    assert high - mean == pytest.approx(half, rel=1e-9, abs=1e-15)
    assert mean - low == pytest.approx(half, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("df", [*range(1, 60), 99, 100, 101, 250, 999, 1000, 1001, 5000, 10 ** 5, 10 ** 7])
@pytest.mark.parametrize("q", [0.6, 0.9, 0.95, 0.975, 0.995])
def test_t_quantile_is_scipys(df, q):
    assert sufficient.t_quantile(q, df) == pytest.approx(stats.t.ppf(q, df), rel=1e-12)


def test_the_normal_quantile_is_statistics_own():
    from statistics import NormalDist

    assert sufficient.Z_975 == NormalDist().inv_cdf(0.975) == sufficient.normal_quantile(0.5 + 0.95 / 2)
    for q in (0.6, 0.9, 0.95, 0.995):
        assert sufficient.normal_quantile(q) == NormalDist().inv_cdf(q)


def test_every_term_a_producer_makes_is_declared():
    made = {**calibration.forecast_terms(0.7, 1, board.CALIBRATION_BINS),
            **sufficient.score_terms(0.09, 0.36, True, 0.9),
            **sufficient.sensitivity_terms(0.7, 1, 0.09, 0.6, 0.8, json.dumps({"house-de": 0.75}))}
    for of in (terms.TIME_WEIGHTED, terms.PEER, terms.MULTIPLE_CHOICE):
        made.update(sufficient.moments([0.2], of))
    assert all(terms.declared(k) for k in made)
    assert not terms.declared("bn") and not terms.declared("d:house-de")
    for term in [*terms.TERMS.values(), *terms.FAMILIES.values()]:
        assert isinstance(term.unit, terms.Unit) and term.meaning
    assert terms.SCALE_COVERED.members(made) == ["house-de"]


def test_a_ledger_scored_by_tracker_keeps_only_declared_terms(small_db):
    stored = [sufficient.loads(text) for (text,) in small_db.execute("select sums from score_sums")]
    assert stored and all(terms.declared(k) for sums in stored for k in sums)


def test_sums_of_another_format_are_refused():
    with pytest.raises(TrackerError, match="tracker migrate"):
        sufficient.loads(json.dumps({"bn": sufficient.pack(3)}))


def test_murphy_identity_from_sums_by_hand():
    # Two bins of K = 2: [0.2, 0.4] both no, [0.6, 0.8] yes and no. N = 4, ȳ = 1/4.
    ps, ys = [0.2, 0.4, 0.6, 0.8], [0, 0, 1, 0]
    d = calibration.murphy_decomposition(ps, ys, bins=2)
    assert d["reliability"] == pytest.approx((2 * 0.3 ** 2 + 2 * (0.7 - 0.5) ** 2) / 4)
    assert d["resolution"] == pytest.approx((2 * 0.25 ** 2 + 2 * 0.25 ** 2) / 4)
    assert d["uncertainty"] == pytest.approx(0.1875)
    assert d["within_bin_variance"] == pytest.approx((0.01 + 0.01 + 0.01 + 0.01) / 4)
    assert d["within_bin_covariance"] == pytest.approx(2 * ((-0.1 * 0.5) + (0.1 * -0.5)) / 4)
    brier = (0.04 + 0.16 + 0.16 + 0.64) / 4
    assert d["brier"] == pytest.approx(brier)
    total = (d["reliability"] - d["resolution"] + d["uncertainty"] + d["within_bin_variance"]
             - d["within_bin_covariance"])
    assert total == pytest.approx(brier, abs=1e-15)


# ------------------------------------------------------------------ every write equals a full rescore

PHRASES = ["likely", "highly likely", "unlikely", "even chance", "almost certainly", "", ""]


def _forecast_rows(rng, n, questions, authors):
    rows = ["question_id,author,probability,made_on,resolve_by,topic,document,phrase,interval_low,interval_high"]
    seen = set()
    while len(rows) <= n:
        q = rng.randrange(questions)
        who = ";".join(rng.sample(authors, rng.choice([1, 1, 2])))
        made_on = f"2019-0{1 + rng.randrange(5)}-{1 + rng.randrange(28):02d}"
        if (q, who, made_on) in seen:  # the same forecast twice is refused
            continue
        seen.add((q, who, made_on))
        p = rng.choice([0.0, 0.05, 0.3, 0.5, 0.7, 0.95, 1.0, round(rng.random(), 2)])
        lo, hi = (round(max(0.0, p - 0.1), 2), round(min(1.0, p + 0.1), 2)) if rng.random() < 0.5 else ("", "")
        rows.append(f"q{q},{who},{p},{made_on},2019-{7 + q % 6:02d}-01,"
                    f"t{q % 4},{rng.choice(['', 'd1', 'd2'])},{rng.choice(PHRASES)},{lo},{hi}")
    return rows


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("in_place", [board.IN_PLACE_QUESTIONS, 0], ids=["in-place", "delete-first"])
def test_every_write_leaves_the_tables_a_full_rescore_gives(db, tmp_path, seed, in_place, monkeypatch):
    """Random resolves, corrections, withdrawals and re-imports that move forecasts between
    authors, documents, topics and readings: after each, every derived table (the exact sums
    too) is identical, to the bit, to a rescore from scratch of the same ledger; whether a
    write's per-question rows are written over the stored ones or deleted first."""
    monkeypatch.setattr(board, "IN_PLACE_QUESTIONS", in_place)
    rng = random.Random(seed)
    authors = ["Ann", "Bob", "Cem", "Dana", "Eve"]
    with writing(db):
        db["documents"].insert_all([{"id": "d1", "title": "One", "language": "en"},
                                    {"id": "d2", "title": "Zwei", "language": "de"},
                                    {"id": "d3", "title": "Three", "language": None}])
    rows = _forecast_rows(rng, 150, 25, authors)
    f = tmp_path / "f.csv"
    f.write_text("\n".join(rows) + "\n")
    import_forecasts(db, f)
    o = tmp_path / "o.csv"
    o.write_text("question_id,outcome,resolved_on\n" + "".join(
        f"q{q},{rng.choice(['yes', 'no', 'annulled'])},2019-08-01\n" for q in range(0, 25, 2)))
    import_outcomes(db, o)
    assert derived(db) == derived(rescored_copy(db))
    for step in range(12):
        action = rng.choice(["resolve", "correct", "unresolve", "reimport"])
        q = f"q{rng.randrange(25)}"
        current = db.execute("select outcome from current_outcomes where question_id = ?", [q]).fetchone()
        if action == "resolve" and current is None:
            resolve(db, q, rng.choice(["yes", "no"]), resolved_on="2019-08-02")
        elif action == "correct" and current is not None:
            resolve(db, q, "no" if current[0] == "yes" else "yes", correct=True)
        elif action == "unresolve" and current is not None:
            unresolve(db, q)
        else:
            # the same forecasts (ids from the first import) with other authors, topics, documents,
            # phrases and intervals
            ids = [r[0] for r in db.execute("select id from forecasts order by id limit 40")]
            changed = ["id,question_id,author,probability,made_on,topic,document,phrase,interval_low,interval_high"]
            for fid in ids:
                fr = db.execute("select question_id, probability, made_on from forecasts where id = ?",
                                [fid]).fetchone()
                changed.append(f"{fid},{fr[0]},{rng.choice(authors)},{fr[1]},{fr[2]},t{rng.randrange(6)},"
                               f"{rng.choice(['', 'd1', 'd3'])},{rng.choice(PHRASES)},,")
            g = tmp_path / f"g{step}.csv"
            g.write_text("\n".join(changed) + "\n")
            import_forecasts(db, g)
        assert derived(db) == derived(rescored_copy(db)), f"after step {step}: {action} {q}"


# ------------------------------------------------------------------ one write costs what it touches

def _ledger(directory, name, forecasts) -> Path:
    """A ledger of `forecasts` forecasts, most of their questions resolved, in `directory`, closed."""
    rng = random.Random(5)
    questions = forecasts // 20
    # The same authors and topics on both ledgers, ten times the questions: a question's
    # groups are as many, each ten times the size.
    authors = [f"A{i}" for i in range(8)]
    db = open_db(directory / f"{name}.db")
    rows = ["question_id,author,probability,made_on,resolve_by,topic"]
    seen = set()
    while len(rows) <= forecasts:
        q, a, day = rng.randrange(questions), rng.choice(authors[:3] + authors), 1 + rng.randrange(28)
        if (q, a, day) in seen:
            continue
        seen.add((q, a, day))
        # in steps of 5 %, as people forecast: the ROC AUC reads one count per distinct value in a
        # group, at most 21 here on either ledger, so only locality is measured
        rows.append(f"q{q},{a},{rng.randrange(21) * 5 / 100},2019-01-{day:02d},2019-09-01,t{q % 7}")
    (directory / f"{name}.csv").write_text("\n".join(rows) + "\n")
    import_forecasts(db, directory / f"{name}.csv")
    (directory / f"{name}-o.csv").write_text("question_id,outcome,resolved_on\n" + "".join(
        f"q{q},{rng.choice(['yes', 'no'])},2019-08-01\n" for q in range(1, questions)))
    import_outcomes(db, directory / f"{name}-o.csv")
    db.close()  # the last connection checkpoints the WAL: the .db file alone is the whole ledger
    return directory / f"{name}.db"


@pytest.fixture(scope="module")
def ledgers(tmp_path_factory) -> dict[str, Path]:
    """The ledgers of 2,000 and 20,000 forecasts, built once for the tests below (the same seed
    gives the same ledgers): a test that changes one works on a copy."""
    directory = tmp_path_factory.mktemp("ledgers")
    return {"small": _ledger(directory, "small", 2_000), "large": _ledger(directory, "large", 20_000)}


def _vm_steps(db, action) -> int:
    """SQLite virtual-machine steps (in thousands) that action() makes on db's connection."""
    steps = [0]

    def count():
        steps[0] += 1
        return 0

    db.conn.set_progress_handler(count, 1000)
    try:
        action()
    finally:
        db.conn.set_progress_handler(None, 0)
    return steps[0]


def _steps_of_one_correction(db):
    """SQLite virtual-machine steps (in thousands) of re-scoring after correcting one question."""
    current = db.execute("select outcome from current_outcomes where question_id = 'q1'").fetchone()[0]
    return _vm_steps(db, lambda: resolve(db, "q1", "no" if current == "yes" else "yes", correct=True))


def test_one_outcome_costs_the_same_on_a_ledger_ten_times_larger(ledgers, tmp_path, monkeypatch):
    """Counted in SQLite's own work, not in seconds (which would flake): correcting one outcome on
    a ledger of 20,000 forecasts does about what it does on 2,000 by the same authors, because it
    touches only the question's forecasts and its groups' sums, whatever the groups' size. The
    full rebuild it replaced read every forecast of every group the question is in, and the
    overall calibration read all of them."""
    monkeypatch.setattr(board, "REFIT_LIMIT", 0)  # the adjusted board's fit is global by nature
    # this test writes: on copies, so the other test finds the ledgers as built
    small_db, large_db = (open_db(shutil.copyfile(ledgers[name], tmp_path / f"{name}.db"))
                          for name in ("small", "large"))
    try:
        small = _steps_of_one_correction(small_db)
        large = _steps_of_one_correction(large_db)
        assert large < 2 * small, (small, large)
        with writing(large_db):
            full = _vm_steps(large_db, lambda: board.refresh(large_db))
        assert full > 10 * large, "a full rescore should cost far more than one outcome"
    finally:
        small_db.close()
        large_db.close()


def test_a_write_that_changes_nothing_costs_the_same_on_a_larger_ledger(ledgers):
    """A write that changes nothing (a refused outcome, a re-import of the same file) drops its
    empty change group, and the audit trail's tables refer to that group: without an index on
    their `group` column, SQLite's foreign-key check read all of them (0.2 s on a 1M ledger).
    The refusal is of a resolved question's second outcome: an unknown id would also read the ids
    for "did you mean", a cost bounded apart (tests/test_ids.py)."""
    # the refused write is rolled back: the shared ledgers themselves will do
    small, large = open_db(ledgers["small"]), open_db(ledgers["large"])

    def refused(db):
        def action():
            with pytest.raises(TrackerError, match="already resolved"):
                resolve(db, "q1", "yes")
        return _vm_steps(db, action)

    try:
        assert refused(large) <= refused(small) + 2
    finally:
        small.close()
        large.close()


# ------------------------------------------------------------------ the adjusted board's fit state

def test_adjusted_board_is_refitted_or_marked_stale(db, tmp_path, monkeypatch):
    rows = ["question_id,author,probability,made_on"] + [
        f"q{q},{a},{p},2019-01-0{1 + q}" for q in range(4) for a, p in (("Ann", 0.8), ("Bob", 0.3))]
    (tmp_path / "f.csv").write_text("\n".join(rows) + "\n")
    import_forecasts(db, tmp_path / "f.csv")
    for q in range(3):
        resolve(db, f"q{q}", "yes")
    assert reports.board_fit(db)["stale_writes"] == 0  # a small ledger refits with every write
    fitted = derived(db)["adjusted_scores"]
    monkeypatch.setattr(board, "REFIT_LIMIT", 0)
    resolve(db, "q3", "no")
    fit = reports.board_fit(db)
    assert fit["stale_writes"] == 1 and fit["pairs"] == 6
    assert derived(db)["adjusted_scores"] == fitted  # as fitted, and said to be so
    assert all(r["stale_writes"] == 1 for r in reports.adjusted_table(db))
    from tracker.cli import text as output

    assert "1 outcome change(s) since are not in it yet" in output.adjusted(reports.adjusted_table(db))
    with writing(db):
        board.refresh(db)
    assert reports.board_fit(db)["stale_writes"] == 0 and reports.board_fit(db)["pairs"] == 8
    assert derived(db)["adjusted_scores"] != fitted


def test_a_documents_new_language_rereads_its_phrases(db, tmp_path):
    """Which scales read a phrase depends on the document's language, so changing the language
    re-scores the document's forecasts: their readings and the sensitivity scenarios follow, and
    the tables still equal a full rescore."""
    from tracker.ledger.documents import add_document

    text = tmp_path / "brief.txt"
    text.write_text("A brief.\n\nIt is highly likely that talks resume.\n", encoding="utf-8")
    add_document(db, text, id="d1", title="Brief", language="de", authors=["Ann"])
    (tmp_path / "f.csv").write_text("question_id,author,probability,made_on,document,phrase\n"
                                    "q1,Ann,0.9,2019-01-02,d1,highly likely\nq1,Bob,0.6,2019-01-02,,\n")
    import_forecasts(db, tmp_path / "f.csv")
    resolve(db, "q1", "yes")
    readings = db.execute("select readings from forecast_scores where author_ids = '[\"ann\"]'").fetchone()[0]
    assert readings is None  # no German scale has these English words
    add_document(db, text, id="d1", language="en")
    readings = db.execute("select readings from forecast_scores where author_ids = '[\"ann\"]'").fetchone()[0]
    assert json.loads(readings) == {"kent": 0.93, "uk-phia-2025": 0.85}
    scales = db.execute("select scales from sensitivity_scores where author_id = 'ann'").fetchone()[0]
    assert json.loads(scales) == ["kent", "uk-phia-2025"]
    assert derived(db) == derived(rescored_copy(db))


def test_a_questions_new_topic_moves_its_forecasts_between_topic_groups(db, tmp_path):
    (tmp_path / "f.csv").write_text("question_id,author,probability,made_on,topic\n"
                                    "q1,Ann,0.9,2019-01-02,korea\nq2,Ann,0.2,2019-01-03,korea\n")
    import_forecasts(db, tmp_path / "f.csv")
    resolve(db, "q1", "yes")
    resolve(db, "q2", "no")
    assert db.execute("select n from topic_scores where topic = 'korea'").fetchone()[0] == 2
    # the same forecast again, its question now with a second topic
    (tmp_path / "g.csv").write_text("question_id,author,probability,made_on,topic\n"
                                    "q1,Ann,0.9,2019-01-02,korea;summits\n")
    import_forecasts(db, tmp_path / "g.csv")
    assert dict(db.execute("select topic, n from topic_scores").fetchall()) == {"korea": 2, "summits": 1}
    assert derived(db) == derived(rescored_copy(db))


def test_a_refresh_reports_its_stages_in_order(db, tmp_path):
    (tmp_path / "f.csv").write_text("question_id,author,probability,made_on\nq1,Ann,0.9,2019-01-02\n"
                                    "q1,Bob,0.2,2019-01-03\n")
    import_forecasts(db, tmp_path / "f.csv")
    seen = []
    token = stages.ON_STAGE.set(seen.append)
    try:
        resolve(db, "q1", "yes")
        assert seen == list(board.STAGES)  # a small ledger refits the adjusted board too
        seen.clear()
        with writing(db):
            board.refresh(db, [])  # nothing touched: nothing to report
        assert seen == []
        # an import writes the staged forecasts after its last row is read, then re-scores
        (tmp_path / "g.csv").write_text("question_id,author,probability,made_on\nq2,Ann,0.4,2019-01-02\n")
        import_forecasts(db, tmp_path / "g.csv")
        assert seen == [forecast_rows.WRITING_FORECASTS, *board.STAGES]
    finally:
        stages.ON_STAGE.reset(token)


def test_a_record_that_changes_its_documents_language_rereads_its_phrases(small_db, small_record):
    """The same through a record file: re-importing it with another language re-scores the
    document's forecasts."""
    from tracker.ledger.records.load import load_record
    from tracker.ledger.records.write import import_records

    from conftest import SMALL_RECORD

    def readings():
        value = small_db.execute("select readings from forecast_scores where forecast_id = 'f1'").fetchone()[0]
        return json.loads(value) if value else {}

    assert "house-de" not in readings()
    small_record.write_text(SMALL_RECORD.replace("language: en", "language: de"), encoding="utf-8")
    import_records(small_db, [load_record(small_record)])
    assert "house-de" in readings()
    assert derived(small_db) == derived(rescored_copy(small_db))
