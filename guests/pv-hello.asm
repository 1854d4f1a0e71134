; pv-hello.asm -- the same line twice: through the UART, then through the
; para-virtualized console, to compare their cost.
;
; The PV console (layout in ptv/portmap.h) is a ring in guest memory: the
; guest fills it and hands its address over with ONE 32-bit OUT to the
; doorbell; the device consumes the bytes synchronously during that exit and
; moves tail up to head. One exit for the whole message, against two a byte.
; Serial: "Hello from a ptvlab guest!\n" twice (UART, then PV console)
; Exits on ptvlab: port I/O = 7 + 2 * 27 + 1 (doorbell) = 62, hlt = 1.
; If the device left tail != head: debug exit with status 1 instead of hlt
; (also what happens under QEMU, which has no PV console: it exits with 3).

%include "multiboot.inc"
        MULTIBOOT_IMAGE _start
%include "hello_msg.inc"

%define RING_SIZE 256

_start:
        mov esp, guest_stack_top
        call uart_init
        mov esi, msg
        call uart_puts

        ; fill the ring: header, then the message bytes
        mov dword [ring + PTV_PVCON_OFF_MAGIC], PTV_PVCON_MAGIC
        mov dword [ring + PTV_PVCON_OFF_SIZE], RING_SIZE
        mov dword [ring + PTV_PVCON_OFF_TAIL], 0
        cld
        mov esi, msg
        mov edi, ring + PTV_PVCON_OFF_DATA
        mov ecx, msg_len
        rep movsb
        mov dword [ring + PTV_PVCON_OFF_HEAD], msg_len

        ; ring the doorbell: one exit, the value is the ring's address
        mov dx, PTV_PVCON_DOORBELL_PORT
        mov eax, ring
        out dx, eax

        mov eax, [ring + PTV_PVCON_OFF_TAIL]
        cmp eax, [ring + PTV_PVCON_OFF_HEAD]
        jne .not_consumed
.halt:  cli
        hlt                             ; the VM is done
        jmp .halt
.not_consumed:
        mov dx, PTV_DEBUG_EXIT_PORT
        mov al, 1
        out dx, al                      ; status 1: the VM ends here
        jmp .halt

msg:    db HELLO_MSG
msg_len equ $ - msg
        db 0

        section .bss
        alignb 4
ring:   resb PTV_PVCON_OFF_DATA + RING_SIZE
        section .text

%include "uart.inc"
