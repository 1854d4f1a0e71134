; pvdisk-ping.asm -- one PV disk request at a time, N times: the doorbell-to-
; completion round trip and nothing else (bench/kvm-dispatch times it under
; each dispatch strategy and beside a bare ioeventfd loop).
;
; Command line N (default 1000). The guest binds its event page and a PV
; disk queue of one entry, then N times: puts one READ of one sector (LBA
; i mod PTV_PVDISK_SIM_SECTORS; the data is not checked: pvdisk.asm does
; that), rings the doorbell and waits for the completion on the used ring:
; looks at the ring, and if it is empty `cli`, takes its pending event bits
; with XCHG, and with none set `sti; hlt` (a wait), then looks again.
; Serial (exact): "pvdisk-ping: N round trips, W waits\n"; then the debug
; exit, status 0; a completion whose status is not OK: "pvdisk-ping:
; request I status S\n", status 2.
; Exits on ptvlab: event-channel 1; pv-disk 1 (the queue) + N (the
; doorbell; none where the host takes it as an ioeventfd); hlt W; UART 7 + 2
; per byte; debug exit 1. On the CPU model, which serves each request inside
; the doorbell's exit, W = 0.

%include "multiboot.inc"
%define CMDLINE_DEFAULT_COUNT 1000
        MULTIBOOT_IMAGE _start
%include "format.inc"
%include "evtchn.inc"

%define PING_EVENT_PAGE 0x300000
%define PING_QUEUE 0x301000
%define PING_BUFFER 0x302000
%define PING_USED (PING_QUEUE + PTV_PVDISK_OFF_REQ + PTV_PVDISK_REQ_SIZE)

_start:
        mov esp, guest_stack_top
        call cmdline_count
        mov [total], eax
        call uart_init

        EVTCHN_BIND PING_EVENT_PAGE

        mov dword [PING_QUEUE + PTV_PVDISK_OFF_MAGIC], PTV_PVDISK_MAGIC
        mov dword [PING_QUEUE + PTV_PVDISK_OFF_SIZE], 1
        xor eax, eax
        mov [PING_QUEUE + PTV_PVDISK_OFF_REQ_HEAD], eax
        mov [PING_QUEUE + PTV_PVDISK_OFF_REQ_TAIL], eax
        mov [PING_QUEUE + PTV_PVDISK_OFF_USED_HEAD], eax
        mov [PING_QUEUE + PTV_PVDISK_OFF_USED_TAIL], eax
        mov dx, PTV_PVDISK_QUEUE_PORT
        mov eax, PING_QUEUE
        out dx, eax                     ; hand the queue over

.ping:  mov eax, [done]
        cmp eax, [total]
        jae .report
        mov edi, PING_QUEUE + PTV_PVDISK_OFF_REQ   ; req[0]: the ring holds one
        mov dword [edi + PTV_PVDISK_REQ_OP], PTV_PVBLK_OP_READ
        and eax, PTV_PVDISK_SIM_SECTORS - 1
        mov [edi + PTV_PVDISK_REQ_LBA], eax
        mov dword [edi + PTV_PVDISK_REQ_COUNT], 1
        mov dword [edi + PTV_PVDISK_REQ_BUFFER], PING_BUFFER
        mov eax, [done]
        mov [edi + PTV_PVDISK_REQ_ID], eax
        mov dword [edi + PTV_PVDISK_REQ_VCPU], 0
        inc dword [PING_QUEUE + PTV_PVDISK_OFF_REQ_HEAD]  ; publish it
        mov dx, PTV_PVDISK_NOTIFY_PORT
        out dx, eax                     ; the doorbell: the value does not matter
.look:  mov eax, [PING_QUEUE + PTV_PVDISK_OFF_USED_TAIL]
        cmp eax, [PING_QUEUE + PTV_PVDISK_OFF_USED_HEAD]
        jne .completed
        EVTCHN_BLOCK PING_EVENT_PAGE, .look, waits
.completed:
        mov edx, [PING_USED + PTV_PVDISK_USED_STATUS]
        cmp edx, PTV_PVBLK_S_OK
        jne bad_status
        inc dword [PING_QUEUE + PTV_PVDISK_OFF_USED_TAIL]
        inc dword [done]
        jmp .ping

.report:
        PRINTF printf, `pvdisk-ping: %d round trips, %d waits\n`, dword [total], dword [waits]
        xor al, al
exit:   mov dx, PTV_DEBUG_EXIT_PORT
        out dx, al
.halt:  cli
        hlt
        jmp .halt
bad_status:
        PRINTF printf, `pvdisk-ping: request %d status %d\n`, dword [done], edx
        mov al, 2
        jmp exit

        DEFINE_PRINTF printf, uart_puts
%include "cmdline.inc"
%include "uart.inc"

        section .bss
        alignb 4
total:  resd 1
done:   resd 1
waits:  resd 1
