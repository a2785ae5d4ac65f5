#ifndef KERAS_SECTIONS_H
#define KERAS_SECTIONS_H

#include "KerasPrefetch.h"

// The bounds of the `keras_layers` section: one function pointer per layer declaration, placed
// there by `@section("keras_layers") @used` globals in the layers' own files (Keras's target, a
// test target, an app linked with Keras). The ELF linker defines `__start_`/`__stop_` for a
// section whose name is a C identifier; both are null when no declaration was linked in.
// Hidden, so that each linked module (libkeras.so, an executable) sees its own declarations,
// never another module's section through symbol interposition.
extern const void *const __start_keras_layers[] __attribute__((weak, visibility("hidden")));
extern const void *const __stop_keras_layers[] __attribute__((weak, visibility("hidden")));

static inline const void *const *keras_layer_records_begin(void) { return __start_keras_layers; }
static inline const void *const *keras_layer_records_end(void) { return __stop_keras_layers; }

#endif
