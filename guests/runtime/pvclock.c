/* pvclock.c -- the PV clock page (kvmclock's idea): the host writes the
 * time into a page of guest RAM under a seqlock, so reading the time costs
 * no exit. The page layout is PTV_PVCLOCK_OFF_* in ptv/portmap.h. */
#include "pvclock.h"

#include "div64.h"
#include "io.h"
#include "ptv/portmap.h"

static volatile uint32_t page[PTV_PVCLOCK_PAGE_SIZE / 4] __attribute__((aligned(4096)));

void pvclock_init(void) {
    outl(PTV_PVCLOCK_PORT, (uint32_t)page);
}

/* The seqlock's reader: version, the time, version again; a version that
 * is odd (the host is writing) or changed means read again. */
uint64_t pvclock_ns(void) {
    uint32_t before, after, lo, hi;
    do {
        before = page[PTV_PVCLOCK_OFF_VERSION / 4];
        barrier();
        lo = page[PTV_PVCLOCK_OFF_TIME_NS / 4];
        hi = page[PTV_PVCLOCK_OFF_TIME_NS / 4 + 1];
        barrier();
        after = page[PTV_PVCLOCK_OFF_VERSION / 4];
    } while (before != after || (before & 1));
    return ((uint64_t)hi << 32) | lo;
}

uint32_t ns_to_us(uint64_t ns) {
    return div_u64_u32(ns, 1000);
}
