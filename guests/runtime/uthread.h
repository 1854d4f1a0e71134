/* uthread.h -- cooperative user-level threads (Tanenbaum & van Steen 3.1):
 * threads with stacks of their own, switched by the thread package itself
 * with no help from the kernel. Each vCPU has its own run queue (FIFO) of
 * the threads placed on it: all of them on one vCPU is many-to-one; one
 * thread per vCPU is one-to-one.
 *
 * A thread runs until it yields, blocks or returns (no preemption). A
 * blocking system call built on uthread_block() switches to the next ready
 * thread of the run queue; with none ready, the vCPU halts until the host
 * posts an event for it. */
#ifndef PTV_RT_UTHREAD_H
#define PTV_RT_UTHREAD_H

#include <stdint.h>

#define UTHREAD_STACK_SIZE 4096 /* the thread's descriptor sits at its bottom */

enum uthread_state { UTHREAD_READY, UTHREAD_RUNNING, UTHREAD_BLOCKED, UTHREAD_DONE };

struct uthread;
/* A blocked thread's wait condition: true when it may run again. Called by
 * its vCPU's scheduler after new completions were taken (pvdisk_poll). */
typedef int (*uthread_wait_fn)(struct uthread* t);

struct uthread {
    uint32_t esp; /* saved stack pointer: the rest of the context is on the stack */
    uint32_t id;
    uint32_t cpu;
    enum uthread_state state;
    struct uthread* next; /* in the run queue or the blocked list */
    void (*fn)(void* arg);
    void* arg;
    uthread_wait_fn wait;
    void* wait_arg; /* the blocking call's own state */
};

/* Makes a thread that will run fn(arg) on vCPU `cpu`, at the tail of that
 * vCPU's run queue. `stack` is UTHREAD_STACK_SIZE bytes aligned to its
 * size. Call before uthread_run() on that vCPU starts. */
struct uthread* uthread_create(void* stack, uint32_t id, uint32_t cpu, void (*fn)(void*),
                               void* arg);
/* The calling thread (its descriptor is at the bottom of its stack). */
struct uthread* uthread_self(void);
/* To the back of the run queue; the next ready thread runs. */
void uthread_yield(void);
/* Blocks the calling thread until wait(self) is true; other threads of the
 * run queue run meanwhile. Checked only after the thread has left the CPU:
 * it always goes to the back of the run queue. */
void uthread_block(uthread_wait_fn wait, void* wait_arg);
/* Takes completions and moves every thread of vCPU `cpu` whose wait is
 * over to its run queue. A long computation calls it now and then: there
 * are no interrupts to do it (guests/README.md, "The C runtime"). */
void uthread_poll(uint32_t cpu);
/* The scheduler of vCPU `cpu`: runs its threads until all are DONE. */
void uthread_run(uint32_t cpu);

/* The blocking system call of a user-level thread: submits the read and
 * blocks until it completes, while the other threads run. Returns its
 * status (PTV_PVBLK_S_*). */
struct pvdisk_request;
uint32_t uthread_read(struct pvdisk_request* r);

/* Called (if set) when a blocked thread's wait is over, before it joins
 * the run queue: the guest's place to note the time. */
extern void (*uthread_on_wake)(struct uthread* t);

/* The context switch (switch.S): saves the callee-saved registers on the
 * current stack and its ESP in *save, loads ESP = next and pops them. */
void uthread_switch(uint32_t* save, uint32_t next);

#endif
