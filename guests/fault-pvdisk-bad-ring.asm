; fault-pvdisk-bad-ring.asm -- a guest that lies to the PV disk.
;
; The queue is valid (magic, 16 entries, 4 KiB aligned) except for its
; request ring's head: req_head = 1000 while req_tail = 0 claims 1000
; requests waiting on a ring of 16. The device reads the indices once,
; must refuse them and stop the VM at the doorbell (a device error); it
; must take no request at all.
; Serial: "fault-pvdisk-bad-ring: req_head runs 1000 ahead of a 16-entry ring\n"
; (67 bytes)
; Exits on ptvlab: UART 7 + 2 * 67 = 141, pv-disk 2 (the queue, then the
; doorbell, where the VM stops; where the host takes the doorbell as an
; ioeventfd the device error comes from the strategy's thread instead,
; while the guest waits in "sti; hlt", one HLT exit after another).

%include "multiboot.inc"
        MULTIBOOT_IMAGE _start

%define QUEUE 0x301000
%define QUEUE_SIZE 16
%define BAD_HEAD 1000

_start:
        mov esp, guest_stack_top
        call uart_init
        mov esi, msg
        call uart_puts
        mov dword [QUEUE + PTV_PVDISK_OFF_MAGIC], PTV_PVDISK_MAGIC
        mov dword [QUEUE + PTV_PVDISK_OFF_SIZE], QUEUE_SIZE
        xor eax, eax
        mov [QUEUE + PTV_PVDISK_OFF_REQ_HEAD], eax
        mov [QUEUE + PTV_PVDISK_OFF_REQ_TAIL], eax
        mov [QUEUE + PTV_PVDISK_OFF_USED_HEAD], eax
        mov [QUEUE + PTV_PVDISK_OFF_USED_TAIL], eax
        mov dx, PTV_PVDISK_QUEUE_PORT
        mov eax, QUEUE
        out dx, eax                     ; a good queue...
        mov dword [QUEUE + PTV_PVDISK_OFF_REQ_HEAD], BAD_HEAD
        mov dx, PTV_PVDISK_NOTIFY_PORT
        out dx, eax                     ; ...with a head the device must refuse
        ; Where the doorbell is an ioeventfd the vCPU runs on while a
        ; back-end thread reads the ring: wait for the host's verdict (each
        ; HLT with interrupts on is over at once, with no event channel
        ; bound) rather than halt before it comes.
.wait:  sti
        hlt
        jmp .wait

msg:    db `fault-pvdisk-bad-ring: req_head runs 1000 ahead of a 16-entry ring\n`, 0

%include "uart.inc"
