/* uart.h -- the serial console (COM1, polled) and the debug-exit port. */
#ifndef PTV_RT_UART_H
#define PTV_RT_UART_H

#include <stdint.h>

void uart_init(void);
void uart_putc(char c);
void uart_puts(const char* s);
void uart_put_dec(uint32_t n);
void uart_put_hex(uint32_t n); /* 0x and 8 digits */

/* Ends the VM with `status` (PTV_DEBUG_EXIT_PORT); does not return. */
__attribute__((noreturn)) void debug_exit(uint8_t status);

#endif
