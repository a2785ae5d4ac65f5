/* The per-step kernels of a fused recurrent sequence in AVX2 + FMA (Keras/Tensor/Kernels/
   Kernels+LSTM.swift chooses them when the CPU has both; see CHDF5Shim.h). Swift's SIMD8<Float>
   compiles to two SSE halves without FMA for the baseline x86-64 target, and OpenBLAS repacks the
   recurrent kernel on every call of a 32x128x32 step product; these run the same steps eight lanes
   wide with the kernel read in place. Built in this unit (shim.c includes it): a second C file in
   the target would give libkeras.so two DWARF 5 C units, which valgrind 3.19 cannot read. */

#if defined(__x86_64__)
#include <immintrin.h>

#define SK_AVX2 __attribute__((target("avx2,fma")))

int sk_cpu_has_avx2_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/* Cephes's expf with the same constants and range as Kernels.exp8 (Kernels+Softmax.swift), of x
   already clamped to [-87.33654, 88.72284] (sk_exp8, sk_exp8_nonpositive). */
SK_AVX2 static inline __attribute__((always_inline)) __m256 sk_exp8_clamped(__m256 x) {
    const __m256 magic = _mm256_set1_ps(12582912.0f);
    __m256 shifted = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504f), magic);
    __m256 n = _mm256_sub_ps(shifted, magic);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 y = _mm256_set1_ps(1.98756915e-4f);
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.39819995e-3f));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(8.3334519e-3f));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(4.16657959e-2f));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.66666655e-1f));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(5.00000012e-1f));
    y = _mm256_fmadd_ps(y, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    /* 2^n as 2 * 2^(n-1), so that n = 128 overflows to infinity and n = -126 gives zero. */
    __m256i n32 = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_set1_epi32(0x4B400000));
    __m256 half = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n32, _mm256_set1_epi32(126)), 23));
    return _mm256_mul_ps(_mm256_mul_ps(y, half), _mm256_set1_ps(2.0f));
}

/* expf of each lane. A NaN lane stays NaN (maxps/minps return their second operand for a NaN). */
SK_AVX2 static inline __m256 sk_exp8(__m256 v) {
    return sk_exp8_clamped(_mm256_min_ps(_mm256_set1_ps(88.72284f), _mm256_max_ps(_mm256_set1_ps(-87.33654f), v)));
}

/* sk_exp8 of lanes that are <= 0 or NaN (a softmax's x - max), whose upper clamp would change
   nothing: the same bits, one instruction fewer. */
SK_AVX2 static inline __m256 sk_exp8_nonpositive(__m256 v) {
    return sk_exp8_clamped(_mm256_max_ps(_mm256_set1_ps(-87.33654f), v));
}

SK_AVX2 static inline __m256 sk_sigmoid8(__m256 x) {
    const __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, sk_exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

/* Cephes's tanhf as Kernels.tanh8: x + x^3 P(x^2) below |x| = 0.625, else 1 - 2 / (exp(2|x|) + 1). */
SK_AVX2 static inline __m256 sk_tanh8(__m256 x) {
    const __m256 sign = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
    __m256 a = _mm256_andnot_ps(sign, x);
    __m256 large = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(sk_exp8(_mm256_add_ps(a, a)), one)));
    __m256 z = _mm256_mul_ps(a, a);
    __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.06390887954e-2f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531e-2f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036e-1f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422e-1f));
    __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), a, a);
    __m256 r = _mm256_blendv_ps(large, small, _mm256_cmp_ps(a, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
    return _mm256_or_ps(r, _mm256_and_ps(x, sign));
}

SK_AVX2 void sk_lstm_forward(float *z, const float *c_prev, float *c, float *ac, float *h, long rows, long u) {
    for (long b = 0; b < rows; b++) {
        float *row = z + b * 4 * u;
        long s = b * u;
        for (long j = 0; j + 8 <= u; j += 8) {
            __m256 i = sk_sigmoid8(_mm256_loadu_ps(row + j)), f = sk_sigmoid8(_mm256_loadu_ps(row + u + j));
            __m256 g = sk_tanh8(_mm256_loadu_ps(row + 2 * u + j)), o = sk_sigmoid8(_mm256_loadu_ps(row + 3 * u + j));
            _mm256_storeu_ps(row + j, i);
            _mm256_storeu_ps(row + u + j, f);
            _mm256_storeu_ps(row + 2 * u + j, g);
            _mm256_storeu_ps(row + 3 * u + j, o);
            __m256 cv = _mm256_fmadd_ps(f, _mm256_loadu_ps(c_prev + s + j), _mm256_mul_ps(i, g));
            __m256 a = sk_tanh8(cv);
            _mm256_storeu_ps(c + s + j, cv);
            _mm256_storeu_ps(ac + s + j, a);
            _mm256_storeu_ps(h + s + j, _mm256_mul_ps(o, a));
        }
    }
}

SK_AVX2 void sk_lstm_backward(const float *a, const float *ac, const float *c_prev, const float *dh, float *dc,
                              float *dz, long rows, long u) {
    const __m256 one = _mm256_set1_ps(1.0f);
    for (long b = 0; b < rows; b++) {
        const float *row = a + b * 4 * u;
        float *drow = dz + b * 4 * u;
        long s = b * u;
        for (long j = 0; j + 8 <= u; j += 8) {
            __m256 i = _mm256_loadu_ps(row + j), f = _mm256_loadu_ps(row + u + j);
            __m256 g = _mm256_loadu_ps(row + 2 * u + j), o = _mm256_loadu_ps(row + 3 * u + j);
            __m256 dhv = _mm256_loadu_ps(dh + s + j), acv = _mm256_loadu_ps(ac + s + j);
            __m256 dcv = _mm256_fmadd_ps(_mm256_mul_ps(dhv, o), _mm256_fnmadd_ps(acv, acv, one), _mm256_loadu_ps(dc + s + j));
            _mm256_storeu_ps(drow + j, _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(dcv, g), i), _mm256_sub_ps(one, i)));
            _mm256_storeu_ps(drow + u + j,
                             _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(dcv, _mm256_loadu_ps(c_prev + s + j)), f), _mm256_sub_ps(one, f)));
            _mm256_storeu_ps(drow + 2 * u + j, _mm256_mul_ps(_mm256_mul_ps(dcv, i), _mm256_fnmadd_ps(g, g, one)));
            _mm256_storeu_ps(drow + 3 * u + j, _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(dhv, acv), o), _mm256_sub_ps(one, o)));
            _mm256_storeu_ps(dc + s + j, _mm256_mul_ps(dcv, f));
        }
    }
}

/* A GRU step's gate math (reset_after, sigmoid gates, tanh candidate): `z` (rows, 3u) holds the
   input projections of gates z, r, h and receives their activations; `rec` (rows, 3u) the
   recurrent products with their bias; `e` receives the recurrent h part and
   h = z.h_prev + (1 - z).hh, each (rows, u). */
SK_AVX2 void sk_gru_forward(float *z, const float *rec, float *e, const float *h_prev, float *h, long rows, long u) {
    const __m256 one = _mm256_set1_ps(1.0f);
    for (long b = 0; b < rows; b++) {
        float *row = z + b * 3 * u;
        const float *rrow = rec + b * 3 * u;
        long s = b * u;
        for (long j = 0; j + 8 <= u; j += 8) {
            __m256 zg = sk_sigmoid8(_mm256_add_ps(_mm256_loadu_ps(row + j), _mm256_loadu_ps(rrow + j)));
            __m256 r = sk_sigmoid8(_mm256_add_ps(_mm256_loadu_ps(row + u + j), _mm256_loadu_ps(rrow + u + j)));
            __m256 ev = _mm256_loadu_ps(rrow + 2 * u + j);
            __m256 hh = sk_tanh8(_mm256_fmadd_ps(r, ev, _mm256_loadu_ps(row + 2 * u + j)));
            _mm256_storeu_ps(row + j, zg);
            _mm256_storeu_ps(row + u + j, r);
            _mm256_storeu_ps(row + 2 * u + j, hh);
            _mm256_storeu_ps(e + s + j, ev);
            _mm256_storeu_ps(h + s + j, _mm256_fmadd_ps(zg, _mm256_loadu_ps(h_prev + s + j), _mm256_mul_ps(_mm256_sub_ps(one, zg), hh)));
        }
    }
}

/* Its backward: from the activated gates `a` (rows, 3u), `e`, `h_prev` and the state gradient `dh`
   (rows, u), the pre-activation gradients of the input projections into `dx` and of the recurrent
   products into `dr` ((rows, 3u) each). */
SK_AVX2 void sk_gru_backward(const float *a, const float *e, const float *h_prev, const float *dh, float *dx, float *dr,
                             long rows, long u) {
    const __m256 one = _mm256_set1_ps(1.0f);
    for (long b = 0; b < rows; b++) {
        const float *row = a + b * 3 * u;
        float *xrow = dx + b * 3 * u, *rrow = dr + b * 3 * u;
        long s = b * u;
        for (long j = 0; j + 8 <= u; j += 8) {
            __m256 zg = _mm256_loadu_ps(row + j), r = _mm256_loadu_ps(row + u + j), hh = _mm256_loadu_ps(row + 2 * u + j);
            __m256 dhv = _mm256_loadu_ps(dh + s + j);
            __m256 dz = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(dhv, _mm256_sub_ps(_mm256_loadu_ps(h_prev + s + j), hh)), zg),
                                      _mm256_sub_ps(one, zg));
            __m256 dpre = _mm256_mul_ps(_mm256_mul_ps(dhv, _mm256_sub_ps(one, zg)), _mm256_fnmadd_ps(hh, hh, one));
            __m256 dres = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(dpre, _mm256_loadu_ps(e + s + j)), r), _mm256_sub_ps(one, r));
            _mm256_storeu_ps(xrow + j, dz);
            _mm256_storeu_ps(xrow + u + j, dres);
            _mm256_storeu_ps(xrow + 2 * u + j, dpre);
            _mm256_storeu_ps(rrow + j, dz);
            _mm256_storeu_ps(rrow + u + j, dres);
            _mm256_storeu_ps(rrow + 2 * u + j, _mm256_mul_ps(dpre, r));
        }
    }
}

/* C (m x n) = A (m x k) . B (k x n) (+ C when accumulate), row-major and contiguous, n a multiple
   of 8. Two rows of 32 columns at a time (eight accumulators), then eight columns; each element
   sums its k products in order. */
SK_AVX2 void sk_sgemm_nn(long m, long n, long k, const float *A, const float *B, float *C, int accumulate) {
    long i = 0;
    for (; i + 2 <= m; i += 2) {
        const float *a0 = A + i * k, *a1 = a0 + k;
        float *c0 = C + i * n, *c1 = c0 + n;
        long j = 0;
        for (; j + 32 <= n; j += 32) {
            __m256 x0 = _mm256_setzero_ps(), x1 = x0, x2 = x0, x3 = x0, y0 = x0, y1 = x0, y2 = x0, y3 = x0;
            if (accumulate) {
                x0 = _mm256_loadu_ps(c0 + j); x1 = _mm256_loadu_ps(c0 + j + 8);
                x2 = _mm256_loadu_ps(c0 + j + 16); x3 = _mm256_loadu_ps(c0 + j + 24);
                y0 = _mm256_loadu_ps(c1 + j); y1 = _mm256_loadu_ps(c1 + j + 8);
                y2 = _mm256_loadu_ps(c1 + j + 16); y3 = _mm256_loadu_ps(c1 + j + 24);
            }
            for (long p = 0; p < k; p++) {
                const float *bp = B + p * n + j;
                __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
                __m256 b2 = _mm256_loadu_ps(bp + 16), b3 = _mm256_loadu_ps(bp + 24);
                __m256 s = _mm256_broadcast_ss(a0 + p), t = _mm256_broadcast_ss(a1 + p);
                x0 = _mm256_fmadd_ps(s, b0, x0); x1 = _mm256_fmadd_ps(s, b1, x1);
                x2 = _mm256_fmadd_ps(s, b2, x2); x3 = _mm256_fmadd_ps(s, b3, x3);
                y0 = _mm256_fmadd_ps(t, b0, y0); y1 = _mm256_fmadd_ps(t, b1, y1);
                y2 = _mm256_fmadd_ps(t, b2, y2); y3 = _mm256_fmadd_ps(t, b3, y3);
            }
            _mm256_storeu_ps(c0 + j, x0); _mm256_storeu_ps(c0 + j + 8, x1);
            _mm256_storeu_ps(c0 + j + 16, x2); _mm256_storeu_ps(c0 + j + 24, x3);
            _mm256_storeu_ps(c1 + j, y0); _mm256_storeu_ps(c1 + j + 8, y1);
            _mm256_storeu_ps(c1 + j + 16, y2); _mm256_storeu_ps(c1 + j + 24, y3);
        }
        for (; j + 8 <= n; j += 8) {
            __m256 x = accumulate ? _mm256_loadu_ps(c0 + j) : _mm256_setzero_ps();
            __m256 y = accumulate ? _mm256_loadu_ps(c1 + j) : _mm256_setzero_ps();
            for (long p = 0; p < k; p++) {
                __m256 bv = _mm256_loadu_ps(B + p * n + j);
                x = _mm256_fmadd_ps(_mm256_broadcast_ss(a0 + p), bv, x);
                y = _mm256_fmadd_ps(_mm256_broadcast_ss(a1 + p), bv, y);
            }
            _mm256_storeu_ps(c0 + j, x);
            _mm256_storeu_ps(c1 + j, y);
        }
    }
    for (; i < m; i++) {
        const float *a0 = A + i * k;
        float *c0 = C + i * n;
        for (long j = 0; j + 8 <= n; j += 8) {
            __m256 x = accumulate ? _mm256_loadu_ps(c0 + j) : _mm256_setzero_ps();
            for (long p = 0; p < k; p++) x = _mm256_fmadd_ps(_mm256_broadcast_ss(a0 + p), _mm256_loadu_ps(B + p * n + j), x);
            _mm256_storeu_ps(c0 + j, x);
        }
    }
}

/* The per-pair products and softmax of a multi-head dot-product attention
   (Kernels+DotProductAttention.swift). Its products are small (64x16 by 16x64 at the bench's
   shape, 768 of them a step), where OpenBLAS's fixed cost (it zeroes C for beta = 0 and packs
   both operands) is a quarter of an epoch; these read the operands in place with their strides. */

/* Lanes 0..n-1 (n in 1...8) set. */
SK_AVX2 static inline __m256i sk_lanes(long n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* R (1 or 4) rows by one or two vectors of C; the last vector covers the lanes of `tail` only when
   `masked`. Every element sums its k products in order, then is scaled by alpha, then has the
   bias's element of its column added (when `bias`), else C's own value (when `accumulate`). */
SK_AVX2 static inline __attribute__((always_inline)) void
sk_gemm_tile(const int R, const int nv, const int masked, long k, float alpha, const float *a, long ars, long acs,
             const float *b, long ldb, const float *bias, float *c, long ldc, int accumulate, __m256i tail) {
    __m256 acc[4][2];
    for (int r = 0; r < R; r++) { acc[r][0] = _mm256_setzero_ps(); acc[r][1] = _mm256_setzero_ps(); }
    for (long p = 0; p < k; p++) {
        const float *bp = b + p * ldb;
        __m256 b0, b1 = _mm256_setzero_ps();
        if (nv == 1) {
            b0 = masked ? _mm256_maskload_ps(bp, tail) : _mm256_loadu_ps(bp);
        } else {
            b0 = _mm256_loadu_ps(bp);
            b1 = masked ? _mm256_maskload_ps(bp + 8, tail) : _mm256_loadu_ps(bp + 8);
        }
        const float *ap = a + p * acs;
        for (int r = 0; r < R; r++) {
            __m256 s = _mm256_broadcast_ss(ap + r * ars);
            acc[r][0] = _mm256_fmadd_ps(s, b0, acc[r][0]);
            if (nv == 2) acc[r][1] = _mm256_fmadd_ps(s, b1, acc[r][1]);
        }
    }
    const __m256 al = _mm256_set1_ps(alpha);
    for (int r = 0; r < R; r++) {
        float *cr = c + r * ldc;
        for (int v = 0; v < nv; v++) {
            int part = masked && v == nv - 1;
            __m256 x = _mm256_mul_ps(acc[r][v], al);
            if (bias) x = _mm256_add_ps(x, part ? _mm256_maskload_ps(bias + 8 * v, tail) : _mm256_loadu_ps(bias + 8 * v));
            else if (accumulate) x = _mm256_add_ps(x, part ? _mm256_maskload_ps(cr + 8 * v, tail) : _mm256_loadu_ps(cr + 8 * v));
            if (part) _mm256_maskstore_ps(cr + 8 * v, tail, x); else _mm256_storeu_ps(cr + 8 * v, x);
        }
    }
}

/* R rows of C, all n columns, sixteen at a time. */
SK_AVX2 static inline __attribute__((always_inline)) void
sk_gemm_rows(const int R, long n, long k, float alpha, const float *a, long ars, long acs, const float *b, long ldb,
             const float *bias, float *c, long ldc, int accumulate) {
    long j = 0;
    for (; j + 16 <= n; j += 16)
        sk_gemm_tile(R, 2, 0, k, alpha, a, ars, acs, b + j, ldb, bias ? bias + j : 0, c + j, ldc, accumulate,
                     _mm256_setzero_si256());
    long left = n - j;
    const float *bj = bias ? bias + j : 0;
    if (left == 8) sk_gemm_tile(R, 1, 0, k, alpha, a, ars, acs, b + j, ldb, bj, c + j, ldc, accumulate, _mm256_setzero_si256());
    else if (left > 8) sk_gemm_tile(R, 2, 1, k, alpha, a, ars, acs, b + j, ldb, bj, c + j, ldc, accumulate, sk_lanes(left - 8));
    else if (left > 0) sk_gemm_tile(R, 1, 1, k, alpha, a, ars, acs, b + j, ldb, bj, c + j, ldc, accumulate, sk_lanes(left));
}

SK_AVX2 static inline __attribute__((always_inline)) void
sk_gemm_all(long m, long n, long k, float alpha, const float *a, long ars, long acs, const float *b, long ldb,
            const float *bias, float *c, long ldc, int accumulate) {
    long i = 0;
    for (; i + 4 <= m; i += 4) sk_gemm_rows(4, n, k, alpha, a + i * ars, ars, acs, b, ldb, bias, c + i * ldc, ldc, accumulate);
    for (; i < m; i++) sk_gemm_rows(1, n, k, alpha, a + i * ars, ars, acs, b, ldb, bias, c + i * ldc, ldc, accumulate);
}

#define SK_AVX512 __attribute__((target("avx512f,avx512vl,fma")))

int sk_cpu_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
}

/* 2 when the CPU has AVX-512 (sk_gemm_all512 computes every in-place product), 1 when not, 0
   before the first check. */
static int sk_avx512_state;

static int sk_wide(void) {
    int s = __atomic_load_n(&sk_avx512_state, __ATOMIC_RELAXED);
    if (!s) {
        s = sk_cpu_has_avx512() ? 2 : 1;
        __atomic_store_n(&sk_avx512_state, s, __ATOMIC_RELAXED);
    }
    return s == 2;
}

/* R rows (12, 4 or 1) by NV (1 or 2) vectors of 16 columns of C; `tail` masks the last vector's
   columns. The same arithmetic per element as sk_gemm_tile: one FMA chain over the k products in
   order, then alpha, then the bias's element (when `bias`) or C's own value (when `accumulate`). */
SK_AVX512 static inline __attribute__((always_inline)) void
sk_gemm_tile512(const int R, const int NV, long k, float alpha, const float *a, long ars, long acs, const float *b,
                long ldb, const float *bias, float *c, long ldc, int accumulate, __mmask16 tail) {
    __m512 acc[12][2];
    for (int r = 0; r < R; r++) { acc[r][0] = _mm512_setzero_ps(); acc[r][1] = _mm512_setzero_ps(); }
    const __mmask16 m0 = NV == 1 ? tail : (__mmask16)0xFFFF, m1 = tail;
    for (long p = 0; p < k; p++) {
        const float *bp = b + p * ldb;
        __m512 b0 = _mm512_maskz_loadu_ps(m0, bp);
        __m512 b1 = NV == 2 ? _mm512_maskz_loadu_ps(m1, bp + 16) : _mm512_setzero_ps();
        const float *ap = a + p * acs;
        for (int r = 0; r < R; r++) {
            __m512 s = _mm512_set1_ps(ap[r * ars]);
            acc[r][0] = _mm512_fmadd_ps(s, b0, acc[r][0]);
            if (NV == 2) acc[r][1] = _mm512_fmadd_ps(s, b1, acc[r][1]);
        }
    }
    const __m512 al = _mm512_set1_ps(alpha);
    for (int r = 0; r < R; r++) {
        float *cr = c + r * ldc;
        for (int v = 0; v < NV; v++) {
            __mmask16 mv = v == 0 ? m0 : m1;
            __m512 x = _mm512_mul_ps(acc[r][v], al);
            if (bias) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mv, bias + 16 * v));
            else if (accumulate) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mv, cr + 16 * v));
            _mm512_mask_storeu_ps(cr + 16 * v, mv, x);
        }
    }
}

/* R rows of C, columns j0 ..< j0 + width (width 1 ... 32). */
SK_AVX512 static inline __attribute__((always_inline)) void
sk_gemm_panel512(const int R, long width, long k, float alpha, const float *a, long ars, long acs, const float *b,
                 long ldb, const float *bias, float *c, long ldc, int accumulate) {
    if (width == 32) sk_gemm_tile512(R, 2, k, alpha, a, ars, acs, b, ldb, bias, c, ldc, accumulate, 0xFFFF);
    else if (width > 16)
        sk_gemm_tile512(R, 2, k, alpha, a, ars, acs, b, ldb, bias, c, ldc, accumulate, (__mmask16)((1u << (width - 16)) - 1));
    else
        sk_gemm_tile512(R, 1, k, alpha, a, ars, acs, b, ldb, bias, c, ldc, accumulate,
                        width == 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << width) - 1));
}

/* The whole product in blocks of 96 rows (their A, 96 x k, stays in L2) by panels of 32 columns
   (B's k x 32 panel stays in L2 while the block's rows pass it, 12 at a time, each tile's 24
   accumulators in registers). At 1024 x 784 x 512 (the bench's first Dense layer, B 1.6 MB, far
   past the L2 that sk_gemm_all's whole-width rows need) one core ran it in 4.1 ms, OpenBLAS's
   Haswell kernels (the environment's OPENBLAS_CORETYPE) in 7.1 ms and sk_gemm_all in 14.6 ms. */
SK_AVX512 static void sk_gemm_all512(long m, long n, long k, float alpha, const float *a, long ars, long acs,
                                     const float *b, long ldb, const float *bias, float *c, long ldc, int accumulate) {
    const long MC = 96;
    for (long i0 = 0; i0 < m; i0 += MC) {
        long i1 = i0 + MC < m ? i0 + MC : m;
        for (long j = 0; j < n; j += 32) {
            long w = n - j < 32 ? n - j : 32;
            const float *bj = b + j, *biasj = bias ? bias + j : 0;
            long i = i0;
            for (; i + 12 <= i1; i += 12)
                sk_gemm_panel512(12, w, k, alpha, a + i * ars, ars, acs, bj, ldb, biasj, c + i * ldc + j, ldc, accumulate);
            for (; i + 4 <= i1; i += 4)
                sk_gemm_panel512(4, w, k, alpha, a + i * ars, ars, acs, bj, ldb, biasj, c + i * ldc + j, ldc, accumulate);
            for (; i < i1; i++)
                sk_gemm_panel512(1, w, k, alpha, a + i * ars, ars, acs, bj, ldb, biasj, c + i * ldc + j, ldc, accumulate);
        }
    }
}

SK_AVX2 void sk_gemm_strided(long m, long n, long k, float alpha, const float *a, long ars, long acs, const float *b,
                             long ldb, float *c, long ldc, int accumulate) {
    if (sk_wide()) sk_gemm_all512(m, n, k, alpha, a, ars, acs, b, ldb, 0, c, ldc, accumulate);
    else sk_gemm_all(m, n, k, alpha, a, ars, acs, b, ldb, 0, c, ldc, accumulate);
}

SK_AVX2 void sk_gemm_strided_bias(long m, long n, long k, float alpha, const float *a, long ars, long acs, const float *b,
                                  long ldb, const float *bias, float *c, long ldc) {
    if (sk_wide()) sk_gemm_all512(m, n, k, alpha, a, ars, acs, b, ldb, bias, c, ldc, 0);
    else sk_gemm_all(m, n, k, alpha, a, ars, acs, b, ldb, bias, c, ldc, 0);
}


SK_AVX2 static inline float sk_hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

SK_AVX2 static inline float sk_hmax8(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Softmax of R rows (1 or 4) at once: each row's maximum, exponentials, sum and scaling in the
   one-row loop's order (so the same bits), the rows' chains (a horizontal maximum and sum
   between the passes) interleaved. */
SK_AVX2 static inline __attribute__((always_inline)) void
sk_softmax_block(const int R, float *p, long cols, long full, __m256i tail) {
    const __m256 ninf = _mm256_set1_ps(-__builtin_inff()), lanes = _mm256_castsi256_ps(tail);
    __m256 mv[4], sv[4], m[4], inv[4];
    for (int r = 0; r < R; r++) mv[r] = ninf;
    for (long j = 0; j < full; j += 8)
        for (int r = 0; r < R; r++) mv[r] = _mm256_max_ps(mv[r], _mm256_loadu_ps(p + r * cols + j));
    if (full < cols)
        for (int r = 0; r < R; r++)
            mv[r] = _mm256_max_ps(mv[r], _mm256_blendv_ps(ninf, _mm256_maskload_ps(p + r * cols + full, tail), lanes));
    for (int r = 0; r < R; r++) {
        m[r] = _mm256_set1_ps(sk_hmax8(mv[r]));
        sv[r] = _mm256_setzero_ps();
    }
    for (long j = 0; j < full; j += 8)
        for (int r = 0; r < R; r++) {
            __m256 e = sk_exp8_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(p + r * cols + j), m[r]));
            _mm256_storeu_ps(p + r * cols + j, e);
            sv[r] = _mm256_add_ps(sv[r], e);
        }
    if (full < cols)
        for (int r = 0; r < R; r++) {
            float *tailp = p + r * cols + full;
            __m256 e = _mm256_and_ps(sk_exp8_nonpositive(_mm256_sub_ps(_mm256_maskload_ps(tailp, tail), m[r])), lanes);
            _mm256_maskstore_ps(tailp, tail, e);
            sv[r] = _mm256_add_ps(sv[r], e);
        }
    for (int r = 0; r < R; r++) inv[r] = _mm256_set1_ps(1.0f / sk_hsum8(sv[r]));
    for (long j = 0; j < full; j += 8)
        for (int r = 0; r < R; r++)
            _mm256_storeu_ps(p + r * cols + j, _mm256_mul_ps(inv[r], _mm256_loadu_ps(p + r * cols + j)));
    if (full < cols)
        for (int r = 0; r < R; r++)
            _mm256_maskstore_ps(p + r * cols + full, tail, _mm256_mul_ps(inv[r], _mm256_maskload_ps(p + r * cols + full, tail)));
}

SK_AVX2 void sk_softmax_rows(float *p, long rows, long cols) {
    const long full = cols / 8 * 8;
    const __m256i tail = sk_lanes(cols - full > 0 ? cols - full : 1);
    long r = 0;
    for (; r + 4 <= rows; r += 4) sk_softmax_block(4, p + r * cols, cols, full, tail);
    for (; r < rows; r++) sk_softmax_block(1, p + r * cols, cols, full, tail);
}

SK_AVX2 void sk_softmax_backward_rows(float *g, const float *y, long rows, long cols) {
    const long full = cols / 8 * 8;
    const __m256i tail = sk_lanes(cols - full > 0 ? cols - full : 1);
    for (long r = 0; r < rows; r++) {
        float *pg = g + r * cols;
        const float *py = y + r * cols;
        __m256 acc = _mm256_setzero_ps();
        for (long j = 0; j < full; j += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(pg + j), _mm256_loadu_ps(py + j), acc);
        if (full < cols) acc = _mm256_fmadd_ps(_mm256_maskload_ps(pg + full, tail), _mm256_maskload_ps(py + full, tail), acc);
        const __m256 dot = _mm256_set1_ps(sk_hsum8(acc));
        for (long j = 0; j < full; j += 8)
            _mm256_storeu_ps(pg + j, _mm256_mul_ps(_mm256_loadu_ps(py + j), _mm256_sub_ps(_mm256_loadu_ps(pg + j), dot)));
        if (full < cols)
            _mm256_maskstore_ps(pg + full, tail, _mm256_mul_ps(_mm256_maskload_ps(py + full, tail),
                                                               _mm256_sub_ps(_mm256_maskload_ps(pg + full, tail), dot)));
    }
}

/* out[j] = the sum of column j of x (rows x cols, row-major) over the rows in order from zero (a
   bias gradient; Kernels.columnSums). Up to 64 columns a pass (eight accumulators), so that a
   matrix larger than L2 is read once rather than once per eight columns; each column's sum is the
   one-column loop's, the same bits. */
SK_AVX2 static inline __attribute__((always_inline)) void
sk_column_sums_block(const int NV, const float *x, long rows, long cols, float *out) {
    __m256 acc[8];
    for (int v = 0; v < NV; v++) acc[v] = _mm256_setzero_ps();
    for (long r = 0; r < rows; r++)
        for (int v = 0; v < NV; v++) acc[v] = _mm256_add_ps(acc[v], _mm256_loadu_ps(x + r * cols + 8 * v));
    for (int v = 0; v < NV; v++) _mm256_storeu_ps(out + 8 * v, acc[v]);
}

SK_AVX2 void sk_column_sums(const float *x, long rows, long cols, float *out) {
    long j = 0;
    for (; j + 64 <= cols; j += 64) sk_column_sums_block(8, x + j, rows, cols, out + j);
    for (; j + 8 <= cols; j += 8) sk_column_sums_block(1, x + j, rows, cols, out + j);
    for (; j < cols; j++) {
        float acc = 0;
        for (long r = 0; r < rows; r++) acc += x[r * cols + j];
        out[j] = acc;
    }
}

/* out (cols, rows) = a (rows, cols, row stride lda) transposed: 8 x 8 blocks in registers, the
   edges one element at a time. */
/* Adam's step (Optimizers/Adam.swift) on n elements: m += (g - m).c1, v += (g.g - v).c2, with
   AMSGrad (vhat not null) vhat = v >= vhat ? v : vhat (Swift's max(vhat, v), a NaN v keeps vhat)
   and the step's denominator from vhat instead of v, w -= m.alpha / (sqrt(v) + eps), each
   operation rounded on its own (no fused products, so the bits are those of the scalar loop),
   eight lanes at a time with vsqrtps (Swift lowers SIMD8<Float>.squareRoot() to one sqrtss per
   lane). */
SK_AVX2 static inline __attribute__((always_inline)) void
sk_adam_lanes(const int amsgrad, float *w, const float *g, float *m, float *v, float *vhat, long n, float c1, float c2,
              float alpha, float eps) {
#pragma clang fp contract(off)
    const __m256 vc1 = _mm256_set1_ps(c1), vc2 = _mm256_set1_ps(c2), va = _mm256_set1_ps(alpha),
                 ve = _mm256_set1_ps(eps);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = _mm256_loadu_ps(g + i), mi = _mm256_loadu_ps(m + i), vi = _mm256_loadu_ps(v + i);
        mi = _mm256_add_ps(mi, _mm256_mul_ps(_mm256_sub_ps(gi, mi), vc1));
        vi = _mm256_add_ps(vi, _mm256_mul_ps(_mm256_sub_ps(_mm256_mul_ps(gi, gi), vi), vc2));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        if (amsgrad) {
            __m256 hi = _mm256_loadu_ps(vhat + i);
            vi = _mm256_blendv_ps(hi, vi, _mm256_cmp_ps(vi, hi, _CMP_GE_OQ));
            _mm256_storeu_ps(vhat + i, vi);
        }
        __m256 step = _mm256_div_ps(_mm256_mul_ps(mi, va), _mm256_add_ps(_mm256_sqrt_ps(vi), ve));
        _mm256_storeu_ps(w + i, _mm256_sub_ps(_mm256_loadu_ps(w + i), step));
    }
    for (; i < n; i++) {
        m[i] += (g[i] - m[i]) * c1;
        v[i] += (g[i] * g[i] - v[i]) * c2;
        float d = v[i];
        if (amsgrad) d = vhat[i] = v[i] >= vhat[i] ? v[i] : vhat[i];
        w[i] -= m[i] * alpha / (__builtin_sqrtf(d) + eps);
    }
}

SK_AVX2 void sk_adam_update(float *w, const float *g, float *m, float *v, float *vhat, long n, float c1, float c2,
                            float alpha, float eps) {
    if (vhat) sk_adam_lanes(1, w, g, m, v, vhat, n, c1, c2, alpha, eps);
    else sk_adam_lanes(0, w, g, m, v, vhat, n, c1, c2, alpha, eps);
}

SK_AVX2 void sk_transpose(long rows, long cols, const float *a, long lda, float *out) {
    long i = 0;
    for (; i + 8 <= rows; i += 8) {
        long j = 0;
        for (; j + 8 <= cols; j += 8) {
            const float *s = a + i * lda + j;
            __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + lda), r2 = _mm256_loadu_ps(s + 2 * lda);
            __m256 r3 = _mm256_loadu_ps(s + 3 * lda), r4 = _mm256_loadu_ps(s + 4 * lda), r5 = _mm256_loadu_ps(s + 5 * lda);
            __m256 r6 = _mm256_loadu_ps(s + 6 * lda), r7 = _mm256_loadu_ps(s + 7 * lda);
            __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
            __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
            __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
            __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
            __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
            __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
            __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
            __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
            float *d = out + j * rows + i;
            _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
            _mm256_storeu_ps(d + rows, _mm256_permute2f128_ps(u1, u5, 0x20));
            _mm256_storeu_ps(d + 2 * rows, _mm256_permute2f128_ps(u2, u6, 0x20));
            _mm256_storeu_ps(d + 3 * rows, _mm256_permute2f128_ps(u3, u7, 0x20));
            _mm256_storeu_ps(d + 4 * rows, _mm256_permute2f128_ps(u0, u4, 0x31));
            _mm256_storeu_ps(d + 5 * rows, _mm256_permute2f128_ps(u1, u5, 0x31));
            _mm256_storeu_ps(d + 6 * rows, _mm256_permute2f128_ps(u2, u6, 0x31));
            _mm256_storeu_ps(d + 7 * rows, _mm256_permute2f128_ps(u3, u7, 0x31));
        }
        for (; j < cols; j++)
            for (long r = i; r < i + 8; r++) out[j * rows + r] = a[r * lda + j];
    }
    for (; i < rows; i++)
        for (long j = 0; j < cols; j++) out[j * rows + i] = a[i * lda + j];
}

#else

int sk_cpu_has_avx2_fma(void) { return 0; }
int sk_cpu_has_avx512(void) { return 0; }
void sk_lstm_forward(float *z, const float *c_prev, float *c, float *ac, float *h, long rows, long u) {
    (void)z; (void)c_prev; (void)c; (void)ac; (void)h; (void)rows; (void)u;
}
void sk_lstm_backward(const float *a, const float *ac, const float *c_prev, const float *dh, float *dc,
                      float *dz, long rows, long u) {
    (void)a; (void)ac; (void)c_prev; (void)dh; (void)dc; (void)dz; (void)rows; (void)u;
}
void sk_sgemm_nn(long m, long n, long k, const float *A, const float *B, float *C, int accumulate) {
    (void)m; (void)n; (void)k; (void)A; (void)B; (void)C; (void)accumulate;
}
void sk_gru_forward(float *z, const float *rec, float *e, const float *h_prev, float *h, long rows, long u) {
    (void)z; (void)rec; (void)e; (void)h_prev; (void)h; (void)rows; (void)u;
}
void sk_gru_backward(const float *a, const float *e, const float *h_prev, const float *dh, float *dx, float *dr,
                     long rows, long u) {
    (void)a; (void)e; (void)h_prev; (void)dh; (void)dx; (void)dr; (void)rows; (void)u;
}

void sk_gemm_strided(long m, long n, long k, float alpha, const float *a, long ars, long acs, const float *b,
                     long ldb, float *c, long ldc, int accumulate) {
    (void)m; (void)n; (void)k; (void)alpha; (void)a; (void)ars; (void)acs; (void)b; (void)ldb; (void)c; (void)ldc;
    (void)accumulate;
}
void sk_gemm_strided_bias(long m, long n, long k, float alpha, const float *a, long ars, long acs, const float *b,
                          long ldb, const float *bias, float *c, long ldc) {
    (void)m; (void)n; (void)k; (void)alpha; (void)a; (void)ars; (void)acs; (void)b; (void)ldb; (void)bias; (void)c;
    (void)ldc;
}
void sk_softmax_rows(float *p, long rows, long cols) { (void)p; (void)rows; (void)cols; }
void sk_softmax_backward_rows(float *g, const float *y, long rows, long cols) { (void)g; (void)y; (void)rows; (void)cols; }

void sk_adam_update(float *w, const float *g, float *m, float *v, float *vhat, long n, float c1, float c2, float alpha,
                    float eps) {
    (void)w; (void)g; (void)m; (void)v; (void)vhat; (void)n; (void)c1; (void)c2; (void)alpha; (void)eps;
}

void sk_column_sums(const float *x, long rows, long cols, float *out) {
    (void)x; (void)rows; (void)cols; (void)out;
}

void sk_transpose(long rows, long cols, const float *a, long lda, float *out) {
    (void)rows; (void)cols; (void)a; (void)lda; (void)out;
}

#endif

