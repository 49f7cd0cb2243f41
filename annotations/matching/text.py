"""Text clean-up shared by both retrievers: drop what a tweet or a page adds around a claim's words.

URLs go; @handles and #hashtags become words ("@realDonaldTrump" -> "real Donald Trump"), because who is
speaking or named is often the claim ("Ilhan Omar advised Iran..."); every quotation mark becomes a
plain apostrophe.
"""

import re

URL = re.compile(r"(?:https?://|www\.|pic\.twitter\.com/)\S*", re.IGNORECASE)
TAG = re.compile(r"[@#](\w+)")
CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")
SPACE = re.compile(r"\s+")
# Every quotation mark becomes a plain one: the fact-check list holds the same claim with '...' and "...".
QUOTES = str.maketrans(dict.fromkeys('"‘’‚‛“”„«»′', "'"))


def _words(match: re.Match[str]) -> str:
    return " " + CAMEL.sub(" ", match.group(1).replace("_", " ")) + " "


def clean(text: str) -> str:
    text = URL.sub(" ", text)
    text = TAG.sub(_words, text)
    text = text.translate(QUOTES)
    return SPACE.sub(" ", text).strip()
