"""The search statement: its SQL text, its parameters, and how its rows become hits.

Pure: nothing here touches the database. `plan_search` turns a query (its vector already
known, or None) and a scope into a `SearchPlan`; `rag.selectors` runs the plan, on Django's
connection (`search_chunks`) or on the async pool (`ahybrid_search`).

The hybrid statement fuses a vector (HNSW, cosine, active model only) and a full-text ranking
by reciprocal rank. The full-text ranking orders chunks by how many of the question's words
they hold (a word in any of its forms, `rag.text.query_terms`), then by ts_rank.
"""

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from rag.db import QueryVector
from rag.text import tsquery_parts, tsquery_terms
from rag.types import SearchHit, SearchMode, SearchResult

# Reciprocal-rank-fusion constant (Cormack et al.): 60 is the usual choice.
RRF_K = 60
# Weights of the two rankings in the fusion: the vector ranking is trusted a little more
# (bench/retrieval_eval.py: same hit@3, better hit@1 in both languages than equal weights).
VECTOR_WEIGHT = 1.0
KEYWORD_WEIGHT = 0.7
# A chunk at the playback position gains up to half of a first rank's score, fading with
# distance (seconds) from it.
POSITION_WEIGHT = 0.5 / (RRF_K + 1)
POSITION_SCALE = 120.0
# A full-text candidate must hold at least this share of the query words that the best
# candidate holds. ts_rank knows no rarity (no IDF): under an OR-query, a chunk that only repeats
# the lecture's topic word ("tree") would otherwise enter the keyword ranking, and reciprocal-rank
# fusion rewards a chunk for being in both rankings far more than for its rank in either.
KEYWORD_MIN_SHARE = 0.5
MAX_K = 50

_HIT_COLUMNS = "c.id, c.video_id, v.youtube_id, v.title, c.start_time, c.end_time, c.text"


def scope_sql(
    *,
    video_id: uuid.UUID | None,
    course_id: uuid.UUID | None,
    video_ids: Sequence[uuid.UUID] | None,
) -> tuple[str, dict[str, Any]]:
    """The WHERE condition for a scope and its parameters ("TRUE" when unscoped)."""
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if video_id is not None:
        clauses.append("c.video_id = %(video_id)s")
        params["video_id"] = video_id
    if course_id is not None:
        clauses.append(
            "c.video_id = ANY(ARRAY(SELECT id FROM courses_video WHERE course_id = %(course_id)s))"
        )
        params["course_id"] = course_id
    if video_ids is not None:
        clauses.append("c.video_id = ANY(%(video_ids)s::uuid[])")
        params["video_ids"] = list(video_ids)
    return (" AND ".join(clauses) or "TRUE"), params


def build_search_sql(
    *,
    scope: str,
    use_vector: bool,
    keyword_configs: Sequence[str],
    with_position: bool,
    keyword_terms: Sequence[Sequence[str]] = (),
) -> str:
    """The single statement: candidate lists, reciprocal-rank fusion, then the k hits' columns.

    Candidates carry their times so that the position boost and the ranking need no join; only
    the k winners are joined to their text and video.
    """
    ranked: list[str] = []
    ctes: list[str] = []
    if use_vector:
        ctes.append(
            f"""vec AS (
    SELECT id, start_time, end_time,
           row_number() OVER (ORDER BY distance, id) AS rank,
           {VECTOR_WEIGHT:.3f} AS weight
    FROM (
        SELECT c.id, c.start_time, c.end_time, c.embedding <=> %(embedding)s::vector AS distance
        FROM rag_transcriptchunk c
        WHERE c.embedding_model = %(model)s AND {scope}
        ORDER BY c.embedding <=> %(embedding)s::vector
        LIMIT %(candidates)s
    ) nearest
)"""  # noqa: S608  only our own SQL fragments are interpolated; values are parameters
        )
        ranked.append("SELECT * FROM vec")
    if keyword_configs:
        tsquery = " || ".join(
            f"to_tsquery('{config}', %(tsquery_{config})s)" for config in keyword_configs
        )
        # How many query words a chunk holds (each word: any of its forms, in any config).
        matched = (
            " + ".join(
                "(c.search_vector @@ ("
                + " || ".join(f"to_tsquery('{config}', %(term{i}_{config})s)" for config in configs)
                + "))::int"
                for i, configs in enumerate(keyword_terms)
            )
            or "1"
        )
        ctes.append(
            f"""kw AS (
    SELECT id, start_time, end_time,
           row_number() OVER (ORDER BY matched DESC, relevance DESC, id) AS rank,
           {KEYWORD_WEIGHT:.3f} AS weight
    FROM (
        SELECT id, start_time, end_time, relevance, matched, max(matched) OVER () AS best
        FROM (
            SELECT c.id, c.start_time, c.end_time,
                   ts_rank(c.search_vector, q.query, 1) AS relevance, {matched} AS matched
            FROM rag_transcriptchunk c,
                 (SELECT {tsquery} AS query) q
            WHERE c.search_vector @@ q.query AND {scope}
            ORDER BY matched DESC, relevance DESC
            LIMIT %(candidates)s
        ) matching
    ) counted
    WHERE matched >= {KEYWORD_MIN_SHARE:.3f} * best
)"""  # noqa: S608  as above
        )
        ranked.append("SELECT * FROM kw")
    boost = "0"
    if with_position:
        # Only chunks of the scoped video are candidates, so every one is near or far from it.
        boost = (
            "%(position_weight)s * exp(-GREATEST(MIN(start_time) - %(position)s, "
            "%(position)s - MIN(end_time), 0) / %(position_scale)s)"
        )
    return f"""WITH {", ".join(ctes)},
fused AS (
    SELECT id, SUM(weight / ({RRF_K} + rank)) + {boost} AS score
    FROM ({" UNION ALL ".join(ranked)}) ranked
    GROUP BY id
    ORDER BY score DESC, id
    LIMIT %(k)s
)
SELECT {_HIT_COLUMNS}, f.score
FROM fused f
JOIN rag_transcriptchunk c ON c.id = f.id
JOIN courses_video v ON v.id = c.video_id
ORDER BY f.score DESC, c.id"""  # noqa: S608


def build_vector_sql(*, scope: str, k: int) -> str:
    """Vector-only search needs no fusion: the k nearest chunks with their columns.

    `k` is written into the statement, not bound: the statement is prepared, and a generic
    plan costs a bound LIMIT as a tenth of the table, so PostgreSQL would never choose it.
    """
    return f"""SELECT {_HIT_COLUMNS}
FROM rag_transcriptchunk c
JOIN courses_video v ON v.id = c.video_id
WHERE c.embedding_model = %(model)s AND {scope}
ORDER BY c.embedding <=> %(embedding)s::vector
LIMIT {int(k)}"""  # noqa: S608  only our own SQL fragments and an int are interpolated


def search_hit(row: Sequence[Any]) -> SearchHit:
    """A hit from a row in `_HIT_COLUMNS` order, with its score when the row has one."""
    return SearchHit(
        chunk_id=row[0],
        video_id=row[1],
        youtube_id=row[2],
        video_title=row[3],
        start_time=float(row[4]),
        end_time=float(row[5]),
        text=row[6],
        score=round(float(row[7]), 6) if len(row) > 7 else 0.0,
    )


@dataclass
class SearchPlan:
    """One search's statement and parameters (none when there is nothing to search with)."""

    mode: SearchMode
    sql: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    vector_only: bool = False
    # Prepared: planned once per connection (a plan that does not depend on the values).
    prepare: bool = False

    def result(self, rows: Sequence[Sequence[Any]]) -> SearchResult:
        if self.vector_only:
            # The same scale as fused scores: what a vector rank alone earns.
            rows = [
                (*row, VECTOR_WEIGHT / (RRF_K + rank)) for rank, row in enumerate(rows, start=1)
            ]
        return SearchResult(hits=[search_hit(row) for row in rows], mode=self.mode)


def plan_search(
    *,
    query: str,
    vector: Sequence[float] | None,
    model: str,
    video_id: uuid.UUID | None,
    course_id: uuid.UUID | None,
    video_ids: Sequence[uuid.UUID] | None,
    k: int,
    position: float | None,
    keyword: bool,
) -> SearchPlan:
    """The search statement for a query (its vector already known, or None for keyword-only)."""
    k = max(1, min(int(k), MAX_K))
    use_vector = vector is not None
    tsqueries = tsquery_parts(query) if keyword or not use_vector else {}
    use_keyword = bool(tsqueries)
    answered: SearchMode = (
        "hybrid" if use_vector and use_keyword else "vector" if use_vector else "keyword"
    )
    if not use_vector and not use_keyword:
        return SearchPlan(mode=answered)
    params: dict[str, Any] = {"k": k, "candidates": max(4 * k, 40)}
    if vector is not None:
        params.update(embedding=QueryVector(vector), model=model)
    params.update({f"tsquery_{config}": text for config, text in tsqueries.items()})
    terms = tsquery_terms(query) if tsqueries else []
    for i, term in enumerate(terms):
        params.update({f"term{i}_{config}": text for config, text in term.items()})
    scope, scope_params = scope_sql(video_id=video_id, course_id=course_id, video_ids=video_ids)
    params.update(scope_params)
    with_position = position is not None and video_id is not None and math.isfinite(position)
    if with_position:
        params.update(
            position=float(position or 0),
            position_weight=POSITION_WEIGHT,
            position_scale=POSITION_SCALE,
        )
    # One video is small: its b-tree scan is exact. A course can hold most of the corpus, which
    # the planner cannot tell from its scope subquery: it would read and sort every chunk of
    # it. `IS TRUE` keeps the b-tree out, so the vector part walks the HNSW index in distance
    # order, filtered (iterative scans), and the keyword part filters the few matching chunks
    # instead of intersecting the GIN bitmap with every video of the course.
    walk_scope = scope if video_id is not None else f"({scope}) IS TRUE"
    vector_only = use_vector and not use_keyword and not with_position
    # The vector-only statement over the HNSW walk (no scope, a course, a set of videos) has
    # one best plan whatever the values: prepared, it is planned once per connection. Hybrid
    # statements are not: the keyword part's plan depends on the words (a generic plan of the
    # hybrid search took 240 ms instead of 3), and neither is a single video's search, whose
    # exact b-tree scan the planner picks by that video's size.
    prepare = vector_only and video_id is None and settings.DATABASE_PREPARED_STATEMENTS
    if vector_only:
        sql = build_vector_sql(scope=walk_scope, k=k)
    else:
        sql = build_search_sql(
            scope=walk_scope,
            use_vector=use_vector,
            keyword_configs=sorted(tsqueries),
            with_position=with_position,
            keyword_terms=[sorted(term) for term in terms],
        )
    return SearchPlan(
        mode=answered, sql=sql, params=params, vector_only=vector_only, prepare=prepare
    )
