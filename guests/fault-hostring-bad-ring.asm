; fault-hostring-bad-ring.asm -- a guest that lies to the host request ring.
;
; The queue is valid (magic, 8 entries, 4 KiB aligned, vCPU 0 listening)
; but, with no request ever put, the guest claims 1000 responses: resp_head
; = 1000 while resp_tail = 0. The device reads the indices once on the
; doorbell, must refuse them and stop the VM (a device error), taking no
; response at all.
; Serial: "fault-hostring-bad-ring: 1000 responses to no request\n" (54 bytes)
; Exits on ptvlab: UART 7 + 2 * 54 = 115, host-ring 2 (the queue, then the
; doorbell, where the VM stops; where the host takes the doorbell as an
; ioeventfd the device error comes from the strategy's thread instead,
; while the guest waits in "sti; hlt", one HLT exit after another).

%include "multiboot.inc"
        MULTIBOOT_IMAGE _start

%define QUEUE 0x301000
%define QUEUE_SIZE 8
%define BAD_HEAD 1000

_start:
        mov esp, guest_stack_top
        call uart_init
        mov esi, msg
        call uart_puts
        mov dword [QUEUE + PTV_HOSTRING_OFF_MAGIC], PTV_HOSTRING_MAGIC
        mov dword [QUEUE + PTV_HOSTRING_OFF_SIZE], QUEUE_SIZE
        xor eax, eax
        mov [QUEUE + PTV_HOSTRING_OFF_REQ_HEAD], eax
        mov [QUEUE + PTV_HOSTRING_OFF_REQ_TAIL], eax
        mov [QUEUE + PTV_HOSTRING_OFF_RESP_HEAD], eax
        mov [QUEUE + PTV_HOSTRING_OFF_RESP_TAIL], eax
        mov [QUEUE + PTV_HOSTRING_OFF_VCPU], eax
        mov dx, PTV_HOSTRING_QUEUE_PORT
        mov eax, QUEUE
        out dx, eax                     ; a good queue...
        mov dword [QUEUE + PTV_HOSTRING_OFF_RESP_HEAD], BAD_HEAD
        mov dx, PTV_HOSTRING_NOTIFY_PORT
        out dx, eax                     ; ...with a head the device must refuse
        ; Where the doorbell is an ioeventfd the vCPU runs on while a
        ; back-end thread reads the ring: wait for the host's verdict (each
        ; HLT with interrupts on is over at once, with no event channel
        ; bound) rather than halt before it comes.
.wait:  sti
        hlt
        jmp .wait

msg:    db `fault-hostring-bad-ring: 1000 responses to no request\n`, 0

%include "uart.inc"
