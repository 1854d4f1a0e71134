; fault-mmio-spray.asm -- a guest that writes to MMIO no device claims.
;
; One 32-bit store to the first word of each of 64 pages from 0xe0000000:
; neither RAM nor any ptvlab device. Each store is a KVM_EXIT_MMIO that the
; worker must refuse cleanly (report it, ignore or stop), never crash on.
; Serial: "fault-mmio-spray: writing all over MMIO space\n" (46 bytes)
; Exits on ptvlab: port I/O = 7 + 2 * 46 = 99, then MMIO = 64 (if the worker
; lets the guest go on after each), then hlt = 1.

%include "multiboot.inc"
        MULTIBOOT_IMAGE _start

%define SPRAY_BASE 0xe0000000           ; unclaimed, below the 4 GiB line
%define SPRAY_PAGES 64
%define PAGE_SIZE 0x1000

_start:
        mov esp, guest_stack_top
        call uart_init
        mov esi, msg
        call uart_puts
        mov edi, SPRAY_BASE
        mov ecx, SPRAY_PAGES
        mov eax, 0xdeadbeef
.spray: mov [edi], eax                  ; one MMIO exit each
        add edi, PAGE_SIZE
        loop .spray
.halt:  cli
        hlt                             ; the VM is done
        jmp .halt

msg:    db `fault-mmio-spray: writing all over MMIO space\n`, 0

%include "uart.inc"
