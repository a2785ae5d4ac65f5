"""Keras files in HDF5's dense storage (fractal heaps, v2 B-trees), and hostile variants of them.

Run: KERAS_BACKEND=jax /work/venv/bin/python scripts/make_dense_storage_fixtures.py
(any Python with keras 3, jax and h5py). Output:
- Tests/KerasTests/Fixtures/saving/dense_storage.{h5,weights.h5,expected.json}: real Keras's
  legacy `.h5` and `.weights.h5` of a 100-layer Dense stack, rewritten by h5py with
  libver="latest" and track_order=True plus twelve metadata attributes on the root. The root's
  attributes (model_config is ~66 KB of fixed-length bytes, as Keras 2 wrote it: a "huge" heap
  object, too large for an object header) and model_weights' 100 links (a B-tree
  with an internal node) are then in dense storage. Real Keras loads the rewritten files and
  predicts the same (checked below).
- Tests/KerasTests/Fixtures/hostile/h5_dense_*.h5: the same file with one structure damaged as an
  attacker would, every checksum libhdf5 verifies recomputed, so only the library's own check
  (Sources/CHDF5Shim/headers.c) stands between the bytes and libhdf5's decoders.
The Swift tests: Tests/KerasTests/Saving/DenseStorageTests.swift.
"""
import json
import os
import struct
import tempfile

os.environ.setdefault("KERAS_BACKEND", "jax")
import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "Tests", "KerasTests", "Fixtures")
SAVING, HOSTILE = os.path.join(ROOT, "saving"), os.path.join(ROOT, "hostile")


def lookup3(data, initval=0):
    """Bob Jenkins' lookup3 hashlittle, libhdf5's H5_checksum_lookup3 (its metadata checksum)."""
    def rot(x, k):
        return ((x << k) | (x >> (32 - k))) & 0xFFFFFFFF
    n = len(data)
    a = b = c = (0xDEADBEEF + n + initval) & 0xFFFFFFFF
    i = 0
    while n > 12:
        a = (a + struct.unpack_from("<I", data, i)[0]) & 0xFFFFFFFF
        b = (b + struct.unpack_from("<I", data, i + 4)[0]) & 0xFFFFFFFF
        c = (c + struct.unpack_from("<I", data, i + 8)[0]) & 0xFFFFFFFF
        a = (a - c) & 0xFFFFFFFF; a ^= rot(c, 4); c = (c + b) & 0xFFFFFFFF
        b = (b - a) & 0xFFFFFFFF; b ^= rot(a, 6); a = (a + c) & 0xFFFFFFFF
        c = (c - b) & 0xFFFFFFFF; c ^= rot(b, 8); b = (b + a) & 0xFFFFFFFF
        a = (a - c) & 0xFFFFFFFF; a ^= rot(c, 16); c = (c + b) & 0xFFFFFFFF
        b = (b - a) & 0xFFFFFFFF; b ^= rot(a, 19); a = (a + c) & 0xFFFFFFFF
        c = (c - b) & 0xFFFFFFFF; c ^= rot(b, 4); b = (b + a) & 0xFFFFFFFF
        n -= 12
        i += 12
    if n == 0:
        return c
    tail = bytes(data[i:i + n]) + bytes(12 - n)
    a = (a + struct.unpack_from("<I", tail, 0)[0]) & 0xFFFFFFFF
    b = (b + struct.unpack_from("<I", tail, 4)[0]) & 0xFFFFFFFF
    c = (c + struct.unpack_from("<I", tail, 8)[0]) & 0xFFFFFFFF
    c ^= b; c = (c - rot(b, 14)) & 0xFFFFFFFF
    a ^= c; a = (a - rot(c, 11)) & 0xFFFFFFFF
    b ^= a; b = (b - rot(a, 25)) & 0xFFFFFFFF
    c ^= b; c = (c - rot(b, 16)) & 0xFFFFFFFF
    a ^= c; a = (a - rot(c, 4)) & 0xFFFFFFFF
    b ^= a; b = (b - rot(a, 14)) & 0xFFFFFFFF
    c ^= b; c = (c - rot(b, 24)) & 0xFFFFFFFF
    return c


def model(depth):
    rng = np.random.default_rng(17)
    layers = [keras.Input((3,))] + [keras.layers.Dense(3, activation="tanh", name=f"dense_{i:02d}")
                                    for i in range(depth)]
    m = keras.Sequential(layers, name="dense_storage")
    m.set_weights([rng.normal(0, 0.6, w.shape).astype("float32") for w in m.get_weights()])
    m.compile(optimizer="sgd", loss="mse")
    return m


def rewrite(src, dst):
    """`src` copied object by object into a file h5py writes with the newest format."""
    def attrs(a, b):
        for k, v in a.attrs.items():
            b.attrs[k] = v

    def copy(a, b):
        attrs(a, b)
        for name, item in a.items():
            if isinstance(item, h5py.Group):
                copy(item, b.create_group(name, track_order=True))
            else:
                b.create_dataset(name, data=item[()])
                attrs(item, b[name])
    with h5py.File(src, "r") as f, h5py.File(dst, "w", libver="latest", track_order=True) as g:
        copy(f, g)
        for k in ("model_config", "training_config"):
            if k in g.attrs:   # as Keras 2 wrote them: fixed-length UTF-8 bytes, not h5py's vlen str
                g.attrs[k] = np.bytes_(g.attrs[k].encode("utf-8"))
        for i in range(12):
            g.attrs[f"note_{i:02d}"] = f"metadata attribute {i}, which Keras ignores"


class Heap:
    """A fractal heap ("FRHP") and its doubling table, enough to find an object's bytes."""

    def __init__(self, b, at):
        assert b[at:at + 4] == b"FRHP", at
        self.b, self.at = b, at
        p = at + 5
        self.id_len, self.filter_len, self.flags, self.max_man = struct.unpack_from("<HHBI", b, p)
        p += 9
        p += 10 * 8 + 2 * 8   # ten lengths and two addresses (8 bytes each in these files)
        self.width, self.start, self.max_direct, self.max_bits, self.start_rows, self.root, self.rows = \
            struct.unpack_from("<HQQHHQH", b, p)
        self.off_size = (self.max_bits + 7) // 8
        self.prefix = 5 + 8 + self.off_size + (4 if self.flags & 2 else 0)

    def managed(self, heap_id):
        """(direct block address, block size, object offset in the block, length)."""
        off = int.from_bytes(heap_id[1:1 + self.off_size], "little")
        length = int.from_bytes(heap_id[1 + self.off_size:self.id_len], "little")
        if self.rows == 0:
            return self.root, self.start, off, length
        b, p = self.b, self.root + 5 + 8 + self.off_size
        assert b[self.root:self.root + 4] == b"FHIB"
        row_start, size = 0, self.start
        for row in range(self.rows):
            size = self.start if row == 0 else self.start << (row - 1)
            if off < row_start + self.width * size:
                col = (off - row_start) // size
                block = struct.unpack_from("<Q", b, p + 8 * (row * self.width + col))[0]
                return block, size, off - (row_start + col * size), length
            row_start += self.width * size
        raise ValueError("offset outside the heap")


def info_message(b, header, kind):
    """Address of the fractal heap and the name-index B-tree of the object header at `header`
    (a version-2 "OHDR"), from its link-info (kind 2) or attribute-info (kind 0x15) message."""
    assert b[header:header + 4] == b"OHDR"
    flags = b[header + 5]
    p = header + 6 + (16 if flags & 0x20 else 0) + (4 if flags & 0x10 else 0)
    width = 1 << (flags & 3)
    size = int.from_bytes(b[p:p + width], "little")
    p += width
    end = p + size
    while p + 4 <= end:
        t, n, _ = b[p], struct.unpack_from("<H", b, p + 1)[0], b[p + 3]
        p += 4 + (2 if flags & 4 else 0)
        if t == kind:
            mflags = b[p + 1]
            q = p + 2 + ((8 if kind == 2 else 2) if mflags & 1 else 0)
            return struct.unpack_from("<QQ", b, q)
        p += n
    raise ValueError(f"no message {kind}")


def object_address(path, name):
    with h5py.File(path, "r") as f:
        return h5py.h5o.get_info(f[name].id).addr if name != "/" else h5py.h5o.get_info(f.id).addr


def leaf_records(b, btree):
    """The records of a depth-0 v2 B-tree ("BTHD" whose root is a leaf): (leaf address, [record offsets])."""
    assert b[btree:btree + 4] == b"BTHD"
    rec_size, depth = struct.unpack_from("<HH", b, btree + 10)
    root, nrec = struct.unpack_from("<QH", b, btree + 16)
    assert depth == 0, depth
    assert b[root:root + 4] == b"BTLF"
    return root, [root + 6 + i * rec_size for i in range(nrec)], rec_size


def recompute(b, start, length):
    """The metadata checksum of `length` bytes at `start`, stored in the 4 bytes after them."""
    struct.pack_into("<I", b, start + length, lookup3(bytes(b[start:start + length])))


def recompute_block(b, heap, block, size):
    """A direct block's checksum: lookup3 over the whole block with its checksum field zeroed."""
    at = block + 5 + 8 + heap.off_size
    struct.pack_into("<I", b, at, 0)
    struct.pack_into("<I", b, at, lookup3(bytes(b[block:block + size])))


def write(name, b):
    with open(os.path.join(HOSTILE, name), "wb") as f:
        f.write(b)


def hostile(good):
    src = bytearray(open(good, "rb").read())
    root, weights = object_address(good, "/"), object_address(good, "model_weights")

    # 1. A root attribute in dense storage (a managed heap object, checksummed block) whose name
    #    loses its NUL: H5MM_strdup would run on through the block.
    b = bytearray(src)
    heap_at, name_index = info_message(b, root, 0x15)
    heap = Heap(b, heap_at)
    leaf, records, rec_size = leaf_records(b, name_index)
    for r in records:
        if b[r] >> 4 & 3 != 0:
            continue
        block, size, off, length = heap.managed(bytes(b[r:r + heap.id_len]))
        obj = block + off
        name_len = struct.unpack_from("<H", b, obj + 2)[0]
        if bytes(b[obj + 9:obj + 9 + name_len]) == b"note_05\0":
            at = block + 5 + 8 + heap.off_size
            stored = struct.unpack_from("<I", b, at)[0]
            recompute_block(b, heap, block, size)
            assert struct.unpack_from("<I", b, at)[0] == stored, "lookup3 does not reproduce libhdf5's checksum"
            b[obj + 9 + name_len - 1] = ord("X")
            recompute_block(b, heap, block, size)
            break
    else:
        raise ValueError("no managed note_05 attribute")
    write("h5_dense_attribute_name_unterminated.h5", b)

    # 2. The same heap's index record for that attribute claims a length past its direct block
    #    (the leaf's checksum recomputed).
    b = bytearray(src)
    for r in records:
        if b[r] >> 4 & 3 == 0:
            struct.pack_into("<H", b, r + 1 + heap.off_size, 0xFFFF)
            break
    recompute(b, leaf, 6 + len(records) * rec_size)
    write("h5_dense_heap_id_past_its_block.h5", b)

    # 3. model_config, a huge heap object (stored apart, no checksum), whose name loses its NUL.
    b = bytearray(src)
    at = b.find(b"model_config\0")
    while at >= 0 and struct.unpack_from("<H", b, at - 7)[0] != 13:   # version 3: name at +9
        at = b.find(b"model_config\0", at + 1)
    assert at >= 0
    b[at + 12] = ord("X")
    write("h5_dense_huge_attribute_name_unterminated.h5", b)

    # 4. A link in model_weights' dense storage (version 1, flags 0x04: creation order, 8 bytes;
    #    a 1-byte name length) whose name length runs past its heap object.
    b = bytearray(src)
    heap = Heap(b, info_message(b, weights, 2)[0])
    pattern = b"\x08dense_07"
    for block, size in blocks(b, heap):
        at = b.find(pattern, block, block + size)
        if at >= 0 and b[at - 10:at - 8] == b"\x01\x04":
            b[at] = 0xFF
            recompute_block(b, heap, block, size)
            break
    else:
        raise ValueError("no dense_07 link message")
    write("h5_dense_link_name_too_long.h5", b)


def blocks(b, heap):
    """(address, size) of each direct block of the heap (a root direct block or one indirect level)."""
    if heap.rows == 0:
        return [(heap.root, heap.start)]
    out, p = [], heap.root + 5 + 8 + heap.off_size
    for row in range(heap.rows):
        size = heap.start if row == 0 else heap.start << (row - 1)
        for col in range(heap.width):
            addr = struct.unpack_from("<Q", b, p + 8 * (row * heap.width + col))[0]
            if addr != 0xFFFFFFFFFFFFFFFF:
                out.append((addr, size))
    return out


def fixture(name, layers):
    """NAME.h5, NAME.weights.h5 and NAME.expected.json for a `layers`-deep stack; the .h5's path."""
    m = model(layers)
    x = np.random.default_rng(3).normal(size=(4, 3)).astype("float32")
    expected = m.predict(x, verbose=0)
    h5, w5 = os.path.join(SAVING, name + ".h5"), os.path.join(SAVING, name + ".weights.h5")
    with tempfile.TemporaryDirectory() as tmp:
        legacy, weights = os.path.join(tmp, "m.h5"), os.path.join(tmp, "m.weights.h5")
        m.save(legacy)
        m.save_weights(weights)
        rewrite(legacy, h5)
        rewrite(weights, w5)
    # Real Keras reads both rewritten files and predicts the same.
    again = keras.models.load_model(h5, compile=False)
    np.testing.assert_allclose(again.predict(x, verbose=0), expected, atol=1e-6)
    fresh = model(layers)
    fresh.load_weights(w5)
    np.testing.assert_allclose(fresh.predict(x, verbose=0), expected, atol=1e-6)
    with open(os.path.join(SAVING, name + ".expected.json"), "w") as f:
        json.dump({"inputs": [x.tolist()], "outputs": [expected.tolist()]}, f)
    return h5


def main():
    os.makedirs(HOSTILE, exist_ok=True)
    large = fixture("dense_storage", 100)
    with h5py.File(large, "r") as f:
        assert len(f.attrs["model_config"]) > 65536, len(f.attrs["model_config"])
    # The hostile variants start from a 12-layer file (model_config ~8 KB: still a huge object).
    hostile(fixture("dense_storage_small", 12))


if __name__ == "__main__":
    main()
