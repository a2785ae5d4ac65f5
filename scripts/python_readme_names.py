"""The "Keras names in swiftkeras" section of bindings/python/README.md, generated from the
package as the library's catalogue makes it (issue 16: the list is generated, never kept by
hand). Each module's public names: `__all__` where the module declares it, else every public
attribute (`layers` lists the catalogue's classes through its `__dir__`).

Run: SWIFTKERAS_LIBRARY=.build/release/libkeras.so python scripts/python_readme_names.py [--check]
--check exits 1 when the README's section differs (bindings/python/tests/test_package.py runs it).
"""
import __future__
import importlib
import inspect
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "bindings" / "python" / "README.md"
BEGIN = "<!-- BEGIN GENERATED NAMES: scripts/python_readme_names.py -->"
END = "<!-- END GENERATED NAMES -->"
MODULES = ["", "applications", "layers", "models", "ops", "ops.nn", "ops.image", "losses", "metrics", "activations", "initializers",
           "regularizers", "constraints", "optimizers", "callbacks", "saving", "random", "utils",
           "preprocessing", "backend", "config", "datasets", "wrappers", "model_selection", "tree",
           "dtype_policies", "mixed_precision", "visualization", "distribution", "distillation", "quantizers",
           "export", "legacy.saving", "utils.bounding_boxes", "utils.legacy"]


def public_names(module):
    names = getattr(module, "__all__", None)
    if names is None:
        # Not modules, nor `from __future__ import annotations`'s feature object.
        names = [n for n in dir(module) if not n.startswith("_")
                 and not inspect.ismodule(getattr(module, n, None))
                 and not isinstance(getattr(module, n, None), __future__._Feature)]
    return sorted(set(names), key=lambda n: (n.lower(), n))


def section():
    if not os.environ.get("SWIFTKERAS_TEST_INSTALLED"):
        sys.path.insert(0, str(ROOT / "bindings" / "python"))
    lines = [BEGIN, "", "The names each module of this build offers (`keras.<module>.<name>`):", ""]
    for m in MODULES:
        module = importlib.import_module(f"swiftkeras.{m}" if m else "swiftkeras")
        names = public_names(module)
        label = f"`{m}`" if m else "top level (`keras.<name>`)"
        lines.append(f"- {label} ({len(names)}): " + ", ".join(f"`{n}`" for n in names))
    lines += ["", END]
    return "\n".join(lines)


def main():
    text = README.read_text()
    new = section()
    if BEGIN in text:
        start, end = text.index(BEGIN), text.index(END) + len(END)
        updated = text[:start] + new + text[end:]
    else:
        updated = text.rstrip("\n") + "\n\n## Keras names in swiftkeras\n\n" + new + "\n"
    if "--check" in sys.argv:
        if updated != text:
            print(f"{README} is out of date: run scripts/python_readme_names.py", file=sys.stderr)
            sys.exit(1)
        return
    README.write_text(updated)


if __name__ == "__main__":
    main()
