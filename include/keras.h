/*
 * keras.h — the C API of SwiftKeras (libkeras.so).
 *
 * Conventions (as in libgit2 / sqlite3.h / llama.h):
 *   - Objects are opaque handles made by a *_new / *_from_* / *_load function and released by
 *     the matching *_free. Every *_free accepts NULL. A handle that was freed, or was never made by
 *     this library, is refused with KERAS_ERR_INVALID_ARGUMENT (live handles are tracked).
 *   - Every fallible function returns a keras_status: KERAS_OK (0) or an error code. The message of
 *     the last failed call on the calling thread is keras_last_error().
 *   - Out-parameters are set to NULL/0 first, so they hold nothing on failure.
 *   - Strings the library returns through `char **` are owned by the caller and released with
 *     keras_string_free(). Strings returned as `const char *` are owned by the library.
 *   - Strings passed in are NUL-terminated UTF-8 and borrowed only for the duration of the call.
 *   - Arrays are float32, contiguous, row-major: (data, ndim, shape) with int64 dimensions,
 *     1 <= ndim <= KERAS_MAX_RANK. The caller keeps ownership of input arrays. The model's
 *     fit, evaluate, predict and layer-output calls (and their _arrays forms) borrow them: the
 *     library reads them in place, without a copy (x, y, sample weights, validation data, and
 *     the rows a validation_split holds out), never writes them and keeps no pointer after
 *     the call returns, so they must stay allocated and unchanged until then (not modified by
 *     another thread or by a callback during a fit). Every other call copies its inputs.
 *   - Output arrays are written into caller buffers whose capacity (in floats) is passed; a
 *     buffer that is too small gives KERAS_ERR_BUFFER_TOO_SMALL and the shape is still written.
 *   - Options and configs are JSON text in Keras's own vocabulary (snake_case keys).
 *
 * Threads: every function may be called from any thread. Different handles may be used from
 * different threads at the same time. Calls on one handle from several threads are serialized by
 * a per-handle lock (they are safe, but do not run in parallel). A callback may call back into the
 * handle it was invoked for (e.g. keras_model_stop_training from a fit callback).
 */
#ifndef KERAS_H
#define KERAS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KERAS_VERSION_MAJOR 0
#define KERAS_VERSION_MINOR 1
#define KERAS_VERSION_PATCH 0
#define KERAS_VERSION_STRING "0.1.0"

/* The largest rank of an array crossing the API. */
#define KERAS_MAX_RANK 8

/* ------------------------------------------------------------------------------------------ */
/* Status and errors                                                                          */
/* ------------------------------------------------------------------------------------------ */

typedef enum keras_status {
    KERAS_OK = 0,
    KERAS_ERR_INVALID_ARGUMENT = 1, /* NULL pointer, bad handle, bad value, invalid JSON, unknown option */
    KERAS_ERR_SHAPE = 2,            /* shapes that do not fit together */
    KERAS_ERR_STATE = 3,            /* wrong call order: fit before compile, shape before build */
    KERAS_ERR_IO = 4,               /* a file or config that cannot be read or written */
    KERAS_ERR_CALLBACK = 5,         /* a user callback, plugin layer, loss or metric failed */
    KERAS_ERR_UNKNOWN_NAME = 6,     /* a class, loss, optimizer, activation name nobody registered */
    KERAS_ERR_DATA = 7,             /* unusable data: NaN or infinite values, empty arrays */
    KERAS_ERR_BUFFER_TOO_SMALL = 8, /* an output buffer cannot hold the result */
    KERAS_ERR_INTERNAL = 9,         /* anything else (a bug: please report the message) */
    KERAS_ERR_INTERRUPTED = 10,     /* keras_interrupt() stopped the call (e.g. Ctrl-C) */
    KERAS_ERR_MEMORY = 11           /* beyond the memory budget (SWIFTKERAS_MEMORY_BUDGET) or the
                                     * machine's memory: refused before allocating */
} keras_status;

/* What kind of bad argument a KERAS_ERR_INVALID_ARGUMENT refused (keras_last_error_kind), so
 * that a host language can raise the exception Keras raises while the status keeps its meaning:
 * a bad value of the right type (Python's ValueError), a value of a type the argument does not
 * take, as a string or None where a number goes (TypeError), or an integer outside the range it
 * is held in, as a negative seed (OverflowError: Keras keeps seeds as uint32), or a value
 * Keras refuses as not implemented, as an augmentation's interpolation="BILINEAR"
 * (NotImplementedError), or one without the method Keras's constructor calls on it, as
 * Conv2D(padding=None)'s padding.lower() (AttributeError). A
 * KERAS_ERR_UNKNOWN_NAME for a function a config names that is neither registered nor in scope
 * ("Could not locate function 'name'...", Keras's TypeError) has KERAS_ERROR_KIND_TYPE. */
typedef enum keras_error_kind {
    KERAS_ERROR_KIND_VALUE = 0,
    KERAS_ERROR_KIND_TYPE = 1,
    KERAS_ERROR_KIND_OVERFLOW = 2,
    KERAS_ERROR_KIND_NOT_IMPLEMENTED = 3,
    KERAS_ERROR_KIND_ATTRIBUTE = 4
} keras_error_kind;

/* The version string "MAJOR.MINOR.PATCH" of the loaded library. Static; do not free. */
const char *keras_version(void);

/* The message of the last failed call on the calling thread, "" if none failed yet. Owned by the
 * library; valid until the next failing call on this thread. Never NULL. */
const char *keras_last_error(void);

/* The keras_error_kind of the last failed call on the calling thread: set with its message, so
 * read it right after the call that failed. KERAS_ERROR_KIND_VALUE when none failed yet, and for
 * every status other than KERAS_ERR_INVALID_ARGUMENT and KERAS_ERR_UNKNOWN_NAME. */
int keras_last_error_kind(void);

/* The constant name of a status code ("KERAS_ERR_SHAPE"). Static; do not free. Never NULL. */
const char *keras_status_name(int status);

/* Frees a string returned through a `char **` out-parameter. NULL is ignored. */
void keras_string_free(char *s);

/* Asks every running fit, evaluate and predict (also inside estimators, searches and
 * cross-validation) to stop after its current batch; those calls then return
 * KERAS_ERR_INTERRUPTED, the model keeping the weights of the last finished batch. Meant to be
 * installed as (or called from) a SIGINT handler for the duration of a call: it is
 * async-signal-safe (one atomic store). A request made while no such call runs is forgotten
 * when the next one starts (but see keras_interrupt_arm). */
void keras_interrupt(void);

/* Nonzero: forgets any earlier keras_interrupt request, and makes the next fit, evaluate or
 * predict call that starts keep the requests made from now on, instead of forgetting them as it
 * starts. Call it before installing keras_interrupt as the SIGINT handler, so that a Ctrl-C
 * landing between the installation and the call's start is not lost. Zero: disarms (when no
 * call followed). */
void keras_interrupt_arm(int on);

/* Nonzero: keras_interrupt_arm(1), then keras_interrupt installed as the SIGINT handler, the
 * current handler's flags and mask kept: what a host does before a call, in one call. Zero: the
 * handler the install replaced put back, then keras_interrupt_arm(0). Installs nest (a call made
 * from a callback of another): only the outermost install saves the host's handler, and only its
 * matching restore puts it back. For one thread at a time (the one that takes SIGINT); not
 * async-signal-safe. Errors: STATE (a restore without an install, which changes nothing;
 * sigaction failed, nothing installed nor armed; not Linux). */
int keras_interrupt_install(int on);

/* Seeds the library's random generator (Keras: keras.utils.set_random_seed), so that weight
 * initialization, shuffling and dropout repeat from run to run. The built-in layers made
 * afterwards (keras_sequential_add_json, keras_model_from_json, ...) take the seeds Keras takes
 * from Python's `random` after set_random_seed(seed), in its constructors' order: a model made
 * as in Keras gets Keras's initial weights and dropout draws (Dense, Conv, Embedding, the
 * recurrent layers and Bidirectional's copies, EinsumDense, the attention layers' build, random
 * initializers given to the normalizations and PReLU, the dropout layers), and keras_model_fit's
 * shuffled batches are Keras's (numpy's np.random.permutation after the seed, for seeds below
 * 2^32). Errors: INVALID_ARGUMENT (negative seed). */
int keras_set_random_seed(int64_t seed);

/* The library's copy of numpy's global generator, which keras_model_fit's shuffles draw from
 * (keras_set_random_seed seeds it as np.random.seed): the MT19937 state np.random.get_state()
 * gives, 624 key words and a position (0..624). A front end with a numpy of its own hands its
 * state over before a shuffled fit and takes it back after, so that the fit's orders continue
 * its numpy's sequence as Keras's do. keras_get_numpy_random_state writes 624 words to `key`.
 * Errors: INVALID_ARGUMENT (NULL pointer, position out of range), STATE (get before any seed
 * numpy takes: one below 2^32). */
int keras_get_numpy_random_state(uint32_t *key, int32_t *position);
int keras_set_numpy_random_state(const uint32_t *key, int32_t position);

/* Draws `count` numbers of `distribution` into `out`, as Keras 3 draws them on the JAX backend
 * (threefry2x32, bit for bit): the key is Keras's draw seed [seed, counter] (a SeedGenerator's
 * state, or [seed, 0] for an int seed). "uniform" (a = minval, b = maxval), "normal" and
 * "truncated_normal" (a = mean, b = stddev) write float; "randint" (a = minval, b = maxval, int32
 * integers) writes int32_t; "bernoulli" (a = p) writes one byte per value (1 where the uniform
 * is below p). `out` (caller-owned) holds `count` values. Errors: INVALID_ARGUMENT (unknown
 * distribution, negative count, NULL out, randint bounds not int32 integers). */
int keras_random_draw(const char *distribution, uint32_t seed, uint32_t counter, int64_t count,
                      double a, double b, void *out);

/* The order of keras.random.shuffle(x, axis, seed) on JAX for x seen as [outer, n, inner] (the
 * axis in the middle, each line along it shuffled on its own): out[(o*n + j)*inner + k] is the
 * position along the axis that element j of line (o, k) comes from. `out` (caller-owned) holds
 * outer*n*inner values. Errors: INVALID_ARGUMENT (negative sizes, overflow, NULL out). */
int keras_random_permutation(uint32_t seed, uint32_t counter, int64_t outer, int64_t n,
                             int64_t inner, int64_t *out);

/* Draws `count` values of keras.random.gamma ("gamma": a = alpha), beta ("beta": a = alpha,
 * b = beta) or binomial ("binomial": a = counts, b = probabilities) into `out`, as Keras 3 draws
 * them on the JAX backend; a and b hold one float per value (broadcast by the caller); b may be
 * NULL for "gamma". All arrays caller-owned. Errors: INVALID_ARGUMENT (unknown distribution,
 * negative count, NULL array). */
int keras_random_sample(const char *distribution, uint32_t seed, uint32_t counter, int64_t count,
                        const float *a, const float *b, float *out);

/* keras.random.categorical(logits, num_samples) as Keras 3 draws it on the JAX backend: for each
 * row of the batch x classes logits (row-major), `samples` class indices, out[b*samples + s]
 * (caller-owned, batch*samples values). Errors: INVALID_ARGUMENT (negative or too large sizes, no
 * class, NULL array). */
int keras_random_categorical(uint32_t seed, uint32_t counter, const float *logits, int64_t batch,
                             int64_t classes, int64_t samples, int32_t *out);

/* ------------------------------------------------------------------------------------------ */
/* Catalogue                                                                                  */
/* ------------------------------------------------------------------------------------------ */

/* Every object a config or a name can refer to, built-in and registered (globally or in a scope
 * open on the calling thread), as one JSON object (*out_json caller-owned, keras_string_free):
 *   {"version": "0.1.0",
 *    "layers": {"Dense": {"module": "keras.layers",
 *                         "args": [{"name": "units", "required": true},
 *                                  {"name": "activation", "default": "linear"}, ...]}, ...},
 *    "activations": ["elu", "gelu", ...],
 *    "losses": {"MeanSquaredError": {"module": "keras.losses", "args": [...],
 *                                    "names": ["MSE", "mean_squared_error", "mse"]}, ...},
 *    "metrics": {"AUC": {"module": "keras.metrics", "args": [...], "names": ["AUC", "auc"]}, ...},
 *    "optimizers": {"Adam": {"module": "keras.optimizers", "args": [...]}, ...},
 *    "schedules": {"ExponentialDecay": {...}, ...},
 *    "initializers": {"GlorotUniform": {"module": "keras.initializers", "args": [...],
 *                                       "names": ["glorot_uniform", "GlorotUniform"]}, ...},
 *    "regularizers": {...}, "constraints": {...},
 *    "callbacks": {"EarlyStopping": {"module": "keras.callbacks", "args": [...]}, ...},
 *    "builtin_functions": ["binary_accuracy", ..., "mean_squared_error", ..., "relu", ...]}
 * "builtin_functions" are the names a {"module": "builtins", "class_name": "function", "config":
 * name} entry finds among the built-ins, as Keras's (its canonical names: not "mse" or "acc",
 * which such an entry names only as a custom object). "args" are the constructor arguments in Keras's order: {"name", "required": true} or
 * {"name", "default": <JSON value>}. For layers they are the keys of get_config() without
 * name/trainable/dtype, with the defaults in config form (an initializer default is its serialized
 * config). A layer class with Keras's adapt (keras_model_adapt) has "adapt": true. A layer class
 * whose call takes masks has "call_masks": "mask" (its one input's: the recurrent layers,
 * BatchNormalization, Softmax, ...) or "attention" (query, value and key masks). A metric class
 * whose instances Keras names per process when no name is given (AUC: auc, auc_1, ...) has
 * "auto_name": true; the library itself uses the name given or the class's default. A registered
 * (custom) object appears as {"module": "custom", "registered_name":
 * "Pkg>Name", "custom": true, "args": []} (plus "names" for losses, metrics, initializers...).
 * Every string "names" lists is accepted where Keras takes that kind of name; besides the metrics
 * listed, every loss name is accepted as a metric. Errors: INVALID_ARGUMENT (out_json NULL). */
int keras_catalog_json(char **out_json);

/* The Keras config of a built-in object of `kind` ("loss", "metric", "optimizer", "schedule",
 * "initializer", "regularizer" or "constraint") made from object_json, {"class_name": "Adam",
 * "config": {"learning_rate": 0.01}} (the arguments given): what Keras's get_config() returns,
 * every key in Keras's order with its default, as *out_json (caller-owned, keras_string_free):
 * {"module": "keras.optimizers", "class_name": "Adam", "config": {"name": "adam",
 * "learning_rate": 0.009999999776482582, ...}, "registered_name": null}. Errors:
 * INVALID_ARGUMENT (NULL, bad JSON, unknown kind, an argument the class refuses),
 * UNKNOWN_NAME (no built-in class of that name). */
int keras_object_config(const char *kind, const char *object_json, char **out_json);

/* Checks a built-in layer's constructor arguments as Keras's constructor (`__init__`) does, without
 * making weights: layer_json is {"class_name": "Dense", "config": {"name": "dense", "units": -1}}
 * (the arguments given; the others take their defaults). KERAS_OK when Keras's constructor takes
 * them; arguments Keras checks only when the layer is built or called (Resizing's height) are
 * left to then. With "from_config": true in layer_json the arguments are a config's (Keras's
 * `from_config`), which skips the few checks Keras's constructor alone makes (Discretization's
 * refusal of both num_bins and bin_boundaries, which an adapted layer's config holds).
 * Nothing is kept, and no seed or default name is used up. *type_error (may be
 * NULL) is set to 1 where Keras's constructor raises a TypeError (RepeatVector(n="a")), else 0:
 * keras_last_error_kind() tells the same, and also OverflowError's kind (Dropout(seed=-3)).
 * Errors: INVALID_ARGUMENT (NULL or bad JSON; an argument the constructor refuses, the message
 * naming the layer, the argument and the value), UNKNOWN_NAME (the class, or an activation,
 * initializer... the arguments name, that nobody registered). */
int keras_layer_validate_config(const char *layer_json, int *type_error);

/* ------------------------------------------------------------------------------------------ */
/* Handles                                                                                    */
/* ------------------------------------------------------------------------------------------ */

typedef struct keras_model keras_model;       /* a Keras model (Sequential or Functional) */
typedef struct keras_callback keras_callback; /* a training/evaluation/prediction callback */
typedef struct keras_estimator keras_estimator; /* a KerasClassifier, KerasRegressor or Pipeline */
typedef struct keras_search keras_search;       /* a grid or randomized search over an estimator */

/* ------------------------------------------------------------------------------------------ */
/* Models                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* A model from the JSON that Keras's model.to_json() prints ({"class_name": "Sequential" or
 * "Functional", "config": {...}}). Layer classes are found in the registry: built-ins, then
 * registered custom objects (global and scoped). *out is caller-owned (keras_model_free).
 * Errors: INVALID_ARGUMENT (NULL, invalid JSON), IO (malformed config), UNKNOWN_NAME (class). */
int keras_model_from_json(const char *json, keras_model **out);

/* A model loaded from a file: native ".keras", legacy ".h5"/".hdf5", or a ".json" config (no
 * weights). compile != 0 restores the saved compile configuration. *out is caller-owned.
 * Errors: IO (missing/unreadable file), UNKNOWN_NAME (unregistered custom class). */
int keras_model_load(const char *path, int compile, keras_model **out);

/* on != 0 opens a span of the calling thread in which the models it builds
 * (keras_model_from_json, ...) make their weights without drawing their initial values: for a
 * build whose weights a load replaces next (a functional model built only to take a weights
 * file, as keras_model_load builds its model). What the draws take from the random generator
 * is taken at once; a weight read before it is assigned is drawn then, with the values it
 * would have had. on == 0 closes the span and draws every weight made in it that was never
 * assigned, so that none is left without values. Spans nest (only the outermost close draws).
 * Errors: STATE (a close with no span open, which changes nothing). */
int keras_model_defer_initial_values(int on);

/* The root attribute "training_config" of a legacy ".h5" model file (the compile arguments
 * Keras's legacy loader compiles the loaded model with), as JSON text; "null" when the file has
 * none or is not an ".h5" file (".keras", ".json"). *out is caller-owned. Errors: IO (missing
 * or unreadable file), INVALID_ARGUMENT (an attribute that is not JSON). */
int keras_legacy_h5_training_config(const char *path, char **out);

/* An empty Sequential model. name may be NULL (default "sequential", "sequential_1", ...).
 * *out is caller-owned (keras_model_free). */
int keras_sequential_new(const char *name, keras_model **out);

/* Appends a layer given as Keras layer JSON: {"class_name": "Dense", "config": {"units": 8,
 * "activation": "relu"}}. An "InputLayer" (config "batch_shape": [null, 4]) first fixes the input
 * shape; later layers are then built as they are added. Custom layer classes registered with
 * keras_register_layer are found by name.
 * Errors: INVALID_ARGUMENT (not Sequential, bad JSON), IO (bad layer config), UNKNOWN_NAME, SHAPE. */
int keras_sequential_add_json(keras_model *model, const char *layer_json);

/* Builds a Sequential model for a batch input shape; -1 marks an unknown dimension
 * (e.g. {-1, 4}). Does nothing for an already built Functional model. */
int keras_model_build(keras_model *model, int ndim, const int64_t *shape);

/* Records the size of the first batch that built a Sequential made without an input (Keras's
 * Sequential built by its first fit, predict, evaluate or call keeps that batch's size: its
 * input's batch shape, summary shapes and saved batch_shape). The layers are not built again and
 * the model still takes any batch size. Does nothing where the input's batch size is known.
 * Errors: INVALID_ARGUMENT (not Sequential, batch not positive). */
int keras_sequential_record_first_batch(keras_model *model, int64_t batch);

/* Frees a model. NULL is ignored; a handle that is not live is ignored. */
void keras_model_free(keras_model *model);

/* Configures training from a JSON spec:
 *   {"optimizer": "adam" | {"class_name": "Adam", "config": {"learning_rate": 0.01}},  (default "rmsprop")
 *    "loss": "mse" | {"class_name": ..., "config": ...} | [one per output] | null,
 *    "metrics": ["accuracy", ...], "loss_weights": [1.0, ...]}
 * Without "loss" (or null; Keras's compile(optimizer)) the loss of each step is the sum of the
 * model's add_loss terms (keras_layer_builder_loss) and weight penalties, and fit, evaluate and
 * keras_model_train_batch take no targets (y NULL, ny 0, in their _arrays forms); a step with no
 * loss at all fails with INVALID_ARGUMENT ("No loss to compute. Provide a `loss` argument in
 * `compile()`.", Keras's message).
 * Errors: INVALID_ARGUMENT (bad JSON, unknown key), UNKNOWN_NAME (optimizer, loss, metric). */
int keras_model_compile(keras_model *model, const char *spec_json);

/* Trains on x (samples first) and y. options_json may be NULL or a JSON object with any of
 * batch_size (32), epochs (1), verbose (1: progress bar on stdout; 0 silent; 2 one line per epoch),
 * validation_split (0), shuffle (true; false; "batch": the rows shuffled within each batch, as
 * Keras's), class_weight ({"0": 1.0, "1": 3.0}), initial_epoch (0), steps_per_epoch,
 * validation_freq (1), validation_batch_size (batch_size).
 * callbacks: n_callbacks handles (borrowed; may be NULL when n_callbacks is 0).
 * history_json: if not NULL, receives the History as {"loss": [...], "val_loss": [...], ...}
 * (caller-owned; keras_string_free); a metric reported per class (F1Score with average null)
 * holds one list of class values per epoch.
 * Errors: STATE (not compiled), SHAPE, DATA (NaN), CALLBACK (a callback returned non-zero: the
 * message names the callback, the hook and the callback's own message). */
int keras_model_fit(keras_model *model,
                    const float *x, int x_ndim, const int64_t *x_shape,
                    const float *y, int y_ndim, const int64_t *y_shape,
                    const char *options_json,
                    keras_callback *const *callbacks, int n_callbacks,
                    char **history_json);

/* Loss and metrics on (x, y). options_json: NULL or {"batch_size": 32, "verbose": 1}.
 * *results_json receives {"loss": 0.1, "accuracy": 0.9} in compile order (caller-owned); a
 * metric reported per class (F1Score with average null) is a list of class values. */
int keras_model_evaluate(keras_model *model,
                         const float *x, int x_ndim, const int64_t *x_shape,
                         const float *y, int y_ndim, const int64_t *y_shape,
                         const char *options_json,
                         keras_callback *const *callbacks, int n_callbacks,
                         char **results_json);

/* Predictions for x into out (capacity floats). options_json: NULL or {"batch_size": 32,
 * "verbose": 0}. out_shape (may be NULL; else room for KERAS_MAX_RANK) and out_ndim (may be NULL)
 * receive the result's shape, also when the result does not fit (KERAS_ERR_BUFFER_TOO_SMALL), so
 * a caller may size the buffer with keras_model_output_shape or by retrying.
 * Errors: SHAPE (x does not fit the model), DATA, BUFFER_TOO_SMALL, STATE (no layers). */
int keras_model_predict(keras_model *model,
                        const float *x, int x_ndim, const int64_t *x_shape,
                        const char *options_json,
                        keras_callback *const *callbacks, int n_callbacks,
                        float *out, int64_t capacity, int64_t *out_shape, int *out_ndim);

/* ---- Several inputs and outputs, sample weights, validation data ---- */

/* An input array: float32, row-major, contiguous; shape has ndim entries (1..KERAS_MAX_RANK).
 * Borrowed: read in place during the call (no copy), never written, not kept after it; the
 * caller keeps ownership of data and shape and leaves data unchanged until the call returns. */
typedef struct keras_array {
    const float *data;
    int ndim;
    const int64_t *shape;
} keras_array;

/* An output buffer the caller owns: data holds `capacity` floats; the library writes the result's
 * rank and shape into ndim and shape (also when the result does not fit, so that the caller can
 * size the buffer and retry), and the values into data. */
typedef struct keras_output {
    float *data;
    int64_t capacity;
    int ndim;
    int64_t shape[KERAS_MAX_RANK];
} keras_output;

/* Keras model.fit(x, y, sample_weight=..., validation_data=(val_x, val_y, val_sample_weight)):
 *   x: nx arrays, one per model input (model.inputs order); y: ny arrays, one per output (NULL
 *   and 0 for a model compiled without a loss, keras_model_compile);
 *   sample_weight: NULL, or one weight per sample (shape {n});
 *   val_x / val_y: nvx / nvy arrays (NULL and 0 for none; both or neither, but val_x alone
 *   when y is none), with val_sample_weight NULL or shape {n_val}. Validation data takes
 *   precedence over options' validation_split, as in Keras.
 * options_json, callbacks and history_json as keras_model_fit (which is this call with one x, one
 * y and nothing else). Errors: as keras_model_fit; SHAPE when the number of arrays does not match
 * the model's inputs/outputs or the sample counts differ; INVALID_ARGUMENT (NULL array with a
 * non-zero count, val_x without val_y, val_y without y). */
int keras_model_fit_arrays(keras_model *model,
                           const keras_array *x, int nx, const keras_array *y, int ny,
                           const keras_array *sample_weight,
                           const keras_array *val_x, int nvx, const keras_array *val_y, int nvy,
                           const keras_array *val_sample_weight,
                           const char *options_json,
                           keras_callback *const *callbacks, int n_callbacks,
                           char **history_json);

/* The History of the model's last fit (Keras `model.history`) as numbers, without writing each
 * figure as text (what history_json costs a short fit of many epochs): a caller may pass NULL as
 * a fit's history_json and call this after it.
 * *layout_json receives (caller-owned; keras_string_free) one [name, epochs, width] triple per key,
 * in history_json's order, e.g. [["accuracy", 300, 1], ["loss", 300, 1], ["val_loss", 150, 1]]:
 * width is 1, or the number of classes of a metric reported per class (F1Score with average
 * null); epochs is the key's own count (fewer for validation figures with validation_freq > 1).
 * values (capacity doubles) receives every key's figures in that order, epoch after epoch (a
 * per-class metric: its width values per epoch), non-finite ones as they are (history_json writes
 * them as null); *count receives how many there are, also when they do not fit. A model not
 * fitted yet has an empty History: layout [] and count 0 (values may then be NULL).
 * Errors: INVALID_ARGUMENT (layout_json or count NULL, capacity negative, values NULL with figures
 * to write), BUFFER_TOO_SMALL (*count tells the capacity needed; nothing else is written). */
int keras_model_history(keras_model *model, char **layout_json, double *values, int64_t capacity,
                        int64_t *count);

/* One training step on one batch: Keras's default train_step, the step keras_model_fit takes
 * (forward pass, loss with penalties, gradients, optimizer update, metrics). The compiled metrics
 * run on from the previous call (as Keras's model.metrics do through an epoch) unless
 * reset_metrics != 0. Arrays as keras_model_fit_arrays (the whole arrays are one batch).
 * *logs_json (caller-owned) receives the running figures after the step, as fit's batch logs:
 * {"loss": ..., per-output losses, metrics}. Lets a caller drive its own training loop.
 * Errors: STATE (not compiled), SHAPE, DATA, INVALID_ARGUMENT (NULL logs_json). */
int keras_model_train_batch(keras_model *model,
                            const keras_array *x, int nx, const keras_array *y, int ny,
                            const keras_array *sample_weight, int reset_metrics,
                            char **logs_json);

/* keras_model_train_batch with the figures written as numbers instead of JSON: what a training
 * loop driven from the host calls for each batch (a Python fit on a PyDataset), with no text to
 * write or parse per batch. values (capacity doubles) receives the running figures after the
 * step, key after key in logs_json's order (a metric reported per class, F1Score with average
 * null: its class values in a row), non-finite ones as they are; *count receives how many there
 * are, also when they do not fit. layout_json: NULL, or receives (caller-owned; keras_string_free)
 * one [name, width] pair per key, e.g. [["accuracy", 1], ["loss", 1]]: ask for it once, the keys
 * stay the same from batch to batch of one compile. The step is taken before the figures are
 * written: with BUFFER_TOO_SMALL (*count tells the capacity needed) the step has been taken,
 * layout_json is written when asked, and values is not.
 * Errors: as keras_model_train_batch's; INVALID_ARGUMENT (count NULL, capacity negative, values
 * NULL with figures to write), BUFFER_TOO_SMALL. */
int keras_model_train_batch_values(keras_model *model,
                                   const keras_array *x, int nx, const keras_array *y, int ny,
                                   const keras_array *sample_weight, int reset_metrics,
                                   char **layout_json, double *values, int64_t capacity,
                                   int64_t *count);

/* Copies the optimizer state of `from` (iteration count, learning rate, slots such as Adam's
 * moments: Keras's optimizer.variables) into `to`, compiled with the same optimizer over weights
 * of the same shapes in the same order: a model rebuilt from another keeps training where that
 * one was. `from` may be freed afterwards. Errors: STATE (either not compiled), INVALID_ARGUMENT
 * (another number of optimizer variables), SHAPE; `to` is unchanged then. */
int keras_model_copy_optimizer_state(keras_model *to, keras_model *from);

/* model.evaluate(x, y, sample_weight=...): arrays as keras_model_fit_arrays; results_json as
 * keras_model_evaluate (caller-owned). */
int keras_model_evaluate_arrays(keras_model *model,
                                const keras_array *x, int nx, const keras_array *y, int ny,
                                const keras_array *sample_weight,
                                const char *options_json,
                                keras_callback *const *callbacks, int n_callbacks,
                                char **results_json);

/* model.predict(x) for a model with any number of inputs and outputs: x has nx arrays (one per
 * input), outputs has n_outputs caller buffers (one per output, model.outputs order; see
 * keras_model_output_count and keras_model_io_shape to size them). Every output's shape is
 * written; if any buffer is too small, the call fails with BUFFER_TOO_SMALL after writing the
 * shapes and the outputs that fit. Errors: SHAPE (n_outputs differs from the model's outputs,
 * wrong input count), DATA, BUFFER_TOO_SMALL, STATE. */
int keras_model_predict_arrays(keras_model *model, const keras_array *x, int nx,
                               const char *options_json,
                               keras_callback *const *callbacks, int n_callbacks,
                               keras_output *outputs, int n_outputs);

/* Keras model(x, training=...): one forward pass over all of x (no batching), outputs as
 * keras_model_predict_arrays. *losses_json (may be NULL; caller-owned) receives the call's
 * activity penalties and add_loss values (inference calls included), Keras 3's model.losses
 * before its weight penalties: [{"layer": [names from the model's layer down], "value": v}, ...]
 * in Keras's order. training > 0 runs training mode (dropout, batch statistics), 0 inference;
 * training < 0 is Keras's training=None: each layer call recorded with a training argument in a
 * functional model (base(x, training=False)) runs with it, the others in inference. */
int keras_model_call(keras_model *model, const keras_array *x, int nx, int training,
                     keras_output *outputs, int n_outputs, char **losses_json);

/* A gradient-tape train_step with one forward pass per batch (Keras's `with tape: y_pred =
 * model(x, training=True); loss = compute_loss(...)`, then `optimizer.apply(tape.gradient(...))`):
 * keras_model_record_forward runs the training forward over all of x and keeps it recorded
 * (outputs and *losses_json as keras_model_call's, masks and has_mask as
 * keras_model_call_masked's or both NULL; *step_id receives its id; a later call replaces it);
 * keras_model_train_recorded finishes that step: the loss of those outputs against y
 * (penalties and add_loss values included), gradients through that same forward, the
 * optimizer's update and the metrics; *logs_json as keras_model_train_batch's.
 * Errors: STATE (not compiled, or step_id is not the last recorded forward), SHAPE, DATA,
 * INVALID_ARGUMENT (NULL outputs, step_id or logs_json). */
int keras_model_record_forward(keras_model *model, const keras_array *x, int nx,
                               keras_output *outputs, int n_outputs, keras_output *masks,
                               int *has_mask, int64_t *step_id, char **losses_json);
int keras_model_train_recorded(keras_model *model, int64_t step_id, const keras_array *y, int ny,
                               const keras_array *sample_weight, int reset_metrics,
                               char **logs_json);

/* The weight regularization penalties at the current weights, in trainable-weight order (what
 * Keras 3's model.losses ends with): JSON as keras_model_call's, caller-owned. */
int keras_model_weight_losses(keras_model *model, char **losses_json);

/* The number of inputs / outputs of a built model. Errors: STATE (not built). */
int keras_model_input_count(keras_model *model, int *count);
int keras_model_output_count(keras_model *model, int *count);

/* The shape of input `index` (is_input != 0) or output `index` (is_input == 0) for `batch`
 * samples, as keras_model_output_shape. Errors: STATE (not built), INVALID_ARGUMENT (index out of
 * range), BUFFER_TOO_SMALL. */
int keras_model_io_shape(keras_model *model, int is_input, int index, int64_t batch,
                         int64_t *shape, int capacity, int *ndim);

/* The output of the layer named layer_name when the model runs on x in inference mode (Keras:
 * Model(model.input, model.get_layer(name).output).predict(x)). Buffers as keras_model_predict.
 * Errors: INVALID_ARGUMENT (no such layer), SHAPE, BUFFER_TOO_SMALL. */
int keras_model_layer_output(keras_model *model, const char *layer_name,
                             const float *x, int x_ndim, const int64_t *x_shape,
                             float *out, int64_t capacity, int64_t *out_shape, int *out_ndim);

/* Stateful recurrent layers (Keras: stateful=True on RNN, SimpleRNN, LSTM, GRU, ConvLSTM1D/2D/3D,
 * Bidirectional over one): the states each call ends with start the next call on a batch of the
 * same size. layer_name is a layer of the model by name, as in keras_model_layer_output, or a
 * layer inside one by its path, Keras's layer.path: names joined by '/' from the model's layer
 * down ("bi/forward_lstm", "bi/backward_lstm": a Bidirectional's directions, each with its own
 * states), optionally led by the model's name ("sequential/bi/forward_lstm"). Errors (all
 * three): INVALID_ARGUMENT (no such layer or path, an empty path part, a layer that is not
 * recurrent, NULL layer_name).
 * keras_model_reset_states zeroes the states (Keras: model.get_layer(name).reset_states()); a
 * recurrent layer that is not stateful has none and is left as it is, as in Keras.
 * keras_model_layer_state_count: *count = len(layer.states) in Keras, 0 where Keras has None (not
 * stateful, or before the batch size is known: a first call, or an input with a fixed batch size);
 * Bidirectional gives the forward layer's states then the backward layer's.
 * keras_model_layer_state copies state `index` (0 <= index < count) into out (capacity floats),
 * its shape into shape (shape_capacity entries, given first so a caller can size out) and its
 * rank into *ndim. Further errors: INVALID_ARGUMENT (index out of range, NULL shape or ndim),
 * BUFFER_TOO_SMALL (shape or out). */
int keras_model_reset_states(keras_model *model, const char *layer_name);
int keras_model_layer_state_count(keras_model *model, const char *layer_name, int *count);
int keras_model_layer_state(keras_model *model, const char *layer_name, int index,
                            float *out, int64_t capacity, int64_t *shape, int shape_capacity,
                            int *ndim);

/* Keras: model.get_layer(name).normalized_weights() of a SpectralNormalization layer (layer_name
 * as in keras_model_layer_state): copies the power iteration's new vector_u (shape (1, units))
 * into vector_u (u_capacity floats) and the kernel divided by its estimated largest singular
 * value (the wrapped kernel's shape) into kernel (kernel_capacity floats); assigns neither. An
 * all-zero kernel comes back as it is, with vector_u. The caller owns both buffers. Errors:
 * INVALID_ARGUMENT (no such layer, not a SpectralNormalization, NULL layer_name), STATE (not
 * built), BUFFER_TOO_SMALL. */
int keras_model_layer_normalized_weights(keras_model *model, const char *layer_name,
                                         float *vector_u, int64_t u_capacity,
                                         float *kernel, int64_t kernel_capacity);

/* Keras: layer({"images": images, "labels": labels}, training=training) of a CutMix layer
 * (layer_name as in keras_model_layer_state): images of rank 3 or 4 (the layer's data format),
 * labels of shape (batch, classes) for a batch. Copies the images with each one's box pasted from
 * its partner into out_images (images' shape) and each sample's labels mixed with its partner's
 * by one minus the box's share of the image (Keras's mix_weight, from the box's unrounded corners)
 * into out_labels (labels' shape). The layer's seed generator moves on as for a call on the
 * images; at inference (training 0) and for one image both come back unchanged. The caller owns
 * the buffers. Errors: INVALID_ARGUMENT (no such layer, not a CutMix, NULL), SHAPE (labels not
 * (batch, classes), images not of rank 3 or 4), BUFFER_TOO_SMALL. */
int keras_model_layer_cut_mix(keras_model *model, const char *layer_name,
                              const float *images, int images_ndim, const int64_t *images_shape,
                              const float *labels, int labels_ndim, const int64_t *labels_shape, int training,
                              float *out_images, int64_t images_capacity,
                              float *out_labels, int64_t labels_capacity);

/* Keras: layer(images, training=training) of an AugMix layer (layer_name as in
 * keras_model_layer_state) with its augmentations chosen by the caller, as Keras chooses them
 * with Python's random.choice: choices holds num_chains x chain_depth entries, chain by chain,
 * each an index into the layer's augmentations in Keras's order (AUGMENT_LAYERS_ALL, or
 * AUGMENT_LAYERS without all_ops) or -1 for None. Copies the result (images' shape) into out; the
 * layer's seed generator moves on as Keras's does for those choices. Errors: INVALID_ARGUMENT (no
 * such layer, not an AugMix, a wrong number of choices or one out of range, NULL), SHAPE,
 * BUFFER_TOO_SMALL. */
int keras_model_layer_aug_mix(keras_model *model, const char *layer_name,
                              const float *images, int images_ndim, const int64_t *images_shape,
                              const int32_t *choices, int choice_count, int training,
                              float *out, int64_t capacity);

/* Chooses the augmentations of an AugMix layer's chains for one training call: fills
 * choices[0..count-1] (num_chains x chain_depth, chain by chain) each with an index among the
 * layer's `options` augmentations in Keras's order, or -1 for None; returns 0, or nonzero to fail
 * the call (the fit running it then fails with KERAS_ERR_CALLBACK; a choice out of range fails
 * it with KERAS_ERR_INVALID_ARGUMENT). */
typedef int (*keras_aug_mix_chooser_fn)(void *user_data, int options, int count, int32_t *choices);

/* Keras's AugMix chooses its chains' augmentations with Python's random.choice anew at every
 * training call, fit's steps included. Sets chooser(user_data, ...) as the chooser of every AugMix
 * layer of the model (nested ones too) for the training calls not given choices (fit,
 * train_on_batch); chooser NULL gives the choice back to the calling thread's generator (the
 * default). It runs on the thread running the fit; user_data stays owned by the caller and must
 * outlive its use. Errors: INVALID_ARGUMENT (bad handle). */
int keras_model_set_aug_mix_chooser(keras_model *model, keras_aug_mix_chooser_fn chooser, void *user_data);

/* Seed generators: Keras 3's keras.random.SeedGenerator held by a layer (a traced layer's random
 * ops naming "seed_generator"). Each state is [seed, counter] (Keras's variable
 * `<name>/seed_generator_state`, uint32, shape (2,)), moving on by one at each draw; as in Keras it
 * is one of the layer's variables (layer.variables, non_trainable_variables) but not a weight, so
 * files do not save it and a loaded model starts from [seed, 0].
 * keras_model_seed_generator_count: *count = the number of generators (model.variables order).
 * keras_model_seed_generator: generator `index`'s name and the name of the model's layer holding it
 * (*name, *layer_name: caller-owned, keras_string_free; either may be NULL) and its state into
 * state[0..1]. keras_model_set_seed_generator sets it (Keras: state.assign([seed, counter])).
 * Errors: INVALID_ARGUMENT (index out of range, NULL count or state). */
int keras_model_seed_generator_count(keras_model *model, int *count);
int keras_model_seed_generator(keras_model *model, int index, char **name, char **layer_name,
                               uint32_t state[2]);
int keras_model_set_seed_generator(keras_model *model, int index, const uint32_t state[2]);

/* Adapts the preprocessing layer named layer_name (Normalization: mean and variance;
 * Discretization: bin boundaries from num_bins; IntegerLookup, StringLookup: vocabulary; strings
 * encoded by keras_strings_encode) to the samples x (batch
 * axis first), as Keras's model.get_layer(name).adapt(x); call it before fit. The state is saved
 * with the model. Errors: INVALID_ARGUMENT (no such layer, or one without adapt), SHAPE (x does not
 * fit a built layer), DATA (NaN, empty), STATE (the layer was given its state at construction). */
int keras_model_adapt(keras_model *model, const char *layer_name,
                      const float *x, int x_ndim, const int64_t *x_shape);

/* String inputs (Keras: a tf.string tensor, keras.Input(dtype="string")): the library holds a
 * string as a float32 value (a NaN whose payload names the interned string), so string columns go
 * through every float API (predict, fit, adapt, keras_array) once encoded. keras_strings_encode
 * writes the n values for n NUL-terminated UTF-8 strings into out (n floats); keras_strings_decode
 * gives the strings of n values (e.g. a StringLookup(invert=True) output) as a caller-owned JSON
 * list, null at a number. A process holds at most 4194302 distinct strings.
 * Errors: INVALID_ARGUMENT (NULL), DATA (invalid UTF-8, too many distinct strings). */
int keras_strings_encode(const char *const *strings, int64_t n, float *out);
int keras_strings_decode(const float *values, int64_t n, char **out_json);

/* The output shape for `batch` samples: shape (capacity entries) receives *ndim dimensions, the
 * first being `batch`, unknown others -1. An output whose first dimension the model fixes while
 * its inputs' batch is free has no batch axis and keeps it (Keras's CenterCrop or Resizing on one
 * unbatched image, rank 3: the call's first dimension is the new height, not the image's rows).
 * A batch of -1 gives the shape as the model infers it, every unknown dimension -1, the batch
 * among them where it is one (an output's first axis need not be the batch: keras.ops.transpose
 * of a (None, 3) input gives (3, None)). Errors: STATE (model not built), BUFFER_TOO_SMALL,
 * INVALID_ARGUMENT (batch below -1). */
int keras_model_output_shape(keras_model *model, int64_t batch, int64_t *shape, int capacity, int *ndim);

/* The summary table, as Keras's model.summary() prints it. *out is caller-owned. */
int keras_model_summary(keras_model *model, char **out);

/* The summary with Keras 3's summary() options. options_json: NULL or {"line_length": 98
 * (20..1000), "positions": [0.45, 0.8, 1.0] (column ends as fractions of the line, one per
 * column), "show_trainable": false (a Trainable column: Y, N, - for layers without weights),
 * "layer_range": ["first", "last"] (rows from the first layer whose name matches the first
 * regular expression to the last matching the second), "style": "keras3" (default) or "keras2"
 * (Keras 2's table; line_length only), "subclass_layers": ["dense", ...] (a subclassed model's
 * table as Keras prints it: one row per named layer, in that order, without "Connected to"),
 * "batch_size": 32 (with subclass_layers: the first dimension of the output shapes; absent:
 * None), "unknown_shape_layers": ["encoder", ...] (with subclass_layers: rows whose output
 * shape Keras cannot tell, printed "?": a custom layer without compute_output_shape),
 * "trainable": true and "trainable_layers": {"dense": false, ...} (the model's and its
 * layers' trainable flags to count, as if set before the call; the model keeps its own),
 * "layer_types": {"sub": "MySub", ...} (the type printed for a layer, where Keras prints a
 * class the library does not hold: a nested subclassed model, held as its traced graph),
 * "expand_nested": false (Keras's expand_nested: under each nested model's row, the rows of
 * its layers, named after "   " a level and "\u2514 ", connected to "-")}.
 * *out is caller-owned.
 * Errors: INVALID_ARGUMENT (bad option, columns too narrow, layer_range matching no layer,
 * a subclass_layers name not in the model's graph, a trainable_layers or layer_types name not
 * a layer). */
int keras_model_summary_ex(keras_model *model, const char *options_json, char **out);

/* model.to_json(). *out is caller-owned. */
int keras_model_to_json(keras_model *model, char **out);

/* The running figures of the metrics the model's traced calls update (keras_layer_builder_metric)
 * after its last step: a JSON list [{"name": ..., "total": ..., "count": ... (null for a running
 * sum), "result": ... (only for keras_layer_builder_metric_object's metrics)}, ...] in order of
 * first update; [] before any step. *out is caller-owned. */
int keras_model_traced_metrics(keras_model *model, char **out);

/* The variables of the model's compiled metrics as the last fit, evaluate or train/test step
 * left them (Keras: `[m.variables for m in model.metrics]`). *out (caller-owned;
 * keras_string_free) is a JSON list in Keras's order of model.metrics: the loss tracker
 * {"name": "loss", "class_name": "Mean", "loss_tracker": true, "variables": [...]}, each
 * output's loss tracker ("loss_tracker": true), then
 * each compiled metric (listed once the first batch resolved it); a variable is {"name": "total",
 * "shape": [], "dtype": "float32", "value": [row-major values, non-finite ones null]} with
 * Keras's names (Mean: total, count; AUC: true_positives, false_positives, true_negatives,
 * false_negatives; MeanIoU: total_confusion_matrix (int32); ...). A metric whose variables Keras
 * makes at its first update (R2Score, F1Score) lists none before one; a plugin metric none.
 * "[]" before compile. Errors: INVALID_ARGUMENT (NULL model or out). */
int keras_model_metric_variables(keras_model *model, char **out);
/* The variables of a fresh built-in metric (Keras: `keras.metrics.AUC(num_thresholds=5).variables`
 * before any update) from its Keras config {"class_name": "AUC", "config": {...}}: *out
 * (caller-owned; keras_string_free) is the JSON list of its variables as in
 * keras_model_metric_variables. Errors: INVALID_ARGUMENT (bad JSON, bad arguments),
 * UNKNOWN_NAME (not a built-in metric class). */
int keras_metric_variables(const char *metric_json, char **out);
/* The result of a built-in metric whose variables hold `variables_json` (Keras:
 * `metric.stateless_result(metric_variables)`, and `result()` after `variable.assign(...)`):
 * metric_json as keras_metric_variables's; variables_json {"total": [..], "count": [..]}, each
 * variable's values row-major by the names keras_metric_variables lists (null for NaN). *out
 * (caller-owned; keras_string_free) is {"result": number, or a list for a metric reported per
 * class or per threshold, "variables": [as keras_metric_variables]}. Errors: INVALID_ARGUMENT
 * (bad JSON, a variable missing), SHAPE (a variable's value count), UNKNOWN_NAME. */
int keras_metric_stateless_result(const char *metric_json, const char *variables_json, char **out);

/* Ends the running fit after the current batch (Keras: model.stop_training = True). Meant to be
 * called from a callback. */
int keras_model_stop_training(keras_model *model);

/* Saves the model: format by extension, ".keras" (native zip), ".h5" (legacy HDF5) or ".json"
 * (config only). overwrite == 0 refuses an existing file. Errors: STATE (not built), IO,
 * INVALID_ARGUMENT (unknown extension). */
int keras_model_save(keras_model *model, const char *path, int overwrite);

/* The config.json that keras_model_save writes into a ".keras" archive of the model (Keras's
 * serialized model, as keras_model_to_json's but as written beside the layers' assets), without
 * shared-object marks (keras_model_save_config writes a config marked by the caller).
 * *out: caller-owned (keras_string_free). */
int keras_model_archive_config(keras_model *model, char **out);

/* keras_model_save, with a ".keras" archive's config.json given (config_json, written as the
 * library writes JSON): keras_model_archive_config's config with Keras's "shared_object_id"
 * marks (an object serialized more than once, as Keras's ObjectSharingScope marks it; the
 * config built once per save), or, for a model traced from a registered subclassed
 * model, Keras's entry of its class ({"module", "class_name", "config", "registered_name",
 * "build_config", "compile_config"}): a config naming a class other than the model's own
 * ("Functional", "Sequential") has the weights in Keras's layout for that subclass (its layers
 * under their attributes, as keras_model_save_weights writes them), which Keras reads back
 * into the model its class rebuilds. The other formats have no such config: it is not written
 * there. Errors: as keras_model_save's; INVALID_ARGUMENT (config_json NULL, not JSON, or not an
 * object with a "class_name" string and a "config" object; nothing is written). */
int keras_model_save_config(keras_model *model, const char *path, int overwrite, const char *config_json);

/* Saves only the weights: ".weights.h5" (Keras 3 layout) or ".h5" (legacy layout). */
int keras_model_save_weights(keras_model *model, const char *path, int overwrite);

/* Writes the model's inference graph as an ONNX file at path (replaced if it exists; Keras:
 * model.export(path, format="onnx")). opset_version 0 picks the default (17); 13 to 21 are
 * written. input_signature: NULL, or a JSON list with one object per model input
 * {"name": ..., "shape": [null, 4], "dtype": "float32"} (each key optional: the model's).
 * Inputs are named as the model's Input layers (or the signature's names) with a dynamic
 * batch dimension "batch"; outputs are "output_0", "output_1", ... Errors: INVALID_ARGUMENT
 * (a model not built, a layer with no ONNX form named with its class, a bad opset or
 * signature), SHAPE (a signature shape that does not fit), IO. On error no file is written. */
int keras_model_export_onnx(keras_model *model, const char *path, int opset_version,
                            const char *input_signature);

/* Loads weights from ".weights.h5", ".keras" or legacy ".h5" into a built model. */
int keras_model_load_weights(keras_model *model, const char *path);

/* keras_model_load_weights with Keras's options: by_name != 0 matches the layers of a legacy
 * ".h5" file by name (layers absent from the file keep their weights); skip_mismatch != 0 skips
 * layers whose weight shapes differ instead of failing. Errors: as keras_model_load_weights. */
int keras_model_load_weights_ex(keras_model *model, const char *path, int by_name, int skip_mismatch);

/* The optimizer's current learning rate (Keras: model.optimizer.learning_rate).
 * Errors: STATE (not compiled). */
int keras_model_learning_rate(keras_model *model, double *learning_rate);

/* Sets the optimizer's learning rate; may be called from a callback during fit.
 * Errors: STATE (not compiled, or the optimizer follows a LearningRateSchedule),
 * INVALID_ARGUMENT (negative or not finite). */
int keras_model_set_learning_rate(keras_model *model, double learning_rate);

/* The number of weight arrays (Keras's model.weights order: layer by layer, trainable first). */
int keras_model_weight_count(keras_model *model, int *count);

/* The path as Keras gives it ("sequential/dense/kernel", "dense/kernel" in a functional model)
 * and shape of weight `index`. name may be NULL; else *name is
 * caller-owned. shape: capacity entries (may be NULL for a scalar). Errors: INVALID_ARGUMENT
 * (index out of range), BUFFER_TOO_SMALL. */
int keras_model_weight_info(keras_model *model, int index, char **name,
                            int64_t *shape, int capacity, int *ndim);

/* *trainable = 1 when weight `index` is updated by fit (it is in Keras's model.trainable_weights:
 * a trainable variable of a trainable layer), else 0. Errors: INVALID_ARGUMENT (index, NULL). */
int keras_model_weight_trainable(keras_model *model, int index, int *trainable);

/* Copies weight `index` into out (capacity floats). */
int keras_model_get_weight(keras_model *model, int index, float *out, int64_t capacity);

/* Replaces weight `index` with `count` floats (count must equal the weight's size). */
int keras_model_set_weight(keras_model *model, int index, const float *data, int64_t count);

/* keras_model_from_json where each nested model entry (class "Functional" or "Sequential") named
 * as the model of one of the n_nested handles `nested` (borrowed) is that very model, not a copy:
 * as in Keras, the nested model and this one hold the same weights, so training, set_weight or
 * load_weights through either handle changes both. An entry's "trainable" flags (the model's and
 * its layers') are set on the shared model. Calls through the new handle also take the nested
 * handles' locks. *out is caller-owned (keras_model_free; the nested handles may be freed before
 * it). Errors: as keras_model_from_json; INVALID_ARGUMENT (a handle that is not a live model). */
int keras_model_from_json_sharing(const char *json, keras_model *const *nested, int n_nested,
                                  keras_model **out);

/* A new handle on the model that is layer `name` of `model` (a nested model: a loaded model's
 * base), sharing its weights and its lock. *out is caller-owned (keras_model_free).
 * Errors: INVALID_ARGUMENT (no such layer, or the layer is not a model). */
int keras_model_nested_model(keras_model *model, const char *name, keras_model **out);

/* Replaces the activation of layer `layer_name` of `model` (names down through nested layers
 * joined by '/') with `activation_json`, a layer config's activation value ("relu", null for
 * linear, a serialized activation object): Keras's `layer.activation = f` on a built model. The
 * next predict, fit or evaluate applies it (also in other models holding the layer).
 * Errors: INVALID_ARGUMENT (no such layer, a layer without an activation, unknown activation). */
int keras_model_set_layer_activation(keras_model *model, const char *layer_name, const char *activation_json);

/* Sets the trainable flags of the model, its layers and its nested models' layers to those of
 * config_json (the model's {"class_name", "config": {"trainable", "layers": [...]}}, as
 * keras_model_to_json writes it), changing only those that differ and keeping the weights; as in
 * Keras the flags take effect at the next keras_model_compile. A nested model shared with other
 * handles (keras_model_from_json_sharing) changes for them too. Errors: INVALID_ARGUMENT (JSON). */
int keras_model_set_trainable(keras_model *model, const char *config_json);

/* keras_model_from_json_sharing where, besides, each entry of `layers_json` ([[i, "name"], ...])
 * makes layer `name` of models[i] the layer of that name in the new model, itself, not a copy:
 * Keras's feature extraction (`Model(base.input, base.get_layer("x").output)`), holding the same
 * weights as models[i]; the entry's "trainable" flag is set on the layer. An entry
 * [i, "name", true] says models[i] is a private model of the layer's first call (a binding's, for
 * a layer Keras builds alone): the new model's call is the layer's node 0, and its weights' paths
 * lose models[i]'s name. Calls through the new
 * handle also take the handles' locks. Errors: as keras_model_from_json_sharing; INVALID_ARGUMENT
 * (layers_json not such a list, an index out of range, no such layer in that model); IO (the
 * config has no entry of that name and class). */
int keras_model_from_json_sharing_layers(const char *json, keras_model *const *models, int n_models,
                                         const char *layers_json, keras_model **out);

/* keras_model_call with the Keras masks of its outputs (the `_keras_mask` Keras sets on
 * model(x)'s outputs: an Embedding(mask_zero=True)'s or a Masking's, as the layers after it pass
 * it on). masks has n_outputs caller buffers as outputs (a mask has the output's shape without its
 * last axis, or less); has_mask (n_outputs ints) receives 1 for an output that carries a mask,
 * written into its buffer (1 keeps a position, 0 masks it), and 0 for one that carries none,
 * whose buffer is left as it was. Errors: as keras_model_call. */
int keras_model_call_masked(keras_model *model, const keras_array *x, int nx, int training,
                            keras_output *outputs, int n_outputs, keras_output *masks,
                            int *has_mask, char **losses_json);

/* Keras's model(x, mask=m): keras_model_call_masked with the inputs' masks, x_masks[i] for x[i]
 * (1 keeps a position, 0 masks it; Keras's mask drops the features axis: (batch, steps) for a
 * (batch, steps, features) input); an entry whose data is NULL gives its input no mask. A layer
 * written in Python or C that a mask reaches is traced with it. Errors: as
 * keras_model_call_masked; INVALID_ARGUMENT (x_masks NULL, a mask whose shape does not fit). */
int keras_model_call_with_masks(keras_model *model, const keras_array *x, const keras_array *x_masks,
                                int nx, int training, keras_output *outputs, int n_outputs,
                                keras_output *masks, int *has_mask, char **losses_json);

/* *json (caller-owned) = a JSON list with, for each weight in keras_model_weight_count's order,
 * the name of the layer of the model that lists it (the first of model.layers whose weights hold
 * it, as Keras's model.weights walks them; a layer written in Python lists the models its traced
 * call reuses, whose weight paths do not name it), or null for the model's own weight.
 * Errors: INVALID_ARGUMENT (json NULL). */
int keras_model_weight_layers(keras_model *model, char **json);

/* *json (caller-owned) = a JSON list of each weight's number, in keras_model_weight_count's order:
 * unique to its variable in the process and never reused, the same in every model holding that
 * variable (a nested model, a layer shared by two models), so that a binding keeps one object per
 * variable (Keras's `model.weights[0] is dense.kernel`). Errors: INVALID_ARGUMENT (json NULL). */
int keras_model_weight_ids(keras_model *model, char **json);

/* *json (caller-owned) = a JSON list of each weight's dtype, in keras_model_weight_count's order:
 * "float32", or an integer dtype for an integer variable (a layer's counter, Keras's
 * add_weight(dtype="int32")): "int32", "int64" (held as int32, as Keras on jax holds it) or
 * "uint32". keras_model_get_weight gives an integer weight's values as floats (exact up to 2^24);
 * keras_model_get_weight_int32 and keras_model_set_weight_int32 read and write them exactly (a
 * uint32 weight's as their bit patterns: cast the buffer to uint32_t). Errors: INVALID_ARGUMENT
 * (json NULL). */
int keras_model_weight_dtypes(keras_model *model, char **json);

/* Quantizes the model's Dense, EinsumDense and Embedding layers in place (Keras:
 * model.quantize(mode)): each kernel (an Embedding's table) becomes an "int8" weight with a
 * float32 per-channel scale ("kernel_scale", "embeddings_scale"), both non-trainable; inputs are
 * quantized per row at call time, as Keras does. mode: "int8"; or "int4" (Keras's default
 * Int4QuantizationConfig: weight-only, values packed two to a byte, a scale and a zero point per
 * block of 128 along the contracted axis), "int4/N" (blocks of N) or "int4/-1" (one scale per
 * output channel), as Keras's Int4DTypePolicy names them. Keras's other modes are refused.
 * *skipped (owned by the caller, free with keras_string_free) receives the class names of the
 * leaf layers left unquantized, as a JSON list. Errors: INVALID_ARGUMENT (unknown or unsupported
 * mode, a layer not built or already quantized, NULLs). layers_json: a JSON list of the names
 * of the layers to quantize (Keras's filters), or NULL for all. */
int keras_model_quantize(keras_model *model, const char *mode, const char *layers_json, char **skipped);

/* Copies integer weight `index` into out (capacity values). Errors: INVALID_ARGUMENT (index out of
 * range, a float32 weight, out NULL), BUFFER_TOO_SMALL. */
int keras_model_get_weight_int32(keras_model *model, int index, int32_t *out, int64_t capacity);

/* Replaces integer weight `index` with `count` values (count must equal the weight's size).
 * Errors: INVALID_ARGUMENT (index out of range, a float32 weight, data NULL), SHAPE (count). */
int keras_model_set_weight_int32(keras_model *model, int index, const int32_t *data, int64_t count);

/* *iterations = the optimizer's step count, Keras's optimizer.iterations (an int32 variable in
 * Keras on jax, written as int32 in weights files as "iteration", as int64 past int32; an int64
 * count of Keras on TensorFlow is read exactly). Errors: STATE (not compiled), INVALID_ARGUMENT
 * (iterations NULL). */
int keras_model_optimizer_iterations(keras_model *model, int64_t *iterations);

/* Keras's model.optimizer.variables of a compiled model, in Keras's order (iteration,
 * learning_rate unless a schedule gives it, then moving averages, gradient accumulators and slots
 * as the optimizer makes them for the model's trainable weights), as keras_model_history gives a
 * History: a layout and a buffer of numbers, no value written as text.
 * *layout_json (caller-owned; keras_string_free) receives each variable as keras_optimizer_variables
 * lists it, with "offset" (where its values start in `values`) for a float32 variable (an int32
 * step count has its exact "value"), plus the weight it belongs to: "owner",
 * its index in keras_model_weight_count's order, and "owner_path" (null both for the optimizer's
 * own):
 * [{"path": "adam/iteration", "shape": [], "dtype": "int32", "value": 3, "owner": null, ...},
 *  {"path": "adam/learning_rate", "shape": [], "dtype": "float32", "offset": 0, "owner": null, ...},
 *  {"path": "adam/sequential_dense_kernel_momentum", "shape": [4, 2], "dtype": "float32",
 *   "offset": 1, "owner": 0, "owner_path": "sequential/dense/kernel"}, ...].
 * values (capacity floats) receives the float32 variables' values one after the other, each
 * row-major; *count receives how many there are, also when they do not fit. Before the first fit
 * the slots are made with their initial values, as saving the model makes them.
 * Errors: STATE (not compiled), INVALID_ARGUMENT (layout_json or count NULL, capacity negative,
 * values NULL with values to write), BUFFER_TOO_SMALL (*count tells the capacity needed; nothing
 * else is written). */
int keras_model_optimizer_variables(keras_model *model, char **layout_json, float *values, int64_t capacity,
                                    int64_t *count);

/* Sets the optimizer's step count (Keras: optimizer.iterations.assign(n)): a training resumed at
 * step `iterations` (learning-rate schedules and Adam's bias correction read it). Errors: STATE
 * (not compiled), INVALID_ARGUMENT (iterations negative). */
int keras_model_set_optimizer_iterations(keras_model *model, int64_t iterations);

/* Sets every variable of a compiled model's optimizer (Keras: optimizer.variables[i].assign(v)):
 * `values_json` in keras_model_optimizer_variables's order, each as keras_optimizer_set_variables
 * takes it ({"shape": [...], "value": a number or a flat list, "dtype": "int32" for the step
 * count}). Errors: STATE (not compiled), INVALID_ARGUMENT (bad JSON, another number of
 * variables), SHAPE (a value's shape); nothing changes then. */
int keras_model_set_optimizer_variables(keras_model *model, const char *values_json);

/* ------------------------------------------------------------------------------------------ */
/* Callbacks                                                                                  */
/* ------------------------------------------------------------------------------------------ */

/* The hooks of keras.callbacks.Callback, passed as `event`. */
typedef enum keras_callback_event {
    KERAS_ON_TRAIN_BEGIN = 0,
    KERAS_ON_TRAIN_END = 1,
    KERAS_ON_EPOCH_BEGIN = 2,       /* index: epoch */
    KERAS_ON_EPOCH_END = 3,         /* index: epoch; logs hold the epoch's figures */
    KERAS_ON_TRAIN_BATCH_BEGIN = 4, /* index: batch */
    KERAS_ON_TRAIN_BATCH_END = 5,
    KERAS_ON_TEST_BEGIN = 6,
    KERAS_ON_TEST_END = 7,
    KERAS_ON_TEST_BATCH_BEGIN = 8,
    KERAS_ON_TEST_BATCH_END = 9,
    KERAS_ON_PREDICT_BEGIN = 10,
    KERAS_ON_PREDICT_END = 11,
    KERAS_ON_PREDICT_BATCH_BEGIN = 12,
    KERAS_ON_PREDICT_BATCH_END = 13 /* logs hold "outputs": the batch's predictions, a nested list per output */
} keras_callback_event;

/* A callback function: called for every hook with the event, the epoch or batch index (-1 for
 * begin/end hooks) and the logs as a JSON object ({"loss": 0.25, "accuracy": 0.75}; borrowed,
 * valid during the call). Return 0 to continue; any other value stops the running loop, which
 * then fails with KERAS_ERR_CALLBACK and a message naming the hook, the code and the message set
 * with keras_callback_error(). To end training cleanly instead, call keras_model_stop_training. */
typedef int (*keras_callback_fn)(void *user_data, int event, int64_t index, const char *logs_json);

/* A destructor for user data, called once when the last object using it is freed. */
typedef void (*keras_free_fn)(void *user_data);

/* Sets the message that explains why the running user callback (of any kind: callback, plugin
 * layer, loss, metric, activation) is about to return non-zero. The string is copied. */
void keras_callback_error(const char *message);

/* A callback that calls fn(user_data, ...) for every hook. name (may be NULL) appears in error
 * messages. free_user_data (may be NULL) is called on user_data when the handle is freed and no
 * running call uses it any more. *out is caller-owned (keras_callback_free). */
int keras_callback_new(const char *name, keras_callback_fn fn, void *user_data,
                       keras_free_fn free_user_data, keras_callback **out);

/* The bit of an event in keras_callback_new_masked's `events`. */
#define KERAS_EVENT_BIT(event) (1u << (event))
/* The epoch-level hooks (train/test/predict begin and end, epoch begin and end). */
#define KERAS_EVENTS_EPOCH (KERAS_EVENT_BIT(KERAS_ON_TRAIN_BEGIN) | KERAS_EVENT_BIT(KERAS_ON_TRAIN_END) | \
    KERAS_EVENT_BIT(KERAS_ON_EPOCH_BEGIN) | KERAS_EVENT_BIT(KERAS_ON_EPOCH_END) | \
    KERAS_EVENT_BIT(KERAS_ON_TEST_BEGIN) | KERAS_EVENT_BIT(KERAS_ON_TEST_END) | \
    KERAS_EVENT_BIT(KERAS_ON_PREDICT_BEGIN) | KERAS_EVENT_BIT(KERAS_ON_PREDICT_END))
/* Every hook. */
#define KERAS_EVENTS_ALL 0x3FFFu

/* keras_callback_new, but fn is called only for the hooks whose bit is set in `events`
 * (KERAS_EVENT_BIT(KERAS_ON_EPOCH_END) | ...), so that a callback implementing a few hooks costs
 * nothing for the others (no call, no logs JSON); without batch-level bits the training loop also
 * skips making per-batch logs for it. events == 0 gives a callback that is never called.
 * Errors: INVALID_ARGUMENT (fn NULL, bits beyond KERAS_EVENTS_ALL). */
int keras_callback_new_masked(const char *name, keras_callback_fn fn, void *user_data,
                              keras_free_fn free_user_data, uint32_t events, keras_callback **out);

/* A learning-rate schedule: writes the rate for `epoch` into *new_lr given the current rate lr
 * (0-based epochs, as Keras's schedule(epoch, lr)). Non-zero return fails the fit (CALLBACK). */
typedef int (*keras_schedule_fn)(void *user_data, int64_t epoch, double lr, double *new_lr);

/* Keras's LearningRateScheduler(schedule, verbose): at each epoch's start the optimizer's learning
 * rate becomes schedule(epoch, lr); "learning_rate" is added to the epoch logs (and the History);
 * verbose > 0 prints the Keras message. free_user_data (may be NULL) runs when the handle is
 * freed and no fit uses it. *out is caller-owned (keras_callback_free).
 * Errors: INVALID_ARGUMENT (schedule NULL, verbose < 0); at fit: CALLBACK, INVALID_ARGUMENT (a
 * negative or non-finite rate), STATE (not compiled). */
int keras_callback_lr_scheduler_new(keras_schedule_fn schedule, void *user_data,
                                    keras_free_fn free_user_data, int verbose, keras_callback **out);

/* A built-in Keras callback by class name and constructor arguments, e.g.
 * ("EarlyStopping", "{\"monitor\": \"loss\", \"patience\": 2}"). Also ReduceLROnPlateau,
 * ModelCheckpoint, CSVLogger, TerminateOnNaN, TensorBoard (event files in log_dir/train and
 * log_dir/validation), SwapEMAWeights, RemoteMonitor (http:// only) and PlotHistory; the
 * catalogue (keras_catalog_json) lists each one's arguments. args_json may be NULL.
 * Errors: UNKNOWN_NAME, INVALID_ARGUMENT. */
int keras_callback_from_config(const char *class_name, const char *args_json, keras_callback **out);

/* Frees a callback handle. NULL is ignored. */
void keras_callback_free(keras_callback *callback);

/* The attributes Keras's callback exposes after fit, of the callback the latest fit, evaluate,
 * predict or keras_model_callbacks_begin made from this handle (each call gets a fresh one;
 * before any call, those a fresh one starts with). *out (caller-owned; keras_string_free) is a
 * JSON object by Keras's names: EarlyStopping {"wait", "stopped_epoch", "best" (null: none
 * yet), "best_epoch", "has_best_weights" (restore_best_weights kept the best epoch's weights,
 * which are the model's after fit)}; ReduceLROnPlateau {"wait", "best", "cooldown_counter"};
 * ModelCheckpoint {"best"}; {} for the others. Read during a fit (from another callback of it),
 * the state so far. Errors: INVALID_ARGUMENT (NULL handle or out). */
int keras_callback_state(keras_callback *callback, char **out);

/* Built-in callbacks driven by the caller's own training loop (one that calls
 * keras_model_train_batch per batch, or trains otherwise): keras_callback_run_event fires their
 * hooks with the logs the loop computed, and they act on `model` as in keras_model_fit
 * (keras_model_stop_training, learning rate, restored or saved weights, files, figures added to
 * an epoch's logs, the epoch BackupAndRestore resumes from). Each callback handle gives fresh
 * loop state, as for a fit. params_json (may be NULL): {"epochs": 10, "steps": 4, "verbose": 0}
 * as fit gives its callbacks. Clears the model's stop_training flag. *wants_batch_logs (may be
 * NULL) is set to 1 when a callback uses the batch-level hooks (else the loop may skip them).
 * The run keeps the model alive; *out is caller-owned (keras_callback_run_free).
 * Errors: INVALID_ARGUMENT (a bad handle or params key), UNKNOWN_NAME. */
typedef struct keras_callback_run keras_callback_run;
int keras_model_callbacks_begin(keras_model *model, keras_callback *const *callbacks, int n_callbacks,
                                const char *params_json, int *wants_batch_logs,
                                keras_callback_run **out);

/* Fires hook `event` of every callback of the run, in order, with index (the epoch or batch for
 * indexed hooks, >= 0; ignored otherwise) and logs_json (a JSON object of numbers, null for NaN;
 * may be NULL). *result_json (caller-owned) receives {"logs": {...}, "stop_training": bool}:
 * the logs after the callbacks (at an epoch's end they may add figures, e.g. "learning_rate"),
 * whether a callback asked training to stop, and after KERAS_ON_TRAIN_BEGIN "initial_epoch" when
 * a callback (BackupAndRestore) asks the loop to resume from that epoch. Keras's fit calls
 * keras_model_finalize_variable_values before KERAS_ON_TRAIN_END.
 * Errors: INVALID_ARGUMENT (bad event, index, logs or NULL result_json), and what a callback
 * raises (IO, CALLBACK, STATE...). */
int keras_callback_run_event(keras_callback_run *run, int event, int64_t index,
                             const char *logs_json, char **result_json);

/* Frees a run (its callbacks' files are closed). NULL is ignored. */
void keras_callback_run_free(keras_callback_run *run);

/* Keras's optimizer.finalize_variable_values(model.trainable_weights), which fit calls once its
 * epochs are over (epochs > 0): with use_ema the weights become their moving averages; nothing
 * otherwise (nor when the model is not compiled). Errors: INVALID_ARGUMENT (bad handle). */
int keras_model_finalize_variable_values(keras_model *model);

/* ------------------------------------------------------------------------------------------ */
/* Output                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* Receives text the library would print on stdout (a UTF-8 string, borrowed for the call). */
typedef void (*keras_print_fn)(void *user_data, const char *text);

/* Sends everything the library prints on stdout (fit/evaluate/predict progress bars, the
 * messages of verbose callbacks such as EarlyStopping, printed summaries) to fn(user_data, text)
 * instead, for the whole process; fn NULL restores stdout. dynamic != 0 says that the destination
 * redraws a line on "\r" (a terminal, Jupyter): progress bars then animate; 0 gives one final
 * line per epoch (logs, captured output). fn may be called from any thread that runs a fit
 * (searches run fits on worker threads) and must not call back into the library; user_data stays
 * owned by the caller and must outlive the hook. Not meant to be changed while fits run. */
void keras_set_print_hook(keras_print_fn fn, void *user_data, int dynamic);

/* ------------------------------------------------------------------------------------------ */
/* Estimators (scikit-learn style) and model selection                                        */
/* ------------------------------------------------------------------------------------------ */
/* Parameters are JSON objects with scikit-learn / SciKeras keys: "epochs", "batch_size",
 * "optimizer", "loss", "metrics", "verbose", "validation_split", "random_state", and routed keys
 * such as "optimizer__learning_rate" and "predict__batch_size", "predict__verbose". Targets y
 * are float32: class labels as numbers (shape {n}) for classifiers, values ({n} or {n, k}) for
 * regressors.
 * Fit arguments (SciKeras's fit__ routing): "fit__initial_epoch" (a fit trains "epochs" epochs
 * numbered from it; unset: from 0, and a partial fit after the epochs trained since the model
 * was built), "fit__steps_per_epoch", "fit__validation_freq", "fit__validation_batch_size" and
 * "validation_batch_size" (the validation's batch size; unset: batch_size, as in Keras).
 * "target_encoder": "passthrough" when the caller encodes the targets itself (SciKeras's user
 * target_encoder): y is taken as the loss wants it, no classes are analysed, and predict and
 * predict_proba give the model's raw outputs for the caller to decode (score of a classifier
 * fails with INVALID_ARGUMENT; class_weight and a partial fit's classes are refused). A model
 * with several outputs takes its targets side by side in one y of shape {n, columns} and
 * "output_columns": [c1, c2, ...], the columns of each output in the model's output order;
 * predict then gives each sample's outputs side by side ({n, units of all outputs}).
 * "label_order": "numeric" (KerasClassifier) when keras_estimator_fit_labels' strings are the
 * decimal text of numbers, such as integer ids that float32 cannot hold (above 2^24): the
 * classes sort by value (integers exactly), as scikit-learn sorts numeric labels. */

/* An estimator of `kind` "KerasClassifier" or "KerasRegressor" whose models are built from
 * model_json (a Keras model config, as keras_model_to_json gives; each fit starts from fresh
 * weights). params_json may be NULL. *out is caller-owned (keras_estimator_free).
 *
 * Model parameters (SciKeras's model__<name>): model_json may be a template, a config holding
 * placeholders {"$param": "hidden"} or {"$param": "hidden", "default": 8} anywhere (a layer's
 * "units", an "activation", a whole "layers" list...). Each fit fills every placeholder with the
 * estimator's model__<name> parameter (any JSON value), or its default, so that
 * keras_estimator_set_params({"model__hidden": 16}) and searches over "model__hidden" vary the
 * model itself. get_params reports the template as "model".
 * Errors: UNKNOWN_NAME (kind), INVALID_ARGUMENT/IO (bad JSON or config, unknown parameter,
 * malformed placeholder; a model__ key that is not a placeholder fails at fit). */
int keras_estimator_new(const char *kind, const char *model_json, const char *params_json,
                        keras_estimator **out);

/* An estimator of `kind` ("KerasClassifier" / "KerasRegressor") that trains `model` itself, not
 * a copy: the model a binding's own model function built (and may have compiled), as SciKeras
 * trains what its model function returns. Its fits do what keras_estimator_fit does (target
 * analysis and encoding, metadata, compile with the estimator's optimizer and loss if the model
 * is not compiled, history_), except that no output layer is appended or checked against the
 * target (a loss that does not fit the outputs fails in the fit) and a diverging loss is left
 * in history_ instead of failing the fit. Each fit trains the same model further. The two handles share one lock, and the
 * model stays the caller's: keras_model_free it as usual; the estimator keeps it alive.
 * keras_estimator_clone of it fails with STATE. params_json may be NULL. *out is caller-owned.
 * Errors: INVALID_ARGUMENT (NULL, freed or wrong model handle, bad JSON, unknown parameter),
 * UNKNOWN_NAME (kind). */
int keras_estimator_from_model(const char *kind, keras_model *model, const char *params_json,
                               keras_estimator **out);

/* Frees an estimator. NULL is ignored. */
void keras_estimator_free(keras_estimator *estimator);

/* Sets parameters (scikit-learn set_params). Errors: INVALID_ARGUMENT (unknown key). */
int keras_estimator_set_params(keras_estimator *estimator, const char *params_json);

/* All parameters with defaults (get_params(deep=True)) as a JSON object; *out caller-owned. */
int keras_estimator_get_params(keras_estimator *estimator, char **out);

/* An unfitted copy with the same parameters (sklearn.base.clone). *out is caller-owned. */
int keras_estimator_clone(keras_estimator *estimator, keras_estimator **out);

/* The fitted estimator's metadata as a JSON object with SciKeras's keys: n_features_in_,
 * classes_ and n_classes_ (null for regressors), n_outputs_, n_outputs_expected_ (model
 * outputs), output_units, target_type_, output_activation, default_loss, history_ (per-epoch
 * figures since the model was built; a per-class metric such as F1Score(average=None) as one list
 * of class values per epoch); and what keras_estimator_restore needs besides: classes_kind
 * ("numbers" or "strings": what the classes_ keys of a single-label classifier stand for; else
 * null), target_encoding ("ordinal", "onehot", "argmax" or "identity"), y_ndim_ (1: y was {n},
 * 2: {n, k}) and sample_shape (X's shape without the sample axis). *out caller-owned.
 * Errors: STATE (not fitted). */
int keras_estimator_metadata(keras_estimator *estimator, char **out);

/* A fitted estimator of `kind` ("KerasClassifier" / "KerasRegressor") around `model`, an already
 * trained model, from the metadata_json that keras_estimator_metadata gave for the estimator
 * that fitted it (the same process or another: a pickled binding estimator, a search's refit
 * taken over by keras_estimator_model). It predicts, scores and continues training
 * (keras_estimator_partial_fit, warm_start) as that estimator would: the same classes and
 * decoding, history_ extended and epochs numbered on from the metadata's history_. Like
 * keras_estimator_from_model, it trains `model` itself (sharing its lock; the model stays the
 * caller's) and compiles it with the estimator's optimizer and loss if it is not compiled.
 * params_json (may be NULL) should be the parameters of the estimator that fitted (its loss
 * decides the target encoding, which must match). *out is caller-owned (keras_estimator_free).
 * Errors: INVALID_ARGUMENT (a missing or mistyped metadata field, or fields that do not hold
 * together, named in the message: classes_ unsorted or not matching classes_kind, a
 * target_encoding the target type and loss do not give, sample_shape not starting with
 * n_features_in_, history_ lists of different lengths...; a model with several outputs unless
 * params give target_encoder "passthrough", whose metadata has target_encoding "identity" and
 * whose predictions are the model's raw outputs; bad params; NULL, freed or wrong model handle),
 * UNKNOWN_NAME (kind). */
int keras_estimator_restore(const char *kind, keras_model *model, const char *params_json,
                            const char *metadata_json, keras_estimator **out);

/* The model the estimator's last fit trained (for a Pipeline: its last step's), as a model handle
 * sharing it: predict, get_weights, save... through the keras_model_* calls, e.g. to take over a
 * search's refit (keras_search_best_estimator) in a binding's own estimator. Calls through the
 * two handles never run at the same time (they share one lock). A later fit that builds a new
 * model (no warm start) leaves this one as it was; a warm-started fit trains it further. *out is
 * caller-owned (keras_model_free) and stays valid after keras_estimator_free.
 * Errors: STATE (not fitted), INVALID_ARGUMENT (NULL, freed or wrong handle, NULL out). */
int keras_estimator_model(keras_estimator *estimator, keras_model **out);

/* What an estimator of kind "KerasClassifier" / "KerasRegressor" with params_json (loss,
 * loss__*, class_weight; may be NULL) decides for data before any model exists, so that a
 * binding building its own models does not decide again. X is described by its shape only
 * (x_ndim >= 2: {n, features} or {n, ...}); y is numbers (y, y_ndim, y_shape; labels_json NULL)
 * or string labels (y NULL, labels_json a JSON list of n strings). output_units is the width of
 * the binding's built model (0: not built yet); it decides the default loss of single-label
 * classifiers. *out (caller-owned) is a JSON object: n_features_in_, sample_shape, target_type_
 * (scikit-learn's type_of_target), encoder_target_type (one-hot rows: "multiclass-onehot"),
 * classes_ (label keys, sorted; null for regressors and multi-output classes), class_first_index
 * (index in y of each class's first sample, or null), n_classes_, n_outputs_ (as SciKeras: 1
 * for classifiers, y's columns for regressors), n_outputs_expected_, output_units, output_activation, target_encoding ("ordinal", "onehot",
 * "argmax" or "identity"), default_loss, class_weight (one weight per class, or null).
 * Errors: INVALID_ARGUMENT (bad params or class_weight, continuous y for a classifier: "Unknown
 * label type: continuous", y and labels_json both given), SHAPE (x_ndim < 2, sample counts
 * differ), UNKNOWN_NAME (kind), DATA (empty or non-finite y). */
int keras_estimator_describe(const char *kind, const char *params_json, int32_t x_ndim,
                             const int64_t *x_shape, const float *y, int32_t y_ndim,
                             const int64_t *y_shape, const char *labels_json,
                             int64_t output_units, char **out);

/* Fits on x ({n, features}, or {n, ...} for images and sequences: later calls must give samples
 * of the same shape) and y. */
int keras_estimator_fit(keras_estimator *estimator,
                        const float *x, int x_ndim, const int64_t *x_shape,
                        const float *y, int y_ndim, const int64_t *y_shape);

/* fit(x, y, sample_weight=w): keras_estimator_fit with one weight per sample (n_weights == n;
 * sample_weight NULL and n_weights 0 for none). Errors: SHAPE (count differs), DATA (NaN). */
int keras_estimator_fit_weighted(keras_estimator *estimator,
                                 const float *x, int x_ndim, const int64_t *x_shape,
                                 const float *y, int y_ndim, const int64_t *y_shape,
                                 const float *sample_weight, int64_t n_weights);

/* keras_estimator_fit_weighted with callbacks for this fit (keras_callback handles, as
 * keras_model_fit takes them; callbacks may be NULL when n_callbacks is 0), run after those of
 * the estimator's `callbacks` parameter. A callback may call keras_model_* on a handle of the
 * model being trained (keras_estimator_from_model's, keras_model_stop_training included): the
 * handles share one lock, which the fit's own thread holds. KerasClassifier / KerasRegressor
 * only. Errors: as keras_estimator_fit_weighted; INVALID_ARGUMENT (a Pipeline, n_callbacks < 0,
 * a bad callback handle), CALLBACK (a callback failed; its message). */
int keras_estimator_fit_callbacks(keras_estimator *estimator,
                                  const float *x, int x_ndim, const int64_t *x_shape,
                                  const float *y, int y_ndim, const int64_t *y_shape,
                                  const float *sample_weight, int64_t n_weights,
                                  keras_callback *const *callbacks, int n_callbacks);

/* partial_fit(x, y, classes=classes, sample_weight=w) with callbacks for this call (as
 * keras_estimator_fit_callbacks): one epoch on the estimator's model (a new one on the first
 * call or after keras_estimator_clone), numbered after the epochs trained since it was built, so
 * callbacks and the progress line see epoch n + 1 of n + 1; history_ grows by that epoch.
 * classes ({n_classes} labels; NULL and 0 for none) counts as seen on the first call of a
 * classifier, when y lacks some of the labels later calls bring; later calls keep the first
 * call's classes. KerasClassifier / KerasRegressor only. Errors: as keras_estimator_fit_callbacks;
 * INVALID_ARGUMENT (classes with n_classes <= 0 or NULL with n_classes > 0, classes for a
 * regressor, a multi-column y with classes), and y with a label outside the first call's classes. */
int keras_estimator_partial_fit(keras_estimator *estimator,
                                const float *x, int x_ndim, const int64_t *x_shape,
                                const float *y, int y_ndim, const int64_t *y_shape,
                                const float *sample_weight, int64_t n_weights,
                                const float *classes, int64_t n_classes,
                                keras_callback *const *callbacks, int n_callbacks);

/* keras_estimator_fit_callbacks (partial == 0) or keras_estimator_partial_fit (partial != 0) of a
 * KerasClassifier on string labels: labels_json is a JSON list of n strings (y), classes_json
 * (partial fits only; may be NULL) a JSON list of the labels a first partial fit counts as seen.
 * Classes sort as strings; keras_estimator_predict_labels gives predictions back as labels.
 * Errors: as keras_estimator_partial_fit; INVALID_ARGUMENT (not a KerasClassifier, labels_json
 * or classes_json not a JSON list of strings, classes_json with partial == 0). */
int keras_estimator_fit_labels(keras_estimator *estimator,
                               const float *x, int x_ndim, const int64_t *x_shape,
                               const char *labels_json, const float *sample_weight, int64_t n_weights,
                               int partial, const char *classes_json,
                               keras_callback *const *callbacks, int n_callbacks);

/* Predicted labels of an estimator fitted on string labels (keras_estimator_fit_labels), as a
 * JSON list of n strings; *out caller-owned (keras_string_free). Errors: STATE (not fitted, or
 * fitted on numbers: use keras_estimator_predict), SHAPE. */
int keras_estimator_predict_labels(keras_estimator *estimator,
                                   const float *x, int x_ndim, const int64_t *x_shape, char **out);

/* Predicted labels (classifier, shape {n}) or values (regressor) into out; buffers as
 * keras_model_predict. The predictions of every keras_estimator_predict* and score call run in
 * batches of the parameter predict__batch_size (else batch_size, else 32; -1: all of x in one
 * batch) and print Keras's predict progress bar when predict__verbose is 1 or 2 (default 0);
 * keras_interrupt stops them after the current batch (INTERRUPTED).
 * Errors: STATE (not fitted), SHAPE, BUFFER_TOO_SMALL, INVALID_ARGUMENT (bad predict__ parameter),
 * INTERRUPTED. */
int keras_estimator_predict(keras_estimator *estimator,
                            const float *x, int x_ndim, const int64_t *x_shape,
                            float *out, int64_t capacity, int64_t *out_shape, int *out_ndim);

/* Class probabilities {n, classes} (classifiers only); a binary target's single output unit p
 * gives {n, 2}: [1 - p, p]. Errors: STATE (regressor, not fitted). */
int keras_estimator_predict_proba(keras_estimator *estimator,
                                  const float *x, int x_ndim, const int64_t *x_shape,
                                  float *out, int64_t capacity, int64_t *out_shape, int *out_ndim);

/* The default score: accuracy for classifiers, R^2 for regressors. */
int keras_estimator_score(keras_estimator *estimator,
                          const float *x, int x_ndim, const int64_t *x_shape,
                          const float *y, int y_ndim, const int64_t *y_shape, double *score);

/* score(x, y, sample_weight=w): the weighted default score; weights as keras_estimator_fit_weighted. */
int keras_estimator_score_weighted(keras_estimator *estimator,
                                   const float *x, int x_ndim, const int64_t *x_shape,
                                   const float *y, int y_ndim, const int64_t *y_shape,
                                   const float *sample_weight, int64_t n_weights, double *score);

/* ---- Estimators over several inputs, with validation data, class weights, per-call options ---- */

/* fit(x, y, sample_weight=w) or, with options' "partial", partial_fit: every fit case of a
 * KerasClassifier / KerasRegressor in one call (keras_estimator_fit_callbacks, _partial_fit and
 * _fit_labels are this call with one x):
 *   x: nx keras_array, one per model input (model.inputs order; most models have one);
 *   y: the target as keras_estimator_fit_weighted takes it (one keras_array), or NULL with
 *   labels_json a JSON list of n strings (KerasClassifier, as keras_estimator_fit_labels);
 *   sample_weight: NULL, or one weight per sample;
 *   val_x / val_y (nvx / nvy arrays, NULL and 0 for none; both or neither) and val_sample_weight
 *   (NULL or {n_val}): Keras fit's validation_data, inputs and targets as the model takes them
 *   (not encoded by the estimator: SciKeras hands fit__validation_data to model.fit); it takes
 *   precedence over the validation_split parameter;
 *   options_json (may be NULL): {"partial": false, "classes": [labels] (partial fits: numbers
 *   or strings counted as seen on the first call), "class_weight": {"0": 1.0, "1": 3.0}} (Keras
 *   fit's class_weight, weight by class index of the model's targets, for any estimator; not
 *   with a KerasClassifier's own class_weight parameter);
 *   callbacks as keras_estimator_fit_callbacks.
 * The arrays are borrowed for the call. Errors: as keras_estimator_partial_fit; INVALID_ARGUMENT
 * (y and labels_json both or neither given, labels for a regressor, val_x without val_y, unknown
 * option, classes without "partial", class_weight given twice), SHAPE (validation arrays that do
 * not match the model or the training data). */
int keras_estimator_fit_arrays(keras_estimator *estimator, const keras_array *x, int nx,
                               const keras_array *y, const char *labels_json,
                               const keras_array *sample_weight,
                               const keras_array *val_x, int nvx, const keras_array *val_y, int nvy,
                               const keras_array *val_sample_weight, const char *options_json,
                               keras_callback *const *callbacks, int n_callbacks);

/* method "predict" or "predict_proba" of x (nx keras_array, one per model input; a Pipeline takes
 * one) into `output` (one keras_output, as keras_model_predict_arrays fills it), with the call's
 * own options_json (may be NULL): {"batch_size": b (-1: all of x in one batch), "verbose": 0, 1
 * or 2}, each unset one taken from the predict__ parameters as keras_estimator_predict does; so
 * calls from several threads with different options never mix. callbacks: Keras predict's (as
 * keras_model_predict_arrays). An estimator fitted on string labels predicts them into
 * *labels_json (a JSON list, caller-owned; output is then not written); labels_json may be NULL
 * otherwise and receives NULL for numbers. Errors: as keras_estimator_predict; INVALID_ARGUMENT
 * (unknown method or option), STATE (string predictions and labels_json NULL). */
int keras_estimator_predict_arrays(keras_estimator *estimator, const char *method,
                                   const keras_array *x, int nx, const char *options_json,
                                   keras_callback *const *callbacks, int n_callbacks,
                                   keras_output *output, char **labels_json);

/* score(x, y, sample_weight=w) with x as keras_estimator_predict_arrays takes it, y numbers (one
 * keras_array) and sample_weight NULL or {n}; its predictions with the call's own options_json
 * and callbacks, as keras_estimator_predict_arrays. Errors: as keras_estimator_score_weighted. */
int keras_estimator_score_arrays(keras_estimator *estimator, const keras_array *x, int nx,
                                 const keras_array *y, const keras_array *sample_weight,
                                 const char *options_json,
                                 keras_callback *const *callbacks, int n_callbacks, double *score);

/* scikit-learn's Pipeline: the transformers of steps_json, then a copy of `final` (an estimator)
 * named final_name, as one estimator. steps_json: [{"name": "scale", "class": "StandardScaler",
 * "params": {"with_mean": true, "with_std": true}}, {"name": "mm", "class": "MinMaxScaler",
 * "params": {"feature_range": [0, 1], "clip": false}}, ...] (may be []). Each fit fits the
 * transformers on its own x (in searches and keras_cross_validate: on the fold's training rows only);
 * predict, score and predict_proba transform x first. Parameters route by step name:
 * {"scale__with_mean": false, "clf__epochs": 20, "clf__model__hidden": 8}, also in grids.
 * keras_estimator_metadata reports the last step. *out is a keras_estimator (keras_estimator_free).
 * Errors: INVALID_ARGUMENT (bad JSON, duplicate or empty step name, name with "__", bad params),
 * UNKNOWN_NAME (transformer class). */
int keras_pipeline_new(const char *steps_json, keras_estimator *final, const char *final_name,
                       keras_estimator **out);

/* A grid search (GridSearchCV) over a copy of `estimator`. param_grid_json:
 * {"epochs": [10, 20], "optimizer__learning_rate": [0.01, 0.1], "model__hidden": [4, 8]} (model__
 * keys need a template estimator, see keras_estimator_new), or a list of such grids searched one
 * after another. options_json (may be NULL):
 * {"cv": 5, "scoring": "accuracy", "n_jobs": 2, "refit": true, "return_train_score": false,
 *  "random_state": 0, "verbose": 0}; "cv" may also be explicit splits
 * [{"train": [row indices], "test": [row indices]}, ...] (e.g. a scikit-learn splitter's).
 * *out is caller-owned (keras_search_free). */
int keras_grid_search_new(keras_estimator *estimator, const char *param_grid_json,
                          const char *options_json, keras_search **out);

/* A randomized search (RandomizedSearchCV) over a copy of `estimator`: n_iter settings drawn from
 * param_distributions_json, each entry a list of values (drawn equally) or one of
 *   {"choice": [values]}, {"uniform": [low, high]}, {"loguniform": [low, high]} (0 < low),
 *   {"randint": [low, high]} (integers low..high-1, as scipy.stats.randint).
 * E.g. {"optimizer__learning_rate": {"loguniform": [1e-4, 0.1]}, "model__hidden": {"randint": [4, 33]},
 *       "batch_size": [16, 32]}. When every entry is a list, settings are drawn without
 * replacement (at most the grid's size), as scikit-learn does. options_json: the grid search's
 * options plus "n_iter" (10); "random_state" seeds the draws and the fits. The search handle works
 * with keras_search_fit / _results / _best_estimator. *out is caller-owned (keras_search_free).
 * Errors: INVALID_ARGUMENT (bad JSON, unknown distribution, bad bounds, n_iter < 1). */
int keras_randomized_search_new(keras_estimator *estimator, const char *param_distributions_json,
                                const char *options_json, keras_search **out);

/* scikit-learn's cross_validate: fits a copy of `estimator` on each split of (x, y) (n_jobs
 * threads) and scores it. options_json (may be NULL): {"cv": 5 or explicit splits as the
 * searches take, "scoring": "accuracy" or ["accuracy", "f1_macro"] (default: the estimator's
 * score), "n_jobs": 1, "return_train_score": false, "random_state": null}.
 * *result_json (caller-owned): {"fit_time": [...], "score_time": [...], "test_score": [...]}, with
 * one "test_<name>" per scorer when scoring is a list, and "train_*" with return_train_score.
 * Errors: INVALID_ARGUMENT (options), SHAPE, CALLBACK (every fit failed: the first error). */
int keras_cross_validate(keras_estimator *estimator,
                         const float *x, int x_ndim, const int64_t *x_shape,
                         const float *y, int y_ndim, const int64_t *y_shape,
                         const char *options_json, char **result_json);

/* Frees a search. NULL is ignored. */
void keras_search_free(keras_search *search);

/* Runs the search: every candidate on every split (in n_jobs threads), then refits the best. */
int keras_search_fit(keras_search *search,
                     const float *x, int x_ndim, const int64_t *x_shape,
                     const float *y, int y_ndim, const int64_t *y_shape);

/* The results as JSON: {"best_params": {...}, "best_score": s, "best_index": i, "n_splits": k,
 * "refit_time": seconds or null (no refit), "refit_speculated": whether the refit ran on a worker
 * while the other workers finished the fits, "schedule": [{"candidate": c, "split": s or null (a
 * refit), "worker": w (0: the calling thread) or null (the calling thread, after the fits), "start": s, "end": s, "cpu": s},
 * ...] (each fit and refit as it ran: seconds from the start of the fits, and the CPU seconds of
 * its thread), "cv_results": {"mean_test_score": [...], "std_test_score": [...], "split0_test_score": [...],
 * ..., "rank_test_score": [...], "params": [{...}, ...]}}. *out is caller-owned.
 * Errors: STATE (not fitted). */
int keras_search_results(keras_search *search, char **out);

/* The best estimator, refitted on all the data; *out is caller-owned and independent of the
 * search handle. Errors: STATE (not fitted, or refit false). */
int keras_search_best_estimator(keras_search *search, keras_estimator **out);

/* ------------------------------------------------------------------------------------------ */
/* Plugins: custom layers, losses, metrics, activations, callbacks                            */
/* ------------------------------------------------------------------------------------------ */
/*
 * Registered objects are found by name wherever Keras looks names up: layer "class_name" in
 * model configs and keras_sequential_add_json, "loss"/"metrics" in compile specs, "activation"
 * in layer configs, and model files (keras_model_load). Names may carry a package, as Keras's
 * register_keras_serializable writes them: "MyPackage>Scale" (found as "Scale" too).
 *
 * A registration goes into the innermost scope opened on the calling thread with
 * keras_scope_push (Keras's CustomObjectScope), or, when none is open, into the global registry
 * for every thread. Registering a name again replaces the earlier object.
 *
 * The tables below are copied at registration; their user_data stays owned by the caller until
 * free_user_data (if not NULL) is called, once, when no registered object or live layer uses it
 * any more (global registrations live until the process ends or keras_unregister).
 *
 * Every function in a table returns 0 on success. Any other value makes the library call
 * fail with KERAS_ERR_CALLBACK and a message naming the object and the function, plus the
 * message given to keras_callback_error() (or registrar->callback_error) before returning.
 *
 * Versions: every struct below (keras_layer_class, keras_metric_class, keras_layer_builder,
 * keras_plugin_registrar) starts with `size_t struct_size`, set by whoever fills it to sizeof
 * the struct as its own header declares it; fields are only ever added at the end. The reader
 * reads only the fields inside struct_size:
 *   - a table you pass (keras_layer_class, keras_metric_class): set struct_size = sizeof the
 *     table. One from an older header (smaller) is accepted, the fields it lacks read as NULL;
 *     one from a newer header (larger) is accepted when every field this library does not know
 *     is zero. Refused with KERAS_ERR_INVALID_ARGUMENT, naming the size: a size that is not a
 *     whole number of fields, that stops before a required function, that is beyond 4096 (a
 *     table from a header before struct_size, whose first field was user_data), or a newer
 *     table that sets a field this library does not know.
 *   - a struct the library passes (keras_layer_builder, keras_plugin_registrar): test
 *     KERAS_HAS_FIELD(ptr, type, field) before using a field added after the first version.
 */
/* Whether the struct at ptr (its struct_size first) holds `field` of its type. */
#define KERAS_HAS_FIELD(ptr, type, field) \
    ((ptr)->struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))

/* Passed to a layer's build function: creates the layer's weights. Valid only during build. */
typedef struct keras_layer_builder keras_layer_builder;
struct keras_layer_builder {
    size_t struct_size; /* set by the library: KERAS_HAS_FIELD tells whether a field is there */
    void *opaque; /* the library's; do not touch */
    /* Creates a weight `name` of the given shape, initialized by `initializer` (a Keras name such
     * as "glorot_uniform", "zeros", "ones", or a JSON config {"class_name": "RandomNormal", ...};
     * NULL means "glorot_uniform"). trainable != 0: updated by the optimizer. The library owns the
     * weight: it is saved, loaded and optimized like any built-in layer's. Weights are handed to
     * forward/backward in creation order. ndim 0 makes a scalar weight (shape may be NULL). */
    int (*add_weight)(keras_layer_builder *self, const char *name, int ndim, const int64_t *shape,
                      const char *initializer, int trainable);
    /* add_weight with options_json: NULL or {"regularizer": a Keras regularizer (name or config;
     * its penalty is added to the loss), "constraint": a Keras constraint (applied after each
     * optimizer step), "dtype": "float32" (the default), "int32", "int64" (held as int32, as
     * Keras on jax) or "uint32" (an integer variable, exact; never optimized; a traced call reads
     * it as float32)}. Errors: INVALID_ARGUMENT (unknown
     * option, regularizer, constraint or dtype). */
    int (*add_weight_ex)(keras_layer_builder *self, const char *name, int ndim, const int64_t *shape,
                         const char *initializer, int trainable, const char *options_json);
};

/* A custom layer class. Only struct_size, `create` and `forward` are required.
 * Shapes: batch first; in build and output_shape, -1 marks an unknown dimension (the batch).
 * Arrays are float32, row-major; y, dx and dweights are library-owned, y is sized by
 * output_shape for the actual batch, dx and dweights are zeroed before backward. */
typedef struct keras_layer_class {
    size_t struct_size; /* sizeof(keras_layer_class); at least up to `forward` */
    void *user_data; /* passed to create */
    /* Makes the state of one layer instance from its config JSON (the "config" object of the
     * layer entry, e.g. {"name": "scale", "factor": 2.0}). */
    int (*create)(void *user_data, const char *config_json, void **state);
    /* Creates weights for the input shape with builder->add_weight. May be NULL (no weights). */
    int (*build)(void *state, keras_layer_builder *builder, int ndim, const int64_t *input_shape);
    /* The output shape for an input shape (out_shape has KERAS_MAX_RANK entries). NULL: the
     * output has the input's shape. */
    int (*output_shape)(void *state, int ndim, const int64_t *input_shape, int *out_ndim, int64_t *out_shape);
    /* y = layer(x). training != 0 during fit. */
    int (*forward)(void *state, const float *x, int ndim, const int64_t *shape,
                   const float *const *weights, int n_weights, float *y, int training);
    /* dx = dL/dx and dweights[i] = dL/dweights[i], given dy = dL/dy (shape of y). May be NULL: the
     * layer then works for inference and as a first layer without trainable weights; fit fails
     * with KERAS_ERR_STATE naming the layer wherever a gradient would have to pass through it. */
    int (*backward)(void *state, const float *x, int ndim, const int64_t *shape,
                    const float *const *weights, int n_weights, const float *dy,
                    float *dx, float *const *dweights);
    /* Writes the layer's own constructor arguments as a JSON object (NUL-terminated, at most
     * `size` bytes) into buf; they are saved in the model config and given back to create.
     * NULL: nothing beyond name/trainable/dtype. */
    int (*get_config)(void *state, char *buf, size_t size);
    /* Frees one instance's state (may be NULL). */
    void (*destroy)(void *state);
    /* Frees user_data when the class is no longer used (may be NULL). */
    keras_free_fn free_user_data;
    /* The "module" of the layer's saved entry (copied at registration), as Keras writes the Python
     * module defining a user's class; "__main__" is written as null, as Keras writes it. NULL:
     * the package of a "Package>Name" registration, else "custom". Fields are added at the end
     * of this table: zero-fill it before use. (Added after the first version: a table whose
     * struct_size stops before it has none.) */
    const char *module;
} keras_layer_class;

/* A loss or metric function over a batch. y_true and y_pred have their own shapes (sparse
 * labels: y_true {batch} or {batch, 1}). Writes one value per sample into per_sample[shape[0]].
 * For a loss, when grad is not NULL, also writes d per_sample[i] / d y_pred into grad (the size
 * of y_pred). The library weights and averages the values as Keras does. */
typedef int (*keras_loss_fn)(void *user_data,
                             const float *y_true, int true_ndim, const int64_t *true_shape,
                             const float *y_pred, int pred_ndim, const int64_t *pred_shape,
                             float *per_sample, float *grad);

/* An elementwise activation: y[i] = f(x[i]) and dydx[i] = f'(x[i]) for i < n. */
typedef int (*keras_activation_fn)(void *user_data, const float *x, int64_t n, float *y, float *dydx);

/* Registers a layer class under `name` (e.g. "MyPackage>Scale"); configs name it by class_name
 * "Scale". Between keras_scope_push and keras_scope_pop the registration lasts until the pop.
 * A name "<module>><Class>" where <module> is the table's `module` (a class used but not
 * registered, Python's "my_module>Scale") is for the process whatever scope is open, found by a
 * config entry's "module" and "class_name" (a null module: "__main__"), never by the bare
 * "Scale" in place of a built-in layer of that name, and saved with registered_name "Scale".
 * Errors: INVALID_ARGUMENT (NULL name or table, a bad struct_size, no create/forward). */
int keras_register_layer(const char *name, const keras_layer_class *cls);

/* Keras's `supports_masking`, said from inside the layer's build: nonzero passes the mask of its
 * input (Embedding(mask_zero=True), Masking) on unchanged to the layers after it; zero, the
 * default, drops it with Keras's warning. Errors: INVALID_ARGUMENT (NULL or finished builder). */
int keras_layer_builder_set_supports_masking(keras_layer_builder *builder, int supports);

/* A layer's call as a composition of built-in ops, traced once inside `build`: the layer then
 * runs natively (no forward or backward callback per step), with gradients from the library's
 * autodiff. Nodes are numbered from 0 in creation order; shapes have -1 where a dimension
 * follows an unknown input dimension (the batch). Valid only while `build` runs; if build sets
 * no output, the layer keeps using its forward/backward callbacks.
 * Ops (Keras 3 `keras.ops` names): add subtract multiply divide maximum minimum matmul dot power
 * greater less equal ..., negative exp log sqrt square abs sign log1p expm1 sin cos reciprocal
 * rsqrt stop_gradient zeros_like ones_like, activations (relu sigmoid tanh gelu silu softmax
 * log_softmax elu leaky_relu ...), sum mean max min argmax ({"axis", "keepdims"}), reshape
 * {"newshape"}, transpose {"axes"}, expand_dims/squeeze {"axis"}, clip {"x_min", "x_max"},
 * power {"exponent"} (one input), concatenate/stack {"axis"} (n inputs), where (3 inputs),
 * slice {"specs": one entry per axis, an index or [start, stop, step] with nulls: Python's
 * x[...]}, take {"axis" or null} and take_along_axis {"axis"} (x, then an index node of whole
 * numbers), tile {"repeats"}, repeat {"repeats", "axis"}, einsum {"equation": explicit, letters
 * only, one or two inputs}; matmul also takes vectors and equal-rank stacks of matrices;
 * erf erfc erfinv i0 (elementwise, with their derivatives); channels-last windows over rank 3-5
 * inputs (each size one integer or one per spatial axis, as keras.ops): conv and depthwise_conv
 * (x, kernel; {"strides", "padding": "valid"|"same", "dilation_rate"}), conv_transpose (the same
 * and "output_padding"), max_pool and average_pool (x; {"pool_size", "strides", "padding"});
 * map_coordinates (x, coordinates: one array of positions per interpolated axis of x, stacked
 * first; {"order": 0 nearest | 1 linear, "fill_mode": "constant"|"nearest"|"wrap"|"mirror"|
 * "reflect", "fill_value", "batch_dims": k pairs x's first k axes with coordinates' axes 1..k}),
 * differentiable in x and, order 1, in the coordinates.
 * Random ops (Keras's keras.random), drawing new numbers at every evaluation of the layer (each
 * training or predict step): random_normal and random_truncated_normal {"mean", "stddev"},
 * random_uniform {"minval", "maxval"}, random_randint {"minval", "maxval": integers, drawn in
 * [minval, maxval) as floats}, each {"shape": [...]} over zero inputs or one reference input
 * whose size on the same axis replaces each -1 (or null) entry at every step (the batch); dropout
 * (x; {"rate", "noise_shape": nulls follow x}) keeps each entry with probability 1 - rate, scaled
 * by 1 / (1 - rate). All take {"seed": integer (default: drawn from the thread's generator at
 * trace time), "advance": true (default; Keras's SeedGenerator: new numbers at every step) or
 * false (Keras's integer seed: the same numbers at every step), "seed_generator": a name (optional;
 * Keras's SeedGenerator held by the layer: every op naming it draws from one state [seed, counter],
 * made at its first use from "seed" and "counter" (default 0), moving on by one at each draw
 * evaluated; see keras_model_seed_generator)}. The noise has no gradient;
 * gradients flow through the ops around it (and through dropout's kept entries).
 * Errors: INVALID_ARGUMENT (unknown op, bad node or attribute), SHAPE, STATE (outside build). */
int keras_layer_builder_input(keras_layer_builder *builder, int64_t *node);
/* A layer called on several inputs (Keras's `layer([a, b])`, saved as one node with a list of
 * inbound tensors): *count is how many (1 for a layer of one input). Its build, output_shape,
 * forward and backward functions see them packed into one array, each input flattened to
 * (batch, size) and concatenated along axis 1 in order (so every dimension of an input but the
 * batch must be known), and dx is the packed gradient; output_shape NULL means the first input's
 * shape. keras_layer_builder_input gives that packed array as a node; keras_layer_builder_input_at
 * input number `index` with its own shape (keras_layer_builder_shape), so that a traced call reads
 * each input without unpacking. A layer whose build traces its call this way may take inputs
 * with unknown dimensions past the batch (-1: its build then sees a packed size of -1, and
 * keras_layer_builder_input fails with SHAPE); one that does not is refused with SHAPE.
 * Errors: INVALID_ARGUMENT (index out of range), STATE. */
int keras_layer_builder_input_count(keras_layer_builder *builder, int *count);
int keras_layer_builder_input_at(keras_layer_builder *builder, int index, int64_t *node);
/* A layer whose functional call passes its tensors as several arguments, positional or keyword
 * (Keras's `endpoint(logits, targets, sample_weight)`, `layer(x, mask=m)`): *arguments_json
 * receives (caller-owned; keras_string_free) the call as the model's config writes its node,
 * {"args": [...], "kwargs": {...}}, where the k-th {"class_name": "__keras_tensor__", ...} entry
 * (depth-first, args then kwargs in order) is input k (keras_layer_builder_input_at; packed in
 * that order for forward and backward) and other values are the call's plain arguments
 * (`targets=None`). It receives "null" for a call on one tensor or one list of tensors and
 * nothing else. Errors: INVALID_ARGUMENT (NULL arguments_json), STATE. */
int keras_layer_builder_call_arguments(keras_layer_builder *builder, char **arguments_json);
/* The layer's weight number `index` (creation order, as add_weight made them). */
int keras_layer_builder_weight(keras_layer_builder *builder, int index, int64_t *node);
/* A constant array (copied); ndim 0 is a scalar. */
int keras_layer_builder_constant(keras_layer_builder *builder, const float *data, int ndim,
                                 const int64_t *shape, int64_t *node);
/* Appends op `op` over `inputs` with its arguments as a JSON object (NULL: none). */
int keras_layer_builder_op(keras_layer_builder *builder, const char *op, int n_inputs,
                           const int64_t *inputs, const char *attrs_json, int64_t *node);
/* The shape of a node (shape has KERAS_MAX_RANK entries). */
int keras_layer_builder_shape(keras_layer_builder *builder, int64_t node, int *ndim, int64_t *shape);
/* Makes `node` the layer's output: training 1 during fit, 0 otherwise, -1 both. */
int keras_layer_builder_output(keras_layer_builder *builder, int64_t node, int training);
/* Adds the sum of `node` to the loss of every step (Keras: `self.add_loss(value)` in `call`);
 * training 1: traced in the training call, 0: in the inference call (whose losses enter
 * evaluate's loss, as Keras 3's test step counts them), -1 both. */
int keras_layer_builder_loss(keras_layer_builder *builder, int64_t node, int training);
/* A metric update of the traced call (Keras: `self.tracker.update_state(value)` or
 * `self.mae.update_state(y, y_pred)` inside a traced compute_loss): every run adds the scalar
 * node `total` to the running total of the metric `name` and the scalar node `count` to its
 * count (count -1: none, a running sum, Keras's Sum). The model's fit, evaluate and batch calls
 * keep the running figure (total / count, 0 before any count; reset where Keras resets
 * model.metrics: each epoch, each evaluate) and log it under `name`, after the compiled figures
 * (a figure of the same name, "loss" included, is replaced). Updates of one name add up.
 * training as keras_layer_builder_loss. Errors: INVALID_ARGUMENT (empty name, a node out of
 * range), SHAPE (total or count not a scalar). */
int keras_layer_builder_metric(keras_layer_builder *builder, const char *name, int64_t total,
                               int64_t count, int training);
/* A library metric updated by the traced call (Keras: `self.auc.update_state(y, y_pred)` for
 * AUC, Precision, Recall, the confusion-matrix metrics, a registered Python or C metric class,
 * ... inside a traced compute_loss): the metric made from `config` (its entry in a compile
 * config: a name or a Keras {"class_name", "config", "registered_name"} object) is
 * updated every run with the values of nodes y_true, y_pred and sample_weight (-1: none), as a
 * compiled metric is with a batch; its state is kept, reset and logged under `name` as
 * keras_layer_builder_metric's figures are, and keras_model_traced_metrics reports its
 * "result". Errors: INVALID_ARGUMENT (empty name, bad config, unknown metric, a node out of range). */
int keras_layer_builder_metric_object(keras_layer_builder *builder, const char *name, const char *config,
                                      int64_t y_true, int64_t y_pred, int64_t sample_weight, int training);
/* A call of another layer inside the traced call (Keras: a custom layer's `call` calling the
 * layers held in its attributes, `self.att(x, x)`): the layer held at attribute `attribute`
 * (element `index` of a list attribute, -1 for an attribute holding one layer; `order` is the
 * attribute's position among the layer's attributes, Keras's tracking order) is made once from
 * `config_json` (a layer entry of a model config: {"class_name", "config", "registered_name"};
 * a Sequential or functional model too; the same attribute called again is the same layer) and
 * built by this first call; *node is its output for the `n_inputs` nodes `inputs`. training -1:
 * the traced layer's own flag at each step, 0 or 1: fixed. The called layers are sublayers of
 * the traced layer: their weights are its weights (saved under `attribute/`, as Keras does),
 * trained natively with gradients from the library's autodiff.
 * Errors: INVALID_ARGUMENT (bad node, attribute or config), STATE (outside build). */
int keras_layer_builder_layer(keras_layer_builder *builder, const char *attribute, int order, int index,
                              const char *config_json, int n_inputs, const int64_t *inputs, int training,
                              int64_t *node);
/* A layer subclassing a built-in layer (Keras: `class MyDense(keras.layers.Dense)`): in build,
 * keras_layer_builder_base makes the built-in layer from `config_json` (a layer entry of a model
 * config: {"class_name", "config"}) and builds it for the layer's input shape (Keras's
 * `super().build(input_shape)`); its weights become the layer's own weights, after those the
 * layer already made (creation order), saved in the layer's own `vars` and trained natively.
 * *weights_json (may be NULL; caller-owned, keras_string_free) receives them in order,
 * [{"name", "shape", "trainable"}, ...] (keras_layer_builder_weight numbers them on from the
 * layer's earlier ones); the built-in's own sublayers (an LSTM's cell) are the layer's, tracked
 * under their attributes (`cell/vars`). keras_layer_builder_base_call is a call of it
 * inside the traced call (Keras's `super().call(x)`) on the `n_inputs` nodes `inputs`; training
 * -1: the layer's own flag at each step, 0 or 1: fixed; with_masks nonzero: it gets the masks of
 * the layer's inputs at each step (Keras passes them to a `call` the subclass does not override).
 * The layer's output has the mask the built-in layer computes (an Embedding(mask_zero=True)'s);
 * its activity penalty is the layer's.
 * Errors: INVALID_ARGUMENT (bad config or node, a second base), STATE (outside build, a call
 * before the base is made). */
int keras_layer_builder_base(keras_layer_builder *builder, const char *config_json, char **weights_json);
int keras_layer_builder_base_call(keras_layer_builder *builder, int n_inputs, const int64_t *inputs, int training,
                                  int with_masks, int64_t *node);
/* A recurrent cell (Keras's `state_size` and `call(inputs, states)`, run by RNN(cell) one step at
 * a time): in build, the layer's input node is one step's input (batch, features);
 * keras_layer_builder_state declares the cell's next state of `width` and gives its value at the
 * start of the step (batch, width) as a node; keras_layer_builder_output sets the step's output
 * (batch, output_size) and keras_layer_builder_state_output the new value of state `index`
 * (same shape as the state). Every declared state needs a new value. The layer is then a cell
 * only: used elsewhere than in RNN or StackedRNNCells it fails with INVALID_ARGUMENT. */
int keras_layer_builder_state(keras_layer_builder *builder, int64_t width, int64_t *node);
int keras_layer_builder_state_output(keras_layer_builder *builder, int index, int64_t node, int training);
/* A cell's initial value of state `index` for one row, (1, width) or (width): what Keras's
 * `cell.get_initial_state(batch_size=1)` returns, from weights and constants only. RNN(cell)
 * repeats it for every row when no initial_state is given (without it: zeros). */
int keras_layer_builder_initial_state(keras_layer_builder *builder, int index, int64_t node);
/* Keras ops.custom_gradient: `output` (computed from the nodes `inputs` by the ops above) with
 * its own ops' gradient replaced by the nodes `gradients` (one per input, each of its input's
 * shape), traced from the node `upstream`: a stand-in of the output's shape for the upstream
 * gradient (e.g. ones_like(output)), whose value the backward pass replaces by the real upstream
 * gradient. *node is the node to use in place of `output`. Also in a graph of keras_graph_new.
 * Errors: INVALID_ARGUMENT (bad node, no inputs), SHAPE (a gradient or upstream of the wrong
 * shape), STATE (outside build). */
int keras_layer_builder_custom_gradient(keras_layer_builder *builder, int n_inputs, const int64_t *inputs,
                                        int64_t output, int64_t upstream, const int64_t *gradients,
                                        int64_t *node);
/* keras_layer_builder_layer with Keras's call arguments besides the tensors: `arguments_json`
 * (NULL: none) is {"masks": [one node or null per input: Keras's `mask=`], "attention_mask": a
 * node or null (MultiHeadAttention's), "kwargs": {plain keyword values: "use_causal_mask",
 * "return_attention_scores"}}; a recurrent layer's `initial_state` tensors follow the sequence
 * in `inputs`. outputs[0..*n_outputs) receive one node per output of the call, in order
 * (MultiHeadAttention with return_attention_scores: the output, then the scores; LSTM with
 * return_state: the output, then its states); at most `capacity`.
 * Errors: INVALID_ARGUMENT (bad node, attribute, config or arguments; more outputs than
 * capacity), STATE (outside build). */
int keras_layer_builder_layer_call(keras_layer_builder *builder, const char *attribute, int order, int index,
                                   const char *config_json, int n_inputs, const int64_t *inputs,
                                   const char *arguments_json, int training, int capacity, int64_t *outputs,
                                   int *n_outputs);
/* The weight named `weight_name` ("kernel") of the layer held at `attribute` (order, index and
 * config_json as keras_layer_builder_layer: the same layer its calls use), as a node of the
 * graph: Keras's `self.conv.kernel` read in the traced call of a layer whose build built
 * `self.conv`. The held layer is built for `input_shape` (`ndim` sizes, -1 unknown) where no call
 * built it yet. The node reads the weight's value at each run, so it gets its gradient.
 * Errors: INVALID_ARGUMENT (bad attribute, config or shape; no such weight), STATE (outside build). */
int keras_layer_builder_layer_weight(keras_layer_builder *builder, const char *attribute, int order, int index,
                                     const char *config_json, int ndim, const int64_t *input_shape,
                                     const char *weight_name, int64_t *node);
/* A call of the model of handle `model` inside the traced call (Keras: a custom layer's `call`
 * calling `self.backbone(x)`, the backbone a Sequential, functional or loaded model), held at
 * `attribute` (order, index as keras_layer_builder_layer): one nested-model node of the graph,
 * the model itself, not a copy: its variables are those of `model`'s handle, so training the
 * model being built moves the weights `model` predicts with, its trainable flags count in both,
 * and it is saved as the layer's nested model. The handle stays the caller's (free it as usual;
 * the model lives on in the layer). A model being made by keras_model_from_json(_sharing) takes
 * the handle's lock too. outputs and capacity as keras_layer_builder_layer_call.
 * Errors: INVALID_ARGUMENT (bad node, handle or attribute; the attribute already holds another
 * layer; more outputs than capacity), STATE (outside build). */
int keras_layer_builder_model_call(keras_layer_builder *builder, const char *attribute, int order, int index,
                                   keras_model *model, int n_inputs, const int64_t *inputs, int training,
                                   int capacity, int64_t *outputs, int *n_outputs);
/* Opens an empty (root) name scope on the calling thread and sets *depth to its token: a model
 * made while a traced layer builds (keras_model_from_json inside build; Keras: a model made in
 * the layer's __init__, built there) names its weights from the root (`seq/dense/kernel`), not
 * under the layer being built. keras_name_scope_close(depth) restores the scopes open before it
 * (closing any root opened after it). Errors: INVALID_ARGUMENT (depth NULL; close: a depth that
 * is not open on this thread). */
int keras_name_scope_open_root(int *depth);
int keras_name_scope_close(int depth);
/* Makes the `n` nodes the layer's outputs, in order (Keras: a `call` returning a tuple of
 * tensors): the layer's functional call then gives n tensors (keras_layer_builder_output is the
 * case n = 1). training as keras_layer_builder_output. */
int keras_layer_builder_outputs(keras_layer_builder *builder, int n, const int64_t *nodes, int training);
/* The Keras mask of input `index` (Keras's `mask` argument of `call`) as a node: the input's
 * shape without its last axis, 1 where a position counts and 0 where it is masked; ones at run
 * time when the input carries no mask. */
int keras_layer_builder_mask(keras_layer_builder *builder, int index, int64_t *node);
/* Makes the `n` nodes the masks of the layer's outputs (one per output, -1: none): Keras's
 * `compute_mask` of the layer, traced from the inputs and keras_layer_builder_mask. training as
 * keras_layer_builder_output. */
int keras_layer_builder_output_masks(keras_layer_builder *builder, int n, const int64_t *nodes, int training);
/* Whether input `index` of the layer's calls carries a Keras mask, as far as the model being built
 * knows: *carries is 1 (it does), 0 (it does not: a functional config read from a file records the
 * mask of every call of a layer taking one whose input carries one, and this one has none; Keras
 * then passes the call None), or -1 (not known: a model made in code, a Sequential).
 * Errors: INVALID_ARGUMENT (NULL, index out of range), STATE (not inside build). */
int keras_layer_builder_input_has_mask(keras_layer_builder *builder, int index, int *carries);
/* Whether this build traces the layer's call for run-time calls whose inputs carry no mask: *absent
 * is 1 when it does (Keras passes the call mask=None, which the trace must then give it instead of
 * keras_layer_builder_mask's nodes), 0 otherwise. The library traces a call that reads masks a
 * second time so, on the same weights, and runs that trace where no mask reaches the layer.
 * Errors: INVALID_ARGUMENT (NULL), STATE (not inside build). */
int keras_layer_builder_masks_absent(keras_layer_builder *builder, int *absent);
/* Says that the call being traced read a size its inputs' shapes leave unknown (Python's
 * `x.shape[1]` of a None axis, which Keras's call under jax.jit reads as an int): the trace ends
 * there, unfinished, and the library traces the call again with each run's shapes, every size
 * known (one trace per shape, kept, on the same weights). Errors: INVALID_ARGUMENT (NULL), STATE
 * (not inside build). */
int keras_layer_builder_reads_sizes(keras_layer_builder *builder);

/* A function of arrays as a standalone op graph, outside any layer (Keras: ops.jvp; jax.vjp):
 * its arguments are arrays with values (the point where it is evaluated and differentiated), its
 * body the ops above, added with keras_layer_builder_constant / _op / _shape on the builder
 * keras_graph_new returns (keras_layer_builder_input and add_weight are refused: a graph has
 * arguments, not a layer input or weights). Derivatives come from the library's reverse-mode
 * autodiff, exactly (no finite differences). All shapes are known. One thread at a time per graph.
 * keras_graph_new: *out is caller-owned; free it with keras_graph_free (NULL is ignored). */
int keras_graph_new(keras_layer_builder **out);
void keras_graph_free(keras_layer_builder *graph);
/* A new argument with its value (copied; ndim 0 is a scalar), as a node. Arguments are numbered
 * from 0 in creation order: tangents and gradients below come one per argument in that order. */
int keras_graph_argument(keras_layer_builder *graph, const float *data, int ndim,
                         const int64_t *shape, int64_t *node);
/* The vector-Jacobian product (jax.vjp) of the n_outputs nodes `outputs`: values[k] (may be NULL,
 * or a NULL entry: not written) receives output k (its size from keras_layer_builder_shape), and
 * gradients[j] (may be NULL / NULL entries) the gradient of sum_k sum(output_k * cotangents[k])
 * with respect to argument j (its size). A NULL cotangents[k] is zeros; one backward pass.
 * Errors: INVALID_ARGUMENT (not a graph of keras_graph_new, bad node, NULL cotangents array),
 * SHAPE. */
int keras_graph_vjp(keras_layer_builder *graph, int n_outputs, const int64_t *outputs,
                    const float *const *cotangents, float *const *values, float *const *gradients);
/* The Jacobian-vector product (jax.jvp, Keras ops.jvp) of `outputs`: values as keras_graph_vjp,
 * tangents_out[k] (size of output k) = J_k t, where tangents[j] is the direction of argument j
 * (NULL entry: zero). Exact, by reverse mode: one backward pass per output element (a row of the
 * Jacobian dotted with the tangents), so its cost is the output size times a backward pass. */
int keras_graph_jvp(keras_layer_builder *graph, int n_outputs, const int64_t *outputs,
                    const float *const *tangents, float *const *values, float *const *tangents_out);
/* The traced call writes node `node` to the layer's weight `weight` (keras_layer_builder_weight's
 * numbering) after each run: Keras's `self.v.assign(x)` (add == 0) or `self.v.assign_add(x)`
 * (add != 0) in `call`, done after every step of fit, evaluate and predict, in trace order. The
 * value has the weight's shape or is a scalar; an integer weight (add_weight_ex's "dtype") takes
 * it rounded toward zero and adds exactly, wrapping as its 32 bits do (a counter). training as keras_layer_builder_output.
 * Errors: INVALID_ARGUMENT (bad weight or node, training), SHAPE, STATE (not inside build). */
int keras_layer_builder_assign(keras_layer_builder *builder, int weight, int64_t node, int add, int training);

/* Registers a loss (usable in compile specs as "loss": "name"). */
int keras_register_loss(const char *name, keras_loss_fn fn, void *user_data, keras_free_fn free_user_data);

/* Traces a loss's call into the op graph of `builder` (Keras: a loss function written with
 * keras.ops, or a Loss subclass's `call`), for targets of shape true_shape and predictions of
 * shape pred_shape (the batch first, as -1): keras_layer_builder_input_at(builder, 0) is y_true,
 * input_at(builder, 1) y_pred; the ops and keras_layer_builder_constant/_shape as in a layer's
 * build; keras_layer_builder_output(builder, node, -1) sets the loss's values: one per sample
 * (the batch first, any further axes) or a scalar. Returning 0 without an output says the loss
 * cannot be traced for these shapes. The builder is valid only during the call. */
typedef int (*keras_loss_trace_fn)(void *user_data, keras_layer_builder *builder,
                                   int true_ndim, const int64_t *true_shape,
                                   int pred_ndim, const int64_t *pred_shape);

/* Registers a loss defined by an op graph (usable wherever keras_register_loss's are: compile
 * specs, model files, every model kind, fit, evaluate and the batch calls). `trace` is called
 * once per pair of target and prediction shapes (without the batch) a compiled model meets, at
 * its first step; the graph then runs natively at every step, with gradients from the library's
 * autodiff (no callback per step). Its values are weighted by sample_weight and reduced as
 * Keras reduces a Loss's `call` (options_json: NULL or {"reduction": "sum_over_batch_size" (the
 * default), "sum", "mean", "mean_with_sample_weight" or "none"}); loss_weights and the
 * per-output figures as for any loss. fn (may be NULL) computes the loss for shapes the trace
 * declined (keras_loss_fn's contract); without it such shapes fail with INVALID_ARGUMENT.
 * user_data and free_user_data as keras_register_loss's. A trace returning non-zero fails the
 * step with KERAS_ERR_CALLBACK. Errors: INVALID_ARGUMENT (NULL or empty name, NULL trace, bad
 * options_json or reduction). */
int keras_register_loss_graph(const char *name, keras_loss_trace_fn trace, keras_loss_fn fn,
                              const char *options_json, void *user_data, keras_free_fn free_user_data);

/* Registers a metric: the mean over samples of fn's per_sample values (grad is always NULL). */
int keras_register_metric(const char *name, keras_loss_fn fn, void *user_data, keras_free_fn free_user_data);

/* Registers an elementwise activation ("activation": "name" in layer configs). */
int keras_register_activation(const char *name, keras_activation_fn fn, void *user_data, keras_free_fn free_user_data);

/* A regularizer written as a composition of ops (Keras: a `keras.regularizers.Regularizer`
 * subclass whose `__call__` uses `keras.ops`), traced by keras_register_regularizer_graph's
 * `trace` into a function graph: `graph` (valid only during the call; add ops with
 * keras_layer_builder_constant / _op / _shape, as in a layer's call) has one argument, node
 * `argument`, the tensor regularized (a weight, or a layer's output for an activity
 * regularizer) with its shape and its value at the first call; *penalty is set to the node of
 * the scalar penalty. `config_json` is the regularizer's config (the "config" of its entry in the
 * layer's config: the plugin makes its object from it). Called once per regularizer object and
 * shape of tensor (a new batch size traces again, as jax.jit does); every step then runs the graph
 * natively, its gradient from the library's autodiff. Returns 0, or nonzero after
 * keras_callback_error(message). */
typedef int (*keras_regularizer_trace_fn)(void *user_data, const char *config_json,
                                          keras_layer_builder *graph, int64_t argument, int64_t *penalty);

/* Registers a regularizer class traced by `trace` under `entry_json`'s "registered_name" (its
 * "class_name" when null or absent): wherever a layer's config names it (kernel_regularizer,
 * activity_regularizer, ...: {"module", "class_name", "config", "registered_name"}), a
 * regularizer of that config is made, and written back with the entry's "module", "class_name"
 * and "registered_name", as Keras saves a custom object. Registered in the innermost open scope
 * (keras_scope_push), else globally. free_user_data (may be NULL) is called on user_data once
 * the registration is replaced and every regularizer made from it is freed. Errors:
 * INVALID_ARGUMENT (bad JSON, no class_name, a module neither string nor null, NULL trace). */
int keras_register_regularizer_graph(const char *entry_json, keras_regularizer_trace_fn trace,
                                     void *user_data, keras_free_fn free_user_data);

/* A learning rate schedule written as ops (Keras: a `keras.optimizers.schedules.
 * LearningRateSchedule` subclass whose `__call__(step)` uses `keras.ops`), traced by
 * keras_register_schedule_graph's `trace` into a function graph (as keras_regularizer_trace_fn):
 * node `argument` is the step count (the optimizer's iterations before the step, Keras's
 * `optimizer.iterations`), a float32 scalar; *rate is set to the node of the scalar rate.
 * Called once per schedule object the library makes (at compile, or reading a file); every step
 * then runs the graph natively. Returns 0, or nonzero after keras_callback_error(message). */
typedef int (*keras_schedule_trace_fn)(void *user_data, const char *config_json,
                                       keras_layer_builder *graph, int64_t argument, int64_t *rate);

/* Registers a learning rate schedule class traced by `trace` under `entry_json`'s
 * "registered_name" (its "class_name" when null or absent): wherever an optimizer's config names
 * it as its learning_rate ({"module", "class_name", "config", "registered_name"}), a schedule of
 * that config is made (traced then: a failing trace, or a rate that is not a scalar, fails the
 * call that reads the config: CALLBACK, SHAPE), and written back with the entry's "module",
 * "class_name" and "registered_name", as Keras saves a custom object. Scoped, freed and refused
 * as keras_register_regularizer_graph. */
int keras_register_schedule_graph(const char *entry_json, keras_schedule_trace_fn trace,
                                  void *user_data, keras_free_fn free_user_data);

/* Registers a callback class under `name`: wherever a callback is named (a config
 * {"class_name": "name", "config": {...}}, keras_callback_from_registry), a callback calling fn
 * for every hook, as keras_callback_new does, is made. */
int keras_register_callback(const char *name, keras_callback_fn fn, void *user_data, keras_free_fn free_user_data);

/* A callback handle for a registered callback class `name` (global or scoped). */
int keras_callback_from_registry(const char *name, keras_callback **out);

/* Forgets the object of `kind` ("layer", "loss", "metric", "activation", "callback", also
 * "initializer", "regularizer", "constraint", "optimizer") registered as `name` (exactly as it was
 * registered, e.g. "Demo>Scale"): from the innermost scope of the calling thread that holds it,
 * else from the global registry. Its user data is freed once no live layer or handle uses it.
 * Models already built keep working. Errors: INVALID_ARGUMENT (NULL, unknown kind),
 * UNKNOWN_NAME (nothing registered under that name). */
int keras_unregister(const char *kind, const char *name);

/* Opens a custom object scope on the calling thread (Keras: CustomObjectScope). Registrations
 * made on this thread while it is open go into it, and disappear at keras_scope_pop. */
int keras_scope_push(void);

/* Closes the innermost scope of the calling thread. Errors: STATE (none open). */
int keras_scope_pop(void);

/* The table a plugin's init function receives: everything a plugin needs, so that a plugin
 * shared library does not have to link libkeras.so. Fields are only ever added at the end: a
 * plugin reads one added after the first version only when
 * KERAS_HAS_FIELD(registrar, keras_plugin_registrar, field). */
struct keras_metric_class; /* below */
typedef struct keras_plugin_registrar {
    size_t struct_size; /* the library's sizeof(keras_plugin_registrar); a library from before
                         * struct_size has its abi_version 2 here (no field passes the test) */
    int (*register_layer)(const char *name, const keras_layer_class *cls);
    int (*register_loss)(const char *name, keras_loss_fn fn, void *user_data, keras_free_fn free_user_data);
    int (*register_metric)(const char *name, keras_loss_fn fn, void *user_data, keras_free_fn free_user_data);
    int (*register_activation)(const char *name, keras_activation_fn fn, void *user_data, keras_free_fn free_user_data);
    int (*register_callback)(const char *name, keras_callback_fn fn, void *user_data, keras_free_fn free_user_data);
    void (*callback_error)(const char *message);
    /* keras_register_metric_class (added after the first version). */
    int (*register_metric_class)(const char *name, const struct keras_metric_class *cls);
    /* A loss written as an op graph (added after register_metric_class; test
     * KERAS_HAS_FIELD(registrar, keras_plugin_registrar, register_loss_graph)): the library's
     * keras_register_loss_graph, and the keras_layer_builder_input_at / _constant / _op / _shape /
     * _output calls its keras_loss_trace_fn makes on the builder it is given, so that a plugin
     * that does not link libkeras.so can trace one. Same contracts as those functions. */
    int (*register_loss_graph)(const char *name, keras_loss_trace_fn trace, keras_loss_fn fn,
                               const char *options_json, void *user_data, keras_free_fn free_user_data);
    int (*builder_input_at)(keras_layer_builder *builder, int index, int64_t *node);
    int (*builder_constant)(keras_layer_builder *builder, const float *data, int ndim,
                            const int64_t *shape, int64_t *node);
    int (*builder_op)(keras_layer_builder *builder, const char *op, int n_inputs,
                      const int64_t *inputs, const char *attrs_json, int64_t *node);
    int (*builder_shape)(keras_layer_builder *builder, int64_t node, int *ndim, int64_t *shape);
    int (*builder_output)(keras_layer_builder *builder, int64_t node, int training);
} keras_plugin_registrar;

/* The function a plugin exports: registers what it brings; returns 0 on success. */
typedef int (*keras_plugin_init_fn)(const keras_plugin_registrar *registrar);
#define KERAS_PLUGIN_INIT_SYMBOL "keras_plugin_init"

/* Loads the shared library at `path` and calls its keras_plugin_init with a registrar. The
 * library stays loaded for the life of the process (its functions are registered). Its
 * registrations go where keras_register_* would put them (the open scope, else global).
 * Errors: IO (cannot load, no keras_plugin_init), CALLBACK (init returned non-zero). */
int keras_load_plugin(const char *path);

/* A stateful metric class (Keras: a `keras.metrics.Metric` subclass), for figures that are not a
 * mean of per-sample values (counts, ratios of sums, anything kept across batches). Only
 * get_config, destroy, free_user_data, module and result_json (and result, when result_json is
 * set) may be NULL; a table is zero-filled before use (fields are added at its end; struct_size
 * says where the caller's ends, at least after reset_state: result_json was added after the
 * first version, and a table whose struct_size stops before it has none). Every
 * compiled instance has its own state;
 * fit and evaluate call update_state once per batch and output, result whenever the logs are
 * read (each batch when a callback or the progress bar wants them, and at the end), and
 * reset_state where Keras resets metrics: at the start of every epoch, of evaluate (validation
 * too), and of train_on_batch / test_on_batch unless told to keep running. The arrays are the
 * library's, valid only during the call. */
typedef struct keras_metric_class {
    size_t struct_size; /* sizeof(keras_metric_class) */
    void *user_data; /* passed to create */
    /* Makes one instance's state from its config JSON: the "config" object of its compile entry
     * ({"name": "count_pos", "dtype": "float32", ...}), or {} for a compile spec naming the
     * class by a string. */
    int (*create)(void *user_data, const char *config_json, void **state);
    /* Adds one batch: the targets and predictions of one output, each with its own shape (sparse
     * labels: y_true {batch} or {batch, 1}), and the batch's sample weights ({batch}) for a
     * metric compiled in weighted_metrics when fit/evaluate got sample or class weights;
     * otherwise sample_weight is NULL and weight_ndim 0. */
    int (*update_state)(void *state, const float *y_true, int true_ndim, const int64_t *true_shape,
                        const float *y_pred, int pred_ndim, const int64_t *pred_shape,
                        const float *sample_weight, int weight_ndim, const int64_t *weight_shape);
    /* Writes the current figure into *value. */
    int (*result)(void *state, float *value);
    /* Forgets everything accumulated. */
    int (*reset_state)(void *state);
    /* Writes the instance's config as a JSON object (NUL-terminated, at most `size` bytes), read
     * once after create: its "name" names the metric in logs and history, and it is saved in
     * the model's compile_config ({"module", "class_name", "config", "registered_name"}, as
     * Keras lists a custom metric) and given back to create when the model is loaded. NULL:
     * the config create received, or {"name": class name, "dtype": "float32"} for {}. */
    int (*get_config)(void *state, char *buf, size_t size);
    /* Frees one instance's state (may be NULL). */
    void (*destroy)(void *state);
    /* Frees user_data when the class is no longer used (may be NULL). */
    keras_free_fn free_user_data;
    /* The "module" of the class's compile config entry (copied at registration): Keras writes
     * the Python module defining a custom class; NULL writes null. A module of Keras's own
     * ("keras.metrics") is written with registered_name null, as Keras writes its classes. */
    const char *module;
    /* Writes the current figure as JSON (NUL-terminated, at most `size` bytes), read instead of
     * result when set: a number; an array of numbers, one per class, logged as a list (as Keras
     * logs F1Score(average=None)); or an object of names to numbers or arrays, each name logged
     * on its own in place of the metric's (Keras merges a metric's dict result into the logs;
     * evaluate lists them after the other figures, sorted). */
    int (*result_json)(void *state, char *buf, size_t size);
} keras_metric_class;

/* Registers a metric class under `name` (e.g. "MyPackage>CountPositives"): compile specs name it
 * as a string or as {"class_name": "CountPositives", "config": {...}, "registered_name": ...}.
 * The table is copied. Errors: INVALID_ARGUMENT (NULL or empty name, NULL table, a bad
 * struct_size, a required function NULL). */
int keras_register_metric_class(const char *name, const keras_metric_class *cls);

/* ---- Keras objects used on their own -------------------------------------------------------
 * As keras.io shows them: an initializer called with a shape, a constraint called on a weight, a
 * schedule called with a step, an optimizer applying gradients to variables of no model. The
 * objects are JSON: a name ("glorot_uniform") or {"class_name": ..., "config": {...}}; the
 * numbers are those training uses. */

/* Draws a value of `shape` (ndim 0..KERAS_MAX_RANK; 0 is a scalar) from an initializer into
 * `out` (capacity floats). A seeded initializer ({"seed": 3}) gives the same values at each call;
 * an unseeded one draws from the library's generator (keras_set_random_seed).
 * Errors: INVALID_ARGUMENT (bad JSON, bad shape), UNKNOWN_NAME, BUFFER_TOO_SMALL. */
int keras_initializer_draw(const char *initializer_json, int ndim, const int64_t *shape,
                           float *out, int64_t capacity);

/* Projects a weight of `shape` (ndim 0..KERAS_MAX_RANK) in place by a constraint (Keras:
 * `constraint(w)`). Errors: INVALID_ARGUMENT, UNKNOWN_NAME. */
int keras_constraint_apply(const char *constraint_json, int ndim, const int64_t *shape, float *values);

/* *rate = a learning-rate schedule's rate at `step` (0 for the first step; Keras: schedule(step)),
 * the float32 value an optimizer steps with. Errors: INVALID_ARGUMENT (bad JSON, step not
 * finite), UNKNOWN_NAME. */
int keras_schedule_value(const char *schedule_json, double step, double *rate);

typedef struct keras_optimizer keras_optimizer; /* an optimizer updating the caller's variables */

/* An optimizer from its JSON (Keras's `keras.optimizers.deserialize`), with no variables yet;
 * free with keras_optimizer_free. Errors: INVALID_ARGUMENT, UNKNOWN_NAME. */
int keras_optimizer_new(const char *optimizer_json, keras_optimizer **out);
void keras_optimizer_free(keras_optimizer *optimizer);

/* Keras's `optimizer.apply(gradients, variables)` on `count` variables held by the caller: keys[i]
 * identifies variable i from call to call (the same key: the same variable, whose slots carry
 * on), paths_json lists their paths (["w", "dense/kernel"]: Keras names slots after them);
 * values[i] is the variable's current value (read; copied), gradients[i] its gradient (same
 * shape); updated[i] (values[i]'s element count of floats, may be values[i].data) receives the
 * value after the step (learning rate or schedule, clipping, weight decay, the update, the step
 * count). gradients NULL only makes the optimizer's variables for these (Keras's
 * `optimizer.build(variables)`; updated may be NULL then). Errors: INVALID_ARGUMENT, SHAPE (a
 * gradient's shape, a key seen before with another shape). */
int keras_optimizer_apply(keras_optimizer *optimizer, const int64_t *keys, const char *paths_json,
                          const keras_array *values, const keras_array *gradients, int count,
                          float *const *updated);

/* Keras's `optimizer.exclude_from_weight_decay(var_list, var_names)`: the variables of `keys`, and
 * those whose path or name contains one of names_json's strings (NULL: none), are not decayed.
 * Errors: STATE (the optimizer has taken a step or was built), INVALID_ARGUMENT. */
int keras_optimizer_exclude_from_weight_decay(keras_optimizer *optimizer, const int64_t *keys, int count,
                                              const char *names_json);

/* Keras's `optimizer.variables` in its order, as keras_model_optimizer_variables gives a compiled
 * model's (without "owner"): *layout_json (caller-owned; keras_string_free) lists each variable,
 * a float32 one with "offset" (where its values start in `values`), the int32 step count with its
 * exact "value":
 * [{"path": "adam/iteration", "shape": [], "dtype": "int32", "value": 1},
 *  {"path": "adam/learning_rate", "shape": [], "dtype": "float32", "offset": 0},
 *  {"path": "adam/w_momentum", "shape": [2, 3], "dtype": "float32", "offset": 1}, ...].
 * values (capacity floats) receives the float32 variables' values one after the other, each
 * row-major; *count receives how many there are, also when they do not fit.
 * Errors: INVALID_ARGUMENT (bad handle, layout_json or count NULL, capacity negative, values NULL
 * with values to write), BUFFER_TOO_SMALL (*count tells the capacity needed; nothing else is
 * written). */
int keras_optimizer_variables(keras_optimizer *optimizer, char **layout_json, float *values, int64_t capacity,
                              int64_t *count);

/* Keras's `optimizer.set_weights(values)`: every optimizer variable from values_json, a list in
 * keras_optimizer_variables's order of {"shape": [...], "value": a number or a flat list of
 * numbers, "dtype": "int32" for the step count}. Errors: INVALID_ARGUMENT (bad JSON, another
 * number of variables), SHAPE (a value's shape); nothing changes then. */
int keras_optimizer_set_variables(keras_optimizer *optimizer, const char *values_json);

/* The step count (Keras's optimizer.iterations) and the learning rate of the next step (the
 * schedule's at that count); either pointer may be NULL. */
int keras_optimizer_state(keras_optimizer *optimizer, int64_t *iterations, double *learning_rate);

/* Keras's `optimizer.learning_rate = value`. Errors: STATE (the optimizer follows a schedule),
 * INVALID_ARGUMENT (negative or not finite). */
int keras_optimizer_set_learning_rate(keras_optimizer *optimizer, double value);

/* Keras's `optimizer.iterations.assign(n)`. Errors: INVALID_ARGUMENT (negative, past 2^53). */
int keras_optimizer_set_iterations(keras_optimizer *optimizer, int64_t iterations);

#ifdef __cplusplus
}
#endif

#endif /* KERAS_H */
