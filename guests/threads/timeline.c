/* timeline.c -- one log for every vCPU, in the order the events happened:
 * the spinlock serialises the notes, so the log's order is their order. */
#include "timeline.h"

#include "pvclock.h"
#include "spinlock.h"
#include "uart.h"
#include "workload.h"

#define MAX_EVENTS (MAX_THREADS * (2 * MAX_BURSTS + 2))

static struct event {
    uint32_t t_us;
    uint8_t thread, kind, cpu;
} events[MAX_EVENTS];
static uint32_t count;
static spinlock_t lock;
static uint64_t t0;

void timeline_start(void) {
    t0 = pvclock_ns();
}

uint32_t timeline_now_us(void) {
    return ns_to_us(pvclock_ns() - t0);
}

void timeline_note(uint32_t thread, enum event_kind kind, uint32_t cpu) {
    spin_lock(&lock);
    if (count < MAX_EVENTS) {
        events[count].t_us = timeline_now_us();
        events[count].thread = (uint8_t)thread;
        events[count].kind = (uint8_t)kind;
        events[count].cpu = (uint8_t)cpu;
        ++count;
    }
    spin_unlock(&lock);
}

uint32_t timeline_print(void) {
    static const char* const names[] = {"start", "block", "wake", "done"};
    uint32_t last = 0;
    for (uint32_t i = 0; i < count; ++i) {
        uart_puts("t=");
        uart_put_dec(events[i].t_us);
        uart_puts(" thread ");
        uart_put_dec(events[i].thread);
        uart_putc(' ');
        uart_puts(names[events[i].kind]);
        uart_puts(" cpu ");
        uart_put_dec(events[i].cpu);
        uart_putc('\n');
        last = events[i].t_us;
    }
    return last;
}
