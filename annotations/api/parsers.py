"""The API's JSON parser: DRF's, with a depth limit that answers 400."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """The standard library's decoder recurses once per level of nesting: a body nested 10,000 deep ends
    in RecursionError (a 500) after about a thousand levels. That is the depth limit; it answers 400."""

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply") from None
