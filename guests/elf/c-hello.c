/* c-hello.c -- a freestanding C guest: no libc, no runtime, just the CPU.
 *
 * Built as ELF32 (gcc -m32 -ffreestanding -nostdlib, ld -T link.ld). Its
 * multiboot header (no a.out-kludge bit) is the array below; _start, in a
 * few lines of top-level asm, sets up a stack and calls guest_main. The UART is
 * driven by polling, through inline-asm inb/outb.
 * Serial: "Hello from a C guest!\n" (22 bytes)
 * Exits on ptvlab: port I/O = 7 + 2 * 22 = 51, hlt = 1.
 */
#include <linux/serial_reg.h> /* UART_* register names: plain #defines */

#include "ptv/portmap.h"

#define MB_FLAG_MEMINFO (1u << 1)
#define MB_FLAGS MB_FLAG_MEMINFO /* no PTV_MULTIBOOT_AOUT_KLUDGE */

__attribute__((section(".multiboot"), used, aligned(4))) static const unsigned int multiboot_header[3] = {
    PTV_MULTIBOOT_HEADER_MAGIC,
    MB_FLAGS,
    -(PTV_MULTIBOOT_HEADER_MAGIC + MB_FLAGS),
};

void guest_main(void);

/* The entry, in a few lines of asm: our own stack first, then C. */
__asm__(".pushsection .bss\n"
        ".balign 16\n"
        "stack: .skip 4096\n"
        "stack_top:\n"
        ".popsection\n"
        ".pushsection .text.start, \"ax\"\n"
        ".global _start\n"
        "_start:\n"
        "  mov $stack_top, %esp\n"
        "  call guest_main\n"
        "1:\n"
        "  cli\n"
        "  hlt\n"
        "  jmp 1b\n"
        ".popsection\n");

static inline void outb(unsigned short port, unsigned char value)
{
    __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline unsigned char inb(unsigned short port)
{
    unsigned char value;
    __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

/* Same 7 writes, same order as guests/include/uart.inc. */
static void uart_init(void)
{
    outb(PTV_COM1_BASE + UART_IER, 0);
    outb(PTV_COM1_BASE + UART_LCR, UART_LCR_DLAB);
    outb(PTV_COM1_BASE + UART_DLL, 1);
    outb(PTV_COM1_BASE + UART_DLM, 0);
    outb(PTV_COM1_BASE + UART_LCR, UART_LCR_WLEN8);
    outb(PTV_COM1_BASE + UART_FCR,
         UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT | UART_FCR_TRIGGER_14);
    outb(PTV_COM1_BASE + UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
}

static void uart_putc(char c)
{
    while (!(inb(PTV_COM1_BASE + UART_LSR) & UART_LSR_THRE))
        ;
    outb(PTV_COM1_BASE + UART_TX, (unsigned char)c);
}

static void uart_puts(const char *s)
{
    while (*s)
        uart_putc(*s++);
}

void guest_main(void)
{
    uart_init();
    uart_puts("Hello from a C guest!\n");
    /* back to _start: cli; hlt */
}
