#!/usr/bin/env python3
"""Pull every claim from a Newsroom claims server into a JSONL file, incrementally. Standard library only.

    NEWSROOM_TOKEN=nrc_... python examples/sync_claims.py --base-url http://127.0.0.1:8000 --out claims.jsonl

The first run pulls everything; later runs pull only what changed since, appending each new version of a
claim as one line (`id` and `version` tell versions apart; the last line for an id is its current state).
Each (id, version) is written exactly once, even across interrupted runs:

* the server lists claims in (updated_at, id) order when asked `updated_since`, and its cursor pages never
  skip or repeat a row;
* each run starts a few minutes before the last change it saw (`--overlap`), so a change that committed
  late with an earlier timestamp is still picked up, and the (id, version) pairs already written in that
  window are remembered in the state file so they are not written twice;
* after every page the file is flushed and the state file (next to it: OUT.state.json) is replaced
  atomically with the file's length; a run that died mid-page truncates the file back to that length.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

EPOCH = "1970-01-01T00:00:00+00:00"


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def get_json(url: str, token: str, attempts: int = 6) -> dict[str, Any]:
    """GET a JSON page, waiting out rate limits (429 + Retry-After) and retrying server errors."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise SystemExit(f"{url}: only http and https URLs are fetched")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above: http or https only
        url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
    )
    for attempt in range(attempts):
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - scheme checked above
                return json.load(response)  # type: ignore[no-any-return]
        except urllib.error.HTTPError as error:
            if error.code == 429 or error.code >= 500:
                wait = float(error.headers.get("Retry-After") or 2**attempt)
                print(f"server said {error.code}; retrying in {wait:.0f}s", file=sys.stderr)
                time.sleep(wait)
                continue
            detail = error.read().decode("utf-8", "replace")
            raise SystemExit(f"{url}: HTTP {error.code}: {detail}") from None
        except urllib.error.URLError as error:
            if attempt == attempts - 1:
                raise SystemExit(f"{url}: {error.reason}") from None
            time.sleep(2**attempt)
    raise SystemExit(f"{url}: gave up after {attempts} attempts")


def load_state(path: Path) -> dict[str, Any]:
    if path.exists():
        return json.loads(path.read_text())  # type: ignore[no-any-return]
    return {"since": EPOCH, "bytes": 0, "seen": {}}


def save_state(path: Path, state: dict[str, Any]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(state))
    os.replace(temporary, path)  # atomic: the state is the old one or the new one, never half of each


def sync(base_url: str, token: str, out: Path, state_path: Path, page_size: int, overlap: timedelta) -> int:
    state = load_state(state_path)
    since = parse_time(state["since"])
    query_since = (since - overlap) if state["since"] != EPOCH else since
    seen: dict[str, str] = state["seen"]
    query = urllib.parse.urlencode({"updated_since": query_since.isoformat(), "page_size": page_size})
    url: str | None = f"{base_url.rstrip('/')}/api/v1/claims/?{query}"
    written = 0
    with open(out, "ab") as file:
        file.truncate(state["bytes"])  # drop the tail of a page whose run died before saving the state
        file.seek(state["bytes"])
        while url:
            page = get_json(url, token)
            for claim in page["results"]:
                key = f"{claim['id']}:{claim['version']}"
                if key in seen:
                    continue
                file.write(json.dumps(claim, ensure_ascii=False).encode("utf-8") + b"\n")
                seen[key] = claim["updated_at"]
                since = max(since, parse_time(claim["updated_at"]))
                written += 1
            file.flush()
            os.fsync(file.fileno())
            horizon = since - overlap
            state = {
                "since": since.isoformat(),
                "bytes": file.tell(),
                # Only pairs inside the overlap window can come back: the state stays small.
                "seen": {key: moment for key, moment in seen.items() if parse_time(moment) >= horizon},
            }
            seen = state["seen"]
            save_state(state_path, state)
            url = page["next"]
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--token", default=os.environ.get("NEWSROOM_TOKEN", ""), help="or NEWSROOM_TOKEN")
    parser.add_argument("--out", type=Path, default=Path("claims.jsonl"))
    parser.add_argument("--state", type=Path, default=None, help="default: OUT.state.json")
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--overlap", type=int, default=300, help="seconds re-read before the last change")
    args = parser.parse_args()
    if not args.token:
        parser.error("give --token or set NEWSROOM_TOKEN (create one on the server's API tokens page)")
    state = args.state or args.out.with_name(args.out.name + ".state.json")
    count = sync(args.base_url, args.token, args.out, state, args.page_size, timedelta(seconds=args.overlap))
    print(f"{count} new claim version(s) written to {args.out}")


if __name__ == "__main__":
    main()
