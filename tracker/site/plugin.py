"""Datasette plugin: how the ledger's numbers read in the HTML pages. It only reads.

Registered under the `datasette` entry-point group, so installing tracker is enough for Datasette
to load it. It changes how cells look in HTML only: JSON and CSV keep the raw numbers, and nothing
here registers a write or a SQL function (views stay plain SQL for every other client).

- probability (forecasts, forecast_ledger, forecast_scores): "60 % · durchaus möglich (analyst)",
  the percentage, then the author's words if any, then how the words were read as a number;
- interval_low / interval_high and other probabilities (calibration bins, base rates): percentages;
- Brier scores and their intervals: three decimals and the scale, "0.360 (0..1)", or "(0..2)" for
  the Good Judgment form brier_gj;
- log scores: three decimals in nats, or in bits for log_score_bits;
- any other decimal number in a score table: three decimals (tiny ones two significant digits).

It also gives the row pages of forecasts, documents, authors and questions (templates/row-forecasts-
*.html) their variables, read with SELECTs through `extra_template_vars`: a forecast's question,
outcome, history and scores; a document's forecasts and scores; an author's record, scores,
calibration bins and a small server-drawn reliability diagram; a question's forecasts side by
side. The canned queries' pages (templates/query-forecasts-*.html) pass their result table
through `query_cells`, which formats score and probability cells the same way.

In canned queries (and readers' own SQL), a `name` beside an `author_id` links to the author's
page and a `question` beside a `question_id` to the question's (QUERY_LINKS).

It supplies the site's metadata (metadata.yml: descriptions, canned queries, dashboards) through
`get_metadata` to every database that is a tracker ledger, whatever its file name (see
tracker.site.metadata), so `datasette LEDGER.db` needs no --metadata; a --metadata file of the
user's own is merged over it and wins. The templates written for a ledger named `forecasts`
(query-forecasts-*, row-forecasts-*) serve a ledger of any name.

It guards a served ledger against its readers (tracker.site.guard): its connections bound every
SQLite value to 10 MB and hide the files' paths (`prepare_connection`), its pages answer only GET
and HEAD (`asgi_wrapper`), and /-/databases shows file names, not paths (`register_routes`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import datasette.handle_exception
from datasette import hookimpl
from datasette.utils import to_css_class, urlsafe_components
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader
from markupsafe import Markup, escape

from tracker.site import guard
from tracker.site import metadata as site_metadata

# Datasette 0.65.5's default error handler calls rich's print_exception even when no exception
# is being handled (a URL that matches no route); with rich installed, as typer installs it,
# that raises, and a 404 becomes a 500. Served instances need no console tracebacks, so the
# handler is told rich is absent; every error page then renders as Datasette intends.
datasette.handle_exception.rich = None

#: Templates such as row-forecasts-forecasts.html. Datasette only finds a plugin's templates/
#: by itself when the plugin is a package, so prepare_jinja2_environment adds this folder.
TEMPLATES = Path(__file__).parent / "templates"

#: Tables whose `probability` is a forecast's, read with the row's phrase, method and scale.
PROBABILITY_TABLES = {"forecasts", "forecast_ledger", "forecast_scores"}

GROUP_SCORE_TABLES = {"author_scores", "document_scores", "question_scores", "topic_scores",
                      "horizon_scores"}

#: table → columns holding a probability (0..1), shown as a percentage.
PERCENT_COLUMNS: dict[str, set[str]] = {
    "forecasts": {"interval_low", "interval_high"},
    "forecast_ledger": {"interval_low", "interval_high"},
    "forecast_scores": {"p_low", "p_high"},
    "auc_counts": {"probability"},
    "calibration_bins": {"lower", "upper", "mean_forecast", "observed", "ci_low", "ci_high"},
    "peer_scores": {"p_outcome"},
    "policy_calibration_bins": {"lower", "upper", "mean_forecast", "observed", "ci_low", "ci_high"},
    "question_policy_scores": {"probability"},
    **{t: {"base_rate"} for t in GROUP_SCORE_TABLES},
}

#: Tables of derived scores. A score column means the same in every one of them.
SCORE_TABLES = {"forecast_scores", "forecast_ledger", *GROUP_SCORE_TABLES, "calibration_summary",
                "multiple_choice_scores",
                "time_weighted_scores", "peer_scores", "adjusted_scores", "sensitivity_scores",
                "sensitivity_scenarios", "question_policy_scores", "policy_scores", "policy_calibration_summary"}

#: score column → its scale or unit, shown after the number to three decimals: "0.360 (0..1)".
SCORE_UNITS: dict[str, str] = {
    **dict.fromkeys(("brier", "brier_ci_low", "brier_ci_high", "tw_brier", "tw_brier_ci_low",
                     "tw_brier_ci_high", "shrunk_brier", "prior_brier", "provisional_brier", "brier_all_low",
                     "brier_all_high", "brier_best", "brier_worst",
                     "brier_scales_min", "brier_scales_max"), "(0..1)"),
    **dict.fromkeys(("brier_gj", "brier_gj_ci_low", "brier_gj_ci_high", "brier_multi", "mc_brier",
                     "mc_brier_ci_low", "mc_brier_ci_high"), "(0..2)"),
    **dict.fromkeys(("log_score", "log_score_ci_low", "log_score_ci_high"), "nats"),
    "log_score_bits": "bits",
    # Brier minus each question's difficulty: on the Brier's scale of differences, and below 0 for
    # an author who beat the average on hard questions, so never labelled a Brier on 0..1
    **dict.fromkeys(("adjusted_brier", "adjusted_ci_low", "adjusted_ci_high"), "(adjusted)"),
}


def percent(p: float) -> str:
    """A probability as a percentage without needless decimals: 0.6 → "60 %", 0.125 → "12.5 %".

    Two decimals at most, except that a probability strictly between 0 and 1 never shows as
    0 % or 100 %: it gets as many decimals as it takes not to (0.99999 → "99.999 %").
    """
    x = p * 100
    decimals = 2
    while 0 < p < 1 and round(x, decimals) in (0, 100) and decimals < 12:
        decimals += 1
    text = f"{x:.{decimals}f}".rstrip("0").rstrip(".")
    return f"{text} %"


def decimals(x: float) -> str:
    """Three decimals, "0.393"; a number too small for them keeps two significant digits, "0.00019"."""
    if x == 0 or abs(x) >= 0.0005:
        return f"{x:.3f}"
    return f"{x:.2g}"


def method_label(method: str | None, scale: str | None) -> str | None:
    """"analyst", "stated", or "scale: house-de" when a named scale was used."""
    if not method:
        return None
    if method == "scale" and scale:
        return f"scale: {scale}"
    return method


def reading(p: float, phrase: str | None, method: str | None, scale: str | None = None) -> Markup:
    """"60 % · durchaus möglich (analyst)", escaped: the phrase is text from a record file."""
    text = " · ".join(part for part in (percent(p), phrase) if part)
    label = method_label(method, scale)
    if label:
        text += f" ({label})"
    return escape(text)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _field(row: Any, column: str) -> Any:
    """A column of the row if the page selected it (`_col`/`_nocol` can leave it out), else None."""
    try:
        value = row[column]
    except (KeyError, IndexError, TypeError):
        return None
    if isinstance(value, dict):  # a foreign key Datasette has expanded to {"value", "label"}
        value = value.get("value")
    return value


@hookimpl
def render_cell(value, column, table, database, datasette, row):
    if table is None and column in QUERY_LINKS and isinstance(value, str):
        return _query_link(row, column, value, database, datasette)
    if not _number(value) or table is None:
        return None
    if column == "probability" and table in PROBABILITY_TABLES:
        return reading(value, _field(row, "phrase"), _field(row, "method"), _field(row, "scale"))
    if column in PERCENT_COLUMNS.get(table, ()):
        return escape(percent(value))
    if table in SCORE_TABLES and isinstance(value, float):
        unit = SCORE_UNITS.get(column)
        return escape(f"{decimals(value)} {unit}" if unit else decimals(value))
    return None


#: A query's column whose text names a row that has a page, by the id in another column of the
#: same row: an author's name on the leaderboard, a question's title in head to head.
QUERY_LINKS = {"name": ("author_id", "authors"), "question": ("question_id", "questions")}


def _query_link(row: Any, column: str, value: str, database: str, datasette) -> Markup | None:
    from datasette.utils import tilde_encode

    key, table = QUERY_LINKS[column]
    target = _field(row, key)  # None in a reader's own query without that column
    if not isinstance(target, str) or not site_metadata.is_ledger(datasette, database):
        return None
    if table == "authors" and target.startswith("crowd:"):
        return None  # a crowd aggregate is a benchmark, not an author: it has no page
    return Markup(f'<a href="{escape(datasette.urls.row(database, table, tilde_encode(target)))}">{escape(value)}</a>')


async def _forecast_page_vars(datasette, database: str, forecast_id: str) -> dict:
    """What a forecast's page shows beside the row: its question, authors, the outcome in force
    with its evidence, every earlier outcome record, and the forecast's scores. Reads only."""
    from tracker.ledger.connection import Ledger
    from tracker.ledger.outcomes import outcome_log

    forecast = await _one(datasette, database, "select question_id, document_id from forecasts where id = ?",
                          [forecast_id])
    assert forecast is not None  # Datasette answers 404 for a missing row before asking for these
    qid = forecast["question_id"]
    history = await datasette.get_database(database).execute_fn(lambda conn: outcome_log(Ledger(conn), qid))
    scores = await _one(datasette, database, "select * from forecast_scores where forecast_id = ?", [forecast_id])
    return {
        "tracker_document": await _one(datasette, database, "select id, title, language from documents where id = ?",
                                       [forecast["document_id"]]),
        "tracker_question": await _one(datasette, database, "select * from questions where id = ?", [qid]),
        "tracker_authors": await _rows(datasette, database, """
            select a.id, a.name, a.affiliation from forecast_authors fa join authors a on a.id = fa.author_id
            where fa.forecast_id = ? order by fa.position""", [forecast_id]),
        "tracker_outcome": next((o for o in history if o["in_force"]), None),
        "tracker_history": history,
        "tracker_scores": scores,
        # the page shows these only for a forecast with no yes/no score
        "tracker_mc_scores": None if scores else await _one(
            datasette, database, "select * from multiple_choice_scores where forecast_id = ?", [forecast_id]),
    }


async def _rows(datasette, database: str, sql: str, params: list) -> list[dict]:
    db = datasette.get_database(database)
    return [dict(r) for r in (await db.execute(sql, params)).rows]


async def _one(datasette, database: str, sql: str, params: list) -> dict | None:
    """The first row, or None."""
    found = await _rows(datasette, database, sql, params)
    return found[0] if found else None


#: A forecast as a document's or an author's page lists it: the ledger's row plus the document title.
_LISTED_FORECASTS = """
    select l.id, l.question_id, l.question, l.authors, l.document_id, d.title as document_title, l.made_on,
           l.resolve_by, l.probability, l.probabilities, l.interval_low, l.interval_high, l.method, l.scale,
           l.phrase, l.outcome, l.resolved_on, l.brier, l.brier_multi, l.log_score, l.late
    from forecast_ledger l left join documents d on d.id = l.document_id
"""


async def _document_page_vars(datasette, database: str, document_id: str) -> dict:
    """A document's page: its authors, its forecasts with their outcomes and Brier scores, and the
    document's mean scores with n and interval. Reads only. (Datasette answers 404 for a missing
    row before any template variables are asked for.)"""
    return {
        "tracker_authors": await _rows(datasette, database, """
            select a.id, a.name, a.affiliation from document_authors da join authors a on a.id = da.author_id
            where da.document_id = ? order by da.position""", [document_id]),
        "tracker_forecasts": await _rows(datasette, database, _LISTED_FORECASTS + """
            where l.document_id = ? order by l.made_on, l.id""", [document_id]),
        "tracker_scores": await _one(datasette, database, "select * from document_scores where document_id = ?",
                                     [document_id]),
    }


async def _author_page_vars(datasette, database: str, author_id: str) -> dict:
    """An author's page: their documents, their record (every forecast with its outcome and score),
    their scores with intervals, and their calibration table with a reliability diagram. Reads only."""
    bins = await _rows(datasette, database, """
        select bin, lower, upper, n, mean_forecast, observed, ci_low, ci_high from calibration_bins
        where scope = 'author' and key = ? and bins = 10 order by bin""", [author_id])
    return {
        "tracker_documents": await _rows(datasette, database, """
            select d.id, d.title, d.publisher, d.published_on from document_authors da
            join documents d on d.id = da.document_id where da.author_id = ? order by d.published_on, d.id""",
                                         [author_id]),
        "tracker_forecasts": await _rows(datasette, database, _LISTED_FORECASTS + """
            where l.id in (select forecast_id from forecast_authors where author_id = ?)
            order by l.made_on, l.id""", [author_id]),
        "tracker_scores": await _one(datasette, database, "select * from author_scores where author_id = ?",
                                     [author_id]),
        # one score per question under each policy, with the crowd's median on the same questions
        "tracker_policies": await _rows(datasette, database, """
            select s.*, (select count(*) from policy_scores o where o.policy = s.policy and o.crowd = 0
                                                                  and o.rank is not null) as ranked,
                   (select f.ranked from policy_fits f where f.policy = s.policy) as board_ranks,
                   (select avg(c.brier) from question_policy_scores c join question_policy_scores mine
                      on mine.question_id = c.question_id and mine.policy = c.policy
                    where c.policy = s.policy and c.forecaster = 'crowd:median' and mine.forecaster = s.forecaster
                      and mine.provisional = 0) as crowd_median_brier,
                   (select count(*) from question_policy_scores c join question_policy_scores mine
                      on mine.question_id = c.question_id and mine.policy = c.policy
                    where c.policy = s.policy and c.forecaster = 'crowd:median' and mine.forecaster = s.forecaster
                      and mine.provisional = 0) as crowd_n
            from policy_scores s where s.forecaster = ?
            order by case s.policy when 'time-weighted' then 0 when 'first' then 1 when 'last' then 2 else 3 end""",
                                         [author_id]),
        "tracker_adjusted": await _one(datasette, database, """
            select s.*, f.fitted_at, f.stale_writes from adjusted_scores s
            left join board_fits f on f.board = 'adjusted' where s.author_id = ?""", [author_id]),
        "tracker_sensitivity": await _one(datasette, database, "select * from sensitivity_scores where author_id = ?",
                                          [author_id]),
        "tracker_calibration": bins,
        "tracker_calibration_summary": await _one(datasette, database, """
            select * from calibration_summary where scope = 'author' and key = ? and bins = 10""", [author_id]),
        "tracker_reliability_svg": reliability_svg(bins) if bins else None,
    }


async def _question_page_vars(datasette, database: str, question_id: str) -> dict:
    """A question's page: every forecast on it side by side (authors, their words, the reading, the
    score), the crowd's aggregates under each policy (question_policy_scores), and the outcome in
    force with its evidence and every earlier record. Reads only."""
    from tracker.ledger.connection import Ledger
    from tracker.ledger.outcomes import outcome_log

    history = await datasette.get_database(database).execute_fn(lambda conn: outcome_log(Ledger(conn), question_id))
    forecasts = await _rows(datasette, database, """
        select f.id, f.document_id, d.title as document_title, f.made_on, f.probability, f.probabilities,
               f.interval_low, f.interval_high, f.method, f.scale, f.scale_version, f.phrase, f.quote,
               f.location, d.language, s.brier, m.brier_multi
        from forecasts f left join documents d on d.id = f.document_id
        left join forecast_scores s on s.forecast_id = f.id
        left join multiple_choice_scores m on m.forecast_id = f.id
        where f.question_id = ? order by f.made_on, f.id""", [question_id])
    authors = await _rows(datasette, database, """
        select fa.forecast_id, a.id, a.name, a.affiliation from forecast_authors fa
        join authors a on a.id = fa.author_id
        where fa.forecast_id in (select id from forecasts where question_id = ?)
        order by fa.forecast_id, fa.position""", [question_id])
    for f in forecasts:
        f["authors"] = [a for a in authors if a["forecast_id"] == f["id"]]
    # the crowd's aggregates, benchmarks beside the people (scored on questions with two or more)
    crowd = await _rows(datasette, database, """
        select forecaster as crowd, policy, probability, brier, provisional from question_policy_scores
        where question_id = ? and crowd = 1 order by policy = 'time-weighted' desc, policy, forecaster""",
                        [question_id])
    return {
        "tracker_forecasts": forecasts,
        "tracker_crowd": crowd,
        "tracker_outcome": next((o for o in history if o["in_force"]), None),
        "tracker_history": history,
        "tracker_scores": await _one(datasette, database, "select * from question_scores where question_id = ?",
                                     [question_id]),
    }


ROW_PAGES = {"forecasts": _forecast_page_vars, "documents": _document_page_vars, "authors": _author_page_vars,
             "questions": _question_page_vars}


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    if (view_name != "row" or table not in ROW_PAGES or request is None
            or not site_metadata.is_ledger(datasette, database)):
        return {}

    async def inner():
        pks = request.url_vars.get("pks")
        # the row's key as Datasette reads it (split at commas, each part tilde-decoded): the
        # three tables have one-column keys, so "id,anything" shows the row of "id"
        return await ROW_PAGES[table](datasette, database, urlsafe_components(pks)[0]) if pks else {}

    return inner


def interval(low: Any, high: Any) -> str:
    """A 95 % interval as "[0.238, 0.548]", or "– (n < 2)" when there is none."""
    if not _number(low) or not _number(high):
        return "– (n < 2)"
    return f"[{decimals(low)}, {decimals(high)}]"


def reliability_svg(bins: list[dict], size: int = 320) -> Markup:
    """A small reliability diagram as inline SVG: the diagonal of perfect calibration, each bin's
    observed frequency against its mean forecast (area ∝ n, n written beside it) and its Wilson
    interval as a bar. Drawn on the server, so it needs no script; only numbers go into it."""
    pad = 36
    inner = size - 2 * pad

    def x(p: float) -> float:
        return round(pad + p * inner, 2)

    def y(p: float) -> float:
        return round(size - pad - p * inner, 2)

    most = max((b["n"] for b in bins), default=1) or 1
    parts = [f'<svg class="tracker-reliability" xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
             f'viewBox="0 0 {size} {size}" role="img" aria-label="Reliability diagram">',
             f'<rect x="{pad}" y="{pad}" width="{inner}" height="{inner}" fill="none" stroke="#ccc"/>',
             f'<line class="diagonal" x1="{x(0)}" y1="{y(0)}" x2="{x(1)}" y2="{y(1)}" stroke="#999" '
             'stroke-dasharray="4 4"/>']
    for t in (0, 0.5, 1):
        parts.append(f'<text x="{x(t)}" y="{size - pad + 14}" font-size="10" text-anchor="middle">{t:.0%}</text>')
        parts.append(f'<text x="{pad - 4}" y="{y(t) + 3}" font-size="10" text-anchor="end">{t:.0%}</text>')
    parts.append(f'<text x="{size / 2}" y="{size - 6}" font-size="11" text-anchor="middle">'
                 'forecast (mean in bin)</text>')
    parts.append(f'<text x="10" y="{size / 2}" font-size="11" text-anchor="middle" '
                 f'transform="rotate(-90 10 {size / 2})">how often it happened</text>')
    for b in bins:
        if not b["n"]:
            continue
        cx, cy = x(b["mean_forecast"]), y(b["observed"])
        r = round(3 + 7 * (b["n"] / most) ** 0.5, 2)
        parts.append(f'<line class="interval" x1="{cx}" y1="{y(b["ci_low"])}" x2="{cx}" y2="{y(b["ci_high"])}" '
                     'stroke="#4c78a8" stroke-width="2"/>')
        parts.append(f'<circle class="bin" cx="{cx}" cy="{cy}" r="{r}" fill="#4c78a8" fill-opacity="0.8">'
                     f'<title>{escape(percent(b["lower"]))}–{escape(percent(b["upper"]))}: n {int(b["n"])}, '
                     f'observed {escape(percent(b["observed"]))}</title></circle>')
        parts.append(f'<text class="n" x="{cx + r + 3}" y="{cy + 4}" font-size="10">n {int(b["n"])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


#: Columns of the canned queries' results, which Datasette renders with table=None like any SQL:
#: their templates pass the rendered page through `tracker_query_cells`, which formats these.
QUERY_UNITS: dict[str, str] = {
    **SCORE_UNITS,
    **dict.fromkeys(("brier_a", "brier_b", "difference", "mean_brier_a", "mean_brier_b", "mean_difference",
                     "reliability", "resolution", "uncertainty"), "(0..1)"),
}
QUERY_PERCENT = {"lower", "upper", "mean_forecast", "observed", "ci_low", "ci_high", "probability"}
_QUERY_CELL = re.compile(r'<td class="col-([A-Za-z0-9_]+)">(-?[0-9]+\.[0-9]+(?:e-?[0-9]+)?)</td>')


def query_cells(html: str) -> Markup:
    """Format the score and probability cells of a canned query's result table, as the table pages
    show them; JSON and CSV keep the raw numbers. Only cells that hold nothing but a number change."""

    def one(m: re.Match) -> str:
        column, value = m.group(1), float(m.group(2))
        if column in QUERY_PERCENT:
            text = percent(value)
        elif column in QUERY_UNITS:
            text = f"{decimals(value)} {QUERY_UNITS[column]}"
        else:
            return m.group(0)
        return f'<td class="col-{column}">{escape(text)}</td>'

    return Markup(_QUERY_CELL.sub(one, str(html)))


@hookimpl
def get_metadata(datasette, key, database, table):
    # Datasette merges this under the instance's own metadata, which wins where both say something.
    return site_metadata.for_hook(datasette, key, database, table)


class LedgerTemplates(BaseLoader):
    """templates/, with the pages written for the ledger named `forecasts` (query-forecasts-NAME.html,
    row-forecasts-TABLE.html) also found under each other ledger's name, as Datasette asks for them
    (query-{to_css_class(database)}-NAME.html), and under `forecasts` only while that is a ledger."""

    PAGES = ("query-", "row-")

    def __init__(self, datasette) -> None:
        self.datasette = datasette
        self.files = FileSystemLoader(str(TEMPLATES))

    def shipped_name(self, template: str) -> str | None:
        """The file in templates/ that serves `template`, or None."""
        page = next((p for p in self.PAGES if template.startswith(p)), None)
        if page is None:
            return template
        names = sorted(((to_css_class(n), n) for n in site_metadata.ledger_names(self.datasette)),
                       key=lambda cn: -len(cn[0]))
        for css, _ in names:
            head = f"{page}{css}-"
            if template.startswith(head):
                shipped = f"{page}{site_metadata.WRITTEN_FOR}-{template[len(head):]}"
                if (TEMPLATES / shipped).is_file():
                    return shipped
        written_for = f"{page}{site_metadata.WRITTEN_FOR}-"
        return None if template.startswith(written_for) else template

    def get_source(self, environment, template):
        from jinja2 import TemplateNotFound

        shipped = self.shipped_name(template)
        if shipped is None:
            raise TemplateNotFound(template)
        source, filename, uptodate = self.files.get_source(environment, shipped)
        return source, filename, lambda: uptodate() and self.shipped_name(template) == shipped

    def list_templates(self):
        return self.files.list_templates()


@hookimpl
def prepare_jinja2_environment(env, datasette):
    # After every other loader, so a --template-dir still overrides these templates.
    env.loader = ChoiceLoader([env.loader, LedgerTemplates(datasette)])
    env.filters["tracker_percent"] = percent
    env.filters["tracker_score"] = decimals
    env.globals["tracker_interval"] = interval
    env.filters["tracker_query_cells"] = query_cells


@hookimpl
def prepare_connection(conn, database, datasette):
    guard.prepare(conn, datasette, database)


@hookimpl
def asgi_wrapper(datasette):
    return lambda app: guard.method_guard(datasette, app)


@hookimpl
def register_routes(datasette):
    # Datasette matches plugins' routes before its own, so this one serves /-/databases.
    return [(r"^/-/databases(\.(?P<format>json))?$", guard.databases)]
