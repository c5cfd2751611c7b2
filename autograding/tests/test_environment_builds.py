"""Building a suite's environment runs outside the sandbox: nothing of a package may run there."""

from __future__ import annotations

import tarfile
import textwrap
from io import BytesIO

import pytest

from autograding import environments

SETUP = textwrap.dedent(
    """
    from pathlib import Path
    # What a hostile package's build code would do with the server's rights.
    Path({marker!r}).write_text("ran as the worker")
    from setuptools import setup
    setup(name="coursesite-sdist-only-probe", version="1.0")
    """
)


NAME = "coursesite-sdist-only-probe"


def sdist(folder, marker) -> None:
    """Write a source-only package to FOLDER whose build writes MARKER."""
    archive = folder / "coursesite_sdist_only_probe-1.0.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, text in (
            ("setup.py", SETUP.format(marker=str(marker))),
            (
                "PKG-INFO",
                "Metadata-Version: 2.1\nName: coursesite-sdist-only-probe\nVersion: 1.0\n",
            ),
        ):
            data = text.encode()
            info = tarfile.TarInfo(f"coursesite_sdist_only_probe-1.0/{name}")
            info.size = len(data)
            tar.addfile(info, BytesIO(data))


def test_a_package_published_only_as_source_is_refused_and_its_code_never_runs(
    tmp_path, monkeypatch, settings
):
    settings.AUTOGRADING_ROOT = tmp_path / "root"
    packages = tmp_path / "packages"
    packages.mkdir()
    marker = tmp_path / "built"
    sdist(packages, marker)
    # pip finds it beside the registry, as it would find it on the registry.
    monkeypatch.setenv("PIP_FIND_LINKS", str(packages))
    monkeypatch.setenv("DJANGO_SECRET_KEY", "the-server-s-secret")
    requirements = environments.clean_requirements("coursesite-sdist-only-probe==1.0")
    key = environments.key_for(requirements)
    with pytest.raises(environments.BuildFailed) as failed:
        environments.ensure(key, requirements)
    assert not marker.exists()
    assert environments.WHEELS_ONLY in failed.value.log
    assert "coursesite-sdist-only-probe" in failed.value.log
    assert environments.ready(key) is None
