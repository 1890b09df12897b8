"""The sherpa-onnx model directories the benchmarks run: the tiny trained one and a random one
of the 70 M zipformer's size, built into ``.work/`` when first asked for (270 MB that no test
needs, so never in a test's way)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tools.random_sherpa import SIZES, quantize_release

REPO = Path(__file__).resolve().parents[1]
TINY_SHERPA = REPO / "tests" / "fixtures" / "tiny-sherpa"
WORK = REPO / ".work" / "bench"
SEED = 0


def random_70m(int8: bool) -> Path:
    """The random 70 M zipformer, fp32 or with the int8 files beside (the engine prefers
    them, as with a release). Built once: written under a temporary name, then renamed, so
    a directory found there is complete."""
    directory = WORK / ("sherpa-70m-int8" if int8 else "sherpa-70m")
    if directory.is_dir():
        return directory
    partial = directory.with_name(directory.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    if int8:  # the fp32 files are the same seed's: linked, not made again
        shutil.copytree(random_70m(False), partial, copy_function=os.link)
        quantize_release(partial)
    else:
        partial.mkdir(parents=True)
        SIZES["70m"](partial, SEED, False)
    partial.rename(directory)
    return directory
