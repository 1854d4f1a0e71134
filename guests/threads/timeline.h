/* timeline.h -- the threads' events with their times, noted while they
 * run and printed at the end (printing one byte costs two exits: on the
 * serial line during the run it would be part of what is measured). */
#ifndef PTV_THREADS_TIMELINE_H
#define PTV_THREADS_TIMELINE_H

#include <stdint.h>

enum event_kind { EV_START, EV_BLOCK, EV_WAKE, EV_DONE };

/* Time 0 of the timeline: now. */
void timeline_start(void);
/* Microseconds since timeline_start(), from the PV clock. */
uint32_t timeline_now_us(void);
/* Notes an event of `thread` on `cpu` now; any vCPU. */
void timeline_note(uint32_t thread, enum event_kind kind, uint32_t cpu);
/* Prints "t=<us> thread <i> <start|block|wake|done> cpu <k>" per event,
 * in the order they happened; returns the time of the last one. */
uint32_t timeline_print(void);

#endif
