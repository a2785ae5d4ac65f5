"""Writes Tests/KerasTests/Fixtures/models/summary_options.json: real Keras 3's model.summary()
with positions, show_trainable and layer_range (SummaryTests compares Model.summaryText with it).
Run: KERAS_BACKEND=jax python scripts/make_summary_option_fixtures.py
"""
import os, json
os.environ["KERAS_BACKEND"]="jax"
os.environ["COLUMNS"]="200"
import keras
keras.utils.set_random_seed(0)
m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="relu", name="hidden"), keras.layers.Dropout(0.1, name="drop"), keras.layers.Dense(2, name="out")], name="mlp")
m.layers[0].trainable = False
out = {}
def cap(**kw):
    lines = []
    m.summary(print_fn=lambda s, line_break=True: lines.append(s), **kw)
    return "\n".join(lines)
out["show_trainable"] = cap(show_trainable=True)
out["positions"] = cap(positions=[0.5, 0.7, 1.0], line_length=70)
out["layer_range"] = cap(layer_range=["drop", "out"])
out["all"] = cap(show_trainable=True, positions=[0.4, 0.8, 1.0], line_length=90, layer_range=["hid", "drop"])
path = os.path.join(os.path.dirname(__file__), "..", "Tests", "KerasTests", "Fixtures", "models", "summary_options.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1, ensure_ascii=False)
print("wrote", path)
