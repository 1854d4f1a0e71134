/* threads.c -- the threads guest: N user-level threads of compute bursts
 * and blocking disk reads, run under one of three threading models
 * (Tanenbaum & van Steen 3.1), timed with the PV clock.
 *
 * Command line: MODEL TICK_US WORKLOAD, e.g. "async 10000 c5 b2 c3, c4 b1"
 * (words before MODEL, such as QEMU's kernel path, are skipped).
 *   sync   many-to-one on vCPU 0, blocking system calls: a read halts the
 *          vCPU until it completes, so the whole process waits (time = the
 *          sum of all bursts);
 *   async  many-to-one on vCPU 0: a read is submitted and the thread
 *          blocks; the scheduler runs another ready thread meanwhile
 *          (time = about the longest thread);
 *   smp    one-to-one: thread i on vCPU i mod CPUs; a read blocks only its
 *          own thread, and a vCPU with no ready thread halts until its
 *          completion comes.
 * A compute tick is a fixed number of work units, calibrated once on CPU 0
 * against the PV clock before the threads start. A block burst bN is N
 * reads of one sector, one after the other, each started when the previous
 * completes (the host runs with --disk-latency = one tick).
 *
 * Serial: "threads: MODEL, tick T us, N threads, cpus K", one line per
 * event (timeline.h), then "threads: MODEL, N threads, total U us, reads R"
 * (U = the time of the last event), and the debug exit with status 0. A
 * read that fails or returns the wrong sector: "threads: read of lba L:
 * status S", status 1. A command line it cannot take: the usage line
 * below, status 3. See guests/README.md, "The threads guest". */
#include "div64.h"
#include "entry.h"
#include "evtchn.h"
#include "io.h"
#include "ptv/portmap.h"
#include "pvclock.h"
#include "pvdisk.h"
#include "timeline.h"
#include "uart.h"
#include "uthread.h"
#include "workload.h"

enum model { SYNC, ASYNC, SMP };
static const char* const model_names[] = {"sync", "async", "smp"};

#define UNIT_LOOPS 64            /* one work unit: a short loop, then a poll */
#define CALIBRATION_NS 20000000u /* 20 ms of work units measured */
#define MIN_TICK_US 100
#define MAX_TICK_US 1000000

static enum model model;
static uint32_t tick_us, cpus_used;
static struct workload work;
static uint32_t units_per_tick;
static volatile uint32_t go, cpus_done, reads, failed_lba, failed_status, failures;

static union thread_stack {
    struct uthread t;
    uint8_t bytes[UTHREAD_STACK_SIZE];
} stacks[MAX_THREADS] __attribute__((aligned(UTHREAD_STACK_SIZE)));
static uint32_t buffers[MAX_THREADS][PTV_ATA_SECTOR_SIZE / 4];

/* A block burst in flight: the blocking system call "read N sectors". */
static struct block_call {
    struct pvdisk_request r;
    uint32_t left;      /* reads still to complete */
    uint32_t in_flight; /* r is on the rings */
    uint32_t last;      /* the thread's last burst: it is DONE when this ends */
} calls[MAX_THREADS];

/* ---- work ------------------------------------------------------------ */

/* One unit of computation. The poll takes completions and wakes threads
 * whose call is over: with no interrupts, a computing thread is where the
 * completions of the others are noticed (and their next reads started). */
static void work_unit(uint32_t cpu) {
    for (uint32_t i = UNIT_LOOPS; i; --i) __asm__ volatile("" : "+r"(i));
    uthread_poll(cpu);
}

static void compute(uint32_t ticks, uint32_t cpu) {
    for (uint32_t t = 0; t < ticks; ++t)
        for (uint32_t u = 0; u < units_per_tick; ++u) work_unit(cpu);
}

/* Work units per tick: count units over CALIBRATION_NS of the PV clock,
 * from one of its updates to another (on KVM it moves every millisecond). */
static void calibrate(void) {
    uint64_t before = pvclock_ns(), start, now;
    uint32_t units = 0;
    while ((start = pvclock_ns()) == before)
        ;
    do { /* the clock read once per 16 units, so it adds little to them */
        for (uint32_t i = 0; i < 16; ++i) work_unit(0);
        units += 16;
        now = pvclock_ns();
    } while (now - start < CALIBRATION_NS);
    units_per_tick = div_u64_u32((uint64_t)units * tick_us, ns_to_us(now - start));
    if (units_per_tick == 0) units_per_tick = 1;
}

/* ---- reads ----------------------------------------------------------- */

static uint32_t lba_of(uint32_t thread, uint32_t n) {
    return (thread * 256 + n) % PTV_PVDISK_SIM_SECTORS;
}

static uint32_t next_lba(uint32_t lba) {
    return (lba + 1) % PTV_PVDISK_SIM_SECTORS;
}

/* Counts a completed read and checks it: status OK and the built-in disk's
 * first word of that sector. */
static void read_done(struct pvdisk_request* r) {
    atomic_add(&reads, 1);
    uint32_t* words = r->buffer;
    if (r->status != PTV_PVBLK_S_OK || words[0] != PTV_PVDISK_SIM_WORD(r->lba, 0)) {
        failed_lba = r->lba;
        failed_status = r->status;
        atomic_add(&failures, 1);
    }
}

static void start_read(struct block_call* c) {
    ((uint32_t*)c->r.buffer)[0] = 0xffffffff; /* no stale sector passes */
    if (pvdisk_submit(&c->r))
        c->in_flight = 1; /* else the ring is full: tried again at the next poll */
}

/* The wait condition of a blocked thread (uthread_block): the call is over
 * when its last read completed. Each completion starts the next read, as a
 * kernel's completion handler would, without the thread running. */
static int block_call_over(struct uthread* t) {
    struct block_call* c = t->wait_arg;
    if (c->in_flight) {
        if (!c->r.done) return 0;
        barrier(); /* the status and the sector after `done`, not before */
        c->in_flight = 0;
        read_done(&c->r);
        if (--c->left == 0) return 1;
        c->r.lba = next_lba(c->r.lba);
    }
    start_read(c);
    return 0;
}

static void on_wake(struct uthread* t) {
    timeline_note(t->id, calls[t->id].last ? EV_DONE : EV_WAKE, t->cpu);
}

/* bN: N reads one after the other, the thread blocked throughout. */
static void block(uint32_t id, uint32_t n, uint32_t first_read, int last, uint32_t cpu) {
    struct block_call* c = &calls[id];
    c->r.lba = lba_of(id, first_read);
    c->r.buffer = buffers[id];
    c->r.cpu = cpu;
    c->left = n;
    c->in_flight = 0;
    c->last = (uint32_t)last;
    timeline_note(id, EV_BLOCK, cpu);
    if (model == SYNC) {
        /* A blocking system call in a many-to-one package: the vCPU itself
         * waits, so every thread of the process waits with it. */
        for (; c->left; --c->left, c->r.lba = next_lba(c->r.lba)) {
            ((uint32_t*)c->r.buffer)[0] = 0xffffffff;
            pvdisk_read(&c->r);
            read_done(&c->r);
        }
        on_wake(uthread_self());
        return;
    }
    start_read(c);
    uthread_block(block_call_over, c); /* on_wake notes the end */
}

/* ---- the threads ------------------------------------------------------ */

static void thread_main(void* arg) {
    uint32_t id = (uint32_t)arg, cpu = uthread_self()->cpu, reads_done = 0;
    timeline_note(id, EV_START, cpu);
    for (uint32_t b = 0; b < work.bursts[id]; ++b) {
        const struct burst* burst = &work.burst[id][b];
        int last = b + 1 == work.bursts[id];
        if (burst->kind == 'c') {
            compute(burst->ticks, cpu);
            if (last) timeline_note(id, EV_DONE, cpu);
        } else {
            block(id, burst->ticks, reads_done, last, cpu);
            reads_done += burst->ticks;
        }
    }
}

/* ---- the command line -------------------------------------------------- */

static int word_is(const char* s, const char* w) {
    while (*w && *s == *w) ++s, ++w;
    return *w == '\0' && (*s == ' ' || *s == '\0');
}

static int parse_args(const char* s) {
    for (;;) { /* MODEL: the first word that names one */
        while (*s == ' ') ++s;
        if (*s == '\0') return 0;
        int found = 0;
        for (int m = SYNC; m <= SMP; ++m)
            if (word_is(s, model_names[m])) {
                model = (enum model)m;
                found = 1;
            }
        while (*s && *s != ' ') ++s;
        if (found) break;
    }
    while (*s == ' ') ++s;
    tick_us = 0;
    if (*s < '0' || *s > '9') return 0;
    while (*s >= '0' && *s <= '9') {
        tick_us = tick_us * 10 + (uint32_t)(*s++ - '0');
        if (tick_us > MAX_TICK_US) return 0;
    }
    if (tick_us < MIN_TICK_US || *s != ' ') return 0;
    return parse_workload(s, &work);
}

/* ---- the vCPUs --------------------------------------------------------- */

void guest_main(uint32_t cpu, uint32_t cpus) {
    uart_init();
    if (!parse_args(boot_cmdline())) {
        uart_puts(
            "threads: give MODEL TICK_US WORKLOAD: MODEL sync, async or smp, TICK_US 100 "
            "to 1000000, WORKLOAD as ptv threads sim's, at most 16 threads of 32 "
            "bursts\n");
        debug_exit(3);
    }
    if (cpus < 1 || cpus > PTV_MAX_VCPUS) cpus = 1;
    cpus_used = model == SMP ? cpus : 1;
    evtchn_bind();
    pvclock_init();
    pvdisk_init();
    uthread_on_wake = on_wake;
    calibrate();
    for (uint32_t i = 0; i < work.threads; ++i)
        uthread_create(&stacks[i], i, i % cpus_used, thread_main, (void*)i);

    uart_puts("threads: ");
    uart_puts(model_names[model]);
    uart_puts(", tick ");
    uart_put_dec(tick_us);
    uart_puts(" us, ");
    uart_put_dec(work.threads);
    uart_puts(" threads, cpus ");
    uart_put_dec(cpus_used);
    uart_putc('\n');

    timeline_start();
    barrier();
    go = 1; /* the other vCPUs start their schedulers */
    uthread_run(cpu);
    atomic_add(&cpus_done, 1);
    while (cpus_done < cpus) /* every vCPU's threads are done */
        cpu_relax();

    uint32_t total = timeline_print();
    if (failures) {
        uart_puts("threads: read of lba ");
        uart_put_dec(failed_lba);
        uart_puts(": status ");
        uart_put_dec(failed_status);
        uart_putc('\n');
        debug_exit(1);
    }
    uart_puts("threads: ");
    uart_puts(model_names[model]);
    uart_puts(", ");
    uart_put_dec(work.threads);
    uart_puts(" threads, total ");
    uart_put_dec(total);
    uart_puts(" us, reads ");
    uart_put_dec(reads);
    uart_putc('\n');
    debug_exit(0);
}

void ap_main(uint32_t cpu) {
    while (!go) cpu_relax();
    uthread_run(cpu); /* returns at once on a vCPU with no threads */
    atomic_add(&cpus_done, 1);
}
