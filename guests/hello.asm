; hello.asm -- the smallest useful guest: program the UART, print one line.
;
; Shows: a multiboot v1 image booting, and what a trap-and-emulate device
; costs: every UART register access is a VM exit.
; Serial: "Hello from a ptvlab guest!\n" (27 bytes)
; Exits on ptvlab: port I/O = 7 (uart_init) + 2 * 27 (LSR poll + THR write
; per byte) = 61, then hlt = 1 (cli; hlt: the VM is done).

%include "multiboot.inc"
        MULTIBOOT_IMAGE _start
%include "hello_msg.inc"

_start:
        mov esp, guest_stack_top
        call uart_init
        mov esi, msg
        call uart_puts
.halt:  cli
        hlt                             ; the VM is done
        jmp .halt

msg:    db HELLO_MSG, 0

%include "uart.inc"
