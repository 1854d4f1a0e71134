/* div64.h -- a 64-bit by 32-bit division whose quotient fits 32 bits, in
 * two 32-bit DIVs (a freestanding guest has no libgcc for 64-bit '/'). */
#ifndef PTV_RT_DIV64_H
#define PTV_RT_DIV64_H

#include <stdint.h>

/* n / d, keeping the low 32 bits of the quotient. */
static inline uint32_t div_u64_u32(uint64_t n, uint32_t d) {
    uint32_t hi = (uint32_t)(n >> 32), lo = (uint32_t)n, q, r;
    /* The high word's remainder is the top of the second dividend, so the
     * second quotient fits 32 bits. */
    r = hi % d;
    __asm__("divl %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(r), "rm"(d));
    return q;
}

#endif
