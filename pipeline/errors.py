"""Errors a user can act on, each mapped to a documented exit code.

Every message names what went wrong and, where there is one, what to do about it; the CLI prints
it on one line and exits with the class's code (listed in the README).
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    ok = 0
    input_failed = 1  # one or more inputs could not be processed; each was reported
    usage = 2  # bad command line (click's own code)
    missing_dependency = 3  # Tesseract or its Vietnamese data is not installed
    output_error = 4  # the output location cannot be written
    cluster_unreachable = 5  # --scheduler names a Dask scheduler that cannot be reached
    output_busy = 6  # another vnplan run is writing into the same output folder
    manifest_unusable = 7  # OUT/manifest.sqlite is damaged, foreign or from a newer vnplan
    interrupted = 130  # Ctrl-C


class VnplanError(Exception):
    """Base class: a failure with a message meant for the user."""

    exit_code = ExitCode.input_failed


class InputError(VnplanError):
    """One input document cannot be read; a batch records it and goes on."""

    exit_code = ExitCode.input_failed

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class MissingDependencyError(VnplanError):
    exit_code = ExitCode.missing_dependency


class OutputError(VnplanError):
    exit_code = ExitCode.output_error


class ManifestError(OutputError):
    """The output folder's manifest cannot be used as it is: left untouched, so nothing the
    user may want to recover is overwritten."""

    exit_code = ExitCode.manifest_unusable


class OutputBusyError(VnplanError):
    exit_code = ExitCode.output_busy


class ClusterError(VnplanError):
    exit_code = ExitCode.cluster_unreachable
