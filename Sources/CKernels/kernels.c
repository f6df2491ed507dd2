// The kernel families (AVX-512, AVX2 + FMA, portable C) and the run-time choice among them.
//
// Why C: Swift's SIMD types compile to per-lane library calls for fused multiply-add unless the whole package
// is built for the host CPU (-target-cpu native), which a plain `swift build -c release` is not. Functions
// here carry their instruction set in a target attribute, so they are fast under any build flags, and the
// one to use is picked once from the CPU (as OpenBLAS and ggml do).
//
// Bit-identical across families: a 16-lane partial sum is one __m512 on AVX-512, two __m256 halves (lanes
// 0-7, 8-15) on AVX2 and 16 floats in portable C; every lane is updated by a fused multiply-add (fmaf in C),
// and the reductions combine lanes in the same pairs. Contraction of a*b+c into an FMA is turned off, so the
// compiler adds no fusion of its own.
#pragma clang fp contract(off)
#include "ckernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define F32ID(x) (x)
static inline float BF16TOF32(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

// MARK: portable C (also what aarch64 gets; its compiler turns the fmaf loops into NEON fmla)
typedef struct { float v[16]; } P16;
static inline P16 p_zero(void) { P16 r; for (int i = 0; i < 16; i++) r.v[i] = 0; return r; }
static inline P16 p_load(const float *p) { P16 r; memcpy(r.v, p, 64); return r; }
static inline P16 p_loadbf(const uint16_t *p) { P16 r; for (int i = 0; i < 16; i++) r.v[i] = BF16TOF32(p[i]); return r; }
static inline P16 p_fma(P16 a, P16 x, P16 w) { for (int i = 0; i < 16; i++) a.v[i] = fmaf(x.v[i], w.v[i], a.v[i]); return a; }
static inline float p_tree(P16 v) {
    float a[8], b[4], c[2];
    for (int i = 0; i < 8; i++) a[i] = v.v[i] + v.v[i + 8];
    for (int i = 0; i < 4; i++) b[i] = a[i] + a[i + 4];
    for (int i = 0; i < 2; i++) c[i] = b[i] + b[i + 2];
    return c[0] + c[1];
}
#define FN(name) portable_##name
#define TGT
#define V P16
#define VZERO p_zero
#define VLOAD p_load
#define VLOADBF p_loadbf
#define VFMA p_fma
#define VTREE p_tree
#define VTREE4(a, b, c, d, t) ((t)[0] = p_tree(a), (t)[1] = p_tree(b), (t)[2] = p_tree(c), (t)[3] = p_tree(d))
#define VSTORE(p, x) memcpy((p), (x).v, 64)
#include "matmul_body.h"

#if defined(__x86_64__)
// MARK: AVX2 + FMA: a 16-lane vector as two 8-lane halves
#define A2 __attribute__((target("avx2,fma")))
typedef struct { __m256 lo, hi; } A16;
A2 static inline A16 a2_zero(void) { A16 r = { _mm256_setzero_ps(), _mm256_setzero_ps() }; return r; }
A2 static inline A16 a2_load(const float *p) { A16 r = { _mm256_loadu_ps(p), _mm256_loadu_ps(p + 8) }; return r; }
A2 static inline __m256 a2_bf8(const uint16_t *p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
}
A2 static inline A16 a2_loadbf(const uint16_t *p) { A16 r = { a2_bf8(p), a2_bf8(p + 8) }; return r; }
A2 static inline A16 a2_fma(A16 a, A16 x, A16 w) {
    A16 r = { _mm256_fmadd_ps(x.lo, w.lo, a.lo), _mm256_fmadd_ps(x.hi, w.hi, a.hi) };
    return r;
}
A2 static inline float a2_tree(A16 v) {
    __m256 a = _mm256_add_ps(v.lo, v.hi);                                          // i + (i+8)
    __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));   // i + (i+4)
    __m128 c = _mm_add_ps(b, _mm_movehl_ps(b, b));                                 // i + (i+2)
    return _mm_cvtss_f32(c) + _mm_cvtss_f32(_mm_shuffle_ps(c, c, 1));
}
#define FN(name) avx2_##name
#define TGT A2
#define V A16
#define VZERO a2_zero
#define VLOAD a2_load
#define VLOADBF a2_loadbf
#define VFMA a2_fma
#define VTREE a2_tree
#define VTREE4(a, b, c, d, t) ((t)[0] = a2_tree(a), (t)[1] = a2_tree(b), (t)[2] = a2_tree(c), (t)[3] = a2_tree(d))
#define VSTORE(p, v) (_mm256_storeu_ps((p), (v).lo), _mm256_storeu_ps((p) + 8, (v).hi))
#include "matmul_body.h"

// MARK: AVX-512
#define A5 __attribute__((target("avx512f,avx2,fma")))
A5 static inline __m512 a5_loadbf(const uint16_t *p) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p)), 16));
}
A5 static inline float a5_tree(__m512 v) {
    __m256 lo = _mm512_castps512_ps256(v);
    __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    __m256 a = _mm256_add_ps(lo, hi);
    __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    __m128 c = _mm_add_ps(b, _mm_movehl_ps(b, b));
    return _mm_cvtss_f32(c) + _mm_cvtss_f32(_mm_shuffle_ps(c, c, 1));
}
// The four trees of a tile row at once, lanes regrouped by shuffles so each step is one vector add of the
// same pairs VTREE adds (a + b equals b + a exactly, so which operand a shuffle puts first does not matter).
A5 static inline void a5_tree4(__m512 a, __m512 b, __m512 c, __m512 d, float *t) {
    // i + (i+8): a's 8 sums in the low half, b's in the high half; likewise c, d
    __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44), _mm512_shuffle_f32x4(a, b, 0xEE));
    __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, 0x44), _mm512_shuffle_f32x4(c, d, 0xEE));
    // i + (i+4): one 128-bit chunk of 4 sums per input, in the order a, b, c, d
    __m512 q = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, 0x88), _mm512_shuffle_f32x4(ab, cd, 0xDD));
    // i + (i+2), then lane 0 + lane 1, within each chunk
    q = _mm512_add_ps(q, _mm512_permute_ps(q, 0x4E));
    q = _mm512_add_ps(q, _mm512_permute_ps(q, 0xB1));
    float l[16];
    _mm512_storeu_ps(l, q);
    t[0] = l[0]; t[1] = l[4]; t[2] = l[8]; t[3] = l[12];
}
#define FN(name) avx512_##name
#define TGT A5
#define V __m512
#define VZERO _mm512_setzero_ps
#define VLOAD _mm512_loadu_ps
#define VLOADBF a5_loadbf
#define VFMA(a, x, w) _mm512_fmadd_ps((x), (w), (a))
#define VTREE a5_tree
#define VTREE4(a, b, c, d, t) a5_tree4((a), (b), (c), (d), (t))
#define VSTORE(p, v) _mm512_storeu_ps((p), (v))
#include "matmul_body.h"
#endif

// MARK: SwiGLU, per family: scalar code the compiler vectorizes for each target. The arithmetic is the
// lane-wise arithmetic of Tensor's vexp/vsigmoid (Parallel.swift, Ops.swift) operation for operation, no
// fusion, so every family and the Swift version give the same bits.
#define ELEMENTWISE(PFX, TGTATTR)                                                                            \
    TGTATTR static inline float PFX##_exp(float x) {                                                         \
        float xc = x > -87.3f ? x : -87.3f;                                                                  \
        xc = xc < 88.3f ? xc : 88.3f;                                                                        \
        const float magic = 12582912.0f;                                                                     \
        float t = xc * 1.44269504088896341f + magic;                                                         \
        float n = t - magic;                                                                                 \
        float r = xc - n * 0.693359375f;                                                                     \
        r = r + n * 2.12194440e-4f;                                                                          \
        float p = 1.9875691500e-4f;                                                                          \
        p = p * r + 1.3981999507e-3f;                                                                        \
        p = p * r + 8.3334519073e-3f;                                                                        \
        p = p * r + 4.1665795894e-2f;                                                                        \
        p = p * r + 1.6666665459e-1f;                                                                        \
        p = p * r + 5.0000001201e-1f;                                                                        \
        float r2 = r * r;                                                                                    \
        p = p * r2 + r + 1.0f;                                                                               \
        uint32_t ti; memcpy(&ti, &t, 4); ti -= 0x4B400000u;                                                  \
        uint32_t sb = (ti + 127u) << 23; float scale; memcpy(&scale, &sb, 4);                                \
        float out = p * scale;                                                                               \
        return x < -87.0f ? 0.0f : out;                                                                      \
    }                                                                                                        \
    TGTATTR static void PFX##_swiglu(float *out, const float *gu, long r0, long r1, long I) {                \
        for (long n = r0; n < r1; n++) {                                                                     \
            const float *g = gu + n * 2 * I, *u = g + I;                                                     \
            float *y = out + n * I;                                                                          \
            for (long i = 0; i < I; i++) {                                                                   \
                float x = g[i];                                                                              \
                float sg = 1.0f / (1.0f + PFX##_exp(-x));                                                    \
                y[i] = x * sg * u[i];                                                                        \
            }                                                                                                \
        }                                                                                                    \
    }
ELEMENTWISE(portable, )
#if defined(__x86_64__)
ELEMENTWISE(avx2, __attribute__((target("avx2,fma"))))
ELEMENTWISE(avx512, __attribute__((target("avx512f,avx2,fma"))))
#endif

// MARK: the choice, made once
typedef void (*mm_f32)(float *, const float *, const float *, long, long, long, long, long, long);
typedef void (*mm_bf16)(float *, const float *, const uint16_t *, long, long, long, long, long, long);
typedef void (*ew_swiglu)(float *, const float *, long, long, long);
static struct { const char *name; mm_f32 tree, sum; mm_bf16 treebf; ew_swiglu swiglu; } family;

static int choose(const char *want) {
    family.name = "portable";
    family.tree = portable_matmul_tree_float;
    family.sum = portable_matmul_sum_float;
    family.treebf = portable_matmul_tree_uint16_t;
    family.swiglu = portable_swiglu;
#if defined(__x86_64__)
    __builtin_cpu_init();
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    int avx512 = avx2 && __builtin_cpu_supports("avx512f");
    if (want && strcmp(want, "portable") == 0) avx2 = avx512 = 0;
    if (want && strcmp(want, "avx2") == 0) avx512 = 0;
    if (avx512) {
        family.name = "avx512";
        family.tree = avx512_matmul_tree_float;
        family.sum = avx512_matmul_sum_float;
        family.treebf = avx512_matmul_tree_uint16_t;
        family.swiglu = avx512_swiglu;
    } else if (avx2) {
        family.name = "avx2";
        family.tree = avx2_matmul_tree_float;
        family.sum = avx2_matmul_sum_float;
        family.treebf = avx2_matmul_tree_uint16_t;
        family.swiglu = avx2_swiglu;
    }
#endif
    return want == NULL || strcmp(want, family.name) == 0;
}
// before main (and before any thread), so the table is read-only while kernels run
__attribute__((constructor)) static void st_kernels_init(void) { choose(getenv("ST_KERNELS")); }

const char *st_kernels_name(void) { return family.name; }
int st_kernels_select(const char *name) { return choose(name); }

void st_matmul_tree_f32(float *out, const float *inp, const float *w, long r0, long r1, long c0, long c1,
                        long C, long OC) { family.tree(out, inp, w, r0, r1, c0, c1, C, OC); }
void st_matmul_sum_f32(float *out, const float *inp, const float *w, long r0, long r1, long c0, long c1,
                       long C, long OC) { family.sum(out, inp, w, r0, r1, c0, c1, C, OC); }
void st_matmul_tree_bf16(float *out, const float *inp, const uint16_t *w, long r0, long r1, long c0, long c1,
                         long C, long OC) { family.treebf(out, inp, w, r0, r1, c0, c1, C, OC); }

void st_swiglu_forward(float *out, const float *gu, long r0, long r1, long I) { family.swiglu(out, gu, r0, r1, I); }

void st_f32_to_bf16(uint16_t *dst, const float *src, long n) {
    for (long i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &src[i], 4);
        if ((u & 0x7fffffffu) > 0x7f800000u) { dst[i] = (uint16_t)((u >> 16) | 0x40); continue; }   // quiet NaN
        u += 0x7fffu + ((u >> 16) & 1);   // to nearest, ties to even (overflow rounds to infinity)
        dst[i] = (uint16_t)(u >> 16);
    }
}
