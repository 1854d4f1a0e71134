/* hostring.h -- the host request ring's driver: the guest as a server
 * (PTV_HOSTRING_* in ptv/portmap.h). The host's clients put requests on
 * one ring; the guest answers each on the other, pointing at the answer's
 * bytes, and rings the doorbell. For threads of one vCPU (many-to-one):
 * there is no lock. */
#ifndef PTV_RT_HOSTRING_H
#define PTV_RT_HOSTRING_H

#include <stdint.h>

#include "ptv/portmap.h"

#define HOSTRING_SIZE 16          /* entries of each ring: a power of two */
#define HOSTRING_MAX_ANSWER 4096 /* bytes of one answer */

struct hostring_request {
    uint32_t id, op, length;
    char data[PTV_HOSTRING_REQ_DATA_MAX + 1]; /* NUL-terminated */
};

/* Hands the queue to the host; new requests wake vCPU `listener`. CPU 0,
 * once, after evtchn_bind(): the event the host posts for requests that
 * wait already would be lost without a bound event channel. */
void hostring_init(uint32_t listener);
/* Takes the next request into *r; 0 when none is waiting. */
int hostring_take(struct hostring_request* r);
/* Whether a request is waiting (for a wait condition). */
int hostring_waiting(void);
/* Answers request `id`: the bytes are copied to the answer's own buffer,
 * which stays put until the host has taken it. Up to HOSTRING_MAX_ANSWER
 * bytes; the doorbell is hostring_notify(), once per batch. */
void hostring_answer(uint32_t id, uint32_t status, const void* bytes, uint32_t length);
void hostring_notify(void);
/* Waits (spinning) until the host has taken every answer: before the run
 * ends, so that the last one is not lost. */
void hostring_drain(void);

#endif
