/* spinlock.h -- mutual exclusion between vCPUs: a test-and-set lock (XCHG)
 * that spins with PAUSE on a plain read until the lock looks free, so the
 * waiting vCPUs do not fight over the cache line. One-to-one threads on
 * several vCPUs share the PV disk's rings and the event log through it. */
#ifndef PTV_RT_SPINLOCK_H
#define PTV_RT_SPINLOCK_H

#include "io.h"

typedef struct {
    volatile uint32_t locked;
} spinlock_t;

static inline void spin_lock(spinlock_t* l) {
    while (xchg(&l->locked, 1) != 0)
        while (l->locked) cpu_relax();
}

static inline void spin_unlock(spinlock_t* l) {
    barrier();
    l->locked = 0; /* a plain store releases on x86 */
}

#endif
