/* entry.h -- what a C guest built on this runtime defines, and what the
 * entry (entry.c) hands it. */
#ifndef PTV_RT_ENTRY_H
#define PTV_RT_ENTRY_H

#include <stdint.h>

/* Defined by the guest. guest_main runs on CPU 0 (the boot CPU), ap_main
 * on every application processor; when one returns, its vCPU stops. */
void guest_main(uint32_t cpu, uint32_t cpus);
void ap_main(uint32_t cpu);

/* The multiboot command line ("" when there is none). */
const char* boot_cmdline(void);

#endif
