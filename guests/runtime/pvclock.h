/* pvclock.h -- the time, read from the PV clock page without an exit. */
#ifndef PTV_RT_PVCLOCK_H
#define PTV_RT_PVCLOCK_H

#include <stdint.h>

/* Hands the page to the host (one OUT to PTV_PVCLOCK_PORT). CPU 0, once. */
void pvclock_init(void);
/* The machine's time in ns: the host's clock on KVM (the page rewritten
 * every millisecond), the model's time on the CPU model. */
uint64_t pvclock_ns(void);
/* ns / 1000, for a time below 2^32 us (71 minutes). */
uint32_t ns_to_us(uint64_t ns);

#endif
