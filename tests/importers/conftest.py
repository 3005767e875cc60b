from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
# Copies of the workspace's shared samples (fixtures/shared/README.md says where they come from),
# so the tests run from a clean clone and in CI.
SHARED = FIXTURES / "shared"


def shared_file(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():  # the copies are in the repository: a missing one is a failure
        raise FileNotFoundError(path)
    return path
