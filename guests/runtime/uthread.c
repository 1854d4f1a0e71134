/* uthread.c -- the user-level thread package: per-vCPU run queues, the
 * blocked list, and the scheduler loop that is each vCPU's idle context.
 *
 * A thread never switches straight to another: it switches to its vCPU's
 * scheduler (the context of uthread_run, on the vCPU's boot stack), which
 * picks the head of the run queue. Two switches per hand-over keep the
 * decision in one place. */
#include "uthread.h"

#include "evtchn.h"
#include "io.h"
#include "ptv/portmap.h"
#include "pvdisk.h"

/* Per-CPU data: each vCPU's scheduler, indexed by CPU number. Only that
 * vCPU touches it once its threads run (threads never move). */
static struct cpu_sched {
    uint32_t sched_esp;                    /* the scheduler's context */
    struct uthread *runq_head, *runq_tail; /* the run queue, FIFO */
    struct uthread* blocked;               /* in a blocking call, in the order they blocked */
    uint32_t live;                         /* threads not DONE */
} percpu[PTV_MAX_VCPUS];

void (*uthread_on_wake)(struct uthread* t);

static void runq_push(struct cpu_sched* c, struct uthread* t) {
    t->next = 0;
    if (c->runq_tail)
        c->runq_tail->next = t;
    else
        c->runq_head = t;
    c->runq_tail = t;
}

static struct uthread* runq_pop(struct cpu_sched* c) {
    struct uthread* t = c->runq_head;
    if (t) {
        c->runq_head = t->next;
        if (!c->runq_head) c->runq_tail = 0;
    }
    return t;
}

struct uthread* uthread_self(void) {
    uint32_t esp;
    __asm__("mov %%esp, %0" : "=r"(esp));
    return (struct uthread*)(esp & ~(uint32_t)(UTHREAD_STACK_SIZE - 1));
}

/* Back to the scheduler; returns when the scheduler picks this thread. */
static void to_scheduler(struct uthread* t) {
    uthread_switch(&t->esp, percpu[t->cpu].sched_esp);
}

static void uthread_exit(void) {
    struct uthread* t = uthread_self();
    t->state = UTHREAD_DONE;
    --percpu[t->cpu].live;
    to_scheduler(t); /* never picked again */
}

/* A new thread's first instructions: the switch "returns" here. */
static void uthread_start(void) {
    struct uthread* t = uthread_self();
    t->fn(t->arg);
    uthread_exit();
}

struct uthread* uthread_create(void* stack, uint32_t id, uint32_t cpu, void (*fn)(void*),
                               void* arg) {
    struct uthread* t = stack;
    uint32_t* top = (uint32_t*)((uint8_t*)stack + UTHREAD_STACK_SIZE);
    /* The frame uthread_switch pops: EDI, ESI, EBX, EBP, then the return
     * address; one word above it keeps the ABI's stack alignment. */
    top[-2] = (uint32_t)uthread_start;
    top[-3] = top[-4] = top[-5] = top[-6] = 0;
    t->esp = (uint32_t)&top[-6];
    t->id = id;
    t->cpu = cpu;
    t->fn = fn;
    t->arg = arg;
    t->wait = 0;
    t->state = UTHREAD_READY;
    ++percpu[cpu].live;
    runq_push(&percpu[cpu], t);
    return t;
}

void uthread_yield(void) {
    struct uthread* t = uthread_self();
    t->state = UTHREAD_READY;
    runq_push(&percpu[t->cpu], t);
    to_scheduler(t);
}

void uthread_block(uthread_wait_fn wait, void* wait_arg) {
    struct uthread* t = uthread_self();
    struct cpu_sched* c = &percpu[t->cpu];
    t->wait = wait;
    t->wait_arg = wait_arg;
    t->state = UTHREAD_BLOCKED;
    t->next = 0;
    struct uthread** p = &c->blocked;
    while (*p) p = &(*p)->next;
    *p = t;
    to_scheduler(t);
}

void uthread_poll(uint32_t cpu) {
    struct cpu_sched* c = &percpu[cpu];
    pvdisk_poll();
    for (struct uthread** p = &c->blocked; *p;) {
        struct uthread* t = *p;
        if (!t->wait(t)) {
            p = &t->next;
            continue;
        }
        *p = t->next;
        if (uthread_on_wake) uthread_on_wake(t);
        t->state = UTHREAD_READY;
        runq_push(c, t);
    }
}

void uthread_run(uint32_t cpu) {
    struct cpu_sched* c = &percpu[cpu];
    for (;;) {
        uthread_poll(cpu);
        struct uthread* t = runq_pop(c);
        if (t) {
            t->state = UTHREAD_RUNNING;
            uthread_switch(&c->sched_esp, t->esp);
            continue;
        }
        if (!c->live) return;
        evtchn_block(cpu); /* nothing ready: halt until an event comes */
    }
}

static int request_done(struct uthread* t) {
    return ((struct pvdisk_request*)t->wait_arg)->done;
}

uint32_t uthread_read(struct pvdisk_request* r) {
    while (!pvdisk_submit(r)) /* the ring is full: let completions drain */
        uthread_yield();
    uthread_block(request_done, r);
    barrier(); /* the status and the sector after `done`, not before */
    return r->status;
}
