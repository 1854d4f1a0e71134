/* evtchn.h -- the event channel: how the host tells a vCPU that work it
 * asked for is done (Xen's pending bits in miniature), and how a vCPU with
 * nothing to do blocks until then. */
#ifndef PTV_RT_EVTCHN_H
#define PTV_RT_EVTCHN_H

#include <stdint.h>

/* Hands the event page to the host (one OUT to PTV_EVTCHN_PORT). CPU 0,
 * once, before any request that posts an event. */
void evtchn_bind(void);
/* Takes (and clears) the events pending for `cpu`: a mask of PTV_EVT_*. */
uint32_t evtchn_take(uint32_t cpu);
/* Blocks vCPU `cpu` until an event is pending for it, unless one is
 * already: returns the events taken (0 after a wait). Call it only after
 * looking for the work the event would announce. */
uint32_t evtchn_block(uint32_t cpu);

#endif
