/* Object headers checked before libhdf5 decodes their names (see CHDF5Shim.h).

   libhdf5 1.10.8 trusts names inside object-header messages: an attribute name is copied with
   strdup (H5O_attr_decode), a filter name measured with strlen (H5O_pline_decode), a link name
   copied with its stored length unchecked against the message (H5O_link_decode), and a group's
   names compared with strcmp inside its local heap. A corrupted file reads past libhdf5's buffers.
   Every message of those kinds in the header (chunk 0 and its continuations) is checked here,
   from the file's bytes, before libhdf5 is asked anything by name. */

#include "CHDF5Shim.h"
#include "raw.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { max_chunks = 64, max_chunk_bytes = 16 << 20, max_heap_bytes = 256 << 20 };

typedef struct {
    hid_t file;
    size_t sizeof_addr, sizeof_size;
    char *why;
    size_t why_size;
    int version;                 /* of the object header: 1, or 2 ("OHDR") */
    int creation_order;          /* version 2: messages carry a 2-byte creation order */
    unsigned long long pending[max_chunks][2];  /* continuation chunks: address, length */
    int npending, nchunks;
} walk_t;

static int fail(walk_t *w, const char *format, ...) {
    va_list args;
    va_start(args, format);
    if (w->why != NULL && w->why_size > 0) vsnprintf(w->why, w->why_size, format, args);
    va_end(args);
    return -1;
}

/* Whether the `n` bytes at `p` hold a NUL (so strlen/strdup from `p` stop inside them). */
static int terminated(const unsigned char *p, size_t n) { return n > 0 && memchr(p, 0, n) != NULL; }

/* Attribute message (type 0x0C): version, flags, name length (2), datatype and dataspace sizes (2
   each), [version 3: encoding (1)], then the NUL-terminated name. A shared attribute lives in
   another heap this check does not read, and Keras never writes one. */
static int check_attribute(walk_t *w, unsigned flags, const unsigned char *m, size_t size) {
    if (flags & 0x02) return fail(w, "a shared attribute message");
    if (size < 8) return fail(w, "an attribute message of %zu bytes", size);
    unsigned version = m[0];
    if (version < 1 || version > 3) return 0;   /* libhdf5 refuses it before reading the name */
    size_t name = version == 3 ? 9 : 8, length = (size_t)skh5_le(m + 2, 2);
    if (name > size || length > size - name || !terminated(m + name, length))
        return fail(w, "an attribute name (%zu bytes) that is not terminated inside its message", length);
    return 0;
}

/* Link message (type 0x06): version 1, flags, [type], [creation order (8)], [charset], the name's
   length in 1 << (flags & 3) bytes, the name, then the target (an address, or a 2-byte length
   and that many bytes). */
static int check_link(walk_t *w, const unsigned char *m, size_t size) {
    if (size < 2 || m[0] != 1) return 0;
    unsigned flags = m[1], kind = 0;
    size_t at = 2;
    if (flags & 0x08) { if (at >= size) goto bad; kind = m[at++]; }
    if (flags & 0x04) at += 8;
    if (flags & 0x10) at += 1;
    size_t width = (size_t)1 << (flags & 3);
    if (at > size || width > size - at) goto bad;
    unsigned long long length = skh5_le(m + at, width);
    at += width;
    if (length == 0 || length > size - at) goto bad;
    at += (size_t)length;
    if (kind == 0) return w->sizeof_addr <= size - at ? 0 : fail(w, "a hard link without its address");
    if (2 > size - at || skh5_le(m + at, 2) > size - at - 2) goto bad;
    return 0;
bad:
    return fail(w, "a link message whose name or target runs past its %zu bytes", size);
}

/* Filter pipeline message (type 0x0B): per filter an id, [name length], flags, client-value count,
   the NUL-terminated name and the values; version 1 pads names and odd value counts to 8 bytes. */
static int check_pipeline(walk_t *w, unsigned flags, const unsigned char *m, size_t size) {
    if (flags & 0x02) return fail(w, "a shared filter pipeline message");
    if (size < 2 || (m[0] != 1 && m[0] != 2)) return 0;
    unsigned version = m[0], filters = m[1];
    size_t at = version == 1 ? 8 : 2;
    for (unsigned f = 0; f < filters; f++) {
        if (at > size || 2 > size - at) goto bad;
        unsigned id = (unsigned)skh5_le(m + at, 2);
        at += 2;
        size_t length = 0;
        if (version == 1 || id >= 256) {
            if (2 > size - at) goto bad;
            length = (size_t)skh5_le(m + at, 2);
            at += 2;
        }
        if (4 > size - at) goto bad;
        size_t values = (size_t)skh5_le(m + at + 2, 2);
        at += 4;
        if (length > size - at || (length > 0 && !terminated(m + at, length))) goto bad;
        at += length;
        size_t bytes = 4 * (values + (version == 1 ? values % 2 : 0));
        if (bytes > size - at) goto bad;
        at += bytes;
    }
    return 0;
bad:
    return fail(w, "a filter pipeline message whose names or values run past its %zu bytes", size);
}

/* Symbol table message (type 0x11): a B-tree and a local heap ("HEAP", version 0, data size, free
   list, data address). Names are compared in the heap's data with strcmp: its last byte must be
   the NUL that stops them (libhdf5 pads every name with NULs, free space included). */
static int check_symbol_table(walk_t *w, const unsigned char *m, size_t size) {
    size_t sa = w->sizeof_addr, ss = w->sizeof_size;
    if (size < 2 * sa) return fail(w, "a symbol table message of %zu bytes", size);
    unsigned long long heap = skh5_le(m + sa, sa);
    unsigned char head[8 + 2 * 8 + 8], last = 1;
    if (skh5_read_raw(w->file, heap, 8 + 2 * ss + sa, head) < 0 || memcmp(head, "HEAP", 4) != 0 || head[4] != 0)
        return fail(w, "a group whose local heap at %llu cannot be read", heap);
    unsigned long long bytes = skh5_le(head + 8, ss), data = skh5_le(head + 8 + 2 * ss, sa);
    if (bytes == 0 || bytes > max_heap_bytes || skh5_read_raw(w->file, data + bytes - 1, 1, &last) < 0 || last != 0)
        return fail(w, "a group whose local heap (%llu bytes at %llu) does not end in a NUL", bytes, data);
    return 0;
}

static int check_message(walk_t *w, unsigned type, unsigned flags, const unsigned char *m, size_t size) {
    switch (type) {
    case 0x06: return check_link(w, m, size);
    case 0x0B: return check_pipeline(w, flags, m, size);
    case 0x0C: return check_attribute(w, flags, m, size);
    case 0x11: return check_symbol_table(w, m, size);
    case 0x10:
        if (size < w->sizeof_addr + w->sizeof_size) return fail(w, "a continuation message of %zu bytes", size);
        if (w->npending == max_chunks) return fail(w, "more than %d header chunks", max_chunks);
        w->pending[w->npending][0] = skh5_le(m, w->sizeof_addr);
        w->pending[w->npending][1] = skh5_le(m + w->sizeof_addr, w->sizeof_size);
        w->npending++;
        return 0;
    default: return 0;
    }
}

/* The messages of one chunk: version 1 headers are type (2), size (2), flags, 3 reserved bytes;
   version 2 headers type, size (2), flags, [creation order (2)], with a gap allowed at the end. */
static int check_messages(walk_t *w, const unsigned char *p, size_t n) {
    size_t header = w->version == 1 ? 8 : 4 + (w->creation_order ? 2 : 0), at = 0;
    while (n - at >= header) {
        unsigned type = w->version == 1 ? (unsigned)skh5_le(p + at, 2) : p[at];
        size_t size = (size_t)skh5_le(p + at + (w->version == 1 ? 2 : 1), 2);
        unsigned flags = p[at + (w->version == 1 ? 4 : 3)];
        at += header;
        if (size > n - at) return fail(w, "a header message of %zu bytes past its chunk", size);
        if (check_message(w, type, flags, p + at, size) < 0) return -1;
        at += size;
    }
    return 0;
}

/* Reads one chunk (`skip` bytes of prefix or signature, `n` bytes of messages) and checks it. */
static int check_chunk(walk_t *w, unsigned long long addr, size_t skip, size_t n) {
    if (++w->nchunks > max_chunks) return fail(w, "more than %d header chunks", max_chunks);
    if (n > max_chunk_bytes) return fail(w, "a header chunk of %zu bytes", n);
    unsigned char *chunk = malloc(n > 0 ? n : 1);
    if (chunk == NULL) return fail(w, "no memory for a header chunk of %zu bytes", n);
    int rc = skh5_read_raw(w->file, addr + skip, n, chunk) < 0
        ? fail(w, "a header chunk (%zu bytes at %llu) outside the file", n, addr) : check_messages(w, chunk, n);
    free(chunk);
    return rc;
}

/* Chunk 0 from the prefix: version 1 (16 bytes, chunk size at 8), or "OHDR" version 2 with its
   optional times and attribute thresholds, then a 1 << (flags & 3)-byte chunk size; a version 2
   chunk ends in a 4-byte checksum. */
static int check_first_chunk(walk_t *w, unsigned long long addr) {
    unsigned char p[40];
    if (skh5_read_raw(w->file, addr, 16, p) < 0) return fail(w, "an object header at %llu outside the file", addr);
    if (p[0] == 1) {
        w->version = 1;
        return check_chunk(w, addr, 16, (size_t)skh5_le(p + 8, 4));
    }
    if (memcmp(p, "OHDR", 4) != 0 || p[4] != 2) return 0;   /* libhdf5 refuses it itself */
    w->version = 2;
    unsigned flags = p[5];
    w->creation_order = (flags & 0x04) != 0;
    size_t at = 6 + ((flags & 0x20) ? 16 : 0) + ((flags & 0x10) ? 4 : 0), width = (size_t)1 << (flags & 3);
    if (skh5_read_raw(w->file, addr, at + width, p) < 0) return fail(w, "an object header at %llu outside the file", addr);
    return check_chunk(w, addr, at + width, (size_t)skh5_le(p + at, width));
}

int skh5_check_object(hid_t file, unsigned long long addr, char *why, size_t why_size) {
    unsigned intent = 0;
    if (H5Fget_intent(file, &intent) < 0) return -1;
    if (intent & H5F_ACC_RDWR) return 0;   /* a file this process writes: its bytes may not be flushed */
    walk_t *w = calloc(1, sizeof(walk_t));
    if (w == NULL) return -1;
    w->file = file;
    w->why = why;
    w->why_size = why_size;
    int rc = skh5_sizes(file, &w->sizeof_addr, &w->sizeof_size) < 0 ? fail(w, "bad address sizes")
        : check_first_chunk(w, addr);
    for (int i = 0; rc == 0 && i < w->npending; i++) {
        unsigned long long at = w->pending[i][0], n = w->pending[i][1];
        if (w->version == 1) { rc = check_chunk(w, at, 0, (size_t)(n < max_chunk_bytes ? n : max_chunk_bytes + 1)); continue; }
        unsigned char signature[4];
        if (n < 8 || skh5_read_raw(file, at, 4, signature) < 0 || memcmp(signature, "OCHK", 4) != 0)
            rc = fail(w, "a header continuation at %llu that is not a chunk", at);
        else rc = check_chunk(w, at, 4, (size_t)(n - 8 < max_chunk_bytes ? n - 8 : max_chunk_bytes + 1));
    }
    free(w);
    return rc;
}

int skh5_check_named(hid_t loc, const char *name, char *why, size_t why_size) {
    H5L_info_t link;
    if (strcmp(name, ".") != 0) {
        if (H5Lget_info(loc, name, &link, H5P_DEFAULT) < 0) {
            snprintf(why, why_size, "its link cannot be read");
            return -1;
        }
        if (link.type != H5L_TYPE_HARD && link.type != H5L_TYPE_SOFT) {
            snprintf(why, why_size, "it is an external or user-defined link");
            return -1;
        }
    }
    H5O_info_t info;
    hid_t file = H5Iget_file_id(loc);
    if (file < 0) return -1;
    int rc = H5Oget_info_by_name2(loc, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0
        ? (snprintf(why, why_size, "its object header cannot be read"), -1)
        : skh5_check_object(file, info.addr, why, why_size);
    H5Fclose(file);
    return rc;
}
