// st's hot inference kernels in C, compiled for several instruction sets and chosen once at run time by the
// CPU's features (kernels.c), so a plain `swift build -c release` is as fast as a -march=native one.
// Every variant of a kernel gives bit-identical results: the same 16-lane partial sums in the same order,
// the same final reduction (see matmul_body.h).
#ifndef ST_CKERNELS_H
#define ST_CKERNELS_H
#include <stdint.h>

// out (rows r0..<r1, columns c0..<c1 of an (N, OC) matrix) = inp (N, C) @ w (OC, C)^T.
// Element (n, o) is one dot product over C computed in a fixed order that depends on nothing but C:
// "tree": 16 fused partial sums over c in steps of 16, reduced 16 -> 8 -> 4 -> 2 -> 1, plus the tail
//         (c >= C rounded down to 16) summed by itself with fused multiply-adds, added last.
// "sum":  the same 16 fused partial sums, added lane 0 to 15 in turn, then the tail term by term
//         (a multiply and an add each).
void st_matmul_tree_f32(float *out, const float *inp, const float *w, long r0, long r1, long c0, long c1,
                        long C, long OC);
void st_matmul_sum_f32(float *out, const float *inp, const float *w, long r0, long r1, long c0, long c1,
                       long C, long OC);
// "tree" with bfloat16 weights (the high 16 bits of an f32): each weight is widened to f32 exactly, so the
// result equals st_matmul_tree_f32 on the widened weights, bit for bit.
void st_matmul_tree_bf16(float *out, const float *inp, const uint16_t *w, long r0, long r1, long c0, long c1,
                         long C, long OC);
// SwiGLU of rows r0..<r1: out (N, I) = silu(gate) * up, gu (N, 2I) holding [gate | up] per row, with the
// arithmetic of Tensor's Swift vexp and vsigmoid lane for lane (same bits).
void st_swiglu_forward(float *out, const float *gu, long r0, long r1, long I);
// dst[i] = src[i] rounded to bfloat16 (to nearest, ties to even; NaN stays NaN), as its high 16 bits.
void st_f32_to_bf16(uint16_t *dst, const float *src, long n);

// The kernel family in use: "avx512", "avx2" or "portable". ST_KERNELS=avx2|portable in the environment
// picks a lower one (tests compare them).
const char *st_kernels_name(void);
// For tests, while no kernel runs: use family `name` (or the best one for NULL); returns 0 if this CPU lacks
// it (then the best one it has below is in use).
int st_kernels_select(const char *name);
#endif
