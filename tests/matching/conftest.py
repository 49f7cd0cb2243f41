"""The WordLlama model is loaded once per process (`dense.load_model` is cached); this warms it once."""

import pytest

from annotations.matching import dense


@pytest.fixture(scope="session")
def model():
    return dense.load_model()
