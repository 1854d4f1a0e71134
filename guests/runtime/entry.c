/* entry.c -- where every vCPU starts: the multiboot header and _start.
 *
 * The loader starts every vCPU at the entry in 32-bit protected mode, each
 * on a stack of its own (include/ptv/portmap.h, "Several vCPUs"): EDI = the
 * CPU number, ESI = the number of CPUs, and EAX = the multiboot magic on
 * the boot CPU (EBX = the multiboot information) or PTV_AP_BOOT_MAGIC on an
 * application processor. _start keeps that stack and calls
 *     guest_main(cpu, cpus)   on CPU 0, after saving the multiboot info;
 *     ap_main(cpu)            on the others;
 * and when either returns, stops the vCPU with "cli; hlt".
 */
#include "entry.h"

#include "ptv/portmap.h"

#define MB_FLAG_MEMINFO (1u << 1)
#define MB_FLAGS MB_FLAG_MEMINFO /* no a.out kludge: placed by ELF headers */
#define MB_INFO_FLAG_CMDLINE (1u << 2)
#define MB_INFO_OFF_CMDLINE 16

__attribute__((section(".multiboot"), used,
               aligned(4))) static const uint32_t multiboot_header[3] = {
    PTV_MULTIBOOT_HEADER_MAGIC,
    MB_FLAGS,
    -(PTV_MULTIBOOT_HEADER_MAGIC + MB_FLAGS),
};

const uint32_t* boot_info; /* set by _start on CPU 0 */

#define STR(x) #x
#define XSTR(x) STR(x)

__asm__(".pushsection .text.start, \"ax\"\n"
        ".global _start\n"
        "_start:\n"
        "  cmp $" XSTR(PTV_AP_BOOT_MAGIC) ", %eax\n"
        "  je 1f\n"
        "  mov %ebx, boot_info\n"
        "  push %esi\n"
        "  push %edi\n"
        "  call guest_main\n"
        "  jmp 2f\n"
        "1:\n"
        "  push %edi\n"
        "  call ap_main\n"
        "2:\n"
        "  cli\n"
        "  hlt\n"
        "  jmp 2b\n"
        ".popsection\n");

const char* boot_cmdline(void) {
    if (!boot_info || !(boot_info[0] & MB_INFO_FLAG_CMDLINE)) return "";
    const char* s = (const char*)boot_info[MB_INFO_OFF_CMDLINE / 4];
    return s ? s : "";
}
