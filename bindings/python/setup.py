"""Ships libkeras.so inside the wheel when the SwiftKeras checkout around this folder has
built it (release first), so `pip install ./bindings/python` gives a package that works on
its own. Without a build the package still installs and finds the library at run time
through $SWIFTKERAS_LIBRARY."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


class BuildPyWithLibrary(build_py):
    def run(self):
        super().run()
        for build in (".build-static/release", ".build/release", ".build/debug"):
            lib = REPO / build / "libkeras.so"
            if lib.is_file():
                target = Path(self.build_lib) / "swiftkeras" / "libkeras.so"
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(lib, target)
                break


setup(cmdclass={"build_py": BuildPyWithLibrary})
