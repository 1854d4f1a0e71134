/* workload.c -- parses the workload with the simulator's rules
 * (sim/threads/sim/README.md, "Workload"): every thread has a burst and
 * starts with a compute burst, two blocks never follow each other, N is 1
 * to 1,000,000; spaces between bursts are optional. */
#include "workload.h"

static int blank(char c) {
    return c == ' ' || c == '\t';
}

int parse_workload(const char* s, struct workload* w) {
    w->threads = 0;
    for (;;) {
        if (w->threads == MAX_THREADS) return 0;
        uint32_t t = w->threads++, n = 0;
        for (;;) {
            while (blank(*s)) ++s;
            if (*s != 'c' && *s != 'b') break;
            char kind = *s++;
            if (*s < '0' || *s > '9') return 0;
            uint32_t ticks = 0;
            while (*s >= '0' && *s <= '9') {
                ticks = ticks * 10 + (uint32_t)(*s++ - '0');
                if (ticks > MAX_BURST_TICKS) return 0;
            }
            if (ticks == 0 || n == MAX_BURSTS) return 0;
            if (kind == 'b' && (n == 0 || w->burst[t][n - 1].kind == 'b'))
                return 0; /* a thread must run to block, and blocks are joined */
            w->burst[t][n].kind = kind;
            w->burst[t][n].ticks = ticks;
            ++n;
        }
        if (n == 0 || w->burst[t][0].kind != 'c') return 0;
        w->bursts[t] = n;
        if (*s == ',' || *s == ';') {
            ++s;
            continue;
        }
        return *s == '\0';
    }
}
