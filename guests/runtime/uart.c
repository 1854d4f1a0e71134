/* uart.c -- the 16550 UART of COM1, driven by polling: each byte waits for
 * an empty transmitter (one IN of LSR), then one OUT of THR. */
#include "uart.h"

#include <linux/serial_reg.h> /* UART_* register names: plain #defines */

#include "io.h"
#include "ptv/portmap.h"

/* The same 7 writes, in the same order, as guests/include/uart.inc. */
void uart_init(void) {
    outb(PTV_COM1_BASE + UART_IER, 0);
    outb(PTV_COM1_BASE + UART_LCR, UART_LCR_DLAB);
    outb(PTV_COM1_BASE + UART_DLL, 1);
    outb(PTV_COM1_BASE + UART_DLM, 0);
    outb(PTV_COM1_BASE + UART_LCR, UART_LCR_WLEN8);
    outb(PTV_COM1_BASE + UART_FCR,
         UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT | UART_FCR_TRIGGER_14);
    outb(PTV_COM1_BASE + UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
}

void uart_putc(char c) {
    while (!(inb(PTV_COM1_BASE + UART_LSR) & UART_LSR_THRE))
        ;
    outb(PTV_COM1_BASE + UART_TX, (uint8_t)c);
}

void uart_puts(const char* s) {
    while (*s) uart_putc(*s++);
}

void uart_put_dec(uint32_t n) {
    char digits[10];
    int i = 0;
    do {
        digits[i++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    while (i) uart_putc(digits[--i]);
}

void uart_put_hex(uint32_t n) {
    uart_puts("0x");
    for (int shift = 28; shift >= 0; shift -= 4) uart_putc("0123456789abcdef"[(n >> shift) & 0xf]);
}

void debug_exit(uint8_t status) {
    outb(PTV_DEBUG_EXIT_PORT, status);
    for (;;) {
        cli();
        __asm__ volatile("hlt");
    }
}
