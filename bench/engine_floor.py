"""The floors of ``bench_engine.py --ratios`` (issue #19): the engine's work done by PostgreSQL
alone, so that the engine's times can be read as ratios to it, timed in the same run.

Keep the SQL here fixed (change it only with a note in the issue): ratios compare across runs
only while the floor stays the same. Every function takes a DB-API cursor and leaves its rows
in temporary tables dropped at the end of the caller's transaction (the bench rolls it back).

**floor** (``floor_full(plus=False)``), for a full recompute. Four statements, one pass each:

1. ``floor_kpi``: every active KPI's score, in one ``SELECT`` (``KPI_SQL``):

   * latest value: the KPI's newest measurement dated today or earlier (a LATERAL read of the
     ``(kpi_id, as_of)`` unique index, LIMIT 1);
   * achievement = (latest - baseline) / (target - baseline), uncapped; for a keep-within-range
     KPI 1 inside the range, else 1 - distance outside / the range's width
     (``metrics.scoring.plan.kpi_achievement``);
   * progress = achievement clipped to 0-1;
   * planned value on the latest value's date: linear between the baseline, the KPI's
     trajectory points (the two around the date, LATERAL reads of ``(kpi_id, date)``) and the
     target; expected progress = the achievement of the planned value, clipped (with no
     trajectory point this is the share of time elapsed from baseline_date to target_date);
     1 for a range KPI (``kpi_expected_progress``, taken at the latest value's date as the
     engine does);
   * attainment = achievement / expected; score = 100 x attainment clipped to 0-1 (100 when
     nothing was expected yet); status by the engine's thresholds (on track from
     ``GAP_ON_TRACK``, off track below ``GAP_OFF_TRACK``, at risk between);
   * no data when there is no measurement, or the latest is stale (older than cadence x
     ``GAP_STALE_GRACE`` days, the clock stopped at the target date; never within one cadence
     of the KPI's creation): no score.

2. ``floor_initiative``: each plan initiative's score, the weighted mean of its KPIs' scores
   (a cancelled one weighs nothing).

3. ``floor_objective``: every objective with its depth in the tree (a recursive CTE), and the
   weighted sums of its own parts (its KPIs and initiatives: sum of weight x score over the
   scored ones, their weight, and the weight of all parts, for the coverage).

4. the rollup, bottom-up (``ROLLUP_SQL``, a ``DO`` block: one ``UPDATE`` per tree level,
   deepest first): an objective's score = the weighted mean of its scored KPIs',
   initiatives' and child objectives' scores; its status by the thresholds, at risk rather
   than on track when less than half its weight has a score, on track / off track when
   closed as achieved / missed, no score when cancelled (``metrics.scoring.rollup``). Then
   teams (their objectives), themes (their root objectives) and strategies (their themes),
   weighted means inserted into ``floor_rollup``.

**floor+** (``floor_full(plus=True)``): the same, but step 1 reads each KPI's newest N
measurements (N per KPI as the engine's forecast read asks, ``forecast_read_points``: at
least 60) with the LATERAL join of ``metrics.engine.kpis.measurements_recent``, and fits a
least-squares line over the newest 12 (``regr_slope``, ``regr_intercept``) to project the
value on the target date and say whether it meets the target, with the points' count and
spread as the data-quality figures. The engine's forecast is a robust random walk with drift
and its data-quality tests look for outliers and frozen runs: this is the same read, lighter
arithmetic.

**rollup floor** (``floor_rollup``): steps 3-4 alone, from the latest stored KPI and
initiative scores (``metrics_gapscore`` where ``is_latest``), as
``metrics.engine.rollups_all_recompute`` starts from them; the rows are written to the
temporary tables (the write of the figure).

Not in any floor: the texts of the reasons and contributors, the JSON of components, alerts,
history rows and their bookkeeping, the initiatives' milestones, budget and check-ins. That
is part of the engine's cost, and why the goals are ratios above 1.
"""

from __future__ import annotations

from datetime import date

# The newest measurement of each active KPI (floor).
NEWEST_ONE = """
    LEFT JOIN LATERAL (
        SELECT m.as_of AS last_day, m.value AS last_value, 1 AS points,
               NULL::float8 AS slope, NULL::float8 AS intercept, NULL::float8 AS spread
          FROM metrics_measurement m
         WHERE m.kpi_id = k.id AND m.as_of <= %(today)s
         ORDER BY m.as_of DESC LIMIT 1
    ) AS s ON true"""

# The newest N of each (N per KPI, as the engine reads), and a line over the newest 12
# (floor+). x: days since the baseline date.
NEWEST_N = """
    LEFT JOIN LATERAL (
        SELECT (array_agg(r.as_of ORDER BY r.as_of DESC))[1] AS last_day,
               (array_agg(r.value ORDER BY r.as_of DESC))[1] AS last_value,
               count(*) AS points,
               regr_slope(r.value, r.as_of - k.baseline_date) FILTER (WHERE r.rn <= 12) AS slope,
               regr_intercept(r.value, r.as_of - k.baseline_date) FILTER (WHERE r.rn <= 12)
                   AS intercept,
               stddev_samp(r.value) AS spread
          FROM (SELECT n.as_of, n.value, row_number() OVER (ORDER BY n.as_of DESC) AS rn
                  FROM (SELECT m.as_of, m.value FROM metrics_measurement m
                         WHERE m.kpi_id = k.id AND m.as_of <= %(today)s
                         ORDER BY m.as_of DESC LIMIT w.n) AS n) AS r
    ) AS s ON true"""

KPI_SQL = """
    WITH newest AS (
        SELECT k.id, k.objective_id, k.initiative_id, k.weight::float8 AS weight, k.direction,
               k.baseline_value, k.baseline_date, k.target_value, k.target_date,
               k.range_low, k.range_high, k.cadence_days,
               (k.created_at AT TIME ZONE %(zone)s)::date AS created_on, s.*
          FROM metrics_kpi k
          JOIN unnest(%(ids)s::bigint[], %(points)s::int[]) AS w(id, n) ON w.id = k.id
          {newest}
         WHERE k.is_active
    ), planned AS (
        SELECT n.*,
               CASE WHEN n.last_day IS NULL OR n.direction = 'range' THEN NULL
                    WHEN n.last_day <= n.baseline_date THEN n.baseline_value
                    WHEN n.last_day >= n.target_date THEN n.target_value
                    ELSE coalesce(b.value, n.baseline_value)
                         + (coalesce(a.value, n.target_value) - coalesce(b.value, n.baseline_value))
                         * (n.last_day - coalesce(b.date, n.baseline_date))
                         / (coalesce(a.date, n.target_date) - coalesce(b.date, n.baseline_date))
               END AS planned_value,
               CASE WHEN n.last_value IS NULL THEN NULL
                    WHEN n.direction = 'range' THEN
                        CASE WHEN n.last_value BETWEEN n.range_low AND n.range_high THEN 1.0
                             ELSE 1.0 - greatest(n.range_low - n.last_value,
                                                 n.last_value - n.range_high)
                                        / (n.range_high - n.range_low) END
                    ELSE (n.last_value - n.baseline_value) / (n.target_value - n.baseline_value)
               END AS achievement
          FROM newest n
          LEFT JOIN LATERAL (
              SELECT t.date, t.value FROM metrics_trajectorypoint t
               WHERE t.kpi_id = n.id AND t.date <= n.last_day
                 AND t.date > n.baseline_date AND t.date < n.target_date
               ORDER BY t.date DESC LIMIT 1) AS b ON true
          LEFT JOIN LATERAL (
              SELECT t.date, t.value FROM metrics_trajectorypoint t
               WHERE t.kpi_id = n.id AND t.date > n.last_day
                 AND t.date > n.baseline_date AND t.date < n.target_date
               ORDER BY t.date LIMIT 1) AS a ON true
    ), expected AS (
        SELECT p.*,
               CASE WHEN p.last_day IS NULL THEN NULL
                    WHEN p.direction = 'range' THEN 1.0
                    ELSE least(1.0, greatest(0.0, (p.planned_value - p.baseline_value)
                                                  / (p.target_value - p.baseline_value)))
               END AS expected,
               p.last_day IS NOT NULL
                   AND NOT %(today)s::date - p.created_on BETWEEN 0 AND p.cadence_days
                   AND least(%(today)s::date, p.target_date) - p.last_day
                       > p.cadence_days * %(stale_grace)s AS stale
          FROM planned p
    ), scored AS (
        SELECT e.*,
               least(1.0, greatest(0.0, e.achievement)) AS progress,
               CASE WHEN e.expected > 1e-9 THEN e.achievement / e.expected END AS attainment
          FROM expected e
    )
    SELECT id, objective_id, initiative_id, weight, last_day, last_value, points, spread,
           achievement, progress, expected, attainment, expected - progress AS gap,
           CASE WHEN last_day IS NULL OR stale THEN NULL
                WHEN expected <= 1e-9 THEN 100.0
                ELSE 100.0 * least(1.0, greatest(0.0, attainment)) END AS score,
           CASE WHEN last_day IS NULL OR stale THEN 'no_data'
                WHEN expected <= 1e-9 OR attainment >= %(on_track)s THEN 'on_track'
                WHEN attainment >= %(off_track)s THEN 'at_risk'
                ELSE 'off_track' END AS status,
           intercept + slope * (target_date - baseline_date) AS projected,
           CASE WHEN slope IS NULL THEN NULL
                WHEN direction = 'range' THEN intercept + slope * (target_date - baseline_date)
                                              BETWEEN range_low AND range_high
                WHEN direction = 'increase' THEN intercept + slope * (target_date - baseline_date)
                                                 >= target_value
                ELSE intercept + slope * (target_date - baseline_date) <= target_value
           END AS meets_target
      FROM scored"""

KPI_TABLE = "CREATE TEMP TABLE floor_kpi ON COMMIT DROP AS " + KPI_SQL

INITIATIVE_TABLE = """
    CREATE TEMP TABLE floor_initiative ON COMMIT DROP AS
    SELECT i.id, i.objective_id,
           CASE WHEN i.status = 'cancelled' THEN 0.0 ELSE i.weight::float8 END AS weight,
           sum(k.score * k.weight) FILTER (WHERE k.score IS NOT NULL)
               / nullif(sum(k.weight) FILTER (WHERE k.score IS NOT NULL), 0) AS score
      FROM initiatives_initiative i
      LEFT JOIN floor_kpi k ON k.initiative_id = i.id
     WHERE i.kind = 'plan'
     GROUP BY i.id"""

# The rollup floor's parts: the latest stored scores, as the engine's rollup reads them.
STORED_PARTS = """
    CREATE TEMP TABLE floor_kpi ON COMMIT DROP AS
    SELECT k.id, k.objective_id, k.weight::float8 AS weight, g.score
      FROM metrics_kpi k
      LEFT JOIN metrics_gapscore g
        ON g.subject_type = 'kpi' AND g.subject_id = k.id AND g.is_latest
     WHERE k.is_active AND k.objective_id IS NOT NULL;
    CREATE TEMP TABLE floor_initiative ON COMMIT DROP AS
    SELECT i.id, i.objective_id,
           CASE WHEN i.status = 'cancelled' THEN 0.0 ELSE i.weight::float8 END AS weight,
           g.score
      FROM initiatives_initiative i
      LEFT JOIN metrics_gapscore g
        ON g.subject_type = 'initiative' AND g.subject_id = i.id AND g.is_latest
     WHERE i.kind = 'plan'"""

OBJECTIVE_TABLE = """
    CREATE TEMP TABLE floor_objective ON COMMIT DROP AS
    WITH RECURSIVE tree AS (
        SELECT id, 0 AS depth FROM strategy_objective WHERE parent_id IS NULL
        UNION ALL
        SELECT o.id, t.depth + 1 FROM strategy_objective o JOIN tree t ON o.parent_id = t.id
    ), own AS (
        SELECT objective_id AS id,
               sum(weight * score) FILTER (WHERE score IS NOT NULL AND weight > 0) AS sw,
               sum(weight) FILTER (WHERE score IS NOT NULL AND weight > 0) AS w,
               sum(weight) FILTER (WHERE weight > 0) AS total
          FROM (SELECT objective_id, weight, score FROM floor_kpi WHERE objective_id IS NOT NULL
                UNION ALL
                SELECT objective_id, weight, score FROM floor_initiative) AS parts
         GROUP BY objective_id
    )
    SELECT o.id, o.parent_id, o.team_id, o.theme_id, o.strategy_id, o.status, t.depth,
           CASE WHEN o.status = 'cancelled' THEN 0.0 ELSE o.weight::float8 END AS weight,
           coalesce(own.sw, 0.0) AS own_sw, coalesce(own.w, 0.0) AS own_w,
           coalesce(own.total, 0.0) AS own_total,
           NULL::float8 AS score, NULL::float8 AS coverage, NULL::text AS rollup_status
      FROM strategy_objective o
      JOIN tree t ON t.id = o.id
      LEFT JOIN own ON own.id = o.id;
    CREATE INDEX ON floor_objective (depth);
    ANALYZE floor_objective"""

# One level of the bottom-up rollup: the objectives at depth d from their own parts and their
# children (depth d + 1, already scored).
LEVEL_SQL = """
    UPDATE floor_objective o
       SET score = CASE WHEN o.status <> 'cancelled' THEN c.score END,
           coverage = c.coverage,
           rollup_status = CASE
               WHEN o.status = 'cancelled' OR c.score IS NULL THEN 'no_data'
               WHEN o.status = 'achieved' THEN 'on_track'
               WHEN o.status = 'missed' THEN 'off_track'
               WHEN c.score >= 100 * {on_track} AND c.coverage < 0.5 THEN 'at_risk'
               WHEN c.score >= 100 * {on_track} THEN 'on_track'
               WHEN c.score >= 100 * {off_track} THEN 'at_risk'
               ELSE 'off_track' END
      FROM (SELECT f.id,
                   (f.own_sw + coalesce(ch.sw, 0)) / nullif(f.own_w + coalesce(ch.w, 0), 0)
                       AS score,
                   coalesce((f.own_w + coalesce(ch.w, 0))
                            / nullif(f.own_total + coalesce(ch.total, 0), 0), 0) AS coverage
              FROM floor_objective f
              LEFT JOIN (
                  SELECT parent_id,
                         sum(weight * score) FILTER (WHERE score IS NOT NULL AND weight > 0) AS sw,
                         sum(weight) FILTER (WHERE score IS NOT NULL AND weight > 0) AS w,
                         sum(weight) FILTER (WHERE weight > 0) AS total
                    FROM floor_objective WHERE depth = {child_depth} GROUP BY parent_id
              ) AS ch ON ch.parent_id = f.id
             WHERE f.depth = {depth}) AS c
     WHERE o.id = c.id"""

# The bottom-up loop (one round trip), then teams, themes and strategies. ``{level}``: LEVEL_SQL
# with the thresholds in place and the depths as format()'s arguments.
ROLLUP_SQL = """
    DO $$
    DECLARE d int;
    BEGIN
        FOR d IN REVERSE (SELECT coalesce(max(depth), 0) FROM floor_objective)..0 LOOP
            EXECUTE format($level${level}$level$, d + 1, d);
        END LOOP;
    END $$;
    CREATE TEMP TABLE floor_rollup ON COMMIT DROP AS
    WITH teams AS (
        SELECT 'team' AS subject_type, team_id AS subject_id,
               sum(weight * score) FILTER (WHERE score IS NOT NULL AND weight > 0)
                   / nullif(sum(weight) FILTER (WHERE score IS NOT NULL AND weight > 0), 0)
                   AS score
          FROM floor_objective GROUP BY team_id
    ), themes AS (
        SELECT 'theme' AS subject_type, o.theme_id AS subject_id, th.strategy_id,
               th.weight::float8 AS weight,
               sum(o.weight * o.score) FILTER (WHERE o.score IS NOT NULL AND o.weight > 0)
                   / nullif(sum(o.weight) FILTER (WHERE o.score IS NOT NULL AND o.weight > 0), 0)
                   AS score
          FROM floor_objective o JOIN strategy_theme th ON th.id = o.theme_id
         WHERE o.parent_id IS NULL
         GROUP BY o.theme_id, th.strategy_id, th.weight
    )
    SELECT subject_type, subject_id, score FROM teams
    UNION ALL SELECT subject_type, subject_id, score FROM themes
    UNION ALL
    SELECT 'strategy', strategy_id,
           sum(weight * score) FILTER (WHERE score IS NOT NULL)
               / nullif(sum(weight) FILTER (WHERE score IS NOT NULL), 0)
      FROM themes GROUP BY strategy_id"""

TOTALS_SQL = """
    SELECT (SELECT count(*) FROM floor_kpi), (SELECT count(score) FROM floor_kpi),
           (SELECT count(*) FROM floor_objective), (SELECT count(score) FROM floor_objective),
           (SELECT count(*) FROM floor_rollup)"""


def _rollup(cursor, *, on_track: float, off_track: float) -> None:
    cursor.execute(OBJECTIVE_TABLE)
    level = LEVEL_SQL.format(
        on_track=float(on_track), off_track=float(off_track), child_depth="%1$s", depth="%2$s"
    )
    cursor.execute(ROLLUP_SQL.replace("{level}", level))


def kpi_params(*, today: date, zone: str, thresholds, points: dict[int, int]) -> dict:
    """The parameters of ``KPI_SQL``: today, the thresholds, and the active KPIs' ids with the
    count of newest measurements each reads."""
    ids = sorted(points)
    return {
        "today": today,
        "zone": zone,
        "ids": ids,
        "points": [points[i] for i in ids],
        "on_track": thresholds.on_track,
        "off_track": thresholds.off_track,
        "stale_grace": thresholds.stale_grace,
    }


def floor_full(cursor, *, plus: bool, params: dict, thresholds) -> tuple[int, ...]:
    """The floor (``plus=False``) or floor+ of a full recompute; returns (KPIs, KPIs scored,
    objectives, objectives scored, team/theme/strategy rows)."""
    cursor.execute(KPI_TABLE.format(newest=NEWEST_N if plus else NEWEST_ONE), params)
    cursor.execute(INITIATIVE_TABLE)
    _rollup(cursor, on_track=thresholds.on_track, off_track=thresholds.off_track)
    cursor.execute(TOTALS_SQL)
    return cursor.fetchone()


def floor_rollup(cursor, *, thresholds) -> tuple[int, ...]:
    """The rollup floor: every objective bottom-up, teams, themes and strategies, from the
    latest stored scores, written to temporary tables; returns the counts as ``floor_full``."""
    cursor.execute(STORED_PARTS)
    _rollup(cursor, on_track=thresholds.on_track, off_track=thresholds.off_track)
    cursor.execute(TOTALS_SQL)
    return cursor.fetchone()


def floor_plans(cursor, *, params: dict, thresholds, limit: int = 40) -> list[str]:
    """EXPLAIN (no ANALYZE) of floor+'s KPI statement and of one rollup level, at most
    ``limit`` lines each (run inside a transaction that is rolled back)."""
    lines = []
    cursor.execute("EXPLAIN " + KPI_SQL.format(newest=NEWEST_N), params)
    plan = [row[0] for row in cursor.fetchall()]
    lines += ["floor+ KPI scores:"] + plan[:limit] + (["  ..."] if len(plan) > limit else [])
    cursor.execute(STORED_PARTS)
    cursor.execute(OBJECTIVE_TABLE)
    cursor.execute(
        "EXPLAIN "
        + LEVEL_SQL.format(
            on_track=float(thresholds.on_track),
            off_track=float(thresholds.off_track),
            child_depth=2,
            depth=1,
        )
    )
    plan = [row[0] for row in cursor.fetchall()]
    lines += ["one rollup level:"] + plan[:limit] + (["  ..."] if len(plan) > limit else [])
    return lines


AGREEMENT_SQL = """
    SELECT f.subject_type, count(*), count(*) FILTER (WHERE f.status = g.status),
           count(*) FILTER (WHERE f.score IS NULL AND g.score IS NULL
                               OR abs(f.score - g.score) < 0.5)
      FROM (SELECT 'kpi' AS subject_type, id, status, score FROM floor_kpi
            UNION ALL
            SELECT 'objective', id, rollup_status, score FROM floor_objective) AS f
      JOIN metrics_gapscore g
        ON g.subject_type = f.subject_type AND g.subject_id = f.id AND g.is_latest
     GROUP BY f.subject_type ORDER BY f.subject_type"""


def floor_agreement(cursor, *, params: dict, thresholds) -> list[tuple[str, int, int, int]]:
    """How far floor+ agrees with the engine's latest stored scores (not timed): per subject
    type, (type, subjects compared, same status, score within half a point). KPIs should agree
    (the same definitions); objectives differ where the engine scores initiatives on more than
    their KPIs (milestones, schedule, budget, check-ins)."""
    floor_full(cursor, plus=True, params=params, thresholds=thresholds)
    cursor.execute(AGREEMENT_SQL)
    return cursor.fetchall()
