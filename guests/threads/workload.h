/* workload.h -- the threads guest's workload, in the syntax of
 * `ptv threads sim --workload`: threads separated by ',' or ';', each a
 * list of bursts, cN = compute N ticks, bN = block N ticks in a system
 * call ("c5 b10 c3, c4"). */
#ifndef PTV_THREADS_WORKLOAD_H
#define PTV_THREADS_WORKLOAD_H

#include <stdint.h>

#define MAX_THREADS 16
#define MAX_BURSTS 32
#define MAX_BURST_TICKS 1000000

struct burst {
    char kind; /* 'c' or 'b' */
    uint32_t ticks;
};

struct workload {
    uint32_t threads;
    uint32_t bursts[MAX_THREADS];
    struct burst burst[MAX_THREADS][MAX_BURSTS];
};

/* Parses `spec` into *w; returns 0 if it is not a workload the simulator
 * would take (or has more threads or bursts than this guest holds). */
int parse_workload(const char* spec, struct workload* w);

#endif
