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
   each), [version 3: encoding (1)], then the NUL-terminated name, the datatype, the dataspace and
   the data (version 1 pads the first three to 8 bytes). libhdf5 1.10.8 copies the data, of the
   datatype's size times the dataspace's element count, without checking it against the message
   (a heap-buffer-overflow found by `make fuzz` in session 7), so those sizes are checked too. A
   shared attribute lives in another heap this check does not read, and Keras never writes one. */
static size_t padded(size_t n, unsigned version) { return version == 1 ? (n + 7) / 8 * 8 : n; }

static int check_attribute(walk_t *w, unsigned flags, const unsigned char *m, size_t size) {
    if (flags & 0x02) return fail(w, "a shared attribute message");
    if (size < 8) return fail(w, "an attribute message of %zu bytes", size);
    unsigned version = m[0];
    if (version < 1 || version > 3) return 0;   /* libhdf5 refuses it before reading the name */
    size_t name = version == 3 ? 9 : 8, length = (size_t)skh5_le(m + 2, 2);
    if (name > size || length > size - name || !terminated(m + name, length))
        return fail(w, "an attribute name (%zu bytes) that is not terminated inside its message", length);
    size_t dt_bytes = (size_t)skh5_le(m + 4, 2), ds_bytes = (size_t)skh5_le(m + 6, 2);
    size_t dt = name + padded(length, version);
    size_t ds = dt + padded(dt_bytes, version), data = ds + padded(ds_bytes, version);
    if (dt_bytes < 8 || ds_bytes < 4 || dt > size || ds > size || data > size || dt_bytes > size - dt || ds_bytes > size - ds)
        return fail(w, "an attribute whose datatype or dataspace runs past its %zu-byte message", size);
    /* The datatype: class and version (1), class bits (3), the element size (4); variable-length
       elements are stored as global heap IDs (4 + address + 4 bytes); array types are refused
       (their size comes from a base type: not in a Keras file). */
    unsigned type_class = m[dt] & 0x0F;
    unsigned long long element = skh5_le(m + dt + 4, 4);
    if (type_class == 10) return fail(w, "an attribute of array type");
    if (type_class == 9 && element < 8 + w->sizeof_addr) element = 8 + w->sizeof_addr;
    /* The dataspace: version 1 (version, rank, flags, 5 reserved) or 2 (version, rank, flags,
       type: 0 scalar, 1 simple, 2 null), then `rank` sizes. */
    const unsigned char *space = m + ds;
    unsigned space_version = space[0], rank = space[1];
    size_t dims = space_version == 1 ? 8 : 4, ss = w->sizeof_size;
    if ((space_version != 1 && space_version != 2) || rank > 32 || (size_t)rank * ss > ds_bytes - (ds_bytes < dims ? ds_bytes : dims)
        || ds_bytes < dims)
        return fail(w, "an attribute whose dataspace (version %u, rank %u) does not fit its %zu bytes", space_version, rank, ds_bytes);
    unsigned long long count = space_version == 2 && space[3] == 2 ? 0 : 1;
    for (unsigned r = 0; r < rank && count != 0; r++) {
        unsigned long long d = skh5_le(space + dims + (size_t)r * ss, ss);
        if (d != 0 && count > ~0ULL / d) return fail(w, "an attribute whose dataspace overflows");
        count *= d;
    }
    if (count != 0 && element > (unsigned long long)(size - data) / count)
        return fail(w, "an attribute whose data (%llu elements of %llu bytes) runs past its %zu-byte message", count, element, size);
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

/* MARK: Dense storage: attributes and links in a fractal heap indexed by v2 B-trees

   An object with more than 8 attributes or links in a file written with libver "latest" or
   creation-order tracking keeps them as heap objects: an attribute-info (0x15) or link-info (0x02)
   message names a fractal heap ("FRHP") and v2 B-trees ("BTHD") whose records hold heap IDs.
   libhdf5 decodes those objects with the same name-trusting decoders as header messages (an
   attribute's name by strdup, a link's name by its stored length), so every object any index
   record reaches is checked here: managed objects in their direct block, huge objects (stored
   apart, found through the heap's own B-tree or in the ID) and tiny ones (inside the ID). Files
   this library does not expect in such storage are refused by name: heaps with I/O filters, and
   IDs, blocks or trees that do not fit together as libhdf5 builds them. */

enum { max_btree_depth = 16, max_btree_nodes = 1 << 16, max_heap_depth = 16, max_node_bytes = 1 << 20 };

typedef struct {
    int links;                        /* links (0x02) or attributes (0x15) */
    unsigned long long addr, root, huge_tree, start, max_direct, width;
    size_t id_len, off_size, len_size, root_rows, first_row_bits, max_direct_rows;
    int checksummed, huge_direct;
} heap_t;

static int undefined(walk_t *w, unsigned long long addr) {
    return addr == (w->sizeof_addr == 8 ? ~0ULL : (1ULL << (8 * w->sizeof_addr)) - 1);
}

static size_t log2_floor(unsigned long long n) { size_t r = 0; while (n >>= 1) r++; return r; }
static int power_of_two(unsigned long long n) { return n != 0 && (n & (n - 1)) == 0; }

/* One object's bytes, checked as the message the heap holds. */
static int check_heap_object(walk_t *w, const heap_t *h, unsigned flags, const unsigned char *m, size_t size) {
    return h->links ? check_link(w, m, size) : check_attribute(w, flags, m, size);
}

/* `size` bytes at `addr`, read and checked as one heap object. */
static int check_stored_object(walk_t *w, const heap_t *h, unsigned flags, unsigned long long addr, unsigned long long size) {
    if (size == 0 || size > max_heap_bytes) return fail(w, "a fractal heap object of %llu bytes", size);
    unsigned char *bytes = malloc((size_t)size);
    if (bytes == NULL) return fail(w, "no memory for a fractal heap object of %llu bytes", size);
    int rc = skh5_read_raw(w->file, addr, (size_t)size, bytes) < 0
        ? fail(w, "a fractal heap object (%llu bytes at %llu) outside the file", size, addr)
        : check_heap_object(w, h, flags, bytes, (size_t)size);
    free(bytes);
    return rc;
}

/* A managed object: the direct block holding heap offset `off` is found through the doubling
   table as libhdf5 finds it (rows of `width` blocks, the first two rows of the starting size, each
   later row twice the one before; rows past the largest direct block are indirect blocks, each
   again a table), and the object must lie inside that block past its header. */
static int check_managed(walk_t *w, const heap_t *h, unsigned flags, unsigned long long off, unsigned long long len) {
    if (off == 0 || len == 0 || len > h->max_direct) return fail(w, "a fractal heap ID (offset %llu, length %llu) outside its heap", off, len);
    unsigned long long block = h->root, block_off = 0, block_size = h->start;
    size_t rows = h->root_rows;
    size_t sa = w->sizeof_addr;
    for (int level = 0; rows > 0; level++) {
        if (level == max_heap_depth) return fail(w, "a fractal heap more than %d indirect blocks deep", max_heap_depth);
        unsigned char head[4 + 1 + 8 + 8];
        if (skh5_read_raw(w->file, block, 5 + sa + h->off_size, head) < 0 || memcmp(head, "FHIB", 4) != 0 || head[4] != 0)
            return fail(w, "a fractal heap indirect block at %llu that cannot be read", block);
        if (skh5_le(head + 5 + sa, h->off_size) != block_off)
            return fail(w, "a fractal heap indirect block at %llu with the wrong heap offset", block);
        unsigned long long rel = off - block_off, first_row = h->start * h->width;
        size_t row = rel < first_row ? 0 : log2_floor(rel) - h->first_row_bits + 1;
        if (row >= rows) return fail(w, "a fractal heap ID (offset %llu) past its indirect block", off);
        unsigned long long row_size = row == 0 ? h->start : h->start << (row - 1);
        unsigned long long row_start = row == 0 ? 0 : first_row << (row - 1);
        unsigned long long col = (rel - row_start) / row_size;
        unsigned char entry[8];
        if (skh5_read_raw(w->file, block + 5 + sa + h->off_size + (row * h->width + col) * sa, sa, entry) < 0)
            return fail(w, "a fractal heap indirect block at %llu outside the file", block);
        block = skh5_le(entry, sa);
        block_off += row_start + col * row_size;
        block_size = row_size;
        if (undefined(w, block)) return fail(w, "a fractal heap ID (offset %llu) in a block never written", off);
        rows = row < h->max_direct_rows ? 0 : log2_floor(row_size) - h->first_row_bits + 1;
    }
    size_t prefix = 5 + sa + h->off_size + (h->checksummed ? 4 : 0);
    unsigned char head[4 + 1 + 8 + 8];
    if (skh5_read_raw(w->file, block, 5 + sa + h->off_size, head) < 0 || memcmp(head, "FHDB", 4) != 0 || head[4] != 0)
        return fail(w, "a fractal heap direct block at %llu that cannot be read", block);
    unsigned long long stored = skh5_le(head + 5 + sa, h->off_size);
    if (stored > off || off - stored < prefix || off - stored > block_size || len > block_size - (off - stored))
        return fail(w, "a fractal heap object (offset %llu, %llu bytes) outside its direct block", off, len);
    return check_stored_object(w, h, flags, block + (off - stored), len);
}

/* A heap ID: version 0; managed (offset, length), huge (address and length, or an ID the heap's
   B-tree resolves, checked when that tree is walked) or tiny (the bytes follow the type byte). */
static int check_heap_id(walk_t *w, const heap_t *h, unsigned flags, const unsigned char *id) {
    unsigned kind = (id[0] >> 4) & 3;
    if (!h->links && (flags & 0x02)) return fail(w, "a shared attribute message");
    if ((id[0] >> 6) != 0) return fail(w, "a fractal heap ID of version %u", id[0] >> 6);
    if (kind == 0)
        return check_managed(w, h, flags, skh5_le(id + 1, h->off_size), skh5_le(id + 1 + h->off_size, h->len_size));
    if (kind == 1)
        return h->huge_direct
            ? check_stored_object(w, h, flags, skh5_le(id + 1, w->sizeof_addr), skh5_le(id + 1 + w->sizeof_addr, w->sizeof_size))
            : 0;
    if (kind == 2) {
        int extended = h->id_len > 18;
        size_t len = extended ? (size_t)(((id[0] & 0x0F) << 8) | id[1]) + 1 : (size_t)(id[0] & 0x0F) + 1;
        size_t at = extended ? 2 : 1;
        if (len > h->id_len - at) return fail(w, "a tiny fractal heap object of %zu bytes in a %zu-byte ID", len, h->id_len);
        return check_heap_object(w, h, flags, id + at, len);
    }
    return fail(w, "a fractal heap ID of unknown type %u", kind);
}

typedef struct {
    unsigned long long node_size;
    size_t rec_size, nrec_size, total_size[max_btree_depth + 1], max_nrec[max_btree_depth + 1];
    int type, nodes;
} btree_t;

/* The records of one node, then its children; `record` checks each record's bytes. */
static int walk_node(walk_t *w, btree_t *t, const heap_t *h, unsigned long long addr, size_t nrec, size_t depth) {
    if (++t->nodes > max_btree_nodes) return fail(w, "a v2 B-tree of more than %d nodes", max_btree_nodes);
    if (nrec > t->max_nrec[depth]) return fail(w, "a v2 B-tree node at %llu with %zu records", addr, nrec);
    unsigned char *node = malloc((size_t)t->node_size);
    if (node == NULL) return fail(w, "no memory for a v2 B-tree node of %llu bytes", t->node_size);
    int rc = 0;
    if (skh5_read_raw(w->file, addr, (size_t)t->node_size, node) < 0 || memcmp(node, depth == 0 ? "BTLF" : "BTIN", 4) != 0
        || node[4] != 0 || node[5] != t->type) {
        rc = fail(w, "a v2 B-tree node at %llu that cannot be read", addr);
        goto done;
    }
    size_t sa = w->sizeof_addr, child = 6 + nrec * t->rec_size;
    for (size_t i = 0; rc == 0 && i < nrec; i++) {
        const unsigned char *r = node + 6 + i * t->rec_size;
        switch (t->type) {
        case 1: rc = check_stored_object(w, h, 0, skh5_le(r, sa), skh5_le(r + sa, w->sizeof_size)); break;
        case 5: rc = check_heap_id(w, h, 0, r + 4); break;
        case 6: rc = check_heap_id(w, h, 0, r + 8); break;
        default: rc = check_heap_id(w, h, r[h->id_len], r); break;   /* 8 and 9: ID, message flags, ... */
        }
    }
    size_t pointer = sa + t->nrec_size + (depth > 1 ? t->total_size[depth - 1] : 0);
    for (size_t i = 0; rc == 0 && depth > 0 && i <= nrec; i++) {
        const unsigned char *p = node + child + i * pointer;
        rc = walk_node(w, t, h, skh5_le(p, sa), (size_t)skh5_le(p + sa, t->nrec_size), depth - 1);
    }
done:
    free(node);
    return rc;
}

/* A v2 B-tree header ("BTHD") of the expected type and record size, and its whole tree. The
   node layout follows libhdf5's H5B2__hdr_init: a leaf holds (node size - 10) / record size
   records; an internal node's child pointers are an address, that count's width, and below depth
   1 the width of the subtree's largest total. */
static int walk_btree(walk_t *w, const heap_t *h, unsigned long long addr, int type, size_t rec_size) {
    if (undefined(w, addr)) return 0;
    size_t sa = w->sizeof_addr;
    unsigned char head[4 + 1 + 1 + 4 + 2 + 2 + 1 + 1 + 8 + 2];
    if (skh5_read_raw(w->file, addr, 16 + sa + 2, head) < 0 || memcmp(head, "BTHD", 4) != 0 || head[4] != 0)
        return fail(w, "a v2 B-tree header at %llu that cannot be read", addr);
    btree_t t = {.node_size = skh5_le(head + 6, 4), .rec_size = (size_t)skh5_le(head + 10, 2), .type = head[5]};
    size_t depth = (size_t)skh5_le(head + 12, 2);
    if (t.type != type || t.rec_size != rec_size)
        return fail(w, "a v2 B-tree of type %d with %zu-byte records where type %d with %zu is expected", t.type, t.rec_size, type, rec_size);
    if (depth > max_btree_depth || t.node_size <= 10 + rec_size || t.node_size > max_node_bytes)
        return fail(w, "a v2 B-tree of depth %zu with %llu-byte nodes", depth, t.node_size);
    t.max_nrec[0] = (size_t)(t.node_size - 10) / rec_size;
    unsigned long long cumulative = t.max_nrec[0];
    t.nrec_size = log2_floor(t.max_nrec[0]) / 8 + 1;
    for (size_t d = 1; d <= depth; d++) {
        size_t pointer = sa + t.nrec_size + t.total_size[d - 1];
        t.max_nrec[d] = t.node_size < 10 + pointer ? 0 : (size_t)(t.node_size - 10 - pointer) / (rec_size + pointer);
        if (t.max_nrec[d] == 0) return fail(w, "a v2 B-tree of depth %zu with %llu-byte nodes", depth, t.node_size);
        cumulative = (t.max_nrec[d] + 1) * cumulative + t.max_nrec[d];
        t.total_size[d] = log2_floor(cumulative) / 8 + 1;
    }
    unsigned long long root = skh5_le(head + 16, sa);
    size_t nrec = (size_t)skh5_le(head + 16 + sa, 2);
    if (undefined(w, root)) return 0;   /* an empty tree */
    return walk_node(w, &t, h, root, nrec, depth);
}

/* The heap header ("FRHP", version 0): ID length, I/O filters' length, flags, largest managed
   object, ten lengths and two addresses of statistics (the second of those addresses is the huge
   objects' B-tree), then the doubling table: width, starting and largest direct block sizes, the
   heap's offset width in bits, starting rows, the root block and its current rows. */
static int read_heap(walk_t *w, heap_t *h, unsigned long long addr, int links) {
    size_t sa = w->sizeof_addr, ss = w->sizeof_size, table = 14 + 10 * ss + 2 * sa;
    unsigned char p[14 + 10 * 8 + 2 * 8 + 2 + 8 + 8 + 2 + 2 + 8 + 2];
    if (skh5_read_raw(w->file, addr, table + 2 + 2 * ss + 4 + sa + 2, p) < 0 || memcmp(p, "FRHP", 4) != 0 || p[4] != 0)
        return fail(w, "a fractal heap at %llu that cannot be read", addr);
    memset(h, 0, sizeof *h);
    h->links = links;
    h->addr = addr;
    h->id_len = (size_t)skh5_le(p + 5, 2);
    if (skh5_le(p + 7, 2) != 0) return fail(w, "a fractal heap with I/O filters");
    h->checksummed = (p[9] & 0x02) != 0;
    unsigned long long max_managed = skh5_le(p + 10, 4);
    h->huge_tree = skh5_le(p + 14 + ss, sa);
    h->width = skh5_le(p + table, 2);
    h->start = skh5_le(p + table + 2, ss);
    h->max_direct = skh5_le(p + table + 2 + ss, ss);
    size_t bits = (size_t)skh5_le(p + table + 2 + 2 * ss, 2);
    h->root = skh5_le(p + table + 2 + 2 * ss + 4, sa);
    h->root_rows = (size_t)skh5_le(p + table + 2 + 2 * ss + 4 + sa, 2);
    if (h->id_len != (links ? 7u : 8u)) return fail(w, "a fractal heap with %zu-byte IDs", h->id_len);
    if (!power_of_two(h->width) || !power_of_two(h->start) || !power_of_two(h->max_direct) || h->start > h->max_direct
        || h->max_direct > max_heap_bytes || bits == 0 || bits > 64 || h->width > 65536)
        return fail(w, "a fractal heap at %llu whose doubling table libhdf5 would not build", addr);
    h->off_size = (bits + 7) / 8;
    size_t block_len = (log2_floor(h->max_direct) + 7) / 8, limit_len = log2_floor(max_managed ? max_managed : 1) / 8 + 1;
    h->len_size = block_len < limit_len ? block_len : limit_len;
    if (1 + h->off_size + h->len_size > h->id_len) return fail(w, "a fractal heap whose IDs cannot hold an offset and length");
    h->first_row_bits = log2_floor(h->start) + log2_floor(h->width);
    h->max_direct_rows = log2_floor(h->max_direct) - log2_floor(h->start) + 2;
    h->huge_direct = sa + ss <= h->id_len - 1;
    if (h->root_rows > 64 || h->first_row_bits + h->root_rows > 64) return fail(w, "a fractal heap root of %zu rows", h->root_rows);
    return 0;
}

/* Link info (0x02) and attribute info (0x15) messages: version 0, flags (bit 0: a creation-order
   counter of 8 bytes for links, 2 for attributes; bit 1: a creation-order index), the heap's
   address, the name index's, and the creation-order index's. */
static int check_dense(walk_t *w, int links, const unsigned char *m, size_t size) {
    size_t sa = w->sizeof_addr;
    if (size < 2 || m[0] != 0) return 0;   /* libhdf5 refuses other versions itself */
    unsigned flags = m[1];
    size_t at = 2 + ((flags & 0x01) ? (links ? 8 : 2) : 0);
    if (at > size || 2 * sa > size - at || ((flags & 0x02) && 3 * sa > size - at))
        return fail(w, "a %s info message of %zu bytes", links ? "link" : "attribute", size);
    unsigned long long heap = skh5_le(m + at, sa), names = skh5_le(m + at + sa, sa);
    unsigned long long order = (flags & 0x02) ? skh5_le(m + at + 2 * sa, sa) : ~0ULL;
    if (undefined(w, heap)) return 0;   /* compact storage: the messages are in the header */
    heap_t h;
    if (read_heap(w, &h, heap, links) < 0) return -1;
    size_t id = h.id_len;
    if (!h.huge_direct && walk_btree(w, &h, h.huge_tree, 1, sa + 2 * w->sizeof_size) < 0) return -1;
    if (walk_btree(w, &h, names, links ? 5 : 8, links ? 4 + id : id + 9) < 0) return -1;
    if ((flags & 0x02) && !undefined(w, order) && walk_btree(w, &h, order, links ? 6 : 9, links ? 8 + id : id + 5) < 0) return -1;
    return 0;
}

static int check_message(walk_t *w, unsigned type, unsigned flags, const unsigned char *m, size_t size) {
    switch (type) {
    case 0x02: return check_dense(w, 1, m, size);
    case 0x06: return check_link(w, m, size);
    case 0x0B: return check_pipeline(w, flags, m, size);
    case 0x0C: return check_attribute(w, flags, m, size);
    case 0x11: return check_symbol_table(w, m, size);
    case 0x15: return check_dense(w, 0, m, size);
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
