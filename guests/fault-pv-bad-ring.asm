; fault-pv-bad-ring.asm -- a guest that lies to the PV console.
;
; The ring is valid (magic, size 256) except for its indices: head = 512,
; tail = 0 claims 512 bytes waiting in a 256-byte ring. The device checks
; every field the guest hands over, must refuse this one and stop the VM
; (it must not read 512 bytes, nor wrap around twice).
; Serial: "fault-pv-bad-ring: head runs 512 bytes ahead of a 256-byte ring\n"
; (64 bytes)
; Exits on ptvlab: port I/O = 7 + 2 * 64 + 1 (doorbell) = 136; the VM stops
; at the doorbell. Were it to go on: hlt = 1.

%include "multiboot.inc"
        MULTIBOOT_IMAGE _start

%define RING_SIZE 256
%define BAD_HEAD 512

_start:
        mov esp, guest_stack_top
        call uart_init
        mov esi, msg
        call uart_puts
        mov dword [ring + PTV_PVCON_OFF_MAGIC], PTV_PVCON_MAGIC
        mov dword [ring + PTV_PVCON_OFF_SIZE], RING_SIZE
        mov dword [ring + PTV_PVCON_OFF_HEAD], BAD_HEAD
        mov dword [ring + PTV_PVCON_OFF_TAIL], 0
        mov dx, PTV_PVCON_DOORBELL_PORT
        mov eax, ring
        out dx, eax                     ; the device must say no
.halt:  cli
        hlt
        jmp .halt

msg:    db `fault-pv-bad-ring: head runs 512 bytes ahead of a 256-byte ring\n`, 0

        section .bss
        alignb 4
ring:   resb PTV_PVCON_OFF_DATA + RING_SIZE ; data left zero
        section .text

%include "uart.inc"
