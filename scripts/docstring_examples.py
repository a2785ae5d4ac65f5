"""Keras's own docstring examples (the keras.io/api pages users copy from), run in real Keras 3
(JAX backend) and in SwiftKeras with only the import changed, and compared.

    .venv/bin/python scripts/docstring_examples.py --report            # counts and differences
    .venv/bin/python scripts/docstring_examples.py --write-fixture     # + the test's fixture

A block is one docstring's `>>>` examples (doctest semantics: one namespace, each line's value
and printed output) or one ```python fence (its top-level statements, stopping at the first
error). Each block starts from the same state on both sides: `keras`, `np`, `ops` and `layers`
bound, a cleared session, every seed set to 0, default config. Every example's value (arrays:
shape, dtype and numbers to 1e-5 relative / 1e-6 absolute; sequences, dicts, numbers; other
objects: their type's name), printed text (its numbers to the same tolerance) and exception type
are compared. Blocks whose output here changes with the seed (run with seeds 0 and 1) draw
random numbers: they are compared up to values (shapes, dtypes, types), as the random streams
are not JAX's. Real Keras's outputs are kept in --keras-cache between runs (its side is most of
the time: 10-20 min for ~600 blocks on a busy 2-core machine).

Skipped: blocks that need TensorFlow, torch or JAX itself, Keras internals (keras.src) or
downloads. A block that fails in real Keras on its own (a fence's statement that raises: the
pseudo-code, the fragments that use a `model` or a name defined elsewhere; a `>>>` line that
raises where the docstring shows no traceback) is compared without those steps (its
"dropped": a fence's from the first that raises, as a fence stops there; a docstring's `>>>`
lines that raise, as doctest goes on after them), and skipped where only imports are left.

--write-fixture writes Tests/KerasTests/Fixtures/docstrings/examples.json: the blocks that
agree, with real Keras's outputs, which bindings/python/tests/test_docstring_examples.py runs
against SwiftKeras. Run it again after a fix to bake the newly agreeing blocks in.
"""
import argparse
import ast
import contextlib
import doctest
import gc
import inspect
import io
import json
import math
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "Tests" / "KerasTests" / "Fixtures" / "docstrings" / "examples.json"
PYTHON = os.environ.get("DOCSTRING_EXAMPLES_PYTHON", sys.executable)
RTOL, ATOL = 1e-5, 1e-6
BLOCK_SECONDS = 60
FIXTURE_BLOCK_SECONDS = 1.5

MODULES = ["layers", "losses", "metrics", "activations", "initializers", "optimizers",
           "optimizers.schedules", "callbacks", "ops", "ops.nn", "ops.linalg", "ops.image",
           "ops.numpy", "random", "utils", "regularizers", "constraints", "saving",
           "preprocessing", "preprocessing.image", "preprocessing.sequence",
           # (after the others: a docstring is harvested once, under its first owner)
           "models", "config", "tree", "backend", "dtype_policies", "quantizers", "export",
           "mixed_precision", "wrappers", "distribution", ""]   # ("": keras's own names)

# What real Keras alone cannot give here, by the block's text.
SKIPS = [
    ("tensorflow", re.compile(r"\btf\.|\btensorflow\b|\btf_keras\b|tf\.data")),
    ("torch", re.compile(r"\btorch\b")),
    ("jax", re.compile(r"\bjax\b|\bjnp\.")),
    ("keras internals", re.compile(r"keras\.src\b(?! import (ops|layers|losses|metrics|activations)\b)")),
    ("downloads", re.compile(r"get_file\(|load_data\(|https?://|applications\.|\bdatasets\.|from_preset")),
]


# ---------------------------------------------------------------- harvesting (real Keras)

FENCE = re.compile(r"^[ \t]*```[ \t]*(\w*)[ \t]*\n(.*?)^[ \t]*```", re.M | re.S)


def _blocks_of(doc):
    """The docstring's fenced code blocks and its `>>>` examples (one block)."""
    doc = inspect.cleandoc(doc)
    blocks, examples = [], []
    parser = doctest.DocTestParser()

    def doctest_examples(text):
        try:
            return [(e.source, e.want, e.exc_msg) for e in parser.get_examples(text)]
        except ValueError:
            return []

    rest = []
    last = 0
    for m in FENCE.finditer(doc):
        rest.append(doc[last:m.start()])
        last = m.end()
        lang, body = m.group(1).lower(), inspect.cleandoc("\n" + m.group(2))
        if ">>>" in body:
            examples += doctest_examples(body)
        elif lang in ("", "python", "py") and body.strip():
            blocks.append({"kind": "code", "source": body})
    rest.append(doc[last:])
    examples = doctest_examples("".join(rest)) + examples
    if examples:
        blocks.insert(0, {"kind": "doctest", "examples": [[s, w] for s, w, _ in examples],
                          "source": "".join(s for s, _, _ in examples)})
    return blocks


def harvest():
    import keras
    seen_docs, seen_objects, blocks = set(), set(), []

    def add(owner, obj):
        doc = getattr(obj, "__doc__", None)
        if not isinstance(doc, str) or id(obj) in seen_objects or doc in seen_docs:
            return
        seen_objects.add(id(obj))
        seen_docs.add(doc)
        for i, block in enumerate(_blocks_of(doc)):
            block["id"] = f"{owner}#{i}"
            blocks.append(block)

    for module_name in MODULES:
        module = keras
        for part in filter(None, module_name.split(".")):
            module = getattr(module, part)
        for name in sorted(dir(module)):
            if name.startswith("_"):
                continue
            obj = getattr(module, name)
            if inspect.ismodule(obj):
                continue
            owner = ".".join(filter(None, ["keras", module_name, name]))
            add(owner, obj)
            if inspect.isclass(obj):
                for member_name, member in sorted(vars(obj).items()):
                    if member_name.startswith("_") and member_name != "__call__":
                        continue
                    if isinstance(member, (staticmethod, classmethod)):
                        member = member.__func__
                    if isinstance(member, property):
                        member = member.fget
                    if inspect.isfunction(member):
                        add(f"{owner}.{member_name}", member)
    for block in blocks:
        block["skip"] = next((why for why, pattern in SKIPS if pattern.search(block["source"])), None)
    return blocks


# ---------------------------------------------------------------- running (either side)

def swiftkeras_source(source):
    """The block with only the import changed: `keras` is swiftkeras."""
    source = re.sub(r"^(\s*)import keras\s*$", r"\1import swiftkeras as keras", source, flags=re.M)
    source = re.sub(r"^(\s*)import keras as (\w+)", r"\1import swiftkeras as \2", source, flags=re.M)
    source = re.sub(r"^(\s*)from keras\.src import", r"\1from swiftkeras import", source, flags=re.M)
    source = re.sub(r"^(\s*)from keras\.src import", r"\1from swiftkeras import", source, flags=re.M)
    return re.sub(r"^(\s*)from keras(\.[\w.]+)? import", r"\1from swiftkeras\2 import", source, flags=re.M)


def describe(value, depth=0):
    """A JSON form of an example's value that the two sides can be compared on."""
    import numpy as np
    if depth > 6:
        return {"object": type(value).__name__}
    if value is None or isinstance(value, (bool, str)):
        return {"py": value}
    if isinstance(value, int):
        return {"int": value}
    if isinstance(value, float):
        return {"float": value}
    if isinstance(value, (list, tuple)):
        return {type(value).__name__: [describe(v, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"dict": [[str(k), describe(v, depth + 1)] for k, v in value.items()]}
    if hasattr(value, "shape") and hasattr(value, "dtype") and not callable(getattr(value, "build", None)):
        try:
            array = np.asarray(value)
        except Exception:
            array = None
        if array is None or array.dtype == object:
            shape = getattr(value, "shape", None)
            return {"symbolic": [None if d is None else int(d) for d in shape] if shape is not None else None,
                    "dtype": str(getattr(value, "dtype", None))}
        if array.dtype.kind in "SU":
            data = array.astype(str).tolist()
        elif array.dtype.kind == "b":
            data = array.tolist()
        else:
            data = array.astype(np.float64).tolist() if array.dtype.kind != "c" else \
                [array.real.astype(np.float64).tolist(), array.imag.astype(np.float64).tolist()]
        return {"array": data, "shape": list(array.shape), "dtype": str(array.dtype).replace("<U", "str")}
    return {"object": type(value).__name__}


class _Timeout(BaseException):
    pass


def _steps(block):
    """The block's steps, less its "dropped" ones (those that fail in Keras on their own)."""
    if block["kind"] == "doctest":
        return _kept(block, [(source, "single") for source, _ in block["examples"]])
    try:
        tree = ast.parse(block["source"])
    except SyntaxError:
        return _kept(block, [(block["source"], "exec")])
    steps = []
    for node in tree.body:
        code = ast.get_source_segment(block["source"], node)
        steps.append((code, "eval" if isinstance(node, ast.Expr) else "exec"))
    return _kept(block, steps)


def _kept(block, steps):
    dropped = set(block.get("dropped", ()))
    return [step for i, step in enumerate(steps) if i not in dropped]


def _reset(keras, seed):
    import numpy as np
    keras.backend.clear_session()
    keras.config.set_floatx("float32")
    keras.config.set_epsilon(1e-7)
    keras.config.set_image_data_format("channels_last")
    keras.config.set_dtype_policy("float32")
    keras.utils.set_random_seed(seed)
    np.random.seed(seed)
    random.seed(seed)


def run_blocks(blocks, ours, seed=0):
    """Runs each block on one side; returns {id: [per example: {out, value?, error?}]}."""
    import numpy as np
    if ours:
        import swiftkeras as keras
    else:
        import keras
    np.set_printoptions(legacy=False)
    results = {}
    work = tempfile.mkdtemp(prefix="docstring-examples-")
    os.chdir(work)

    def alarm(*_):
        raise _Timeout()
    signal.signal(signal.SIGALRM, alarm)
    progress = os.environ.get("DOCSTRING_EXAMPLES_PROGRESS")
    for block in blocks:
        if progress:
            Path(progress + ".current").write_text(block["id"])
            if len(results) % 20 == 0:
                Path(progress + ".partial").write_text(json.dumps(results))
        _reset(keras, seed)
        # What is alive now (the imports, the earlier blocks' leftovers) moved out of the
        # collector's sight after _reset's collection: each clear_session of a block, and the next
        # block's _reset, then walks only this block's objects, not a heap that grows with every
        # block (clear_session's docstring loop, 100 collections: 3.7 s, 0.3 s frozen).
        gc.freeze()
        namespace = {"__name__": "__docblock__", "keras": keras, "np": np, "ops": keras.ops,
                     "layers": keras.layers}
        records = []
        started = time.perf_counter()
        signal.alarm(BLOCK_SECONDS)
        try:
            for source, mode in _steps(block):
                record, captured = {}, []
                source = swiftkeras_source(source) if ours else source
                out = io.StringIO()
                try:
                    code = compile(source, "<docstring>", mode)
                    hook = sys.displayhook
                    sys.displayhook = lambda v: captured.append(v) if v is not None else None
                    try:
                        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                            value = eval(code, namespace) if mode == "eval" else exec(code, namespace)
                    finally:
                        sys.displayhook = hook
                    if mode == "eval" and value is not None:
                        captured.append(value)
                except _Timeout:
                    raise
                except BaseException as e:  # noqa: BLE001 - a block's SystemExit is its error too
                    record["error"] = f"{type(e).__name__}: {str(e)[:300]}"
                record["out"] = out.getvalue()[-4000:]
                if captured:
                    try:
                        record["value"] = describe(captured[-1])
                    except Exception as e:  # noqa: BLE001
                        record["value"] = {"object": f"undescribable {type(e).__name__}"}
                records.append(record)
                if "error" in record and block["kind"] == "code":
                    break
        except _Timeout:
            records.append({"error": "Timeout: block ran past its time", "out": ""})
        finally:
            signal.alarm(0)
        results[block["id"]] = {"steps": records, "seconds": round(time.perf_counter() - started, 3)}
    return results


# ---------------------------------------------------------------- comparing

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?\b(?:nan|inf)\b")
NOISE = re.compile(r"0x[0-9a-f]+|\d+(?:\.\d+)?\s*(?:ms|us|µs|s)(?:/step|/sample)?\b|ETA: \S+|━+")


def _close(a, b):
    if isinstance(a, float) and isinstance(b, float) and (math.isnan(a) or math.isnan(b)):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= ATOL + RTOL * abs(b)


def _as_shown(text):
    """Printed text as a terminal leaves it: colours dropped, each line from its last carriage
    return (Keras's progress bars redraw themselves), timings dropped."""
    text = re.sub(r"\x1b\[[0-9;]*m|\x08", "", text)
    return NOISE.sub("", "\n".join(line.split("\r")[-1] for line in text.split("\n")))


def _text_differs(ref, got, values):
    ref, got = _as_shown(ref), _as_shown(got)
    if re.sub(r"\s+", "", NUMBER.sub("#", ref)) != re.sub(r"\s+", "", NUMBER.sub("#", got)):
        return f"printed {got.strip()[:200]!r}, Keras printed {ref.strip()[:200]!r}"
    if not values:
        return None
    for a, b in zip(NUMBER.findall(got), NUMBER.findall(ref)):
        if not _close(float(a), float(b)):
            return f"printed {got.strip()[:200]!r}, Keras printed {ref.strip()[:200]!r}"
    return None


def _flat(data):
    if isinstance(data, list):
        for d in data:
            yield from _flat(d)
    else:
        yield data


def value_difference(ref, got, values=True):
    """None where `got` is `ref` (to the tolerance), else what differs."""
    if ref.keys() != got.keys():
        return f"got {_short(got)}, Keras gave {_short(ref)}"
    kind = next(iter(ref))
    if kind == "array":
        if ref["shape"] != got["shape"] or ref["dtype"] != got["dtype"]:
            return f"array {got['shape']} {got['dtype']}, Keras gave {ref['shape']} {ref['dtype']}"
        if values:
            for a, b in zip(_flat(got["array"]), _flat(ref["array"])):
                if isinstance(b, str) or isinstance(b, bool) or b is None:
                    if a != b:
                        return f"values {_short(got)}, Keras gave {_short(ref)}"
                elif not _close(float(a), float(b)):
                    return f"values {_short(got)}, Keras gave {_short(ref)}"
        return None
    if kind in ("list", "tuple"):
        if len(ref[kind]) != len(got[kind]):
            return f"{kind} of {len(got[kind])}, Keras gave {len(ref[kind])}"
        for a, b in zip(ref[kind], got[kind]):
            why = value_difference(a, b, values)
            if why:
                return why
        return None
    if kind == "dict":
        if [k for k, _ in ref["dict"]] != [k for k, _ in got["dict"]]:
            return f"dict keys {[k for k, _ in got['dict']]}, Keras gave {[k for k, _ in ref['dict']]}"
        for (_, a), (_, b) in zip(ref["dict"], got["dict"]):
            why = value_difference(a, b, values)
            if why:
                return why
        return None
    if kind in ("int", "float"):
        return None if not values or _close(float(got[kind]), float(ref[kind])) else \
            f"{got[kind]}, Keras gave {ref[kind]}"
    if kind == "symbolic":
        return None if ref == got else f"symbolic {got}, Keras gave {ref}"
    if kind == "py" and isinstance(ref["py"], str) and isinstance(got["py"], str):
        return _text_differs(ref["py"], got["py"], values)
    if kind == "py":
        return None if not values or ref == got else f"{got['py']!r}, Keras gave {ref['py']!r}"
    return None if ref == got else f"{got[kind]}, Keras gave {ref[kind]}"


def _short(v):
    return json.dumps(v)[:160]


def block_difference(ref, got, values=True):
    """None where the block ran the same on both sides, else the first difference."""
    ref_steps, got_steps = ref["steps"], got["steps"]
    for i, r in enumerate(ref_steps):
        if i >= len(got_steps):
            return f"step {i}: stopped early"
        g = got_steps[i]
        if ("error" in r) != ("error" in g):
            return f"step {i}: " + (f"raised {g['error']}" if "error" in g else f"no error, Keras raised {r['error']}")
        if "error" in r and r["error"].split(":")[0] != g["error"].split(":")[0]:
            return f"step {i}: raised {g['error']}, Keras raised {r['error']}"
        if ("value" in r) != ("value" in g):
            return f"step {i}: " + ("no value" if "value" in r else "a value") + ", unlike Keras"
        if "value" in r:
            why = value_difference(r["value"], g["value"], values)
            if why:
                return f"step {i}: {why}"
        why = _text_differs(r["out"], g["out"], values)
        if why:
            return f"step {i}: {why}"
    return None


# ---------------------------------------------------------------- driving the two sides

def _side(args, env):
    proc = subprocess.run([PYTHON, str(Path(__file__).resolve())] + args, env=env, cwd=tempfile.gettempdir(),
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{args[0]} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")


def keras_env():
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env["KERAS_BACKEND"] = "jax"
    env.setdefault("JAX_PLATFORMS", "cpu")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # the examples are tiny: XLA's compile time is all of Keras's side (as in tests/conftest.py)
    env.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"
                                " --xla_cpu_use_fusion_emitters=false")
    return env


def ours_env(out_path):
    env = dict(os.environ)
    env["DOCSTRING_EXAMPLES_PROGRESS"] = str(out_path)
    # (DOCSTRING_EXAMPLES_BINDING: another checkout's bindings/python, e.g. to count "before")
    env["PYTHONPATH"] = os.environ.get("DOCSTRING_EXAMPLES_BINDING", str(ROOT / "bindings" / "python"))
    if env.get("SWIFTKERAS_LIBRARY"):   # the child runs in the temporary directory
        env["SWIFTKERAS_LIBRARY"] = str(Path(env["SWIFTKERAS_LIBRARY"]).resolve())
    return env


def run_ours(blocks, out_path, seed=0):
    """Runs the blocks in SwiftKeras in a child process (a trap or a leaked setting stays there);
    a block that kills the process is recorded as a crash and the rest run in a new one."""
    results, left = {}, list(blocks)
    with tempfile.TemporaryDirectory() as folder:
        blocks_path = Path(folder) / "blocks.json"
        while left:
            blocks_path.write_text(json.dumps(left))
            Path(str(out_path) + ".current").unlink(missing_ok=True)
            try:
                _side(["--run", f"ours:{seed}", str(blocks_path), str(out_path)], ours_env(out_path))
                results.update(json.loads(Path(out_path).read_text()))
                break
            except RuntimeError as e:
                current = Path(str(out_path) + ".current")
                if not current.exists():
                    raise
                crashed = current.read_text()
                partial = Path(str(out_path) + ".partial")
                if partial.exists():
                    results.update(json.loads(partial.read_text()))
                results[crashed] = {"steps": [{"error": f"Crash: {str(e).splitlines()[0]}", "out": ""}],
                                    "seconds": 0}
                left = [b for b in left if b["id"] not in results]
    Path(out_path).write_text(json.dumps(results))
    return results


def _drop_failures(block, ref):
    """Marks the steps of a block that are broken in real Keras itself as "dropped": a fence's
    from its first that raises (a fence that builds a model, then fits it on a `x_train` the
    docstring never defines), a docstring's `>>>` lines that raise where it shows no traceback
    (doctest goes on after them). False where nothing but imports would be left."""
    if block["kind"] == "doctest":
        dropped = [i for i, (s, (_, want)) in enumerate(zip(ref["steps"], block["examples"]))
                   if "error" in s and not want.lstrip().startswith("Traceback")]
    else:
        first = next((i for i, s in enumerate(ref["steps"]) if "error" in s), None)
        dropped = [] if first is None else list(range(first, len(_steps(block))))
    if not dropped:
        return True
    block["dropped"] = dropped
    return any(not re.match(r"\s*(import|from)\s", source) for source, _ in _steps(block))


def compare(blocks, keras0, ours0, ours1):
    """(id, status, why) for each block. A block whose output here changes with the seed draws
    random numbers: it is compared up to values (the random streams are not Keras's JAX ones).
    A block broken in Keras is compared without its "dropped" steps."""
    rows = []
    for block in blocks:
        bid = block["id"]
        ref = keras0.get(bid)
        errors = [s["error"] for s in ref["steps"] if "error" in s] if ref else []
        if block.get("skip"):
            rows.append((bid, "skipped", block["skip"]))
        elif any(e.startswith("Timeout") for e in errors):
            rows.append((bid, "skipped", "Keras ran past its time"))
        elif bid not in ours0:
            rows.append((bid, "skipped", "fails in Keras: " + errors[0].split(":")[0]))
        else:
            ref = {"steps": _kept(block, ref["steps"])}
            random_values = block_difference(ours0[bid], ours1[bid]) is not None
            why = block_difference(ref, ours0[bid], values=not random_values)
            status = "equal" if why is None else "different"
            status += " (random: up to values)" if random_values else ""
            status += " (less the lines that fail in Keras)" if "dropped" in block else ""
            rows.append((bid, status, why or ""))
    return rows


def _keras_results(blocks, folder, cache, seed):
    """Real Keras's outputs with `seed` for the blocks, from the cache file where it has them for
    the same block text (Keras's side is most of the script's time: ~0.5-3 s a block)."""
    cached = json.loads(Path(cache).read_text()) if cache and Path(cache).exists() else {}
    key = lambda b: json.dumps([seed, b["kind"], b["source"]])  # noqa: E731
    missing = [b for b in blocks if key(b) not in cached]
    if missing:
        (folder / "missing.json").write_text(json.dumps(missing))
        _side(["--run", f"keras:{seed}", str(folder / "missing.json"), str(folder / "keras.json")], keras_env())
        fresh = json.loads((folder / "keras.json").read_text())
        for b in missing:
            cached[key(b)] = fresh[b["id"]]
        if cache:
            Path(cache).write_text(json.dumps(cached))
    return {b["id"]: cached[key(b)] for b in blocks}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--report", action="store_true", help="print the counts and every difference")
    parser.add_argument("--write-fixture", action="store_true", help="write the test's fixture too")
    parser.add_argument("--only", help="a regular expression on block ids")
    parser.add_argument("--keras-cache", default=str(Path(tempfile.gettempdir()) / "docstring-examples-keras.json"),
                        help="file that keeps real Keras's outputs between runs ('' for none)")
    parser.add_argument("--run", nargs=3, metavar=("SIDE", "BLOCKS", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--harvest", metavar="OUT", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.harvest:
        Path(args.harvest).write_text(json.dumps(harvest()))
        return
    if args.run:
        side, blocks_path, out = args.run
        blocks = json.loads(Path(blocks_path).read_text())
        side, seed = side.split(":")      # ours:SEED or keras:SEED
        results = run_blocks(blocks, ours=side == "ours", seed=int(seed))
        Path(out).write_text(json.dumps(results))
        return

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        started = time.perf_counter()
        _side(["--harvest", str(folder / "blocks.json")], keras_env())
        blocks = json.loads((folder / "blocks.json").read_text())
        if args.only:
            blocks = [b for b in blocks if re.search(args.only, b["id"])]
        runnable = [b for b in blocks if not b["skip"]]
        keras0 = _keras_results(runnable, folder, args.keras_cache, 0)
        keras_seconds = time.perf_counter() - started
        runnable = [b for b in runnable if _drop_failures(b, keras0[b["id"]])]
        ours0 = run_ours(runnable, folder / "ours0.json", seed=0)
        ours1 = run_ours(runnable, folder / "ours1.json", seed=1)
        rows = compare(blocks, keras0, ours0, ours1)

    counts = {}
    for _, status, why in rows:
        key = status if status != "skipped" else f"skipped: {why.split(':')[0] if why.startswith('fails') else why}"
        counts[key] = counts.get(key, 0) + 1
    print(f"{len(blocks)} blocks found (Keras side {keras_seconds:.0f} s)")
    for key in sorted(counts):
        print(f"  {counts[key]:4d}  {key}")
    if args.report:
        print()
        for bid, status, why in rows:
            if status.startswith("different"):
                print(f"DIFF {bid}: {why}")
    if args.write_fixture:
        by_id = {b["id"]: b for b in blocks}
        agreeing = []
        for bid, status, _ in rows:
            # (a block that takes seconds here stays out: the test runs the fixture in ~20 s)
            if status.startswith("equal") and ours0[bid]["seconds"] < FIXTURE_BLOCK_SECONDS:
                block = dict(by_id[bid])
                block.pop("skip", None)
                block["keras"] = _kept(block, keras0[bid]["steps"])
                block["random"] = status != "equal"
                agreeing.append(block)
        FIXTURE.parent.mkdir(parents=True, exist_ok=True)
        FIXTURE.write_text(json.dumps({"keras": _keras_version(), "blocks": agreeing}, indent=0) + "\n")
        print(f"wrote {len(agreeing)} blocks to {FIXTURE.relative_to(ROOT)}")


def _keras_version():
    proc = subprocess.run([PYTHON, "-c", "import keras; print(keras.__version__)"], env=keras_env(),
                          cwd=tempfile.gettempdir(), capture_output=True, text=True)
    return proc.stdout.strip()


if __name__ == "__main__":
    main()
