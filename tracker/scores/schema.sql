-- The derived tables: scores, never typed in. tracker.scores.board rewrites their rows inside the
-- transaction of every write that changes a forecast or an outcome, and `tracker rescore` gives the
-- same rows from scratch. They are defined only here. When this file (or the form of the stored
-- sums) changes, `tracker migrate` drops them and builds them again from the ledger: a reported
-- step, never a side effect of opening a ledger (tracker.scores.derived).

-- ---------------------------------------------------------------- per forecast

CREATE TABLE forecast_scores (
    forecast_id TEXT PRIMARY KEY REFERENCES forecasts(id),
    question_id TEXT NOT NULL REFERENCES questions(id),
    outcome TEXT NOT NULL,
    probability REAL NOT NULL,
    brier REAL NOT NULL,
    log_score REAL NOT NULL,
    log_clipped INTEGER NOT NULL,
    brier_gj REAL,
    log_score_bits REAL,
    spherical REAL,
    baseline_score REAL,
    horizon_days INTEGER,
    horizon_bucket TEXT,
    -- the groups and readings it was counted under, so a write can take its terms out of exactly
    -- the groups they went into
    author_ids TEXT NOT NULL DEFAULT '[]',
    document_id TEXT,
    topics TEXT NOT NULL DEFAULT '[]',
    p_low REAL,
    p_high REAL,
    readings TEXT
);
CREATE INDEX idx_forecast_scores_question ON forecast_scores(question_id);

CREATE TABLE multiple_choice_scores (
    forecast_id TEXT PRIMARY KEY REFERENCES forecasts(id),
    question_id TEXT NOT NULL REFERENCES questions(id),
    outcome TEXT NOT NULL,
    p_outcome REAL NOT NULL,
    brier_multi REAL NOT NULL,
    log_score REAL NOT NULL,
    log_clipped INTEGER NOT NULL,
    author_ids TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX idx_multiple_choice_scores_question ON multiple_choice_scores(question_id);

-- ---------------------------------------------------------------- per author and question

CREATE TABLE time_weighted_scores (
    author_id TEXT NOT NULL REFERENCES authors(id),
    question_id TEXT NOT NULL REFERENCES questions(id),
    forecasts INTEGER NOT NULL,
    first_made_on TEXT NOT NULL,
    end_on TEXT NOT NULL,
    days INTEGER NOT NULL,
    brier REAL NOT NULL,
    PRIMARY KEY (author_id, question_id)
);
-- Found by counting SQLite's steps for one outcome: without it, re-scoring one question read
-- every author's time-weighted rows (the key starts with the author).
CREATE INDEX idx_time_weighted_scores_question ON time_weighted_scores(question_id);

CREATE TABLE peer_scores (
    question_id TEXT NOT NULL REFERENCES questions(id),
    author_id TEXT NOT NULL REFERENCES authors(id),
    forecast_id TEXT NOT NULL REFERENCES forecasts(id),
    p_outcome REAL NOT NULL,
    peer_score REAL NOT NULL,
    PRIMARY KEY (question_id, author_id)
);
-- A forecast's row page counts the rows that link to it: without this it read the whole table
-- (54 ms a page on 1M forecasts).
CREATE INDEX idx_peer_scores_forecast ON peer_scores(forecast_id);

-- The unit of comparison: one score per (forecaster, question) under each named policy
-- (tracker.scores.policies: time-weighted, first, last, mean), for people and for the crowd's
-- aggregates (forecaster crowd:median, crowd:mean, crowd:geo-mean-odds; crowd = 1). Late
-- forecasts (made at or after the outcome was known) are in none. A probability-valued
-- resolution scores as provisional = 1, apart from the final scores.
CREATE TABLE question_policy_scores (
    policy TEXT NOT NULL,
    forecaster TEXT NOT NULL,
    question_id TEXT NOT NULL REFERENCES questions(id),
    crowd INTEGER NOT NULL,
    provisional INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    forecasts INTEGER NOT NULL,
    probability REAL,
    brier REAL NOT NULL,
    log_score REAL NOT NULL,
    window_start TEXT,
    window_end TEXT,
    days INTEGER,
    PRIMARY KEY (policy, forecaster, question_id)
);
CREATE INDEX idx_question_policy_scores_question ON question_policy_scores(question_id);

-- ---------------------------------------------------------------- per group
-- Every group table carries the same summary (tracker.scores.sums, summary_from_sums): Brier on
-- 0..1, brier_gj the two-category form on 0..2, log in nats (and bits), spherical (higher is
-- better), skill scores against always-50 % and against the group's base rate, each mean with
-- its 95 % interval.

CREATE TABLE author_scores (
    author_id TEXT PRIMARY KEY REFERENCES authors(id),
    n INTEGER NOT NULL,
    brier REAL, brier_ci_low REAL, brier_ci_high REAL,
    brier_gj REAL, brier_gj_ci_low REAL, brier_gj_ci_high REAL,
    log_score REAL, log_score_ci_low REAL, log_score_ci_high REAL, log_score_bits REAL,
    log_clipped_n INTEGER NOT NULL,
    spherical REAL, spherical_ci_low REAL, spherical_ci_high REAL,
    base_rate REAL,
    skill_vs_chance REAL, skill_vs_chance_ci_low REAL, skill_vs_chance_ci_high REAL,
    skill_vs_climatology REAL, skill_vs_climatology_ci_low REAL, skill_vs_climatology_ci_high REAL,
    tw_n INTEGER, tw_brier REAL, tw_brier_ci_low REAL, tw_brier_ci_high REAL,
    peer_n INTEGER, peer_score REAL, peer_score_ci_low REAL, peer_score_ci_high REAL,
    mc_n INTEGER, mc_brier REAL, mc_brier_ci_low REAL, mc_brier_ci_high REAL, mc_log_score REAL
);

CREATE TABLE document_scores (
    document_id TEXT PRIMARY KEY REFERENCES documents(id),
    n INTEGER NOT NULL,
    brier REAL, brier_ci_low REAL, brier_ci_high REAL,
    brier_gj REAL, brier_gj_ci_low REAL, brier_gj_ci_high REAL,
    log_score REAL, log_score_ci_low REAL, log_score_ci_high REAL, log_score_bits REAL,
    log_clipped_n INTEGER NOT NULL,
    spherical REAL, spherical_ci_low REAL, spherical_ci_high REAL,
    base_rate REAL,
    skill_vs_chance REAL, skill_vs_chance_ci_low REAL, skill_vs_chance_ci_high REAL,
    skill_vs_climatology REAL, skill_vs_climatology_ci_low REAL, skill_vs_climatology_ci_high REAL
);

CREATE TABLE question_scores (
    question_id TEXT PRIMARY KEY REFERENCES questions(id),
    n INTEGER NOT NULL,
    brier REAL, brier_ci_low REAL, brier_ci_high REAL,
    brier_gj REAL, brier_gj_ci_low REAL, brier_gj_ci_high REAL,
    log_score REAL, log_score_ci_low REAL, log_score_ci_high REAL, log_score_bits REAL,
    log_clipped_n INTEGER NOT NULL,
    spherical REAL, spherical_ci_low REAL, spherical_ci_high REAL,
    base_rate REAL,
    skill_vs_chance REAL, skill_vs_chance_ci_low REAL, skill_vs_chance_ci_high REAL,
    skill_vs_climatology REAL, skill_vs_climatology_ci_low REAL, skill_vs_climatology_ci_high REAL
);

CREATE TABLE topic_scores (
    topic TEXT PRIMARY KEY,
    n INTEGER NOT NULL,
    brier REAL, brier_ci_low REAL, brier_ci_high REAL,
    brier_gj REAL, brier_gj_ci_low REAL, brier_gj_ci_high REAL,
    log_score REAL, log_score_ci_low REAL, log_score_ci_high REAL, log_score_bits REAL,
    log_clipped_n INTEGER NOT NULL,
    spherical REAL, spherical_ci_low REAL, spherical_ci_high REAL,
    base_rate REAL,
    skill_vs_chance REAL, skill_vs_chance_ci_low REAL, skill_vs_chance_ci_high REAL,
    skill_vs_climatology REAL, skill_vs_climatology_ci_low REAL, skill_vs_climatology_ci_high REAL
);

CREATE TABLE horizon_scores (
    horizon_bucket TEXT PRIMARY KEY,
    n INTEGER NOT NULL,
    brier REAL, brier_ci_low REAL, brier_ci_high REAL,
    brier_gj REAL, brier_gj_ci_low REAL, brier_gj_ci_high REAL,
    log_score REAL, log_score_ci_low REAL, log_score_ci_high REAL, log_score_bits REAL,
    log_clipped_n INTEGER NOT NULL,
    spherical REAL, spherical_ci_low REAL, spherical_ci_high REAL,
    base_rate REAL,
    skill_vs_chance REAL, skill_vs_chance_ci_low REAL, skill_vs_chance_ci_high REAL,
    skill_vs_climatology REAL, skill_vs_climatology_ci_low REAL, skill_vs_climatology_ci_high REAL
);

CREATE TABLE calibration_bins (
    scope TEXT NOT NULL,          -- all, author, document, topic or horizon
    key TEXT NOT NULL,            -- the author id, document id, topic or bucket ('all' for all)
    bins INTEGER NOT NULL,
    bin INTEGER NOT NULL,
    lower REAL NOT NULL, upper REAL NOT NULL,
    n INTEGER NOT NULL, mean_forecast REAL NOT NULL, observed REAL NOT NULL,
    ci_low REAL NOT NULL, ci_high REAL NOT NULL,
    PRIMARY KEY (scope, key, bins, bin)
);

CREATE TABLE calibration_summary (
    scope TEXT NOT NULL, key TEXT NOT NULL, bins INTEGER NOT NULL,
    n INTEGER NOT NULL, brier REAL NOT NULL,
    reliability REAL, resolution REAL, uncertainty REAL,
    within_bin_variance REAL, within_bin_covariance REAL,
    yates_var_y REAL, yates_min_var_f REAL, yates_scatter REAL, yates_bias REAL,
    yates_bias_squared REAL, yates_covariance REAL,
    auc REAL,
    PRIMARY KEY (scope, key, bins)
);

-- Groups keep exact sums instead of being re-read on every write (tracker.scores.sums).
CREATE TABLE score_sums (
    scope TEXT NOT NULL,      -- all, author, document, topic or horizon
    key TEXT NOT NULL,
    sums TEXT NOT NULL,       -- JSON: exact sums in tracker.scores.sums's packed form
    PRIMARY KEY (scope, key)
);

-- Events and non-events at each forecast value, what a group's AUC is re-derived from. Keyed by
-- its primary key, one outcome reads its ~2,000 rows in place instead of through an index and
-- then the rowid (3.3 ms to 0.5 ms on 1M forecasts).
CREATE TABLE auc_counts (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    probability REAL NOT NULL,
    events INTEGER NOT NULL,
    non_events INTEGER NOT NULL,
    PRIMARY KEY (scope, key, probability)
) WITHOUT ROWID;

CREATE TABLE sensitivity_scenarios (
    author_id TEXT NOT NULL REFERENCES authors(id),
    scenario TEXT NOT NULL,   -- recorded, all_low, all_high, best, worst or scale:<name>
    n INTEGER NOT NULL,
    covered INTEGER,          -- for scale:<name>, how many of the author's forecasts it reads
    brier REAL NOT NULL,
    PRIMARY KEY (author_id, scenario)
);

-- ---------------------------------------------------------------- everyone against everyone

-- One row per (author, question) under the time-weighted policy goes into the fit; adjusted
-- scores are comparable only inside a connected group of authors and questions (group_id), and
-- not at all for an author who shares no question with anyone (comparable = 0). The crowd's
-- aggregates (crowd = 1) take no part in the fit: each is scored against the people's question
-- effects, one row per group its questions fall in.
CREATE TABLE adjusted_scores (
    author_id TEXT NOT NULL,     -- an author's id, or crowd:median, crowd:mean, crowd:geo-mean-odds
    crowd INTEGER NOT NULL,
    n INTEGER NOT NULL,
    questions INTEGER NOT NULL,
    brier REAL NOT NULL,
    adjusted_brier REAL NOT NULL,
    adjusted_ci_low REAL, adjusted_ci_high REAL,
    group_id INTEGER NOT NULL,
    comparable INTEGER NOT NULL,
    interval_method TEXT,
    PRIMARY KEY (author_id, group_id)
);

-- The fair boards, one per policy: each forecaster's mean over questions (n counts questions)
-- with a bootstrap interval over questions (or why there is none: too few, no spread), the
-- shrinkage estimate boards rank by, and apart from these their provisional scores
-- (tracker.scores.fair). Like adjusted_scores, one fit covers everyone (board_fits 'policy').
CREATE TABLE policy_scores (
    policy TEXT NOT NULL,
    forecaster TEXT NOT NULL,
    crowd INTEGER NOT NULL,
    rank INTEGER,                -- among people with at least 3 questions (the default board); none where policy_fits.ranked = 0
    n INTEGER NOT NULL,
    brier REAL, brier_ci_low REAL, brier_ci_high REAL,
    interval_method TEXT,        -- bootstrap, Student-t, or why there is none: too few, no spread
    log_score REAL,
    prior_brier REAL,
    shrunk_brier REAL,
    weight REAL,
    provisional_n INTEGER NOT NULL,
    provisional_brier REAL,
    late INTEGER,
    skill_vs_climatology REAL,   -- 1 − brier / (ȳ(1 − ȳ)), ȳ the ledger's base rate: one reference for everyone
    PRIMARY KEY (policy, forecaster)
);

-- How each policy's fair board was fitted (tracker.scores.fair): the people and questions in it,
-- σ² (the noise of one question's excess) and τ² (the spread of true excesses between people,
-- DerSimonian–Laird), and whether it ranks: with τ² = 0 shrinkage cannot tell people apart, and
-- nobody is ranked. `ranking` says which, in words a board shows.
CREATE TABLE policy_fits (
    policy TEXT PRIMARY KEY,
    people INTEGER NOT NULL,
    questions INTEGER NOT NULL,
    sigma2 REAL NOT NULL,
    tau2 REAL NOT NULL,
    ranked INTEGER NOT NULL,
    ranking TEXT NOT NULL
);

-- Calibration under each policy: one forecast per (person, question), the policy's probability
-- (time-weighted: the person's own forecasts weighted by the days they were in force), final
-- outcomes only; for everyone (scope all, key all) and per author. Refitted with policy_scores.
CREATE TABLE policy_calibration_bins (
    policy TEXT NOT NULL,
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    bins INTEGER NOT NULL,
    bin INTEGER NOT NULL,
    lower REAL NOT NULL, upper REAL NOT NULL,
    n INTEGER NOT NULL, mean_forecast REAL NOT NULL, observed REAL NOT NULL,
    ci_low REAL NOT NULL, ci_high REAL NOT NULL,
    PRIMARY KEY (policy, scope, key, bins, bin)
);

CREATE TABLE policy_calibration_summary (
    policy TEXT NOT NULL, scope TEXT NOT NULL, key TEXT NOT NULL, bins INTEGER NOT NULL,
    n INTEGER NOT NULL, brier REAL NOT NULL,
    reliability REAL, resolution REAL, uncertainty REAL,
    within_bin_variance REAL, within_bin_covariance REAL,
    yates_var_y REAL, yates_min_var_f REAL, yates_scatter REAL, yates_bias REAL,
    yates_bias_squared REAL, yates_covariance REAL,
    auc REAL,
    PRIMARY KEY (policy, scope, key, bins)
);

-- When each global board was last fitted, and how many writes since left it stale.
CREATE TABLE board_fits (
    board TEXT PRIMARY KEY,
    fitted_at TEXT NOT NULL,
    pairs INTEGER NOT NULL,
    stale_writes INTEGER NOT NULL
);

-- ---------------------------------------------------------------- views

-- One row per forecast with everything a reader needs beside it; readers facet it by author,
-- publisher, topic, outcome and year.
CREATE VIEW forecast_ledger AS
SELECT f.id, f.question_id, q.title AS question,
       (SELECT group_concat(a.name, '; ') FROM
           (SELECT a.name FROM forecast_authors fa JOIN authors a ON a.id = fa.author_id
            WHERE fa.forecast_id = f.id ORDER BY fa.position) a) AS authors,
       (SELECT json_group_array(a.name) FROM
           (SELECT a.name FROM forecast_authors fa JOIN authors a ON a.id = fa.author_id
            WHERE fa.forecast_id = f.id ORDER BY fa.position) a) AS author_list,
       f.document_id, d.publisher, f.made_on, substr(f.made_on, 1, 4) AS year, q.resolve_by,
       q.topics, f.probability, f.probabilities, f.interval_low, f.interval_high, f.method,
       f.scale, f.phrase, f.quote, co.outcome, co.resolved_on, s.brier, m.brier_multi,
       coalesce(s.log_score, m.log_score) AS log_score,
       CASE WHEN co.outcome IS NULL OR co.outcome = 'annulled' OR co.resolved_on IS NULL THEN 0
            WHEN length(f.made_on) > 10 AND length(co.resolved_on) > 10 THEN f.made_on >= co.resolved_on
            ELSE substr(f.made_on, 1, 10) >= substr(co.resolved_on, 1, 10) END AS late
FROM forecasts f
JOIN questions q ON q.id = f.question_id
LEFT JOIN documents d ON d.id = f.document_id
LEFT JOIN current_outcomes co ON co.question_id = f.question_id
LEFT JOIN forecast_scores s ON s.forecast_id = f.id
LEFT JOIN multiple_choice_scores m ON m.forecast_id = f.id;

-- Ranks move for everyone when one author's Brier moves, so they are taken at read time from the
-- stored per-author scenario means: competition ranks (ties share the better rank) in each
-- scenario that compares authors (as recorded, all low, all high, and each scale that reads at
-- least one scored phrase; an author none of whose phrases a scale reads keeps the recorded
-- Brier in that scenario).
CREATE VIEW sensitivity_scores AS
WITH recorded AS (
    SELECT author_id, n, brier FROM sensitivity_scenarios WHERE scenario = 'recorded'
), live AS (
    SELECT DISTINCT scenario FROM sensitivity_scenarios WHERE scenario LIKE 'scale:%'
), compared AS (
    SELECT author_id, scenario, brier FROM sensitivity_scenarios
    WHERE scenario IN ('recorded', 'all_low', 'all_high')
    UNION ALL
    SELECT r.author_id, l.scenario, coalesce(s.brier, r.brier)
    FROM recorded r CROSS JOIN live l
    LEFT JOIN sensitivity_scenarios s ON s.author_id = r.author_id AND s.scenario = l.scenario
), ranked AS (
    SELECT author_id, scenario, brier, rank() OVER (PARTITION BY scenario ORDER BY brier) AS rank
    FROM compared
), per_author AS (
    SELECT author_id,
           max(CASE WHEN scenario = 'all_low' THEN brier END) AS brier_all_low,
           max(CASE WHEN scenario = 'all_high' THEN brier END) AS brier_all_high,
           min(CASE WHEN scenario LIKE 'scale:%' THEN brier END) AS brier_scales_min,
           max(CASE WHEN scenario LIKE 'scale:%' THEN brier END) AS brier_scales_max,
           max(CASE WHEN scenario = 'recorded' THEN rank END) AS rank,
           min(rank) AS rank_best, max(rank) AS rank_worst, count(*) AS scenarios
    FROM ranked GROUP BY author_id
)
SELECT r.author_id, r.n, r.brier, p.brier_all_low, p.brier_all_high,
       (SELECT brier FROM sensitivity_scenarios b WHERE b.author_id = r.author_id AND b.scenario = 'best')
           AS brier_best,
       (SELECT brier FROM sensitivity_scenarios w WHERE w.author_id = r.author_id AND w.scenario = 'worst')
           AS brier_worst,
       p.brier_scales_min, p.brier_scales_max,
       (SELECT json_group_array(substr(scenario, 7)) FROM (
            SELECT scenario FROM sensitivity_scenarios c
            WHERE c.author_id = r.author_id AND c.scenario LIKE 'scale:%' ORDER BY scenario)) AS scales,
       p.rank, p.rank_best, p.rank_worst, p.rank_best = p.rank_worst AS rank_survives, p.scenarios
FROM recorded r JOIN per_author p ON p.author_id = r.author_id;

-- Forecasts made at or after the moment their question's outcome became known (to the instant
-- when both are times, else by the day: tracker.scores.policies.is_late). They are kept in the
-- ledger and shown, and never scored.
CREATE VIEW late_forecasts AS
SELECT f.id AS forecast_id, f.question_id, f.made_on, co.resolved_on AS known_on, co.outcome,
       (SELECT group_concat(author_id, '; ') FROM
           (SELECT author_id FROM forecast_authors fa WHERE fa.forecast_id = f.id ORDER BY fa.position))
           AS author_ids
FROM forecasts f
JOIN current_outcomes co ON co.question_id = f.question_id
WHERE co.outcome != 'annulled' AND co.resolved_on IS NOT NULL
  AND CASE WHEN length(f.made_on) > 10 AND length(co.resolved_on) > 10 THEN f.made_on >= co.resolved_on
           ELSE substr(f.made_on, 1, 10) >= substr(co.resolved_on, 1, 10) END;
