from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
# Copies of the workspace's shared samples (fixtures/shared/README.md says where they come from),
# so the tests run from a clean clone and in CI.
SHARED = FIXTURES / "shared"


def shared_file(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not here: the shared data sits beside the repository")
    return path
