"""An edited `search-files.json` (workflows/search_folder.py): anything but what the search wrote is one line."""

from __future__ import annotations

import pytest

from stylelite.runtime.errors import InputError
from stylelite.workflows.search_folder import RECORD, SearchFolder


@pytest.mark.parametrize(
    "text",
    [
        '{"files": {"models/teacher.onnx": {"settings": 5, "sha256": "ab"}}}',
        '{"files": {"models/teacher.onnx": {"settings": [1], "sha256": "ab"}}}',
        '{"files": {"models/teacher.onnx": {"settings": {"steps": 4}, "sha256": 7}}}',
        '{"files": ' + "[" * 100_000 + "]" * 100_000 + "}",  # nested past the JSON reader's recursion
    ],
    ids=["settings-int", "settings-list", "sha-int", "deep"],
)
def test_an_edited_record_is_one_line(tmp_path, text):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "teacher.onnx").write_bytes(b"abc")
    (tmp_path / RECORD).write_text(text)
    with pytest.raises(InputError, match=f"{RECORD} is unreadable: remove .* and run the search again"):
        SearchFolder(tmp_path).reusable(tmp_path / "models" / "teacher.onnx", {"steps": 4})


def test_a_recorded_path_outside_the_folder_is_never_used(tmp_path):
    (tmp_path / RECORD).write_text('{"files": {"../../outside.onnx": {"settings": {}, "sha256": "ab"}}}')
    (tmp_path.parent / "keep").mkdir(exist_ok=True)
    folder = SearchFolder(tmp_path)
    folder.clean()
    assert (tmp_path.parent / "keep").is_dir()
    (tmp_path / "models" / "teacher.onnx").write_bytes(b"abc")
    assert folder.reusable(tmp_path / "models" / "teacher.onnx", {"steps": 4}) is False  # no record: made again
