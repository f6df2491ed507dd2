// One kernel family's matmuls, included by kernels.c once per instruction set. The includer defines:
//   FN(name)        the function name for this family
//   TGT             the function attribute (target("...")) or nothing
//   V, VZERO(), VLOAD(p), VLOADBF(p), VFMA(acc, a, b)   a 16-lane f32 vector and its operations
//   VTREE4(a,b,c,d,t)  t[0..3] = VTREE of a, b, c, d
//   VTREE(v)        lanes reduced 16 -> 8 -> 4 -> 2 -> 1:  a[i] = v[i] + v[i+8]; b[i] = a[i] + a[i+4];
//                   c[i] = b[i] + b[i+2]; c[0] + c[1]
//   VSTORE(p, v)    16 floats to p
// The per-element order is the same in every family, so is every result.

// The tail of one dot product, c in C16..<C: "tree" sums it on its own with fused multiply-adds.
#define TAIL_TREE(WT, CONV)                                                                  \
    TGT static inline float FN(tail_tree_##WT)(const float *x, const WT *w, long C16, long C) { \
        float s = 0;                                                                         \
        for (long c = C16; c < C; c++) s = fmaf(x[c], CONV(w[c]), s);                        \
        return s;                                                                            \
    }
TAIL_TREE(float, F32ID)
TAIL_TREE(uint16_t, BF16TOF32)

// One row's four outputs of a tile (the first nj stored): the four trees (VTREE4), then each tail added.
TGT static inline void FN(finish4_tree_float)(float *y, V a0, V a1, V a2, V a3, const float *x, const float *w0,
        const float *w1, const float *w2, const float *w3, long nj, long C16, long C) {
    float t[4];
    VTREE4(a0, a1, a2, a3, t);
    y[0] = t[0] + FN(tail_tree_float)(x, w0, C16, C);
    if (nj > 1) y[1] = t[1] + FN(tail_tree_float)(x, w1, C16, C);
    if (nj > 2) y[2] = t[2] + FN(tail_tree_float)(x, w2, C16, C);
    if (nj > 3) y[3] = t[3] + FN(tail_tree_float)(x, w3, C16, C);
}
TGT static inline void FN(finish4_tree_uint16_t)(float *y, V a0, V a1, V a2, V a3, const float *x,
        const uint16_t *w0, const uint16_t *w1, const uint16_t *w2, const uint16_t *w3, long nj, long C16, long C) {
    float t[4];
    VTREE4(a0, a1, a2, a3, t);
    y[0] = t[0] + FN(tail_tree_uint16_t)(x, w0, C16, C);
    if (nj > 1) y[1] = t[1] + FN(tail_tree_uint16_t)(x, w1, C16, C);
    if (nj > 2) y[2] = t[2] + FN(tail_tree_uint16_t)(x, w2, C16, C);
    if (nj > 3) y[3] = t[3] + FN(tail_tree_uint16_t)(x, w3, C16, C);
}
TGT static inline float FN(finish_sum_float)(V a, const float *x, const float *w, long C16, long C) {
    float l[16];
    VSTORE(l, a);
    float s = l[0];
    for (int i = 1; i < 16; i++) s += l[i];
    for (long c = C16; c < C; c++) s += x[c] * w[c];   // not contracted: this file has fp contract off
    return s;
}
TGT static inline void FN(finish4_sum_float)(float *y, V a0, V a1, V a2, V a3, const float *x, const float *w0,
        const float *w1, const float *w2, const float *w3, long nj, long C16, long C) {
    y[0] = FN(finish_sum_float)(a0, x, w0, C16, C);
    if (nj > 1) y[1] = FN(finish_sum_float)(a1, x, w1, C16, C);
    if (nj > 2) y[2] = FN(finish_sum_float)(a2, x, w2, C16, C);
    if (nj > 3) y[3] = FN(finish_sum_float)(a3, x, w3, C16, C);
}

// A tile: `rows` (1 to 4) rows of x times 4 weight rows; stores nj of the 4 columns. ROWS is a constant in
// each expansion so only its rows' work is compiled.
#define TILE(ORDER, WT, WLOAD, ROWS)                                                                           \
    TGT static inline void FN(tile_##ORDER##_##WT##_##ROWS)(float *y, const float *x0, const WT *w0,         \
            const WT *w1, const WT *w2, const WT *w3, long nj, long C, long OC) {                             \
        const long C16 = C & ~15L;                                                                            \
        const float *x1 = x0 + C, *x2 = x1 + C, *x3 = x2 + C;                                                 \
        V a00 = VZERO(), a01 = VZERO(), a02 = VZERO(), a03 = VZERO();                                         \
        V a10 = VZERO(), a11 = VZERO(), a12 = VZERO(), a13 = VZERO();                                         \
        V a20 = VZERO(), a21 = VZERO(), a22 = VZERO(), a23 = VZERO();                                         \
        V a30 = VZERO(), a31 = VZERO(), a32 = VZERO(), a33 = VZERO();                                         \
        for (long c = 0; c < C16; c += 16) {                                                                  \
            V u0 = WLOAD(w0 + c), u1 = WLOAD(w1 + c), u2 = WLOAD(w2 + c), u3 = WLOAD(w3 + c);                 \
            V v = VLOAD(x0 + c);                                                                              \
            a00 = VFMA(a00, v, u0); a01 = VFMA(a01, v, u1); a02 = VFMA(a02, v, u2); a03 = VFMA(a03, v, u3);   \
            if (ROWS > 1) { v = VLOAD(x1 + c);                                                                \
            a10 = VFMA(a10, v, u0); a11 = VFMA(a11, v, u1); a12 = VFMA(a12, v, u2); a13 = VFMA(a13, v, u3); } \
            if (ROWS > 2) { v = VLOAD(x2 + c);                                                                \
            a20 = VFMA(a20, v, u0); a21 = VFMA(a21, v, u1); a22 = VFMA(a22, v, u2); a23 = VFMA(a23, v, u3); } \
            if (ROWS > 3) { v = VLOAD(x3 + c);                                                                \
            a30 = VFMA(a30, v, u0); a31 = VFMA(a31, v, u1); a32 = VFMA(a32, v, u2); a33 = VFMA(a33, v, u3); } \
        }                                                                                                     \
        FN(finish4_##ORDER##_##WT)(y, a00, a01, a02, a03, x0, w0, w1, w2, w3, nj, C16, C);                   \
        if (ROWS > 1) FN(finish4_##ORDER##_##WT)(y + OC, a10, a11, a12, a13, x1, w0, w1, w2, w3, nj, C16, C);  \
        if (ROWS > 2) FN(finish4_##ORDER##_##WT)(y + 2 * OC, a20, a21, a22, a23, x2, w0, w1, w2, w3, nj, C16, C); \
        if (ROWS > 3) FN(finish4_##ORDER##_##WT)(y + 3 * OC, a30, a31, a32, a33, x3, w0, w1, w2, w3, nj, C16, C); \
    }

// The block: columns c0..<c1 in groups of 4 (the last group repeats its last column in the spare lanes:
// each element is independent, and only the group's own columns are stored), rows r0..<r1 in 4s then 1-3,
// in pieces of at most 64 x 64 whose results collect in `t` and are copied out row by row. (Stored straight
// into `out`, a column group's 4-float pieces of 32 rows lie a row apart: with 49,152 columns that is 192 KiB,
// all in one cache set, and the output head ran at a tenth of the speed of the other matmuls.)
#define BLOCK(ORDER, WT, WLOAD)                                                                               \
    TILE(ORDER, WT, WLOAD, 1) TILE(ORDER, WT, WLOAD, 2) TILE(ORDER, WT, WLOAD, 3) TILE(ORDER, WT, WLOAD, 4)  \
    TGT static void FN(matmul_##ORDER##_##WT)(float *out, const float *inp, const WT *w, long R0, long R1,   \
                                              long C0, long C1, long C, long OC) {                            \
        float t[64 * 64];                                                                                     \
        for (long r0 = R0; r0 < R1; r0 += 64)                                                                 \
        for (long c0 = C0; c0 < C1; c0 += 64) {                                                               \
            const long r1 = r0 + 64 < R1 ? r0 + 64 : R1, c1 = c0 + 64 < C1 ? c0 + 64 : C1;                   \
            for (long j = c0; j < c1; j += 4) {                                                               \
                long nj = c1 - j < 4 ? c1 - j : 4, last = c1 - 1;                                             \
                const WT *w0 = w + j * C, *w1 = w + (j + 1 < last ? j + 1 : last) * C;                        \
                const WT *w2 = w + (j + 2 < last ? j + 2 : last) * C;                                         \
                const WT *w3 = w + (j + 3 < last ? j + 3 : last) * C;                                         \
                float *y = t + (j - c0);                                                                      \
                long n = r0;                                                                                  \
                for (; n + 4 <= r1; n += 4)                                                                   \
                    FN(tile_##ORDER##_##WT##_4)(y + (n - r0) * 64, inp + n * C, w0, w1, w2, w3, nj, C, 64);   \
                switch (r1 - n) {                                                                             \
                case 3: FN(tile_##ORDER##_##WT##_3)(y + (n - r0) * 64, inp + n * C, w0, w1, w2, w3, nj, C, 64); break; \
                case 2: FN(tile_##ORDER##_##WT##_2)(y + (n - r0) * 64, inp + n * C, w0, w1, w2, w3, nj, C, 64); break; \
                case 1: FN(tile_##ORDER##_##WT##_1)(y + (n - r0) * 64, inp + n * C, w0, w1, w2, w3, nj, C, 64); break; \
                default: break;                                                                               \
                }                                                                                             \
            }                                                                                                 \
            for (long n = r0; n < r1; n++)                                                                    \
                memcpy(out + n * OC + c0, t + (n - r0) * 64, (size_t)(c1 - c0) * sizeof(float));              \
        }                                                                                                     \
    }

BLOCK(tree, float, VLOAD)
BLOCK(sum, float, VLOAD)
BLOCK(tree, uint16_t, VLOADBF)

#undef TAIL_TREE
#undef TILE
#undef BLOCK
// the includer's parameters too, so the next family defines its own
#undef FN
#undef TGT
#undef V
#undef VZERO
#undef VLOAD
#undef VLOADBF
#undef VFMA
#undef VTREE
#undef VTREE4
#undef VSTORE
