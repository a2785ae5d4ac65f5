#include "KerasSections.h"

// Hidden: each linked module (libkeras.so, an executable) sees its own declarations, never
// another module's section through symbol interposition.
extern const void *const __start_keras_layers[] __attribute__((weak, visibility("hidden")));
extern const void *const __stop_keras_layers[] __attribute__((weak, visibility("hidden")));

const void *const *keras_layer_records_begin(void) { return __start_keras_layers; }
const void *const *keras_layer_records_end(void) { return __stop_keras_layers; }
