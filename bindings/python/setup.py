"""Ships libkeras.so inside the wheel, from a named build of the SwiftKeras checkout around
this folder, so `pip install ./bindings/python` gives a package that works on its own; such a
wheel carries machine code and is tagged for its platform (e.g. linux_x86_64), not `any`.

Which build: `SWIFTKERAS_BUILD=static|release|debug` (the `make lib-static`, `swift build -c
release --product keras` and debug outputs) or a folder holding libkeras.so. Without it, the
first of static, release, debug that exists is shipped, and the choice is printed (`pip -v`).
Without any build the package is pure Python and finds the library at run time through
$SWIFTKERAS_LIBRARY.
"""

import os
import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
BUILDS = {"static": ".build-static/release", "release": ".build/release", "debug": ".build/debug"}


def library():
    """The libkeras.so to ship, or None (a pure-Python package)."""
    named = os.environ.get("SWIFTKERAS_BUILD")
    if named:
        folder = Path(BUILDS.get(named, named))
        lib = (folder if folder.is_absolute() else REPO / folder) / "libkeras.so"
        if not lib.is_file():
            sys.exit(f"SWIFTKERAS_BUILD={named}: {lib} does not exist; build it first "
                     f"(static: `make lib-static`; release: `swift build -c release --product keras`)")
        return lib
    for name, folder in BUILDS.items():
        lib = REPO / folder / "libkeras.so"
        if lib.is_file():
            print(f"swiftkeras: shipping the '{name}' build {lib} (choose with "
                  f"SWIFTKERAS_BUILD=static|release|debug|<folder>)", file=sys.stderr)
            return lib
    return None


class BuildPyWithLibrary(build_py):
    def run(self):
        super().run()
        lib = library()
        if lib is not None:
            target = Path(self.build_lib) / "swiftkeras" / "libkeras.so"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(lib, target)


commands = {"build_py": BuildPyWithLibrary}
try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:
    try:
        from wheel.bdist_wheel import bdist_wheel
    except ImportError:
        bdist_wheel = None

if bdist_wheel is not None:
    class PlatformWheel(bdist_wheel):
        """py3-none-<platform> when the wheel carries libkeras.so (no Python ABI involved:
        ctypes loads it), py3-none-any otherwise."""

        def finalize_options(self):
            super().finalize_options()
            self.root_is_pure = library() is None

        def get_tag(self):
            python, abi, plat = super().get_tag()
            return ("py3", "none", plat) if not self.root_is_pure else (python, abi, plat)

    commands["bdist_wheel"] = PlatformWheel

setup(cmdclass=commands)
