"""WordLlama sentence embeddings: the 16 MB model inside the wordllama wheel, never a download.

`WordLlama.load()` alone would look for the tokenizer under ``wordllama/tokenizer/`` (it ships in
``wordllama/tokenizers/``) and then fetch it from Hugging Face into ``~/.cache``. Pointing `cache_dir` at the
package folder, whose ``weights/`` and ``tokenizers/`` subfolders are the cache layout, with
`disable_download=True`, finds both files in the wheel and makes a missing file an error, not a download.
"""

import hashlib
import logging
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from annotations.matching.text import clean

DIMENSIONS = 256
# Names the model in a stored vector's key: another model (or size) never reads this one's vectors.
MODEL = f"wordllama-0.4-l2_supercat-{DIMENSIONS}"
Matrix = npt.NDArray[np.float32]


def key(text: str) -> str:
    """The address of `text`'s embedding by this model (a stored vector's primary key)."""
    return hashlib.sha256(f"{MODEL}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()


@cache
def load_model() -> Any:
    """The model, loaded once per process (about half a second)."""
    # wordllama calls logging.basicConfig(level=INFO) at import: keep the process's logging as it was.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    import wordllama
    from wordllama import WordLlama

    root.handlers[:] = handlers
    root.setLevel(level)

    package = Path(wordllama.__file__).resolve().parent
    return WordLlama.load(cache_dir=package, dim=DIMENSIONS, disable_download=True)


def embed(texts: Sequence[str], batch_size: int = 256) -> Matrix:
    """Unit-length float32 rows, one per text (an empty text gets a zero row: it matches nothing)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    cleaned = [clean(t) or t for t in texts]
    vectors = np.asarray(load_model().embed(cleaned, norm=False, batch_size=batch_size), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: Matrix = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    return unit


def cosines(query: Matrix, matrix: Matrix) -> Matrix:
    """Cosine of one unit query vector with every unit row of `matrix`."""
    return np.asarray(matrix @ query.reshape(-1), dtype=np.float32)


def to_bytes(vector: Matrix) -> bytes:
    """A vector as little-endian float32 bytes (a bytea column)."""
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes) -> Matrix:
    return np.frombuffer(data, dtype="<f4").astype(np.float32)
