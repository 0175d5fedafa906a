"""What vnplan needs from the system (Tesseract and its language data), checked with the
command to install what is missing.

Light on purpose (the standard library only): a batch's parent checks Tesseract before it starts
its workers, and it imports none of the page work (OpenCV, NumPy) that :mod:`pipeline.ocr`
brings.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache

from pipeline.errors import MissingDependencyError


@cache
def check_tesseract(lang: str) -> None:
    """Fail early, once, with the install command, instead of per page with a traceback."""
    if shutil.which("tesseract") is None:
        raise MissingDependencyError(
            "Tesseract is not installed: run 'make setup' or 'apt-get install tesseract-ocr'"
        )
    available = tesseract_languages()
    missing = [code for code in lang.split("+") if code not in available]
    if missing:
        packages = " ".join(f"tesseract-ocr-{code}" for code in missing)
        raise MissingDependencyError(
            f"Tesseract has no language data for {', '.join(missing)}: "
            f"run 'apt-get install {packages}'"
        )


_LANGUAGE_CODE = re.compile(r"[a-z_]+")  # a line of `tesseract --list-langs` naming one


def tesseract_languages() -> set[str]:
    """The languages the installed Tesseract has data for, as ``tesseract --list-langs``
    lists them under its heading line."""
    try:
        listing = subprocess.run(
            ["tesseract", "--list-langs"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            check=False,
        )
    except OSError as error:
        raise MissingDependencyError(f"Tesseract cannot be run ({error})") from error
    if listing.returncode not in (0, 1):  # 1: Tesseract 3's exit code for a listing
        raise MissingDependencyError(
            f"Tesseract cannot be run ('tesseract --list-langs' exit code {listing.returncode})"
        )
    lines = listing.stdout.decode("utf-8", errors="replace").splitlines()
    return {line.strip() for line in lines if _LANGUAGE_CODE.fullmatch(line.strip())}
