"""okta.idp_reach: data-file diffs (each file's `about` cites the recording or spec line of its shapes)."""

from __future__ import annotations

import pytest

from tests.kinds import datafiles

CASES = datafiles.cases("idp_reach")


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_diff_data_files(path):
    datafiles.run("okta.idp_reach", path)
