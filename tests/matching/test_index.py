"""The index: a paraphrase ranks first, scores fall, embeddings are unit float32, search is offline."""

import os
import subprocess
import sys

import numpy as np

from annotations.matching import dense
from annotations.matching.index import MatchIndex
from annotations.matching.lexical import tokenise

STORED = [
    ("asylum", "Around 160,000 asylum seekers have arrived in the country since April 2022."),
    ("vaccine", "The measles vaccine causes autism in young children."),
    ("wall", "Mexico is paying for the border wall with the United States."),
    ("bounty", "Iran has offered an $80 million bounty for the head of President Trump."),
    ("rings", "A photograph shows wedding rings taken from Holocaust victims."),
    ("shark", "A shark was photographed swimming on a flooded highway after the hurricane."),
    ("pizza", "Eating pizza every day lowers the risk of heart disease."),
]
PARAPHRASES = [
    ("Since April 2022 the country has taken in about 160,000 people seeking asylum", "asylum"),
    ("Autism in kids is caused by the MMR jab, says a new post", "vaccine"),
    ("Iran's regime announces an 80 million dollar reward for killing Trump", "bounty"),
    ("Picture of engagement rings removed from the fingers of WWII Holocaust victims", "rings"),
    ("LOOK: shark swims down a flooded freeway after the storm https://t.co/xyz", "shark"),
]


def test_paraphrase_ranks_first(model):
    index = MatchIndex(STORED)
    for text, expected in PARAPHRASES:
        results = index.search(text, top=3)
        assert results[0][0] == expected, (text, results)
        scores = [s for _, s in results]
        assert scores == sorted(scores, reverse=True)


def test_identical_text_scores_highest(model):
    index = MatchIndex(STORED)
    (first, score), (_, second) = index.search(STORED[2][1], top=2)
    assert first == "wall"
    assert score > second
    assert score > 0.99  # max-normalised BM25 is 1 and the cosine is 1


def test_top_bounds_and_empty_index(model):
    index = MatchIndex(STORED)
    assert len(index.search("asylum", top=100)) == len(STORED)
    assert index.search("asylum", top=0) == []
    assert MatchIndex([]).search("anything") == []
    assert len(MatchIndex(STORED).search("zzzz qqqq", top=2)) == 2  # no known word: dense still ranks


def test_embeddings_are_unit_float32_and_round_trip(model):
    vectors = dense.embed(["one claim", "another claim", ""])
    assert vectors.dtype == np.float32
    assert vectors.shape == (3, dense.DIMENSIONS)
    np.testing.assert_allclose(np.linalg.norm(vectors[:2], axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(dense.from_bytes(dense.to_bytes(vectors[0])), vectors[0])


def test_stored_embeddings_give_the_same_ranking(model):
    built = MatchIndex(STORED)
    stored = MatchIndex(STORED, embeddings=dense.embed([t for _, t in STORED]))
    query = PARAPHRASES[0][0]
    assert built.search(query) == stored.search(query)


def test_tokeniser_keeps_names_from_handles_and_drops_urls():
    tokens = tokenise("RT @realDonaldTrump: see https://t.co/AbC123 #IranProtests Iran’s regime")
    assert {"donald", "trump", "iran", "protest", "regime"} <= set(tokens)
    assert not any("t.co" in t or "abc123" in t for t in tokens)


def test_model_loads_with_no_network():
    """The model comes from the wheel: with downloads impossible (no proxy, HF offline) it still loads."""
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network disabled in this test')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from annotations.matching import dense\n"
        "print(dense.embed(['160,000 asylum seekers']).shape)\n"
    )
    env = os.environ | {"HF_HUB_OFFLINE": "1", "HOME": "/nonexistent", "HTTPS_PROXY": "http://127.0.0.1:9"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(1, 256)"


def test_top_k_breaks_ties_by_index_whatever_k():
    from annotations.matching.combine import top_k

    scores = np.array([0.5, 0.9, 0.9, 0.1, 0.9, 0.9], dtype=np.float32)
    assert list(top_k(scores, 2)) == [1, 2]
    assert list(top_k(scores, 5)) == [1, 2, 4, 5, 0]
    assert list(top_k(scores, 10)) == [1, 2, 4, 5, 0, 3]
