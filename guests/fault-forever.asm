; fault-forever.asm -- a guest that never stops and never exits.
;
; "jmp $" spins inside the guest: no VM exit at all, so only a timeout (or a
; signal kicking the vCPU out of KVM_RUN) can stop it. ptvlab must.
; Serial: "fault-forever: spinning\n" (24 bytes)
; Exits on ptvlab: port I/O = 7 + 2 * 24 = 55, then none until it is stopped.

%include "multiboot.inc"
        MULTIBOOT_IMAGE _start

_start:
        mov esp, guest_stack_top
        call uart_init
        mov esi, msg
        call uart_puts
        cli
        jmp $                           ; forever

msg:    db `fault-forever: spinning\n`, 0

%include "uart.inc"
