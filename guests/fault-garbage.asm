; fault-garbage.asm -- a guest that jumps into bytes no x86 CPU decodes.
;
; 0F 04, 0F 0A, 0F 0C and 0F 36 are blank in the Intel and AMD opcode maps
; (ndisasm -b32 shows "db 0x0f", objdump "(bad)"): the first raises #UD. KVM
; intercepts #UD, tries to emulate the instruction, cannot decode it and
; injects the #UD; with an empty IDT that cannot be delivered either, and the
; guest ends in a triple fault (shutdown).
; Serial: "fault-garbage: jumping into garbage\n" (36 bytes)
; Exits on ptvlab: port I/O = 7 + 2 * 36 = 79, then shutdown = 1. On hosts
; where KVM runs this non-paged guest through its instruction emulator
; (kvm_pvm, for one) the failed decode is KVM_EXIT_INTERNAL_ERROR (suberror
; KVM_INTERNAL_ERROR_EMULATION) instead: also a guest fault.

%include "multiboot.inc"
        MULTIBOOT_IMAGE _start

_start:
        mov esp, guest_stack_top
        call uart_init
        mov esi, msg
        call uart_puts
        lidt [empty_idt]                ; the loader may have left a usable IDT
        jmp garbage

msg:    db `fault-garbage: jumping into garbage\n`, 0
        align 4
        dw 0
empty_idt:
        dw 0
        dd 0

garbage:                                ; undefined opcodes, not instructions
        db 0x0f, 0x04, 0x0f, 0x0a, 0x0f, 0x0c, 0x0f, 0x36

%include "uart.inc"
