"""Training and nested cross-validated evaluation of the check-worthiness ranker.

Data: CLEF-2019 CheckThat! Task 1 transcripts (``data/checkworthiness/*.tsv``), one sentence a line:
``line_number<TAB>speaker<TAB>text<TAB>label``.

Model: word 1-2-gram TF-IDF (sublinear tf, min_df=2) + standardised hand features (features.py), fed to an
L2 logistic regression whose regularisation C is chosen among C_GRID by grouped cross-validation on the
training transcripts only (`choose_c`). `nested_cross_validation` runs that whole procedure inside each
leave-one-transcript-out fold, so the transcript it scores took no part in any choice. Its MAP is reported
for debates and speeches apart (`transcript_kind`), because the two differ more than any setting does and
an overall figure predicts unseen transcripts only for the same mix (BENCHMARKS.md).
It is exported as JSON (vocabulary, idf, coefficients, scaler) and scored by ranker.py in plain Python,
so the shipped file is small and loading it executes no code.

Everything here is deterministic: files are read in sorted order, liblinear gets a fixed seed, and floats
are written with a fixed number of significant digits.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from annotations.suggestions.features import FEATURE_NAMES, document_features
from annotations.suggestions.ranker import MODEL_FORMAT, Ranker

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "checkworthiness"

WORD_NGRAM_RANGE = (1, 2)
MIN_DF = 2
C_GRID = (0.3, 1.0, 3.0)
INNER_FOLDS = 3
SEED = 0
# 8 significant digits: far below any effect on the ranking, and keeps the file small.
FLOAT_DIGITS = 8


class TranscriptFormatError(ValueError):
    """A line of a transcript file is not ``line_number<TAB>speaker<TAB>text[<TAB>label]``."""

    def __init__(self, path: Path | str, line_no: int, message: str) -> None:
        super().__init__(f"{path}:{line_no}: {message}")
        self.path = str(path)
        self.line_no = line_no


@dataclass(frozen=True)
class Transcript:
    name: str
    line_numbers: tuple[str, ...]
    speakers: tuple[str, ...]
    texts: tuple[str, ...]
    labels: tuple[int, ...] | None  # None when the file has no label column


def read_transcript(path: Path | str, require_labels: bool = True) -> Transcript:
    """Parse one CLEF TSV. Blank lines are skipped; anything else malformed raises TranscriptFormatError."""
    path = Path(path)
    line_numbers: list[str] = []
    speakers: list[str] = []
    texts: list[str] = []
    labels: list[int] = []
    n_labelled = 0
    with path.open(encoding="utf-8") as handle:
        for line_no, raw in enumerate(handle, start=1):
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) not in (3, 4):
                raise TranscriptFormatError(
                    path, line_no, f"expected 3 or 4 tab-separated fields, found {len(fields)}"
                )
            number, speaker, text = fields[0].strip(), fields[1], fields[2]
            if not number.isdigit():
                raise TranscriptFormatError(path, line_no, f"line number {number!r} is not an integer")
            if len(fields) == 4:
                label = fields[3].strip()
                if label not in ("0", "1"):
                    raise TranscriptFormatError(path, line_no, f"label {label!r} is not 0 or 1")
                labels.append(int(label))
                n_labelled += 1
            elif require_labels:
                raise TranscriptFormatError(path, line_no, "missing label column")
            line_numbers.append(number)
            speakers.append(speaker)
            texts.append(text)
    has_labels = n_labelled == len(texts) and n_labelled > 0
    return Transcript(
        name=path.stem,
        line_numbers=tuple(line_numbers),
        speakers=tuple(speakers),
        texts=tuple(texts),
        labels=tuple(labels) if has_labels else None,
    )


def read_corpus(data_dir: Path | str = DEFAULT_DATA_DIR) -> list[Transcript]:
    paths = sorted(Path(data_dir).glob("*.tsv"))
    if not paths:
        raise FileNotFoundError(f"no *.tsv transcripts in {data_dir}")
    return [read_transcript(p) for p in paths]


# Speakers that are not debaters: the transcript's stage directions, reporters and the room.
_NOT_DEBATERS = frozenset({"SYSTEM", "QUESTION", "AUDIENCE"})


def transcript_kind(transcript: Transcript) -> str:
    """The transcript's kind: "debate" when at least two speakers (moderators included, the room not)
    hold 10 % of the lines each, else "speech" (a speech, an address, a press conference). The lab
    reported MAP for each kind, and debates are where the ranker is weakest."""
    counts: dict[str, int] = {}
    for speaker in transcript.speakers:
        name = speaker.strip().upper()
        if name not in _NOT_DEBATERS:
            counts[name] = counts.get(name, 0) + 1
    n = len(transcript.speakers)
    return "debate" if n and sum(1 for c in counts.values() if c >= 0.1 * n) >= 2 else "speech"


# --- training --------------------------------------------------------------------------------------

TRAIN_EXTRA_HINT = (
    "Training and evaluating the check-worthiness ranker needs scikit-learn, the project's `train` extra "
    "(scoring with the shipped model does not). Install it with `make install` (every extra, from the lock) "
    "or `pip install -e '.[train]'`."
)


class TrainingDependenciesMissing(ImportError):
    """scikit-learn (the `train` extra) is not installed."""


def require_training_dependencies() -> None:
    """Raise TrainingDependenciesMissing, saying how to install them, unless sklearn can be imported."""
    try:
        import numpy  # noqa: F401
        import scipy  # type: ignore[import-untyped]  # noqa: F401
        import sklearn  # noqa: F401
    except ImportError as exc:
        raise TrainingDependenciesMissing(
            f"scikit-learn is not installed ({exc}). {TRAIN_EXTRA_HINT}"
        ) from exc


def _round(x: float) -> float:
    return float(f"{x:.{FLOAT_DIGITS}g}")


@lru_cache(maxsize=64)
def _dense_features(transcript: Transcript) -> tuple[tuple[float, ...], ...]:
    # Cached: nested cross-validation fits about 200 models on the same 19 transcripts.
    return tuple(tuple(row) for row in document_features(transcript.texts, transcript.speakers))


def fit_pipeline(transcripts: Sequence[Transcript], c: float = 1.0) -> Any:
    """Fit the sklearn model; returns (vectorizer, scaler, classifier)."""
    require_training_dependencies()
    import numpy as np
    import scipy.sparse as sp  # type: ignore[import-untyped]
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    texts = [t for tr in transcripts for t in tr.texts]
    labels = [y for tr in transcripts for y in (tr.labels or ())]
    if len(labels) != len(texts):
        raise ValueError("every training transcript needs labels")
    dense = np.array([row for tr in transcripts for row in _dense_features(tr)], dtype=np.float64)
    vectorizer = TfidfVectorizer(
        ngram_range=WORD_NGRAM_RANGE, min_df=MIN_DF, sublinear_tf=True, dtype=np.float64
    )
    scaler = StandardScaler()
    x = sp.hstack([vectorizer.fit_transform(texts), sp.csr_matrix(scaler.fit_transform(dense))]).tocsr()
    classifier = LogisticRegression(C=c, solver="liblinear", max_iter=2000, random_state=SEED)
    classifier.fit(x, np.array(labels))
    return vectorizer, scaler, classifier


def pipeline_scores(fitted: Any, texts: Sequence[str], speakers: Sequence[str] | None = None) -> list[float]:
    """Probabilities from the sklearn objects themselves (used to test the export)."""
    import numpy as np
    import scipy.sparse as sp

    vectorizer, scaler, classifier = fitted
    dense = np.array(document_features(texts, speakers), dtype=np.float64)
    x = sp.hstack([vectorizer.transform(list(texts)), sp.csr_matrix(scaler.transform(dense))]).tocsr()
    return [float(p) for p in classifier.predict_proba(x)[:, 1]]


def export_model(fitted: Any, trained_on: Sequence[Transcript], c: float = 1.0) -> dict[str, Any]:
    vectorizer, scaler, classifier = fitted
    vocabulary: dict[str, int] = vectorizer.vocabulary_
    terms = sorted(vocabulary)
    n_terms = len(terms)
    coef = [float(c) for c in classifier.coef_[0]]
    idf = [float(v) for v in vectorizer.idf_]
    return {
        "format": MODEL_FORMAT,
        "description": (
            "Check-worthiness ranker: word 1-2-gram TF-IDF (lowercase, sublinear tf, l2) + standardised "
            "hand features, logistic regression. Trained on CLEF-2019 CheckThat! Task 1 transcripts."
        ),
        "trained_on": {
            "transcripts": [t.name for t in trained_on],
            "sentences": sum(len(t.texts) for t in trained_on),
            "positives": sum(sum(t.labels or ()) for t in trained_on),
            "c": c,
        },
        "word_ngram_range": list(WORD_NGRAM_RANGE),
        "terms": terms,
        "idf": [_round(idf[vocabulary[t]]) for t in terms],
        "term_coef": [_round(coef[vocabulary[t]]) for t in terms],
        "feature_names": list(FEATURE_NAMES),
        "feature_mean": [_round(float(v)) for v in scaler.mean_],
        "feature_scale": [_round(float(v)) for v in scaler.scale_],
        "feature_coef": [_round(c) for c in coef[n_terms:]],
        "intercept": _round(float(classifier.intercept_[0])),
    }


def dumps_model(model: dict[str, Any]) -> str:
    """Byte-stable serialisation: fixed key order, no platform-dependent whitespace."""
    return json.dumps(model, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def train(transcripts: Sequence[Transcript], c: float | None = None) -> dict[str, Any]:
    """The exported model trained on `transcripts`, with `c` or else the C that `choose_c` picks on them."""
    chosen = choose_c(transcripts) if c is None else c
    return export_model(fit_pipeline(transcripts, chosen), transcripts, chosen)


def build_model_text(data_dir: Path | str = DEFAULT_DATA_DIR) -> str:
    """The exact contents of the committed model file, rebuilt from the data."""
    return dumps_model(train(read_corpus(data_dir)))


def inner_folds(transcripts: Sequence[Transcript], k: int = INNER_FOLDS) -> list[list[Transcript]]:
    """`transcripts` in k groups, each kind spread over all of them (sorted by kind and name, dealt
    round-robin), so every fold validates on debates and speeches alike. Deterministic."""
    ordered = sorted(transcripts, key=lambda t: (transcript_kind(t), t.name))
    folds: list[list[Transcript]] = [[] for _ in range(min(k, len(ordered)))]
    for i, transcript in enumerate(ordered):
        folds[i % len(folds)].append(transcript)
    return folds


def choose_c(transcripts: Sequence[Transcript]) -> float:
    """The C of C_GRID with the best MAP over grouped folds of `transcripts` (ties: the first, smallest).

    Only `transcripts` are looked at: inside nested cross-validation these are the outer training
    transcripts, never the one being scored."""
    folds = inner_folds(transcripts)
    if len(folds) < 2:
        return 1.0
    best_c, best_map = C_GRID[0], -1.0
    for c in C_GRID:
        aps = []
        for i, held in enumerate(folds):
            ranker = Ranker(export_model(fit_pipeline(_others(folds, i), c), (), c))
            for test in held:
                scores = ranker.score_sentences(test.texts, test.speakers)
                aps.append(average_precision(test.labels or (), scores))
        mean = math.fsum(aps) / len(aps)
        if mean > best_map:
            best_c, best_map = c, mean
    return best_c


def _others(folds: Sequence[Sequence[Transcript]], i: int) -> list[Transcript]:
    return [t for j, fold in enumerate(folds) if j != i for t in fold]


# --- evaluation --------------------------------------------------------------------------------------


def rank(scores: Sequence[float]) -> list[int]:
    """Indices by descending score; ties keep document order so results are deterministic."""
    return sorted(range(len(scores)), key=lambda i: (-scores[i], i))


def average_precision(labels: Sequence[int], scores: Sequence[float]) -> float:
    """CLEF-style AP: mean of precision at the rank of each relevant sentence (0 if there is none)."""
    hits = 0
    total = 0.0
    for position, i in enumerate(rank(scores), start=1):
        if labels[i]:
            hits += 1
            total += hits / position
    n_relevant = sum(labels)
    return total / n_relevant if n_relevant else 0.0


def precision_at(labels: Sequence[int], scores: Sequence[float], k: int) -> float:
    top = rank(scores)[:k]
    return sum(labels[i] for i in top) / k


@dataclass(frozen=True)
class FoldResult:
    transcript: str
    kind: str
    c: float  # the C chosen on the other transcripts
    sentences: int
    positives: int
    average_precision: float
    p_at_5: float
    p_at_10: float


@dataclass(frozen=True)
class EvaluationResult:
    folds: tuple[FoldResult, ...]

    @property
    def mean_average_precision(self) -> float:
        return math.fsum(f.average_precision for f in self.folds) / len(self.folds)

    def kind_map(self, kind: str) -> float | None:
        """MAP over the transcripts of one kind, as the lab reported it (None if there are none)."""
        aps = [f.average_precision for f in self.folds if f.kind == kind]
        return math.fsum(aps) / len(aps) if aps else None

    @property
    def mean_p_at_5(self) -> float:
        return math.fsum(f.p_at_5 for f in self.folds) / len(self.folds)

    @property
    def mean_p_at_10(self) -> float:
        return math.fsum(f.p_at_10 for f in self.folds) / len(self.folds)


def evaluate_fold(train_set: Sequence[Transcript], test: Transcript) -> FoldResult:
    """Choose and train on train_set alone, score test with the *exported* scorer (what ships)."""
    if test.labels is None:
        raise ValueError(f"{test.name} has no labels")
    model = train(train_set)
    scores = Ranker(model).score_sentences(test.texts, test.speakers)
    return FoldResult(
        transcript=test.name,
        kind=transcript_kind(test),
        c=float(model["trained_on"]["c"]),
        sentences=len(test.texts),
        positives=sum(test.labels),
        average_precision=average_precision(test.labels, scores),
        p_at_5=precision_at(test.labels, scores, 5),
        p_at_10=precision_at(test.labels, scores, 10),
    )


def nested_cross_validation(transcripts: Sequence[Transcript]) -> EvaluationResult:
    """Leave one transcript out, with every choice (C) made by `choose_c` on the other transcripts."""
    folds = [
        evaluate_fold([t for j, t in enumerate(transcripts) if j != i], test)
        for i, test in enumerate(transcripts)
    ]
    return EvaluationResult(tuple(folds))


def format_report(result: EvaluationResult) -> str:
    lines = ["transcript\tkind\tC\tsentences\tpositives\tAP\tP@5\tP@10"]
    for f in result.folds:
        lines.append(
            f"{f.transcript}\t{f.kind}\t{f.c:g}\t{f.sentences}\t{f.positives}\t"
            f"{f.average_precision:.4f}\t{f.p_at_5:.3f}\t{f.p_at_10:.3f}"
        )
    lines.append(
        f"MEAN ({len(result.folds)} transcripts)\t\t\t{sum(f.sentences for f in result.folds)}\t"
        f"{sum(f.positives for f in result.folds)}\t{result.mean_average_precision:.4f}\t"
        f"{result.mean_p_at_5:.3f}\t{result.mean_p_at_10:.3f}"
    )
    for kind, plural in (("debate", "debates"), ("speech", "speeches")):
        value = result.kind_map(kind)
        count = sum(1 for f in result.folds if f.kind == kind)
        if value is not None:
            lines.append(f"MAP {plural} ({count})\t{value:.4f}")
    return "\n".join(lines)
