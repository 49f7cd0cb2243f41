"""`LiveIndex`: new, changed and deleted items are matched at once, on the same scale as the built ones."""

from __future__ import annotations

import numpy as np
import pytest

from annotations.matching import dense
from annotations.matching.index import MatchIndex
from annotations.matching.lexical import Lexical, tokenise
from annotations.matching.live import REBUILD_AFTER, LiveIndex

STORED = [
    ("1", "New York City has accepted around 160,000 asylum seekers since April 2022"),
    ("2", "The mayor announced sweeping cuts to government services"),
    ("3", "Bill de Blasio signed a sanctuary law in 2014"),
    ("4", "ICE wants the city to honour more detainer requests"),
    ("5", "Schools in the city lost funding this year"),
]
QUERY = "around 160,000 asylum seekers have come to New York since April 2022"


def test_an_extra_row_scores_as_bm25s_scores_its_own(model):
    """`score_documents` gives a text outside the index what bm25s gives it inside (same statistics)."""
    texts = [t for _, t in STORED]
    lexical = Lexical(texts)
    inside = lexical.scores(QUERY)
    outside = lexical.score_documents(QUERY, [tokenise(t) for t in texts])
    np.testing.assert_allclose(outside, inside, rtol=1e-5)
    assert inside[0] > 0 and inside[1] == 0


def test_a_new_item_is_matched_without_a_rebuild(model):
    live = LiveIndex(STORED[1:])
    assert all(m.id != "1" for m in live.matches(QUERY, top=5))
    live.upsert([STORED[0]], dense.embed([STORED[0][1]]))
    best = live.matches(QUERY, top=5)
    assert best[0].id == "1"
    fresh = MatchIndex(STORED).matches(QUERY, top=5)
    # Same cosine; BM25 close (the delta row is scored with the base's idf, which lacks its own words).
    assert best[0].cosine == pytest.approx(fresh[0].cosine, abs=1e-6)
    assert best[0].score == pytest.approx(fresh[0].score, abs=0.05)


def test_a_changed_item_is_matched_by_its_new_text_only(model):
    live = LiveIndex(STORED)
    changed = ("1", "Bus fares will rise next spring")
    live.upsert([changed], dense.embed([changed[1]]))
    assert live.text_of("1") == changed[1]
    assert len(live) == len(STORED)
    hits = {m.id: m for m in live.matches(QUERY, top=5)}
    assert hits["1"].bm25 == 0 and hits["1"].score < 0.3
    assert live.matches("bus fares rise", top=1)[0].id == "1"


def test_an_unchanged_upsert_changes_nothing(model):
    live = LiveIndex(STORED)
    assert live.upsert([STORED[0]], dense.embed([STORED[0][1]])) == 0
    assert not live.delta and not live.masked.any()


def test_a_removed_item_is_never_matched(model):
    live = LiveIndex(STORED)
    live.remove(["1"])
    new = "Another new claim about asylum seekers"
    live.upsert([("6", new)], dense.embed([new]))
    live.remove(["6"])
    ids = [m.id for m in live.matches(QUERY, top=10)]
    assert "1" not in ids and "6" not in ids
    assert len(ids) == len(STORED) - 1 == len(live)


def test_rebuilt_matches_a_fresh_index(model):
    live = LiveIndex(STORED[1:])
    live.upsert([STORED[0]], dense.embed([STORED[0][1]]))
    live.remove(["5"])
    rebuilt = live.rebuilt()
    fresh = MatchIndex(STORED[:4])
    assert [(m.id, round(m.score, 5)) for m in rebuilt.matches(QUERY, top=4)] == [
        (m.id, round(m.score, 5)) for m in fresh.matches(QUERY, top=4)
    ]
    assert not rebuilt.delta and not rebuilt.masked.any()


def test_stale_after_enough_changes(model):
    live = LiveIndex(STORED)
    items = [(f"n{i}", f"claim number {i}") for i in range(REBUILD_AFTER)]
    live.upsert(items, np.tile(dense.embed(["claim"]), (len(items), 1)))
    assert not live.stale
    live.remove(["1"])
    assert live.stale


def test_an_empty_index_takes_items(model):
    live = LiveIndex([])
    assert live.matches(QUERY) == []
    live.upsert([STORED[0]], dense.embed([STORED[0][1]]))
    assert [m.id for m in live.matches(QUERY)] == ["1"]
