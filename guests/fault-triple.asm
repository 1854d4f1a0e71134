; fault-triple.asm -- a guest that triple-faults on purpose.
;
; With an IDT of limit 0 no vector can be delivered: div by zero -> #DE,
; whose gate lies beyond the limit -> #GP, same -> #DF, same -> triple
; fault, which the CPU turns into a shutdown. KVM reports KVM_EXIT_SHUTDOWN
; with RIP still at the faulting div; ptvlab must report a guest fault, not
; crash (QEMU -no-reboot just ends).
; Why a divide error and not int3 or ud2: #DE is a fault (RIP stays on the
; instruction) from a perfectly valid instruction, so the report names a
; triple fault, not an invalid opcode (fault-garbage shows that one); and
; on hosts where KVM runs this non-paged guest through its instruction
; emulator (kvm_pvm, for one), INT n is not emulated in protected mode.
; Serial: "fault-triple: empty IDT, then div 0\n" (36 bytes)
; Exits on ptvlab: port I/O = 7 + 2 * 36 = 79, then shutdown = 1.

%include "multiboot.inc"
        MULTIBOOT_IMAGE _start

_start:
        mov esp, guest_stack_top
        call uart_init
        mov esi, msg
        call uart_puts
        lidt [empty_idt]
        xor ecx, ecx
        xor edx, edx
        div ecx                         ; #DE -> #GP -> #DF -> triple fault
.halt:  cli                             ; never reached
        hlt
        jmp .halt

msg:    db `fault-triple: empty IDT, then div 0\n`, 0
        align 4
        dw 0
empty_idt:
        dw 0                            ; limit 0: not even one gate
        dd 0                            ; base

%include "uart.inc"
