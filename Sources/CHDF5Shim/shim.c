#include "CHDF5Shim.h"

hid_t skh5_native_float(void) { return H5T_NATIVE_FLOAT; }
hid_t skh5_native_double(void) { return H5T_NATIVE_DOUBLE; }
hid_t skh5_native_int32(void) { return H5T_NATIVE_INT32; }
hid_t skh5_native_int64(void) { return H5T_NATIVE_INT64; }
hid_t skh5_c_s1(void) { return H5T_C_S1; }
unsigned skh5_acc_trunc(void) { return H5F_ACC_TRUNC; }
unsigned skh5_acc_rdonly(void) { return H5F_ACC_RDONLY; }
unsigned skh5_acc_rdwr(void) { return H5F_ACC_RDWR; }
hid_t skh5_link_create(void) { return H5P_LINK_CREATE; }
hid_t skh5_file_access(void) { return H5P_FILE_ACCESS; }
size_t skh5_variable(void) { return H5T_VARIABLE; }
