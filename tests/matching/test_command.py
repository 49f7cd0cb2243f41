"""`manage.py match_claims`: TREC lines, best first; malformed input is a clear error naming file:line."""

import io

import pytest
from django.core.management import CommandError, call_command

VERIFIED = (
    "\tvclaim\ttitle\n"
    "0\tAround 160,000 asylum seekers have arrived since April 2022.\tDid 160,000 asylum seekers arrive?\n"
    "1\tThe measles vaccine causes autism.\tDoes the MMR vaccine cause autism?\n"
    '2\t"Mexico is paying for the ""big"" wall."\tIs Mexico paying for the wall?\n'
    "3\tA shark swam on a flooded highway.\tShark on the highway?\n"
    "4\tEating pizza lowers heart disease.\tPizza and the heart\n"
    "5\tIran offered an $80 million bounty for Trump.\tDid Iran offer a bounty?\n"
)
QUERIES = (
    "\ttweet_content\n"
    "q1\tabout 160,000 people seeking asylum since April 2022 #immigration\n"
    "q2\tMMR jab gives kids autism!! https://t.co/x\n"
    "q3\tIran's regime: $80M reward for Trump's head\n"
)


def run(tmp_path, verified=VERIFIED, queries=QUERIES, *args):
    v, q = tmp_path / "verified.tsv", tmp_path / "queries.tsv"
    v.write_text(verified, encoding="utf-8")
    q.write_text(queries, encoding="utf-8")
    out = io.StringIO()
    call_command("match_claims", "--verified", str(v), str(q), *args, stdout=out)
    return out.getvalue().splitlines()


def test_trec_lines(tmp_path, model):
    lines = run(tmp_path, VERIFIED, QUERIES, "--top", "4", "--run-name", "mine")
    by_query: dict[str, list[list[str]]] = {}
    for line in lines:
        fields = line.split()
        assert len(fields) == 6, line
        by_query.setdefault(fields[0], []).append(fields)
    assert list(by_query) == ["q1", "q2", "q3"]  # input order
    for fields in by_query.values():
        assert [f[1] for f in fields] == ["Q0"] * 4
        assert [int(f[3]) for f in fields] == [1, 2, 3, 4]
        scores = [float(f[4]) for f in fields]
        assert scores == sorted(scores, reverse=True)
        assert {f[5] for f in fields} == {"mine"}
        assert len({f[2] for f in fields}) == 4
    assert [by_query[q][0][2] for q in ("q1", "q2", "q3")] == ["0", "1", "5"]


def test_default_top_is_five_and_run_name(tmp_path, model):
    lines = run(tmp_path)
    assert len(lines) == 3 * 5
    assert all(line.split()[5] == "newsroom" for line in lines)


@pytest.mark.parametrize(
    ("verified", "queries", "message"),
    [
        (VERIFIED + "6 only-one-field-no-tab\n", QUERIES, "verified.tsv:8: 1 tab-separated field(s)"),
        (VERIFIED + "7\ta\tb\tc\n", QUERIES, "verified.tsv:8: 4 tab-separated field(s)"),
        (VERIFIED + "1\tdup id\tx\n", QUERIES, "verified.tsv:8: id '1' appears twice"),
        (VERIFIED + "\tno id\tx\n", QUERIES, "verified.tsv:8: id is missing"),
        (VERIFIED, QUERIES + "q4\n", "queries.tsv:5: 1 tab-separated field(s)"),
        (VERIFIED, QUERIES + "q4\ttext\textra\n", "queries.tsv:5: 3 tab-separated field(s)"),
        (VERIFIED, QUERIES + "q 4\ttext\n", "queries.tsv:5: id 'q 4' contains whitespace"),
        (VERIFIED, QUERIES + "q5\t \n", "queries.tsv:5: text is missing"),
        ("\tvclaim\ttitle\n", QUERIES, "no verified claims"),
    ],
)
def test_malformed_input(tmp_path, verified, queries, message):
    with pytest.raises(CommandError) as raised:
        run(tmp_path, verified, queries)
    assert message in str(raised.value)


def test_not_utf8_and_missing_file(tmp_path):
    (tmp_path / "verified.tsv").write_bytes(b"0\t\xff\xfe claim\ttitle\n")
    (tmp_path / "queries.tsv").write_text("q\ttext\n", encoding="utf-8")
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command(
            "match_claims", "--verified", str(tmp_path / "verified.tsv"), str(tmp_path / "queries.tsv")
        )
    with pytest.raises(CommandError, match="No such file"):
        call_command("match_claims", "--verified", str(tmp_path / "nope.tsv"), str(tmp_path / "queries.tsv"))


def test_bad_options(tmp_path):
    with pytest.raises(CommandError, match="--top"):
        run(tmp_path, VERIFIED, QUERIES, "--top", "0")
    with pytest.raises(CommandError, match="--run-name"):
        run(tmp_path, VERIFIED, QUERIES, "--run-name", "two words")
