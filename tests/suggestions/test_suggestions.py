"""Suggestions: sentence splitting, numeric-claim spotting, check-worthiness ranking (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotations.suggestions import (
    load_ranker,
    score_article,
    shown_count,
    split_sentences,
    spot_figures,
    suggest,
)
from annotations.suggestions.ranker import Ranker
from annotations.suggestions.spotter import Figure
from annotations.suggestions.suggest import SENTENCE_THRESHOLD, figure_score
from annotations.suggestions.training import (
    C_GRID,
    DEFAULT_DATA_DIR,
    Transcript,
    average_precision,
    choose_c,
    dumps_model,
    evaluate_fold,
    export_model,
    fit_pipeline,
    format_report,
    inner_folds,
    nested_cross_validation,
    pipeline_scores,
    precision_at,
    read_transcript,
    transcript_kind,
)
from tests.suggestions.articles import long_article

ARTICLE = (Path(__file__).resolve().parents[2] / "benchmarks" / "ice-nyc-sanctuary-talks.txt").read_text(
    encoding="utf-8"
)

# --- spotter ---------------------------------------------------------------------------------------

POSITIVE = [
    (
        "New York City has accepted around 160,000 asylum seekers since April 2022, forcing leaders.",
        "around 160,000 asylum seekers since April 2022",
        "quantity",
    ),
    ("The number of arrests doubled.", "doubled", "change"),
    ("One in five children lives in poverty.", "One in five children", "proportion"),
    ("The agency got $12 billion in aid.", "$12 billion", "money"),
    ("Inflation hit 3.5% last year.", "3.5% last year", "rate"),
    ("Sales have tripled since 2019.", "tripled since 2019", "change"),
    ("They account for half of all deaths.", "half of all deaths", "proportion"),
    ("A record 2 million people crossed.", "A record 2 million people", "quantity"),
    ("Turnout rose by nearly 5 percent in 2020.", "rose by nearly 5 percent in 2020", "change"),
    ("A trade deficit of almost $800 billion a year.", "almost $800 billion a year", "money"),
    ("Thousands of Americans have been killed.", "Thousands of Americans", "quantity"),
    ("He spent hundreds of millions of dollars.", "hundreds of millions of dollars", "quantity"),
    ("The rate is 12 deaths per 100,000 people.", "12 deaths per 100,000 people", "rate"),
    ("Unemployment fell to 4.1% in March.", "fell to 4.1% in March", "change"),
    ("Two-thirds of voters agree.", "Two-thirds of voters", "proportion"),
    ("A £5m fund was set up.", "£5m", "money"),
    ("More than 3 million jobs were created.", "More than 3 million jobs", "quantity"),
    ("The state spent $4.2 billion on shelters.", "$4.2 billion", "money"),
    ("Unemployment is 12 percent.", "12 percent", "rate"),
    ("Life expectancy rose by 3 years.", "rose by 3 years", "change"),
    (
        "There were 160,000 asylum seekers in the last 10 years.",
        "160,000 asylum seekers in the last 10 years",
        "quantity",
    ),
]

NEGATIVE = [
    "See page 12 and p. 4 for details.",
    "The meeting starts at 3:30 p.m. and ends at 10am.",
    "Call (212) 555-1234 or 212-555-9876.",
    "On Monday, March 3, officials met.",
    "As noted in the report.[3] It was fine.",
    "Section 3.2.1 describes the 21st century rules.",
    "Send mail to New York, NY 10001 now.",
    "Former Mayor Bill de Blasio in 2014 signed into law a bill that doubled down on it.",
    "COVID-19 hit the F-35 program. He is a 35-year-old man.",
    "At least we're back at the table and speaking with one another again.",
    "Chapter 7 and Article 5 apply, as does Title 42.",
]

# Durations and ages say when or how long, not what to check.
DURATIONS_AND_AGES = [
    "The meeting lasted 11 hours.",
    "He served 3 years in prison.",
    "A 45-year-old man was arrested.",
    "The victim is 45 years old.",
    "She waited two weeks for a reply.",
    "For more than 30 years the law stood.",
    "People have farmed here for hundreds of years.",
    "He worked 12 hours a day, up to two minutes a call.",
]


@pytest.mark.parametrize(("sentence", "expected", "kind"), POSITIVE)
def test_spotter_finds_figure_with_its_span(sentence: str, expected: str, kind: str) -> None:
    figures = spot_figures(sentence)
    assert [f.text for f in figures] == [expected]
    assert figures[0].kind == kind
    assert sentence[figures[0].start : figures[0].end] == expected


@pytest.mark.parametrize("sentence", NEGATIVE)
def test_spotter_ignores_non_claims(sentence: str) -> None:
    assert spot_figures(sentence) == []


@pytest.mark.parametrize("sentence", DURATIONS_AND_AGES)
def test_spotter_does_not_offer_durations_and_ages_as_figures(sentence: str) -> None:
    assert spot_figures(sentence) == []


def test_spotter_offsets_are_code_points_after_emoji() -> None:
    text = "🎉🎉 Prices rose 3.5% since 2019 👍 and 2 million people left."
    figures = spot_figures(text)
    assert [f.text for f in figures] == ["rose 3.5% since 2019", "2 million people"]
    assert all(text[f.start : f.end] == f.text for f in figures)
    assert figures[0].time_bound


def test_spotter_on_demo_article() -> None:
    texts = [f.text for f in spot_figures(ARTICLE)]
    assert "around 160,000 asylum seekers\xa0since\xa0April 2022" in texts


# --- sentences --------------------------------------------------------------------------------------


def test_split_sentences_offsets_and_abbreviations() -> None:
    text = "Mr. Smith went to the U.S. Army base. He said “No.” Then 😀 he left!\n\nNew paragraph here"
    spans = split_sentences(text)
    assert [s.text for s in spans] == [
        "Mr. Smith went to the U.S. Army base.",
        "He said “No.”",
        "Then 😀 he left!",
        "New paragraph here",
    ]
    assert all(text[s.start : s.end] == s.text for s in spans)


def test_split_sentences_newline_is_a_break_and_decimals_are_not() -> None:
    text = "Headline without a full stop\nIt rose 3.5% at 10 a.m. Monday. In the U.S. The end."
    assert [s.text for s in split_sentences(text)] == [
        "Headline without a full stop",
        "It rose 3.5% at 10 a.m. Monday.",
        "In the U.S.",
        "The end.",
    ]


def test_split_sentences_demo_article_round_trips() -> None:
    spans = split_sentences(ARTICLE)
    assert len(spans) == 22
    assert all(ARTICLE[s.start : s.end] == s.text and s.text == s.text.strip() for s in spans)
    assert any(
        s.text.startswith("“I give them kudos — the prior administration under Mr. de Blasio") for s in spans
    )
    assert split_sentences("") == [] and split_sentences(" \n\n ") == []


# --- ranker -----------------------------------------------------------------------------------------


def test_ranker_scores_each_sentence_in_unit_interval_and_is_deterministic() -> None:
    texts = [
        "Thank you very much.",
        "We have lost 70,000 factories and 5 million manufacturing jobs since 2001.",
        "Good evening, everyone.",
    ]
    ranker = load_ranker()
    scores = ranker.score_sentences(texts)
    assert len(scores) == 3 and all(0.0 <= s <= 1.0 for s in scores)
    assert scores == load_ranker().score_sentences(texts)
    assert load_ranker() is ranker  # cached
    assert scores[1] > scores[0] and scores[1] > scores[2]


def test_score_article_covers_sentences_with_offsets() -> None:
    scored = score_article(ARTICLE)
    assert len(scored) == len(split_sentences(ARTICLE))
    assert all(ARTICLE[s.start : s.end] == s.text for s in scored)
    best = max(scored, key=lambda s: s.score)
    assert best.score > min(s.score for s in scored)


def test_ranker_speakers_must_match_texts() -> None:
    with pytest.raises(ValueError):
        load_ranker().score_sentences(["a", "b"], speakers=["X"])


# --- one ranking, and the cap ----------------------------------------------------------------------


def test_a_strong_sentence_ranks_above_a_figure_in_a_dull_one() -> None:
    text = (
        "The fair opened on Saturday and tickets cost $5 at the gate.\n\n"
        "The city has spent more on shelters than any other city in the country, and crime has fallen "
        "every year since the law passed."
    )
    found = suggest(text)
    assert [(s.kind, s.text) for s in found] == [
        ("sentence", split_sentences(text)[1].text),
        ("figure", "$5"),
    ]
    assert found[0].score > found[1].score


def test_a_figure_scores_from_its_sentence_raised_by_its_kind() -> None:
    count = Figure(0, 10, "4,000 jobs", "quantity")
    money = Figure(0, 4, "$4bn", "money")
    bound = Figure(0, 20, "4,000 jobs since 2020", "quantity", time_bound=True)
    for sentence in (0.0, 0.05, 0.3, 0.9):
        assert sentence < figure_score(sentence, count) < figure_score(sentence, money) < 1.0
        assert figure_score(sentence, count) < figure_score(sentence, bound)
    assert figure_score(0.02, money) < 0.2 < figure_score(0.3, count)  # a dull sentence's figure stays low


def test_suggestions_of_a_long_article_are_on_one_scale_best_first() -> None:
    text = long_article(words=3_000)
    found = suggest(text)
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)
    kinds = [s.kind for s in found[: shown_count(text, 5)]]
    assert "sentence" in kinds and "figure" in kinds
    assert all(s.score >= SENTENCE_THRESHOLD for s in found if s.kind == "sentence")
    assert all(text[s.start : s.end] == s.text for s in found)
    figures = {s.text for s in found if s.kind == "figure"}  # the statistics, none of the durations
    assert figures == {
        "around 160,000 asylum seekers since April 2022",
        "$4.2 billion",
        "rose to 12 percent in 2023",
    }


def test_an_article_shows_a_few_suggestions_per_thousand_words_and_a_brief_its_best_few() -> None:
    assert shown_count("word " * 15_000, 5) == 75
    assert shown_count("word " * 15_001, 5) == 76
    assert shown_count("word " * 15_000, 2) == 30
    assert shown_count("Officials said 4,000 people arrived.", 5) == 3
    assert shown_count("word " * 15_000, 0) is None


# --- training / export ------------------------------------------------------------------------------

SMALL = ["20181010_medicare", "20190108_oval_office"]


@pytest.fixture(scope="module")
def small_corpus() -> list[Transcript]:
    return [read_transcript(DEFAULT_DATA_DIR / f"{name}.tsv") for name in SMALL]


def test_exported_model_scores_like_the_sklearn_pipeline(small_corpus: list[Transcript]) -> None:
    fitted = fit_pipeline(small_corpus)
    model = export_model(fitted, small_corpus)
    probe = [
        "The wall will be paid for by Mexico.",
        "Thank you very much.",
        "Medicare spending rose 4.5% last year, to $750 billion.",
        "Unseen words: zyxwv qqqq.",
    ]
    speakers = ["TRUMP", "TRUMP", "PELOSI", "TRUMP"]
    expected = pipeline_scores(fitted, probe, speakers)
    got = Ranker(model).score_sentences(probe, speakers)
    assert got == pytest.approx(expected, rel=1e-6, abs=1e-7)
    # Rebuilding gives the same bytes.
    assert dumps_model(model) == dumps_model(export_model(fit_pipeline(small_corpus), small_corpus))


def test_one_fold_evaluates(small_corpus: list[Transcript]) -> None:
    result = evaluate_fold([small_corpus[0]], small_corpus[1])
    assert result.transcript == SMALL[1] and result.positives == 9
    assert 0.0 <= result.average_precision <= 1.0


def test_metrics() -> None:
    labels = [0, 1, 0, 1]
    scores = [0.9, 0.8, 0.1, 0.7]
    assert average_precision(labels, scores) == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert precision_at(labels, scores, 2) == 0.5
    assert average_precision([0, 0], [0.1, 0.2]) == 0.0


def test_a_span_is_covered_only_by_a_claim_around_all_of_it():
    from annotations.suggestions import covered_by

    covered = covered_by([(50, 60), (0, 10), (5, 40)])
    assert covered(0, 10) and covered(6, 39) and covered(52, 60)  # exactly, inside, inside another
    assert not covered(35, 45)  # overlaps a claim's end
    assert not covered(45, 55)  # overlaps a claim's start
    assert not covered(61, 70) and not covered_by([])(0, 1)


# --- the evaluation protocol: nested cross-validation -------------------------------------------------


def _synthetic(name: str, speakers: list[str]) -> Transcript:
    n = len(speakers)
    return Transcript(
        name=name,
        line_numbers=tuple(str(i) for i in range(1, n + 1)),
        speakers=tuple(speakers),
        texts=tuple(f"We spent {i} billion dollars more than last year." for i in range(n)),
        labels=tuple(i % 2 for i in range(n)),
    )


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("20160926_1pres", "debate"),  # two candidates and a moderator
        ("20181112_trump_pelosi", "debate"),  # three people arguing: 58 %, 22 %, 15 %
        ("20170216_trump_press", "speech"),  # reporters' QUESTION lines are not a second debater
        ("20170228_trump_address", "speech"),  # SYSTEM (applause) is not a speaker
        ("20181010_medicare", "speech"),
    ],
)
def test_transcript_kind_tells_debates_from_speeches(name: str, kind: str) -> None:
    assert transcript_kind(read_transcript(DEFAULT_DATA_DIR / f"{name}.tsv")) == kind


def test_inner_folds_spread_each_kind_over_every_fold() -> None:
    debates = [_synthetic(f"d{i}", ["A", "B"] * 5) for i in range(3)]
    speeches = [_synthetic(f"s{i}", ["A"] * 10) for i in range(4)]
    folds = inner_folds(speeches + debates)
    assert sorted(t.name for fold in folds for t in fold) == sorted(t.name for t in debates + speeches)
    assert [sum(transcript_kind(t) == "debate" for t in fold) for fold in folds] == [1, 1, 1]
    assert inner_folds(speeches + debates) == inner_folds(list(reversed(speeches + debates)))


def test_a_fold_chooses_c_on_its_training_transcripts_alone() -> None:
    corpus = [read_transcript(DEFAULT_DATA_DIR / f"{name}.tsv") for name in FOUR_SMALL]
    held, train_set = corpus[0], corpus[1:]
    fold = evaluate_fold(train_set, held)
    assert fold.c in C_GRID and fold.c == choose_c(train_set) and fold.kind == "speech"
    # The held-out transcript's labels take no part in the choice: inverting them changes its AP only.
    inverted = Transcript(
        held.name, held.line_numbers, held.speakers, held.texts, tuple(1 - y for y in held.labels or ())
    )
    other = evaluate_fold(train_set, inverted)
    assert other.c == fold.c and other.average_precision != fold.average_precision


def test_nested_cross_validation_reports_every_transcript_and_each_kind() -> None:
    corpus = [read_transcript(DEFAULT_DATA_DIR / f"{name}.tsv") for name in FOUR_SMALL]
    result = nested_cross_validation(corpus)
    assert [f.transcript for f in result.folds] == FOUR_SMALL
    assert result.kind_map("speech") == pytest.approx(result.mean_average_precision)
    assert result.kind_map("debate") is None
    report = format_report(result)
    assert "MAP speeches (4)" in report and "MAP debates" not in report


FOUR_SMALL = ["20170601_paris_climate_n", "20181010_medicare", "20182601_trump_world", "20190108_oval_office"]
