; fault-triple.asm -- a guest that triple-faults on purpose.
;
; With an IDT of limit 0 no vector can be delivered: ud2 -> #UD, whose gate
; lies beyond the limit -> #GP, same -> #DF, same -> triple fault, which the
; CPU turns into a shutdown. KVM reports KVM_EXIT_SHUTDOWN; ptvlab must
; report a guest fault, not crash (QEMU -no-reboot just ends).
; Why ud2 and not int3: on hosts where KVM runs this non-paged guest through
; its instruction emulator (kvm_pvm, for one), INT n is not emulated in
; protected mode and int3 ends in KVM_EXIT_INTERNAL_ERROR instead.
; Serial: "fault-triple: empty IDT, then ud2\n" (34 bytes)
; Exits on ptvlab: port I/O = 7 + 2 * 34 = 75, then shutdown = 1.

%include "multiboot.inc"
        MULTIBOOT_IMAGE _start

_start:
        mov esp, guest_stack_top
        call uart_init
        mov esi, msg
        call uart_puts
        lidt [empty_idt]
        ud2                             ; #UD -> #GP -> #DF -> triple fault
.halt:  cli                             ; never reached
        hlt
        jmp .halt

msg:    db `fault-triple: empty IDT, then ud2\n`, 0
        align 4
        dw 0
empty_idt:
        dw 0                            ; limit 0: not even one gate
        dd 0                            ; base

%include "uart.inc"
