#ifndef CHDF5SHIM_H
#define CHDF5SHIM_H
#include <hdf5.h>
#include <stddef.h>

/* HDF5 constants that are function-call macros in hdf5.h, so Swift cannot import them. */
hid_t skh5_native_float(void);
hid_t skh5_native_double(void);
hid_t skh5_native_int32(void);
hid_t skh5_native_int64(void);
hid_t skh5_c_s1(void);
unsigned skh5_acc_trunc(void);
unsigned skh5_acc_rdonly(void);
unsigned skh5_acc_rdwr(void);
hid_t skh5_link_create(void);
hid_t skh5_file_access(void);
size_t skh5_variable(void);

#endif
