#ifndef CHDF5SHIM_H
#define CHDF5SHIM_H
#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

/* HDF5 constants that are function-call macros in hdf5.h, so Swift cannot import them. */
hid_t skh5_native_float(void);
hid_t skh5_native_double(void);
hid_t skh5_native_int32(void);
hid_t skh5_native_uint32(void);
hid_t skh5_native_int64(void);
hid_t skh5_native_int8(void);
hid_t skh5_native_uint8(void);
hid_t skh5_c_s1(void);
unsigned skh5_acc_trunc(void);
unsigned skh5_acc_rdonly(void);
unsigned skh5_acc_rdwr(void);
hid_t skh5_link_create(void);
hid_t skh5_file_access(void);
size_t skh5_variable(void);

/* Variable-length strings read without libhdf5's global-heap code (H5HG_read trusts a collection's
   object sizes and a heap ID's index, and overflows on corrupted files): the attribute is read
   through a conversion that keeps each stored heap ID (4-byte length, address, 4-byte index), and
   the collection it names is parsed here with every offset checked. */

/* Registers that conversion once, before any read (0, or -1 on failure). */
int skh5_register_heap_id_conversion(void);

/* An opaque type of `size` bytes (the stored size of one heap ID) that variable-length strings
   convert to unread; close it with H5Tclose. Negative on failure. */
hid_t skh5_heap_id_type(size_t size);

/* The string behind one stored heap ID of `file`: 0 with a malloc'd copy of its `*length` bytes in
   `*out` (NULL for an empty or null string; free it), -1 when the ID or its collection is
   malformed or the string is longer than `max_bytes`. */
int skh5_heap_string(hid_t file, const unsigned char *id, size_t id_size, size_t max_bytes, char **out, size_t *length);

/* Object headers checked before libhdf5 reads names in them (headers.c): libhdf5 1.10.8 copies an
   attribute name with strdup, measures a filter name with strlen, trusts a link name's stored
   length and compares group names with strcmp in the local heap, so a name without its end in a
   corrupted file is read past libhdf5's buffer. For a file opened read-only (a writable one is
   ours and may be unflushed: 0), these check the header at `addr` (every chunk) or of the object
   `name` (a path from `loc`, "." for `loc` itself; external and user-defined links are refused),
   with the attribute and link messages its dense storage (fractal heap, v2 B-tree indexes) holds:
   0, or -1 with the reason in `why`. */
int skh5_check_object(hid_t file, unsigned long long addr, char *why, size_t why_size);
int skh5_check_named(hid_t loc, const char *name, char *why, size_t why_size);

/* Recurrent step kernels in AVX2 + FMA (kernels.c), chosen by Kernels+LSTM.swift when
   sk_cpu_has_avx2_fma() is nonzero; elsewhere they do nothing. Row-major, contiguous; `u` and `n`
   are multiples of 8. */

/* Nonzero when the CPU runs AVX2 and FMA. */
int sk_cpu_has_avx2_fma(void);

/* An LSTM step's gate math with sigmoid gates and a tanh cell: `z` (rows, 4u) holds the
   pre-activations of gates i, f, c, o and receives their activations; c = f.c_prev + i.g,
   ac = tanh(c), h = o.ac, each (rows, u). */
void sk_lstm_forward(float *z, const float *c_prev, float *c, float *ac, float *h, long rows, long u);

/* Its backward: from the activated gates `a` (rows, 4u), `ac`, `c_prev` and the state gradients
   `dh`, `dc` (rows, u), the pre-activation gate gradients into `dz` (rows, 4u); `dc` becomes the
   gradient of c_prev. */
void sk_lstm_backward(const float *a, const float *ac, const float *c_prev, const float *dh, float *dc,
                      float *dz, long rows, long u);

/* A GRU step's gate math (reset_after, sigmoid gates, tanh candidate): `z` (rows, 3u) holds the
   input projections of gates z, r, h and receives their activations, `rec` (rows, 3u) the
   recurrent products with their bias; `e` receives the recurrent h part, h = z.h_prev + (1 - z).hh. */
void sk_gru_forward(float *z, const float *rec, float *e, const float *h_prev, float *h, long rows, long u);

/* Its backward: the pre-activation gradients of the input projections into `dx` and of the
   recurrent products into `dr` ((rows, 3u) each) from the gates `a`, `e`, `h_prev` and `dh`. */
void sk_gru_backward(const float *a, const float *e, const float *h_prev, const float *dh, float *dx, float *dr,
                     long rows, long u);

/* C (m, n) = A (m, k) . B (k, n), plus C's own values when `accumulate`; n a multiple of 8. */
void sk_sgemm_nn(long m, long n, long k, const float *A, const float *B, float *C, int accumulate);

/* The per-pair kernels of a multi-head dot-product attention in AVX2 + FMA (kernels.c), chosen by
   Kernels+DotProductAttention.swift when sk_cpu_has_avx2_fma() is nonzero; elsewhere they do
   nothing. Any sizes; the last vector of a row is masked. */

/* Nonzero when the CPU has AVX-512 F + VL: sk_gemm_strided and sk_gemm_strided_bias then run 16
   lanes wide in blocks that keep B's panels in L2 (the same bits per element), so that
   Kernels.readsInPlace also takes a B past L2 (a 784 x 512 Dense kernel). */
int sk_cpu_has_avx512(void);

/* C (m, n) = alpha . A . B, plus C's own values when `accumulate`: A(i, p) = a[i*ars + p*acs] (a
   transposed A is its strides swapped), B(p, j) = b[p*ldb + j], C(i, j) = c[i*ldc + j]. */
void sk_gemm_strided(long m, long n, long k, float alpha, const float *a, long ars, long acs, const float *b,
                     long ldb, float *c, long ldc, int accumulate);

/* As sk_gemm_strided, with bias[j] added to each element of column j instead of C's own values
   (a Dense layer's `x . kernel + bias`, Kernels+Dense.swift). */
void sk_gemm_strided_bias(long m, long n, long k, float alpha, const float *a, long ars, long acs, const float *b,
                          long ldb, const float *bias, float *c, long ldc);

/* Softmax of each contiguous row of (rows, cols) in place. */
void sk_softmax_rows(float *p, long rows, long cols);

/* The softmax Jacobian-vector product of each row in place: g = y . (g - sum(g . y)). */
void sk_softmax_backward_rows(float *g, const float *y, long rows, long cols);

/* Adam's step on n contiguous elements (Optimizers/Adam.swift, where sk_cpu_has_avx2_fma() is
   nonzero; elsewhere it does nothing): m += (g - m).c1, v += (g.g - v).c2, with AMSGrad (vhat
   not null) vhat = max(vhat, v), then w -= m.alpha / (sqrt(vhat or v) + eps), the bits of the
   scalar loop. */
void sk_adam_update(float *w, const float *g, float *m, float *v, float *vhat, long n, float c1, float c2, float alpha,
                    float eps);

/* out[j] = the sum of column j of x (rows x cols, row-major), rows added in order from zero. */
void sk_column_sums(const float *x, long rows, long cols, float *out);

/* out (cols, rows) = a (rows, cols, row stride lda) transposed, 8 x 8 blocks at a time. */
void sk_transpose(long rows, long cols, const float *a, long lda, float *out);

/* The int8 matrix product of a quantized Dense (int8.c; Kernels+Quantize.swift). The weights b
   (k x n int8, row-major) are packed once: sk_i8_packed_bytes(k, n) bytes into `packed`, and
   their column sums (int32, wrapping) into `colsum` (n). */
long sk_i8_packed_bytes(long k, long n);
void sk_i8_pack(long k, long n, const int8_t *b, int8_t *packed, int32_t *colsum);

/* The fastest path of sk_i8_gemm this CPU runs: 2 AVX-512 VNNI (vpdpbusd), 1 AVX2, 0 portable C. */
int sk_i8_best_path(void);

/* Keras's input quantizer (AbsMaxQuantizer()(x, axis=-1)) of rows r0 ..< r1 of x (width k), as
   Kernels+Quantize.swift quantizes the weights: each row's scale into scales[r], its int8 values
   + 128 into a (row stride lda). `path` as sk_i8_gemm's; every path gives the same bytes. */
void sk_i8_quantize_rows(long r0, long r1, long k, const float *x, uint8_t *a, long lda, float *scales, int path);

/* Rows r0 ..< r1 of a (row stride lda >= 4 * ceil(k / 4); each value is an int8 + 128, the bytes
   past k are any) times the packed weights, exactly in int32 (wrapping): into c (row stride n)
   when y is NULL, else y[r][j] = (float)product / (col_scale[j] * row_scale[r]) (row stride n),
   then + bias[j] when bias is not NULL, then max(y, 0) (Swift's: a NaN stays) when relu: a
   quantized Dense's bias and activation in the same pass. `path` (at most sk_i8_best_path())
   picks the code; every path gives the same results. */
void sk_i8_gemm(long r0, long r1, long n, long k, const uint8_t *a, long lda, const int8_t *packed,
                const int32_t *colsum, int32_t *c, float *y, const float *row_scale, const float *col_scale,
                const float *bias, int relu, int path);

#endif
