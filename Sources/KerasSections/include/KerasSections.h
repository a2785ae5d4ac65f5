#ifndef KERAS_SECTIONS_H
#define KERAS_SECTIONS_H

/// The bounds of the `keras_layers` section: one function pointer per layer declaration, placed
/// there by `@section("keras_layers") @used` globals in the layers' own files (Keras's target,
/// a test target, an app linked with Keras). The ELF linker defines `__start_`/`__stop_` for a
/// section whose name is a C identifier; both are null when no declaration was linked in.
const void *const *keras_layer_records_begin(void);
const void *const *keras_layer_records_end(void);

#endif
