import sys, runpy
sys.argv = ["x", "--chunks", "5000", "--queries", "30"]
sys.path.insert(0, "/work/main/bench"); import search_bench as sb
from django.db import connection
orig_main = sb.main
def main(n, q):
    from rag import selectors
    import numpy as np
    rng = np.random.default_rng(7)
    centers = rng.normal(size=(1000, sb.DIM)).astype(np.float32); centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    vectors, labels = sb.clustered(rng, n, centers)
    course, _ = sb.load(vectors, sb.words_for(rng, labels))
    scope, sp = selectors._scope_sql(video_id=None, course_id=course.pk, video_ids=None)
    sql = selectors.build_search_sql(scope=scope, use_vector=True, keyword_configs=["english","simple"], with_position=False)
    params = {"embedding": selectors.vector_literal(vectors[0]), "model": sb.MODEL, "candidates": 40, "k": 10, "tsquery_simple": "'t5w3' | 't5w4'", "tsquery_english": "'t5w3' | 't5w4'", **sp}
    with connection.cursor() as c:
        c.execute("SET hnsw.iterative_scan = relaxed_order")
        c.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params)
        for r in c.fetchall():
            line = r[0]
            if "[" in line: line = line[:line.index("[")] + "...]"
            print(line[:160])
sb.main = main
old = connection.creation.create_test_db(verbosity=0, autoclobber=True)
try: main(5000, 30)
finally:
    connection.close(); connection.creation.destroy_test_db(old, verbosity=0)
