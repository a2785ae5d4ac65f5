"""Issue 16, point 4: the unknown-class message speaks the caller's language: from Python it
names keras.saving.register_keras_serializable, from C the C registration call; neither names
the Swift registerKerasSerializable."""
import json
from _common import check, done
import swiftkeras as keras

config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
    {"class_name": "InputLayer", "config": {"batch_shape": [None, 3], "name": "in"}},
    {"class_name": "Nowhere>Mystery", "config": {"name": "m"}}]}}


def python_message():
    try:
        keras.models.model_from_json(json.dumps(config))
    except Exception as e:  # noqa: BLE001
        print(f"    Python: {str(e)[:300]}")
        return "register_keras_serializable" in str(e) and "registerKerasSerializable" not in str(e)
    return False


C_PROGRAM = """
import ctypes, json, os, sys
lib = ctypes.CDLL(os.environ["SWIFTKERAS_LIBRARY"])
lib.keras_last_error.restype = ctypes.c_char_p
out = ctypes.c_void_p()
rc = lib.keras_model_from_json(sys.argv[1].encode(), ctypes.byref(out))
print(rc, (lib.keras_last_error() or b"").decode())
"""


def c_message():
    """The library loaded by ctypes alone (no swiftkeras import), in a fresh process: a C caller."""
    import subprocess
    import sys
    run = subprocess.run([sys.executable, "-c", C_PROGRAM, json.dumps(config)], capture_output=True, text=True)
    rc, _, text = run.stdout.strip().partition(" ")
    print(f"    C (rc {rc}): {text[:300]}")
    return rc not in ("", "0") and "keras_register_layer" in text and "registerKerasSerializable" not in text


check("Python caller: keras.saving.register_keras_serializable", python_message)
check("C caller: keras_register_layer", c_message)
done()
