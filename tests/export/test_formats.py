"""The export format table (export/formats.py) drives the CLI's choices, what is legal and the bench's references."""

from __future__ import annotations

import dataclasses

import pytest

from stylelite.cli.main import build_parser
from stylelite.export import formats
from stylelite.export.export_config import ExportConfig
from stylelite.export.formats import EXPORT_FORMATS, FORMATS, PRECISIONS, ExportFormat, check_model, reference_sweep
from stylelite.runtime.errors import ConfigError, ExportError
from stylelite.runtime.metadata import ArtifactMetadata
from stylelite.runtime.reference import REFERENCE_ARTIFACTS, REFERENCE_DIR


def _choices(parser, dest: str) -> tuple:
    sub = next(a for a in parser._actions if a.dest == "command").choices["export"]
    return tuple(next(a for a in sub._actions if a.dest == dest).choices)


def test_cli_choices_come_from_the_table():
    parser = build_parser("export")
    assert _choices(parser, "format") == FORMATS == ("onnx", "tflite")
    assert _choices(parser, "precision") == PRECISIONS == ("fp32", "fp16", "int8", "auto")


def test_the_bench_references_are_the_tables_sweep():
    assert reference_sweep() == REFERENCE_ARTIFACTS
    assert all((REFERENCE_DIR / name).is_file() for name, _ in reference_sweep().values())


def test_refusals_say_what_to_do():
    with pytest.raises(ConfigError, match="--precision auto times onnxruntime kernels; for TFLite"):
        ExportConfig(format="tflite", precision="auto", dynamic=False)
    with pytest.raises(ConfigError, match=r"TFLite export needs a fixed input size: add --static-size N"):
        ExportConfig(format="tflite")
    with pytest.raises(ConfigError, match=r"format 'coreml' is not supported yet \(supported: onnx, tflite\)"):
        ExportConfig(format="coreml")
    styled = ArtifactMetadata(model="multistyle", styles=("ink", "wash"))
    legal = "ONNX fp32 or fp16 and TFLite fp32 or fp16 only"
    with pytest.raises(ExportError, match=rf"style-conditioned \(ink, wash\); .* {legal}, not onnx int8"):
        check_model(styled, ExportConfig(precision="int8"))
    with pytest.raises(ExportError, match=rf"{legal}, not tflite int8"):
        check_model(styled, ExportConfig(format="tflite", precision="int8", dynamic=False))
    check_model(styled, ExportConfig(precision="fp16"))  # legal: no error
    check_model(styled, ExportConfig(format="tflite", precision="fp16", dynamic=False))
    recurrent = ArtifactMetadata(model="mobilegen_t_050", recurrent="prev_output")
    with pytest.raises(ExportError, match=r"recurrent .*prev_output.* ONNX fp32 or fp16 only, not tflite fp32"):
        check_model(recurrent, ExportConfig(format="tflite", dynamic=False))


def test_a_new_format_is_one_table_entry(monkeypatch):
    onnx = EXPORT_FORMATS["onnx"]
    new = ExportFormat("ort", "ORT", ".ort", onnx.convert, ("fp32",), kinds={"styled": ("fp32",)}, dynamic=False)
    monkeypatch.setattr(formats, "EXPORT_FORMATS", {**EXPORT_FORMATS, "ort": new})
    monkeypatch.setattr(formats, "FORMATS", (*FORMATS, "ort"))
    config = ExportConfig(format="ort", dynamic=False)
    with pytest.raises(ConfigError, match="ORT takes --precision fp32, not fp16"):
        dataclasses.replace(config, precision="fp16")
    styled = ArtifactMetadata(model="multistyle", styles=("ink",))
    check_model(styled, config)
    with pytest.raises(ExportError, match="ONNX fp32 or fp16, TFLite fp32 or fp16 and ORT fp32 only, not onnx int8"):
        check_model(styled, ExportConfig(precision="int8"))
