; elf-hello.asm -- an ELF32 multiboot kernel, linked by ld with link.ld.
;
; Unlike the flat guests its header has no a.out-kludge bit (bit 16): it
; carries only magic, flags and checksum, and the loader must place the image
; from the ELF program headers and jump to e_entry.
; Serial: "Hello from an ELF guest!\n" (25 bytes)
; Exits on ptvlab: port I/O = 7 + 2 * 25 = 57, hlt = 1.

%include "portmap.inc"

%define MB_FLAG_MEMINFO (1 << 1)
%define MB_FLAGS MB_FLAG_MEMINFO        ; no PTV_MULTIBOOT_AOUT_KLUDGE

        bits 32
        section .multiboot progbits alloc noexec nowrite align=4
        dd PTV_MULTIBOOT_HEADER_MAGIC
        dd MB_FLAGS
        dd -(PTV_MULTIBOOT_HEADER_MAGIC + MB_FLAGS)

        section .text
        global _start
_start:
        mov esp, stack_top
        call uart_init
        mov esi, msg
        call uart_puts
.halt:  cli
        hlt                             ; the VM is done
        jmp .halt

%include "uart.inc"

        section .rodata
msg:    db `Hello from an ELF guest!\n`, 0

        section .bss nobits alloc noexec write align=16
        resb 4096
stack_top:
