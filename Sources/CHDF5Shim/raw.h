#ifndef CHDF5SHIM_RAW_H
#define CHDF5SHIM_RAW_H
#include <hdf5.h>
#include <stddef.h>

/* Reading a file's storage past libhdf5 (shim.c), shared by the global-heap and object-header checks. */

/* `size` bytes at `addr` (relative to the base address), from the sec2 descriptor or the core
   driver's buffer; 0, or -1 when the range is outside the file or the driver is another. */
int skh5_read_raw(hid_t file, unsigned long long addr, size_t size, unsigned char *out);

/* The file's address and length sizes (2...8 bytes each); 0, or -1. */
int skh5_sizes(hid_t file, size_t *sizeof_addr, size_t *sizeof_size);

/* The little-endian unsigned number in the `n` bytes at `p`. */
unsigned long long skh5_le(const unsigned char *p, size_t n);

#endif
