"""Rebuild tests/data/student.onnx, the small ONNX student the torch-free runtime tests run:

    python tests/data/make_student.py

It is the untrained `mobilegen_s_025` exported as `stylelite export mobilegen_s_025` does, so the runtime
suite needs no torch; tests/export/test_committed_student.py checks it still matches a fresh export.
"""

from pathlib import Path

from stylelite.export.api import export_model

if __name__ == "__main__":
    res = export_model("mobilegen_s_025", Path(__file__).with_name("student.onnx"))
    print(f"wrote {res.path} ({res.size_mb:.3f} MB), verified at {res.verification.psnr_db:.1f} dB")
