/* io.h -- the few instructions a C guest cannot write in C: port I/O, the
 * interrupt flag, HLT, PAUSE, and a compiler barrier. */
#ifndef PTV_RT_IO_H
#define PTV_RT_IO_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t value) {
    __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t inb(uint16_t port) {
    uint8_t value;
    __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

/* A 32-bit OUT: how the PV devices take an address or ring a doorbell. */
static inline void outl(uint16_t port, uint32_t value) {
    __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port));
}

/* Keeps the compiler from moving memory accesses across it. x86 keeps
 * stores in order and loads in order (TSO), so between the guest and the
 * host's rings nothing more is needed. */
static inline void barrier(void) {
    __asm__ volatile("" : : : "memory");
}

/* The spin-wait hint: a spinning vCPU tells the host it is spinning. */
static inline void cpu_relax(void) {
    __asm__ volatile("pause" : : : "memory");
}

static inline void cli(void) {
    __asm__ volatile("cli" : : : "memory");
}

static inline void sti(void) {
    __asm__ volatile("sti" : : : "memory");
}

/* STI takes effect after the next instruction, so nothing comes between
 * the two: the vCPU halts with interrupts on, which the host takes as
 * "block until an event is pending for me". */
static inline void sti_hlt(void) {
    __asm__ volatile("sti; hlt" : : : "memory");
}

/* Atomically swaps *p and v (XCHG with memory is always locked). */
static inline uint32_t xchg(volatile uint32_t* p, uint32_t v) {
    __asm__ volatile("xchgl %0, %1" : "+r"(v), "+m"(*p) : : "memory");
    return v;
}

/* Atomically adds v to *p. */
static inline void atomic_add(volatile uint32_t* p, uint32_t v) {
    __asm__ volatile("lock addl %1, %0" : "+m"(*p) : "ir"(v) : "memory");
}

#endif
