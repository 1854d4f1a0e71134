/* evtchn.c -- the event-channel page (PTV_EVTCHN_OFF_*): pending[cpu] has
 * bit e set when event e is pending for that vCPU. The host sets bits with
 * an atomic OR; the guest takes them with XCHG, never sets them.
 *
 * Blocking without losing a wake-up: a vCPU that found nothing to do takes
 * its pending bits; if one was set, something arrived since it looked, and
 * it looks again. Otherwise it halts with "sti; hlt", and the host runs it
 * on only when an event is pending for it -- the host checks the bits when
 * the vCPU halts, so an event posted between the XCHG and the HLT is not
 * missed: the HLT returns at once (Xen's SCHEDOP_block does the same check).
 * The cli before the XCHG keeps the check and the halt together where
 * interrupts exist. */
#include "evtchn.h"

#include "io.h"
#include "ptv/portmap.h"

static volatile uint32_t page[PTV_EVTCHN_PAGE_SIZE / 4] __attribute__((aligned(4096)));

void evtchn_bind(void) {
    for (int c = 0; c < PTV_MAX_VCPUS; ++c) page[PTV_EVTCHN_OFF_PENDING / 4 + c] = 0;
    outl(PTV_EVTCHN_PORT, (uint32_t)page);
}

uint32_t evtchn_take(uint32_t cpu) {
    return xchg(&page[PTV_EVTCHN_OFF_PENDING / 4 + cpu], 0);
}

uint32_t evtchn_block(uint32_t cpu) {
    cli();
    uint32_t events = evtchn_take(cpu);
    if (events) {
        sti();
        return events;
    }
    sti_hlt(); /* block until an event is posted for this vCPU */
    return 0;
}
