; pvdisk-past-end.asm -- one READ of the sector just past the end of the PV
; disk's built-in store (LBA PTV_PVDISK_SIM_SECTORS): the device must not
; stop the VM but complete the request with PTV_PVBLK_S_IOERR (1), which
; the guest prints.
;
; It binds its event page and a queue of one entry, puts the request on the
; request ring, rings the doorbell and waits for the used entry (`sti; hlt`
; while no event is pending, as pvdisk does).
; Serial: "pvdisk-past-end: status 1\n" (26 bytes), then the debug exit,
; status 0 (status 1 if the used entry carries another id).
; Exits on ptvlab: event-channel 1, pv-disk 2 (the queue, the doorbell),
; hlt 0 or more (none on the CPU model, which completes the request inside
; the doorbell's exit), UART 7 + 2 * 26 = 59, debug exit 1.

%include "multiboot.inc"
        MULTIBOOT_IMAGE _start
%include "format.inc"

%define EVENT_PAGE 0x300000
%define QUEUE 0x301000
%define BUFFER 0x304000
%define REQUEST_ID 0x1234
%define USED (QUEUE + PTV_PVDISK_OFF_REQ + PTV_PVDISK_REQ_SIZE) ; size 1

_start:
        mov esp, guest_stack_top
        call uart_init
        xor eax, eax
        mov [EVENT_PAGE + PTV_EVTCHN_OFF_PENDING], eax
        mov dx, PTV_EVTCHN_PORT
        mov eax, EVENT_PAGE
        out dx, eax
        mov dword [QUEUE + PTV_PVDISK_OFF_MAGIC], PTV_PVDISK_MAGIC
        mov dword [QUEUE + PTV_PVDISK_OFF_SIZE], 1
        xor eax, eax
        mov [QUEUE + PTV_PVDISK_OFF_REQ_HEAD], eax
        mov [QUEUE + PTV_PVDISK_OFF_REQ_TAIL], eax
        mov [QUEUE + PTV_PVDISK_OFF_USED_HEAD], eax
        mov [QUEUE + PTV_PVDISK_OFF_USED_TAIL], eax
        mov dx, PTV_PVDISK_QUEUE_PORT
        mov eax, QUEUE
        out dx, eax
        mov edi, QUEUE + PTV_PVDISK_OFF_REQ
        mov dword [edi + PTV_PVDISK_REQ_OP], PTV_PVBLK_OP_READ
        mov dword [edi + PTV_PVDISK_REQ_LBA], PTV_PVDISK_SIM_SECTORS
        mov dword [edi + PTV_PVDISK_REQ_COUNT], 1
        mov dword [edi + PTV_PVDISK_REQ_BUFFER], BUFFER
        mov dword [edi + PTV_PVDISK_REQ_ID], REQUEST_ID
        mov dword [edi + PTV_PVDISK_REQ_VCPU], 0
        mov dword [QUEUE + PTV_PVDISK_OFF_REQ_HEAD], 1
        mov dx, PTV_PVDISK_NOTIFY_PORT
        out dx, eax
.wait:  mov eax, [QUEUE + PTV_PVDISK_OFF_USED_HEAD]
        cmp eax, [QUEUE + PTV_PVDISK_OFF_USED_TAIL]
        jne .done
        cli
        xor eax, eax
        xchg [EVENT_PAGE + PTV_EVTCHN_OFF_PENDING], eax
        test eax, eax
        jnz .woken
        sti
        hlt                             ; block until an event is posted
        jmp .wait
.woken: sti
        jmp .wait
.done:  mov bl, 0
        cmp dword [USED + PTV_PVDISK_USED_ID], REQUEST_ID
        je .print
        mov bl, 1
.print: PRINTF printf, `pvdisk-past-end: status %d\n`, dword [USED + PTV_PVDISK_USED_STATUS]
        mov al, bl
        mov dx, PTV_DEBUG_EXIT_PORT
        out dx, al
.halt:  cli
        hlt
        jmp .halt

        DEFINE_PRINTF printf, uart_puts

%include "uart.inc"
