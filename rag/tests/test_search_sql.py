"""The search statement on its own: no database, only the text and parameters it builds."""

import math
import uuid

import pytest
from django.test import override_settings

from rag.search_sql import (
    MAX_K,
    RRF_K,
    VECTOR_WEIGHT,
    SearchPlan,
    build_search_sql,
    plan_search,
    scope_sql,
)

VECTOR = [0.1] * 384
VIDEO, COURSE = uuid.uuid4(), uuid.uuid4()
VIDEOS = [uuid.uuid4(), uuid.uuid4()]
QUESTION = "How does dropout prevent overfitting?"
STOP_WORDS_ONLY = "מה זה?"

VIDEO_SCOPE = "c.video_id = %(video_id)s"
COURSE_SCOPE = (
    "c.video_id = ANY(ARRAY(SELECT id FROM courses_video WHERE course_id = %(course_id)s))"
)
VIDEOS_SCOPE = "c.video_id = ANY(%(video_ids)s::uuid[])"


def _plan(query=QUESTION, *, vector=VECTOR, keyword=True, k=8, position=None, **scope):
    return plan_search(
        query=query,
        vector=vector,
        model="local:test",
        video_id=scope.get("video_id"),
        course_id=scope.get("course_id"),
        video_ids=scope.get("video_ids"),
        k=k,
        position=position,
        keyword=keyword,
    )


def test_scope_sql_for_each_scope():
    none = scope_sql(video_id=None, course_id=None, video_ids=None)
    assert none == ("TRUE", {})
    video = scope_sql(video_id=VIDEO, course_id=None, video_ids=None)
    assert video == (VIDEO_SCOPE, {"video_id": VIDEO})
    course = scope_sql(video_id=None, course_id=COURSE, video_ids=None)
    assert course == (COURSE_SCOPE, {"course_id": COURSE})
    videos = scope_sql(video_id=None, course_id=None, video_ids=tuple(VIDEOS))
    assert videos == (VIDEOS_SCOPE, {"video_ids": VIDEOS})


@pytest.mark.parametrize(
    ("scope", "condition", "params"),
    [
        ({}, "(TRUE) IS TRUE", {}),
        ({"course_id": COURSE}, f"({COURSE_SCOPE}) IS TRUE", {"course_id": COURSE}),
        ({"video_ids": VIDEOS}, f"({VIDEOS_SCOPE}) IS TRUE", {"video_ids": VIDEOS}),
        ({"video_id": VIDEO}, VIDEO_SCOPE, {"video_id": VIDEO}),
    ],
)
@pytest.mark.parametrize("query", [QUESTION, STOP_WORDS_ONLY])
def test_every_scope_filters_both_rankings(scope, condition, params, query):
    """Only a single video uses its plain condition (its b-tree); the others walk the indexes."""
    plan = _plan(query, **scope)
    where = f"WHERE c.embedding_model = %(model)s AND {condition}\n"
    assert where in plan.sql
    if plan.mode == "hybrid":
        assert f"WHERE c.search_vector @@ q.query AND {condition}\n" in plan.sql
    assert params.items() <= plan.params.items()
    if "video_id" not in scope:
        assert VIDEO_SCOPE not in plan.sql


def test_hybrid_statement_holds_both_rankings_and_the_fusion():
    plan = _plan(course_id=COURSE)
    assert plan.mode == "hybrid"
    assert not plan.vector_only
    for clause in ("vec AS (", "kw AS (", "fused AS (", f"SUM(weight / ({RRF_K} + rank))"):
        assert clause in plan.sql
    assert "to_tsquery('english', %(tsquery_english)s)" in plan.sql
    assert "to_tsquery('simple', %(term0_simple)s)" in plan.sql
    assert "LIMIT %(k)s" in plan.sql
    assert plan.params["tsquery_simple"]
    assert plan.params["model"] == "local:test"
    assert "position" not in plan.params


def test_hybrid_vs_vector_only_vs_keyword_as_the_inputs_allow():
    assert _plan().mode == "hybrid"
    vector_only = _plan(STOP_WORDS_ONLY)
    assert (vector_only.mode, vector_only.vector_only) == ("vector", True)
    assert vector_only.sql.startswith("SELECT c.id")
    assert "fused" not in vector_only.sql
    not_keyword = _plan(keyword=False)
    assert (not_keyword.mode, not_keyword.vector_only) == ("vector", True)
    keyword = _plan(vector=None)
    assert (keyword.mode, keyword.vector_only) == ("keyword", False)
    assert "kw AS (" in keyword.sql
    assert "vec AS (" not in keyword.sql
    assert "embedding" not in keyword.params
    # without a vector the words are searched even when the caller asked for no keyword part
    assert _plan(vector=None, keyword=False).mode == "keyword"
    nothing = _plan(STOP_WORDS_ONLY, vector=None)
    assert nothing == SearchPlan(mode="keyword")
    assert nothing.sql == ""


def test_position_boosts_only_a_single_video_and_only_a_finite_position():
    boosted = _plan(STOP_WORDS_ONLY, video_id=VIDEO, position=600)
    assert boosted.mode == "vector"
    assert not boosted.vector_only  # the boost needs the fused statement
    assert "%(position_weight)s * exp(" in boosted.sql
    assert boosted.params["position"] == 600.0
    for plan in (
        _plan(course_id=COURSE, position=600),
        _plan(video_id=VIDEO, position=math.nan),
        _plan(video_id=VIDEO, position=math.inf),
    ):
        assert "position" not in plan.params
        assert "+ 0 AS score" in plan.sql


@pytest.mark.parametrize(("k", "limit"), [(-3, 1), (0, 1), (1, 1), (7, 7), (50, 50), (500, 50)])
def test_vector_only_limit_is_a_literal_clamped_to_1_to_max_k(k, limit):
    plan = _plan(STOP_WORDS_ONLY, course_id=COURSE, k=k)
    assert plan.sql.endswith(f"\nLIMIT {limit}")
    assert "%(k)s" not in plan.sql
    assert MAX_K == 50


@pytest.mark.parametrize(("k", "bound", "candidates"), [(0, 1, 40), (12, 12, 48), (99, 50, 200)])
def test_fused_limit_is_bound_and_clamped_too(k, bound, candidates):
    plan = _plan(k=k)
    assert (plan.params["k"], plan.params["candidates"]) == (bound, candidates)


@pytest.mark.parametrize("scope", [{}, {"course_id": COURSE}, {"video_ids": VIDEOS}])
def test_only_vector_only_searches_over_the_hnsw_walk_are_prepared(scope):
    assert _plan(STOP_WORDS_ONLY, **scope).prepare
    assert _plan(keyword=False, **scope).prepare
    assert not _plan(**scope).prepare  # hybrid
    assert not _plan(vector=None, **scope).prepare  # keyword
    with override_settings(DATABASE_PREPARED_STATEMENTS=False):
        assert not _plan(STOP_WORDS_ONLY, **scope).prepare


def test_a_single_videos_search_is_never_prepared():
    assert not _plan(STOP_WORDS_ONLY, video_id=VIDEO).prepare
    assert not _plan(STOP_WORDS_ONLY, video_id=VIDEO, position=30).prepare
    assert not _plan(video_id=VIDEO).prepare


def test_vector_only_rows_score_as_their_vector_rank():
    row = (1, VIDEO, "yt", "title", 0, 5, "text")
    result = _plan(STOP_WORDS_ONLY).result([row, (2, *row[1:])])
    assert result.mode == "vector"
    assert [hit.score for hit in result.hits] == [
        round(VECTOR_WEIGHT / (RRF_K + 1), 6),
        round(VECTOR_WEIGHT / (RRF_K + 2), 6),
    ]
    fused = _plan().result([(*row, 0.0312345678)])
    [hit] = fused.hits
    assert hit.score == 0.031235
    assert (hit.chunk_id, hit.start_time, hit.text) == (1, 0.0, "text")


def test_build_search_sql_writes_only_the_parts_asked_for():
    vector = build_search_sql(
        scope="TRUE", use_vector=True, keyword_configs=(), with_position=False
    )
    assert "vec AS (" in vector
    assert "kw AS (" not in vector
    keyword = build_search_sql(
        scope="TRUE", use_vector=False, keyword_configs=("simple",), with_position=False
    )
    assert "kw AS (" in keyword
    assert "vec AS (" not in keyword
    assert "1 AS matched" in keyword  # no per-word terms: every match counts as one word
