from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
# The workspace's shared data sits beside the repository (README: "kept beside this repository").
SHARED = Path(__file__).resolve().parents[2].parent / "shared"


def shared_file(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not here: the shared data sits beside the repository")
    return path
