/* uthreads.c -- the C runtime's user-level threads at their simplest: three
 * threads on one vCPU, scheduled many-to-one by the runtime alone.
 *
 * Threads 0 and 1 each print three steps and give the CPU away after each
 * with uthread_yield(), so they alternate in the order of the run queue.
 * Thread 2 makes three blocking reads (uthread_read(): submit, and switch
 * to the next ready thread until the completion comes) of LBA 100, 101,
 * 102 of the built-in disk, and checks the first word of each. Nothing
 * here reads the time, so the output is the same wherever it runs. With
 * the disk served inside the doorbell's exit (the CPU model, or KVM with
 * --dispatch inline and no latency) a read is complete when the thread
 * blocks, and the thread only goes to the back of the run queue:
 *
 *   uthreads: thread 0 step 0        uthreads: thread 0 step 2
 *   uthreads: thread 1 step 0        uthreads: thread 1 step 2
 *   uthreads: thread 0 step 1        uthreads: thread 2 read lba 101 ok
 *   uthreads: thread 1 step 1        uthreads: thread 2 read lba 102 ok
 *   uthreads: thread 2 read lba 100 ok
 *   uthreads: 3 threads done, 3 reads
 *
 * then the debug exit, status 0 (a read that fails prints "... failed" and
 * ends with status 1). See guests/README.md, "The C runtime". */
#include <stdint.h>

#include "entry.h"
#include "evtchn.h"
#include "ptv/portmap.h"
#include "pvdisk.h"
#include "uart.h"
#include "uthread.h"

#define THREADS 3
#define STEPS 3

static union thread_stack {
    struct uthread t;
    uint8_t bytes[UTHREAD_STACK_SIZE];
} stacks[THREADS] __attribute__((aligned(UTHREAD_STACK_SIZE)));
static uint32_t sector[PTV_ATA_SECTOR_SIZE / 4];
static uint32_t reads, failures;

static void say(uint32_t thread, const char* what, uint32_t n, const char* after) {
    uart_puts("uthreads: thread ");
    uart_put_dec(thread);
    uart_puts(what);
    uart_put_dec(n);
    uart_puts(after);
}

static void stepper(void* arg) {
    for (uint32_t step = 0; step < STEPS; ++step) {
        say((uint32_t)arg, " step ", step, "\n");
        uthread_yield();
    }
}

static void reader(void* arg) {
    struct pvdisk_request r = {.buffer = sector, .cpu = 0};
    for (uint32_t i = 0; i < STEPS; ++i) {
        r.lba = 100 + i;
        sector[0] = 0xffffffff;
        const int ok =
            uthread_read(&r) == PTV_PVBLK_S_OK && sector[0] == PTV_PVDISK_SIM_WORD(r.lba, 0);
        say((uint32_t)arg, " read lba ", r.lba, ok ? " ok\n" : " failed\n");
        ++reads;
        failures += !ok;
    }
}

void guest_main(uint32_t cpu, uint32_t cpus) {
    (void)cpus;
    uart_init();
    evtchn_bind();
    pvdisk_init();
    uthread_create(&stacks[0], 0, cpu, stepper, (void*)0);
    uthread_create(&stacks[1], 1, cpu, stepper, (void*)1);
    uthread_create(&stacks[2], 2, cpu, reader, (void*)2);
    uthread_run(cpu);
    uart_puts("uthreads: 3 threads done, ");
    uart_put_dec(reads);
    uart_puts(" reads\n");
    debug_exit(failures ? 1 : 0);
}

void ap_main(uint32_t cpu) {
    (void)cpu; /* one vCPU is enough here: the others stop */
}
