; disk-pv.asm -- the same requests as disk-ata (the job script of
; disk_script.inc), through the para-virtualized block device: each batch
; of the script goes into a request ring in guest RAM (layout: PTV_PVBLK_*
; in ptv/portmap.h) and is handed over with ONE 32-bit OUT of the ring's
; address to the doorbell. The device does the whole batch during that
; exit, writes each request's status and moves tail up to head.
;
; Ring: PV_RING_SIZE slots; head = tail = 0 at the start, or the script's
; sINDEX. Request i of a batch uses the buffer PV_BUFFER + i * 128 KiB.
; Exits: one OUT to PTV_PVBLK_DOORBELL_PORT per batch, nothing else.
; Serial, one line per request (N counts from 1; FNV-1a 32 of the sectors
; read, or of the pattern written):
;   req N: read lba L count n fnv 0xXXXXXXXX      (status OK)
;   req N: write lba L count n fnv 0xXXXXXXXX
;   req N: read lba L count n status S            (any other status)
; then "disk-pv: N requests in B doorbells", and a debug exit, status 0.
;
; A bad ring, the word !KIND[,A[,B]] of the script: the guest prints
; "bad ring: !KIND..." and hands over a ring with one read request (LBA 0,
; one sector, into PV_BUFFER) in the next slot, spoiled as KIND says:
;   ahead,A     head runs A slots past a full ring: head = tail + size + A
;   buffer,A,B  the request's buffer is A and its count B
;   wbuffer,A,B the same, the request a write (LBA 0)
;   count,A     the request's count is A
;   ring,A      the doorbell names A instead of the ring
;   magic       the ring's magic is "BAD!"
;   size,A      the ring's size is A
; The device must stop the VM there (a device error). If it does not:
; "bad ring accepted", debug exit with status 1.
; Status 1 also after "doorbell B: tail T, head H: the batch was not taken"
; and after a script it cannot read.

%include "multiboot.inc"
        MULTIBOOT_IMAGE _start
%include "format.inc"
%include "disk_script.inc"

%define PV_RING_SIZE 16                 ; slots, a power of two
%define PV_BUFFER 0x400000
%define PV_BUFFER_SHIFT 17              ; 128 KiB = 256 sectors a request
%define BAD_MAGIC_VALUE 0x21444142      ; "BAD!"

_start:
        mov esp, guest_stack_top
        call script_init
        call uart_init
        mov dword [ring + PTV_PVBLK_OFF_MAGIC], PTV_PVBLK_MAGIC
        mov dword [ring + PTV_PVBLK_OFF_SIZE], PV_RING_SIZE
        mov dword [ring + PTV_PVBLK_OFF_HEAD], 0
        mov dword [ring + PTV_PVBLK_OFF_TAIL], 0
.next:  call script_next
        cmp eax, SCRIPT_BATCH
        je .batch
        cmp eax, SCRIPT_START
        je .start
        cmp eax, SCRIPT_BAD
        je pv_bad
        cmp eax, SCRIPT_END
        je .end
        call script_word_string
        PRINTF printf, `script: cannot read "%s"\n`, esi
        mov al, 1
        jmp exit
.batch: call pv_batch
        jmp .next
.start: mov eax, [script_value]         ; the ring is idle: both are ours
        mov [ring + PTV_PVBLK_OFF_HEAD], eax
        mov [ring + PTV_PVBLK_OFF_TAIL], eax
        jmp .next
.end:   PRINTF printf, `disk-pv: %d requests in %d doorbells\n`, dword [requests], \
            dword [doorbells]
        xor al, al
exit:   mov dx, PTV_DEBUG_EXIT_PORT
        out dx, al
.halt:  cli
        hlt
        jmp .halt

; EAX = a free-running index -> EDI = its slot. Preserves the rest.
slot_of:
        mov edi, eax
        and edi, PV_RING_SIZE - 1
        shl edi, 5                      ; PTV_PVBLK_REQ_SIZE = 32
        add edi, ring + PTV_PVBLK_OFF_REQ
        ret

; The batch of the script into the ring, one doorbell, then one line a
; request.
pv_batch:
        mov eax, [ring + PTV_PVBLK_OFF_HEAD]
        mov [batch_head], eax
        mov ebx, batch
        xor ecx, ecx                    ; request i of the batch
.fill:  mov eax, [batch_head]
        add eax, ecx
        call slot_of
        mov eax, [ebx + REQ_OP]
        mov [edi + PTV_PVBLK_REQ_OP], eax
        mov eax, [ebx + REQ_LBA]
        mov [edi + PTV_PVBLK_REQ_LBA], eax
        mov eax, [ebx + REQ_COUNT]
        mov [edi + PTV_PVBLK_REQ_COUNT], eax
        mov eax, ecx
        shl eax, PV_BUFFER_SHIFT
        add eax, PV_BUFFER
        mov [edi + PTV_PVBLK_REQ_BUFFER], eax
        mov dword [edi + PTV_PVBLK_REQ_STATUS], 0xffffffff
        cmp dword [ebx + REQ_OP], PTV_PVBLK_OP_WRITE
        jne .filled
        push ecx
        mov edi, eax
        mov ecx, [ebx + REQ_COUNT]
        shl ecx, 7                      ; 128 dwords a sector
        mov edx, [ebx + REQ_SEED]
        call fill_pattern
        pop ecx
.filled:
        add ebx, REQ_BYTES
        inc ecx
        cmp ecx, [batch_len]
        jb .fill
        mov eax, [batch_head]           ; publish the batch: head last
        add eax, ecx
        mov [ring + PTV_PVBLK_OFF_HEAD], eax

        mov dx, PTV_PVBLK_DOORBELL_PORT
        mov eax, ring
        out dx, eax                     ; the one exit of the batch
        inc dword [doorbells]

        mov eax, [ring + PTV_PVBLK_OFF_TAIL]
        cmp eax, [ring + PTV_PVBLK_OFF_HEAD]
        jne .not_taken
        mov ebx, batch
        xor ecx, ecx
.report:
        inc dword [requests]
        mov dword [op_name], name_read
        cmp dword [ebx + REQ_OP], PTV_PVBLK_OP_WRITE
        jne .named
        mov dword [op_name], name_write
.named: mov eax, [batch_head]
        add eax, ecx
        call slot_of
        mov edx, [edi + PTV_PVBLK_REQ_STATUS]
        cmp edx, PTV_PVBLK_S_OK
        jne .failed
        push ecx
        push esi
        mov esi, ecx
        shl esi, PV_BUFFER_SHIFT
        add esi, PV_BUFFER
        mov ecx, [ebx + REQ_COUNT]
        shl ecx, 9
        call fnv1a32
        pop esi
        pop ecx
        PRINTF printf, `req %d: %s lba %d count %d fnv 0x%x\n`, dword [requests], \
            dword [op_name], dword [ebx + REQ_LBA], dword [ebx + REQ_COUNT], eax
        jmp .reported
.failed:
        PRINTF printf, `req %d: %s lba %d count %d status %d\n`, dword [requests], \
            dword [op_name], dword [ebx + REQ_LBA], dword [ebx + REQ_COUNT], edx
.reported:
        add ebx, REQ_BYTES
        inc ecx
        cmp ecx, [batch_len]
        jb .report
        ret
.not_taken:
        PRINTF printf, `doorbell %d: tail 0x%x, head 0x%x: the batch was not taken\n`, \
            dword [doorbells], eax, dword [ring + PTV_PVBLK_OFF_HEAD]
        mov al, 1
        jmp exit

; The script's bad ring (see the top); never returns.
pv_bad:
        call script_word_string
        PRINTF printf, `bad ring: %s\n`, esi
        mov eax, [ring + PTV_PVBLK_OFF_HEAD]
        mov esi, eax
        inc esi                         ; ESI = the new head
        call slot_of
        mov dword [edi + PTV_PVBLK_REQ_OP], PTV_PVBLK_OP_READ
        mov dword [edi + PTV_PVBLK_REQ_LBA], 0
        mov dword [edi + PTV_PVBLK_REQ_COUNT], 1
        mov dword [edi + PTV_PVBLK_REQ_BUFFER], PV_BUFFER
        mov dword [edi + PTV_PVBLK_REQ_STATUS], 0xffffffff
        mov ecx, [bad_a]
        mov edx, ring                   ; EDX = what the doorbell names
        mov ebx, [bad_kind]
        cmp ebx, BAD_AHEAD
        jne .buffer
        mov esi, [ring + PTV_PVBLK_OFF_TAIL]
        add esi, PV_RING_SIZE
        add esi, ecx
        jmp .ring
.buffer:
        cmp ebx, BAD_WBUFFER
        jne .rbuffer
        mov dword [edi + PTV_PVBLK_REQ_OP], PTV_PVBLK_OP_WRITE
        jmp .spoil_buffer
.rbuffer:
        cmp ebx, BAD_BUFFER
        jne .count
.spoil_buffer:
        mov [edi + PTV_PVBLK_REQ_BUFFER], ecx
        mov eax, [bad_b]
        mov [edi + PTV_PVBLK_REQ_COUNT], eax
        jmp .ring
.count: cmp ebx, BAD_COUNT
        jne .address
        mov [edi + PTV_PVBLK_REQ_COUNT], ecx
        jmp .ring
.address:
        cmp ebx, BAD_RING
        jne .magic
        mov edx, ecx
        jmp .ring
.magic: cmp ebx, BAD_MAGIC
        jne .size
        mov dword [ring + PTV_PVBLK_OFF_MAGIC], BAD_MAGIC_VALUE
        jmp .ring
.size:  mov [ring + PTV_PVBLK_OFF_SIZE], ecx      ; BAD_SIZE
.ring:  mov [ring + PTV_PVBLK_OFF_HEAD], esi
        mov eax, edx
        mov dx, PTV_PVBLK_DOORBELL_PORT
        out dx, eax
        inc dword [doorbells]
        PRINTF printf, `bad ring accepted\n`
        mov al, 1
        jmp exit

        DEFINE_PRINTF printf, uart_puts

        section .data
name_read: db "read", 0
name_write: db "write", 0

        section .bss
        alignb 32
ring:   resb PTV_PVBLK_OFF_REQ + PV_RING_SIZE * PTV_PVBLK_REQ_SIZE
        alignb 4
requests: resd 1
doorbells: resd 1
batch_head: resd 1
op_name: resd 1
        section .text

%include "uart.inc"
%include "checksum.inc"
