#include "CHDF5Shim.h"

hid_t skh5_native_float(void) { return H5T_NATIVE_FLOAT; }
hid_t skh5_native_double(void) { return H5T_NATIVE_DOUBLE; }
hid_t skh5_native_int32(void) { return H5T_NATIVE_INT32; }
hid_t skh5_native_uint32(void) { return H5T_NATIVE_UINT32; }
hid_t skh5_native_int64(void) { return H5T_NATIVE_INT64; }
hid_t skh5_native_int8(void) { return H5T_NATIVE_INT8; }
hid_t skh5_native_uint8(void) { return H5T_NATIVE_UINT8; }
hid_t skh5_c_s1(void) { return H5T_C_S1; }
unsigned skh5_acc_trunc(void) { return H5F_ACC_TRUNC; }
unsigned skh5_acc_rdonly(void) { return H5F_ACC_RDONLY; }
unsigned skh5_acc_rdwr(void) { return H5F_ACC_RDWR; }
hid_t skh5_link_create(void) { return H5P_LINK_CREATE; }
hid_t skh5_file_access(void) { return H5P_FILE_ACCESS; }
size_t skh5_variable(void) { return H5T_VARIABLE; }

/* MARK: Variable-length strings without H5HG_read (see CHDF5Shim.h) */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "raw.h"

static const char heap_id_tag[] = "swiftkeras.global-heap-id";

/* The soft conversion from variable-length strings to the tagged opaque type: the stored heap IDs
   stay as they are (both types have the same size, so there is nothing to move). */
static herr_t heap_id_conversion(hid_t src, hid_t dst, H5T_cdata_t *cdata, size_t nelmts, size_t buf_stride,
                                 size_t bkg_stride, void *buf, void *bkg, hid_t dxpl) {
    (void)nelmts; (void)buf_stride; (void)bkg_stride; (void)buf; (void)bkg; (void)dxpl;
    switch (cdata->command) {
    case H5T_CONV_INIT: {
        if (H5Tget_class(dst) != H5T_OPAQUE || H5Tis_variable_str(src) <= 0) return -1;
        char *tag = H5Tget_tag(dst);
        int ours = tag != NULL && strcmp(tag, heap_id_tag) == 0;
        if (tag != NULL) H5free_memory(tag);
        if (!ours || H5Tget_size(src) != H5Tget_size(dst)) return -1;
        cdata->need_bkg = H5T_BKG_NO;
        return 0;
    }
    case H5T_CONV_CONV:
    case H5T_CONV_FREE:
        return 0;
    default:
        return -1;
    }
}

int skh5_register_heap_id_conversion(void) {
    hid_t vlen = H5Tcopy(H5T_C_S1), opaque = H5Tcreate(H5T_OPAQUE, 16);
    herr_t status = -1;
    if (vlen >= 0 && opaque >= 0 && H5Tset_size(vlen, H5T_VARIABLE) >= 0 && H5Tset_tag(opaque, heap_id_tag) >= 0)
        status = H5Tregister(H5T_PERS_SOFT, "swiftkeras_heap_ids", vlen, opaque, heap_id_conversion);
    if (vlen >= 0) H5Tclose(vlen);
    if (opaque >= 0) H5Tclose(opaque);
    return status < 0 ? -1 : 0;
}

hid_t skh5_heap_id_type(size_t size) {
    if (size == 0) return -1;
    hid_t type = H5Tcreate(H5T_OPAQUE, size);
    if (type < 0) return -1;
    if (H5Tset_tag(type, heap_id_tag) < 0) { H5Tclose(type); return -1; }
    return type;
}

/* `size` bytes at `addr` (relative to the base address) of the file's storage, read past HDF5's
   caches: from the sec2 driver's descriptor or the core driver's buffer. */
int skh5_read_raw(hid_t file, unsigned long long addr, size_t size, unsigned char *out) {
    hid_t fapl = H5Fget_access_plist(file), fcpl = H5Fget_create_plist(file);
    int rc = -1;
    hsize_t eof = 0, base = 0;
    void *handle = NULL;
    hid_t driver = -1;
    if (fapl < 0 || fcpl < 0 || H5Pget_userblock(fcpl, &base) < 0 || H5Fget_filesize(file, &eof) < 0) goto done;
    if (base > eof || addr > eof - base || size > eof - base - addr) goto done;
    if (H5Fget_vfd_handle(file, fapl, &handle) < 0 || handle == NULL) goto done;
    driver = H5Pget_driver(fapl);
    if (driver == H5FD_SEC2) {
        int fd = *(int *)handle;
        size_t got = 0;
        while (got < size) {
            ssize_t n = pread(fd, out + got, size - got, (off_t)(base + addr + got));
            if (n <= 0) goto done;
            got += (size_t)n;
        }
        rc = 0;
    } else if (driver == H5FD_CORE) {
        const unsigned char *mem = *(unsigned char **)handle;
        if (mem == NULL) goto done;
        memcpy(out, mem + base + addr, size);
        rc = 0;
    }
done:
    if (fapl >= 0) H5Pclose(fapl);
    if (fcpl >= 0) H5Pclose(fcpl);
    return rc;
}

int skh5_sizes(hid_t file, size_t *sizeof_addr, size_t *sizeof_size) {
    hid_t fcpl = H5Fget_create_plist(file);
    if (fcpl < 0) return -1;
    herr_t got = H5Pget_sizes(fcpl, sizeof_addr, sizeof_size);
    H5Pclose(fcpl);
    if (got < 0 || *sizeof_addr < 2 || *sizeof_addr > 8 || *sizeof_size < 2 || *sizeof_size > 8) return -1;
    return 0;
}

unsigned long long skh5_le(const unsigned char *p, size_t n) {
    unsigned long long v = 0;
    for (size_t i = n; i > 0; i--) v = (v << 8) | p[i - 1];
    return v;
}

int skh5_heap_string(hid_t file, const unsigned char *id, size_t id_size, size_t max_bytes, char **out, size_t *length) {
    *out = NULL;
    *length = 0;
    size_t sizeof_addr = 0, sizeof_size = 0;
    if (skh5_sizes(file, &sizeof_addr, &sizeof_size) < 0) return -1;
    if (id_size != 4 + sizeof_addr + 4) return -1;
    unsigned long long count = skh5_le(id, 4), addr = skh5_le(id + 4, sizeof_addr);
    unsigned long long index = skh5_le(id + 4 + sizeof_addr, 4);
    unsigned long long undefined = sizeof_addr == 8 ? ~0ULL : (1ULL << (8 * sizeof_addr)) - 1;
    if (count == 0 || addr == 0 || addr == undefined) return 0;   /* an empty or null string */
    if (count > max_bytes || index == 0 || index > 0xFFFF) return -1;
    /* The collection: "GCOL", version 1, 3 reserved bytes, its size; then objects of
       (index: 2, references: 2, reserved: 4, size: sizeof_size) and their data padded to 8. */
    size_t header = 8 + sizeof_size, object_header = 8 + sizeof_size;
    unsigned char head[16];
    if (skh5_read_raw(file, addr, header, head) < 0) return -1;
    if (memcmp(head, "GCOL", 4) != 0 || head[4] != 1) return -1;
    unsigned long long total = skh5_le(head + 8, sizeof_size);
    if (total < header + object_header || total > (unsigned long long)max_bytes + (1u << 20)) return -1;
    unsigned char *collection = malloc((size_t)total);
    if (collection == NULL) return -1;
    int rc = -1;
    if (skh5_read_raw(file, addr, (size_t)total, collection) < 0) goto done;
    size_t at = header;
    while (total - at >= object_header) {
        unsigned long long object = skh5_le(collection + at, 2);
        unsigned long long size = skh5_le(collection + at + 8, sizeof_size);
        size_t data = at + object_header;
        if (object == 0) break;                      /* the free space, which ends the objects */
        if (size > total - data) break;
        if (object == index) {
            if (count > size) break;
            char *copy = malloc((size_t)count + 1);
            if (copy == NULL) break;
            memcpy(copy, collection + data, (size_t)count);
            copy[count] = 0;
            *out = copy;
            *length = (size_t)count;
            rc = 0;
            break;
        }
        unsigned long long padded = (size + 7) / 8 * 8;
        if (padded > total - data) break;
        at = data + (size_t)padded;
    }
done:
    free(collection);
    return rc;
}

/* The object-header checks are part of this compile unit rather than a second one: valgrind
   3.19 (Debian's, which `make test-c` runs the C tests under) gives up on a shared library with
   two DWARF 5 C compile units. Package.swift excludes headers.c from the target's sources. */
#include "headers.c"
#include "kernels.c"
#include "int8.c"
