// Debian's OpenBLAS (libopenblas-dev): cblas_sgemm, cblas_sgemv and openblas_set_num_threads.
#include <cblas.h>

// Whether the compiler targets a CPU with fused multiply-add (set by -Xcc -march=native on this machine).
// Without it Swift's SIMD addProduct becomes a call per lane, so the kernels use a multiply and an add.
#if defined(__FMA__) || defined(__aarch64__)
#define ST_HAS_FMA 1
#else
#define ST_HAS_FMA 0
#endif
