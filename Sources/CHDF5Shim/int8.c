/* The int8 matrix product of a quantized Dense or EinsumDense (Keras/Tensor/Kernels/
   Kernels+Quantize.swift): u8 activations (the int8 values + 128) times int8 weights packed once,
   accumulated in int32 with the column sums' 128 · colsum taken off, so that every element is
   the int8 x int8 product exactly (mod 2^32, as an int32 accumulation wraps). With AVX-512 VNNI
   (vpdpbusd: four u8 x s8 products added to an int32 lane, never saturated), in AVX2 (vpmaddwd
   on the values widened to int16: vpmaddubsw would saturate its int16 pair sums) or in portable
   C; all three give the same int32 results. Built in this unit (shim.c includes it), as kernels.c is. */

#include <stdint.h>
#include <math.h>
#include <string.h>

/* The weights' layout: panels of 16 columns, each of ceil(k/4) groups of 64 bytes (column c's
   four consecutive k values at 4c ... 4c + 3), zeros past k and n. */
long sk_i8_packed_bytes(long k, long n) { return (k + 3) / 4 * 64 * ((n + 15) / 16); }

void sk_i8_pack(long k, long n, const int8_t *b, int8_t *packed, int32_t *colsum) {
    long groups = (k + 3) / 4;
    memset(packed, 0, (size_t)sk_i8_packed_bytes(k, n));
    for (long j = 0; j < n; j++) colsum[j] = 0;
    for (long p = 0; p < k; p++) {
        for (long j = 0; j < n; j++) {
            int8_t v = b[p * n + j];
            packed[((j / 16) * groups + p / 4) * 64 + (j % 16) * 4 + p % 4] = v;
            colsum[j] = (int32_t)((uint32_t)colsum[j] + (uint32_t)(int32_t)v);
        }
    }
}

/* Keras's input quantizer (`AbsMaxQuantizer()(x, axis=-1)`) of one row, as Kernels.absMaxScale
   and Kernels.quantizedValue (Kernels+Quantize.swift) compute it for the weights: the scale
   127 / (max |x| + 1e-7), a NaN skipped by the max; each value round-half-even(x * scale)
   clipped to -127 ... 127, a NaN 0; stored + 128. */
static void sk_i8_quantize_row_portable(long k, const float *x, uint8_t *a, float *scale) {
    float m = 0;
    for (long i = 0; i < k; i++) {
        float v = fabsf(x[i]);
        m = v >= m ? v : m;
    }
    float s = 127.0f / (m + 1e-7f);
    *scale = s;
    for (long i = 0; i < k; i++) {
        float v = nearbyintf(x[i] * s);
        v = v != v ? 0.0f : v < -127.0f ? -127.0f : v > 127.0f ? 127.0f : v;
        a[i] = (uint8_t)((int32_t)v + 128);
    }
}

/* The dequantized value's epilogue: the bias's element added, then relu as Swift's max(f, 0)
   (0 >= f ? 0 : f: a NaN stays NaN, -0 becomes 0). */
static inline float sk_i8_epilogue(float f, long j, const float *bias, int relu) {
    if (bias) f += bias[j];
    return relu && 0.0f >= f ? 0.0f : f;
}

/* One element's result: the int32 product, or it converted, divided by its two scales and
   passed through the epilogue. */
static inline void sk_i8_store(uint32_t acc, int32_t colsum, long r, long j, long n, int32_t *c, float *y,
                               const float *row_scale, const float *col_scale, const float *bias, int relu) {
    int32_t v = (int32_t)(acc - ((uint32_t)colsum << 7));
    if (y) y[r * n + j] = sk_i8_epilogue((float)v / (col_scale[j] * row_scale[r]), j, bias, relu);
    else c[r * n + j] = v;
}

/* The portable product in the compiler's vector types (clang / GCC vector extensions: SSE2 or
   NEON where nothing wider is known at compile time): one group of a panel is 64 bytes, lane
   4·col + t holding column col's weight for k index 4g + t, so the row's four activations of the
   group, repeated 16 times, meet their weights lane by lane; each product exact in int16, the 64 lanes accumulate in uint32
   (wrapping, as the int32 accumulation does) and each column sums its four lanes at the end.
   The same int32 results as the other paths, in the same order per lane. */
typedef uint8_t sk_u8x64 __attribute__((vector_size(64)));
typedef int8_t sk_i8x64 __attribute__((vector_size(64)));
typedef uint32_t sk_u32x16 __attribute__((vector_size(64)));
typedef int16_t sk_i16x64 __attribute__((vector_size(128)));
typedef int32_t sk_i32x64 __attribute__((vector_size(256)));
typedef uint32_t sk_u32x64 __attribute__((vector_size(256)));

static void sk_i8_rows_portable(long r0, long r1, long n, long k, const uint8_t *a, long lda, const int8_t *packed,
                                const int32_t *colsum, int32_t *c, float *y, const float *row_scale,
                                const float *col_scale, const float *bias, int relu) {
    long groups = (k + 3) / 4, panels = (n + 15) / 16;
    for (long r = r0; r < r1; r++) {
        const uint8_t *ar = a + r * lda;
        for (long p = 0; p < panels; p++) {
            const int8_t *bp = packed + p * groups * 64;
            sk_u32x64 acc = {0};
            for (long g = 0; g < groups; g++) {
                uint32_t four;
                memcpy(&four, ar + 4 * g, 4);
                sk_u32x16 repeated = (sk_u32x16){0} + four;
                sk_u8x64 activations;
                memcpy(&activations, &repeated, 64);
                sk_i8x64 weights;
                memcpy(&weights, bp + g * 64, 64);
                /* u8 · s8 is exact in int16 (|product| <= 255 · 128), widened to 32 bits to add. */
                sk_i16x64 product = __builtin_convertvector(activations, sk_i16x64) * __builtin_convertvector(weights, sk_i16x64);
                acc += (sk_u32x64)__builtin_convertvector(product, sk_i32x64);
            }
            for (int col = 0; col < 16 && p * 16 + col < n; col++) {
                uint32_t sum = acc[4 * col] + acc[4 * col + 1] + acc[4 * col + 2] + acc[4 * col + 3];
                sk_i8_store(sum, colsum[p * 16 + col], r, p * 16 + col, n, c, y, row_scale, col_scale, bias, relu);
            }
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

#define SK_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

int sk_i8_best_path(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni"))
        return 2;
    return __builtin_cpu_supports("avx2") ? 1 : 0;
}

#define SK_I8_AVX2 __attribute__((target("avx2")))

/* R rows (1 or 2) by one panel of 16 columns at column j0, in AVX2: each group's four bytes of a
   row and of a column widened to int16 and multiplied in pairs (vpmaddwd: exact, never
   saturated for u8 x s8), the pair sums added per lane and the lanes of a column added at the end
   (all in int32, wrapping). */
SK_I8_AVX2 static inline __attribute__((always_inline)) void
sk_i8_tile_avx2(const int R, long r, long j0, long n, long groups, const uint8_t *a, long lda, const int8_t *packed,
                const int32_t *colsum, int32_t *c, float *y, const float *row_scale, const float *col_scale,
                const float *bias, int relu) {
    __m256i acc[2][4];
    for (int i = 0; i < R; i++)
        for (int q = 0; q < 4; q++) acc[i][q] = _mm256_setzero_si256();
    const int8_t *bp = packed + (j0 / 16) * groups * 64;
    const uint8_t *ar = a + r * lda;
    for (long g = 0; g < groups; g++) {
        __m256i b[4];
        for (int q = 0; q < 4; q++) b[q] = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(bp + g * 64 + 16 * q)));
        for (int i = 0; i < R; i++) {
            int32_t w;
            memcpy(&w, ar + i * lda + 4 * g, 4);
            __m256i s = _mm256_broadcastq_epi64(_mm_cvtepu8_epi16(_mm_cvtsi32_si128(w)));
            for (int q = 0; q < 4; q++) acc[i][q] = _mm256_add_epi32(acc[i][q], _mm256_madd_epi16(s, b[q]));
        }
    }
    for (int i = 0; i < R; i++) {
        for (int h = 0; h < 2; h++) {
            /* Columns 8h ... 8h + 7, in order. */
            __m256i v = _mm256_permute4x64_epi64(_mm256_hadd_epi32(acc[i][2 * h], acc[i][2 * h + 1]), 0xD8);
            int32_t lanes[8];
            _mm256_storeu_si256((__m256i *)lanes, v);
            for (int l = 0; l < 8; l++) {
                long j = j0 + 8 * h + l;
                if (j < n) sk_i8_store((uint32_t)lanes[l], colsum[j], r + i, j, n, c, y, row_scale, col_scale, bias, relu);
            }
        }
    }
}

SK_I8_AVX2 static void sk_i8_rows_avx2(long r0, long r1, long n, long k, const uint8_t *a, long lda, const int8_t *packed,
                                       const int32_t *colsum, int32_t *c, float *y, const float *row_scale,
                                       const float *col_scale, const float *bias, int relu) {
    long groups = (k + 3) / 4;
    for (long j0 = 0; j0 < n; j0 += 16) {
        long r = r0;
        for (; r + 2 <= r1; r += 2)
            sk_i8_tile_avx2(2, r, j0, n, groups, a, lda, packed, colsum, c, y, row_scale, col_scale, bias, relu);
        for (; r < r1; r++) sk_i8_tile_avx2(1, r, j0, n, groups, a, lda, packed, colsum, c, y, row_scale, col_scale, bias, relu);
    }
}

/* R rows (1 or 4) by P panels (1 ... 4) of 16 columns from column j0; `left` columns remain from
   j0 (the last panel masked to them). */
SK_VNNI static inline __attribute__((always_inline)) void
sk_i8_tile_vnni(const int R, const int P, long r, long j0, long left, long n, long groups, const uint8_t *a, long lda,
                const int8_t *packed, const int32_t *colsum, int32_t *c, float *y, const float *row_scale,
                const float *col_scale, const float *bias, int relu) {
    __m512i acc[4][4];
    for (int i = 0; i < R; i++)
        for (int q = 0; q < P; q++) acc[i][q] = _mm512_setzero_si512();
    const int8_t *bp = packed + (j0 / 16) * groups * 64;
    const uint8_t *ar = a + r * lda;
    for (long g = 0; g < groups; g++) {
        __m512i b[4];
        for (int q = 0; q < P; q++) b[q] = _mm512_loadu_si512((const void *)(bp + (q * groups + g) * 64));
        for (int i = 0; i < R; i++) {
            int32_t w;
            memcpy(&w, ar + i * lda + 4 * g, 4);
            __m512i s = _mm512_set1_epi32(w);
            for (int q = 0; q < P; q++) acc[i][q] = _mm512_dpbusd_epi32(acc[i][q], s, b[q]);
        }
    }
    for (int q = 0; q < P; q++) {
        long cols = left - 16 * q;
        __mmask16 mask = cols >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << cols) - 1);
        long j = j0 + 16 * q;
        __m512i correction = _mm512_slli_epi32(_mm512_maskz_loadu_epi32(mask, colsum + j), 7);
        __m512 scale = y ? _mm512_maskz_loadu_ps(mask, col_scale + j) : _mm512_setzero_ps();
        __m512 shift = y && bias ? _mm512_maskz_loadu_ps(mask, bias + j) : _mm512_setzero_ps();
        for (int i = 0; i < R; i++) {
            __m512i v = _mm512_sub_epi32(acc[i][q], correction);
            if (y) {
                __m512 d = _mm512_mul_ps(scale, _mm512_set1_ps(row_scale[r + i]));
                __m512 f = _mm512_maskz_div_ps(mask, _mm512_cvtepi32_ps(v), d);
                if (bias) f = _mm512_add_ps(f, shift);
                /* sk_i8_epilogue's relu: 0 where f <= 0 (ordered, so a NaN stays). */
                if (relu) f = _mm512_mask_mov_ps(f, _mm512_cmp_ps_mask(f, _mm512_setzero_ps(), _CMP_LE_OQ), _mm512_setzero_ps());
                _mm512_mask_storeu_ps(y + (r + i) * n + j, mask, f);
            } else {
                _mm512_mask_storeu_epi32(c + (r + i) * n + j, mask, v);
            }
        }
    }
}

/* sk_i8_quantize_row_portable in AVX-512, the same values: vmaxps returns its second operand
   (the running max) for a NaN, and a NaN product is zeroed before the clip. */
SK_VNNI static void sk_i8_quantize_row_avx512(long k, const float *x, uint8_t *a, float *scale) {
    __m512 m = _mm512_setzero_ps();
    long i = 0;
    for (; i + 16 <= k; i += 16) m = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(x + i)), m);
    __mmask16 tail = (__mmask16)((1u << (k - i)) - 1);
    if (tail) m = _mm512_max_ps(_mm512_abs_ps(_mm512_maskz_loadu_ps(tail, x + i)), m);
    float s = 127.0f / (_mm512_reduce_max_ps(m) + 1e-7f);
    *scale = s;
    const __m512 sv = _mm512_set1_ps(s), lo = _mm512_set1_ps(-127.0f), hi = _mm512_set1_ps(127.0f);
    const __m512i shift = _mm512_set1_epi32(128);
    for (i = 0; i < k; i += 16) {
        __mmask16 mask = k - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (k - i)) - 1);
        __m512 v = _mm512_roundscale_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(mask, x + i), sv),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        v = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, v, _CMP_ORD_Q), v);
        v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
        _mm512_mask_cvtepi32_storeu_epi8(a + i, mask, _mm512_add_epi32(_mm512_cvtps_epi32(v), shift));
    }
}

SK_VNNI static void sk_i8_rows_vnni(long r0, long r1, long n, long k, const uint8_t *a, long lda, const int8_t *packed,
                                    const int32_t *colsum, int32_t *c, float *y, const float *row_scale,
                                    const float *col_scale, const float *bias, int relu) {
    long groups = (k + 3) / 4;
    /* Columns outer: a block of 64 columns of the weights (k x 64 bytes) stays in cache while the
       rows stream past it. */
    for (long j0 = 0; j0 < n; j0 += 64) {
        long left = n - j0, panels = (left + 15) / 16;
        if (panels > 4) panels = 4;
        long r = r0;
        for (; r + 4 <= r1; r += 4) {
            switch (panels) {
            case 4: sk_i8_tile_vnni(4, 4, r, j0, left, n, groups, a, lda, packed, colsum, c, y, row_scale, col_scale, bias, relu); break;
            case 3: sk_i8_tile_vnni(4, 3, r, j0, left, n, groups, a, lda, packed, colsum, c, y, row_scale, col_scale, bias, relu); break;
            case 2: sk_i8_tile_vnni(4, 2, r, j0, left, n, groups, a, lda, packed, colsum, c, y, row_scale, col_scale, bias, relu); break;
            default: sk_i8_tile_vnni(4, 1, r, j0, left, n, groups, a, lda, packed, colsum, c, y, row_scale, col_scale, bias, relu); break;
            }
        }
        for (; r < r1; r++) {
            switch (panels) {
            case 4: sk_i8_tile_vnni(1, 4, r, j0, left, n, groups, a, lda, packed, colsum, c, y, row_scale, col_scale, bias, relu); break;
            case 3: sk_i8_tile_vnni(1, 3, r, j0, left, n, groups, a, lda, packed, colsum, c, y, row_scale, col_scale, bias, relu); break;
            case 2: sk_i8_tile_vnni(1, 2, r, j0, left, n, groups, a, lda, packed, colsum, c, y, row_scale, col_scale, bias, relu); break;
            default: sk_i8_tile_vnni(1, 1, r, j0, left, n, groups, a, lda, packed, colsum, c, y, row_scale, col_scale, bias, relu); break;
            }
        }
    }
}

#else

int sk_i8_best_path(void) { return 0; }

#endif

void sk_i8_quantize_rows(long r0, long r1, long k, const float *x, uint8_t *a, long lda, float *scales, int path) {
    for (long r = r0; r < r1; r++) {
#if defined(__x86_64__)
        if (path >= 2) {
            sk_i8_quantize_row_avx512(k, x + r * k, a + r * lda, scales + r);
            continue;
        }
#else
        (void)path;
#endif
        sk_i8_quantize_row_portable(k, x + r * k, a + r * lda, scales + r);
    }
}

void sk_i8_gemm(long r0, long r1, long n, long k, const uint8_t *a, long lda, const int8_t *packed,
                const int32_t *colsum, int32_t *c, float *y, const float *row_scale, const float *col_scale,
                const float *bias, int relu, int path) {
    if (r1 <= r0 || n <= 0) return;
#if defined(__x86_64__)
    if (path >= 2 && k > 0) {
        sk_i8_rows_vnni(r0, r1, n, k, a, lda, packed, colsum, c, y, row_scale, col_scale, bias, relu);
        return;
    }
    if (path == 1 && k > 0) {
        sk_i8_rows_avx2(r0, r1, n, k, a, lda, packed, colsum, c, y, row_scale, col_scale, bias, relu);
        return;
    }
#else
    (void)path;
#endif
    sk_i8_rows_portable(r0, r1, n, k, a, lda, packed, colsum, c, y, row_scale, col_scale, bias, relu);
}
