; pvdisk.asm -- asynchronous I/O through the PV disk and the event channel
; (virtio-blk's split rings; Xen's event channel and SCHEDOP_block).
;
; Command line "N Q S" (the first three numbers on it; defaults 64 16 64):
; N single-sector READs, request i of LBA (i * 7) % PTV_PVDISK_SIM_SECTORS,
; at most Q outstanding (1..256), on a queue of S entries (a power of two,
; 1..256). The guest binds its event page (one OUT to PTV_EVTCHN_PORT) and
; its queue (one OUT to PTV_PVDISK_QUEUE_PORT), puts up to Q requests on the
; request ring (fewer if it fills) and rings the doorbell once for the
; batch. Then, until all N are done: it consumes every entry of the used
; ring -- status OK, and every one of the sector's 128 words equal to
; PTV_PVDISK_SIM_WORD(lba, w) -- puts a new request in the place of each one
; consumed while requests remain, and rings once if it put any. With the
; used ring empty it blocks: `cli`, takes vCPU 0's pending event bits with
; XCHG, and if none was set `sti; hlt` (a wait), then looks again. (With
; Q > S the device may hold requests back for want of used-ring room; then
; the guest also rings after consuming while requests wait on the ring.)
; A request's buffer is one of Q sectors from PVD_BUFFERS; its `id` names
; the buffer.
;
; Serial (exact):
;   "pvdisk: N reads, Q deep, ring S\n"
;   "pvdisk: rings R, waits W, words C\n"   R doorbells rung, W hlts,
;                                           C = 128 * N words checked
; then the debug exit, status 0. A word that is wrong:
; "pvdisk: bad word at lba L word W\n", status 1; a status other than OK:
; "pvdisk: request I status S\n", status 2; a used entry whose id names no
; buffer: "pvdisk: used entry with id X\n", status 2; a command line out of
; range: "pvdisk: give N Q S, Q from 1 to 256, S a power of two from 1 to
; 256\n", status 3.
; Exits on ptvlab: event-channel 1; pv-disk 1 (the queue) + R (the
; doorbell; none where the host takes it as an ioeventfd); hlt W; UART 7 + 2
; per byte; debug exit 1. On the CPU model, which serves each request inside
; the doorbell's exit, W = 0 and R = ceil(N / Q) for Q <= S (defaults: 4).

%include "multiboot.inc"
        MULTIBOOT_IMAGE _start
%include "format.inc"
%include "evtchn.inc"
%include "cmdline.inc"

%define PVD_EVENT_PAGE 0x300000
%define PVD_QUEUE 0x301000              ; up to 32 + 40 * 256 bytes
%define PVD_BUFFERS 0x304000            ; Q sectors
%define PVD_MAX_DEPTH 256
%define SECTOR_WORDS (PTV_ATA_SECTOR_SIZE / 4)
%if (PTV_PVDISK_SIM_SECTORS & (PTV_PVDISK_SIM_SECTORS - 1)) != 0
%error "the LBA is taken modulo a power of two"
%endif

_start:
        mov esp, guest_stack_top
        call read_args
        call uart_init
        mov eax, [depth]
        test eax, eax
        jz bad_args
        cmp eax, PVD_MAX_DEPTH
        ja bad_args
        mov eax, [size]
        test eax, eax
        jz bad_args
        cmp eax, PTV_PVDISK_MAX_SIZE
        ja bad_args
        lea edx, [eax - 1]
        test eax, edx
        jnz bad_args
        PRINTF printf, `pvdisk: %d reads, %d deep, ring %d\n`, dword [total], dword [depth], \
            dword [size]

        ; Every buffer free; the used ring follows the request ring.
        xor ecx, ecx
.free:  mov [free + ecx * 4], ecx
        inc ecx
        cmp ecx, [depth]
        jb .free
        mov [free_count], ecx
        mov eax, [size]
        shl eax, 5                      ; PTV_PVDISK_REQ_SIZE = 32
        add eax, PVD_QUEUE + PTV_PVDISK_OFF_REQ
        mov [used_ring], eax

        EVTCHN_BIND PVD_EVENT_PAGE

        mov dword [PVD_QUEUE + PTV_PVDISK_OFF_MAGIC], PTV_PVDISK_MAGIC
        mov eax, [size]
        mov [PVD_QUEUE + PTV_PVDISK_OFF_SIZE], eax
        xor eax, eax
        mov [PVD_QUEUE + PTV_PVDISK_OFF_REQ_HEAD], eax
        mov [PVD_QUEUE + PTV_PVDISK_OFF_REQ_TAIL], eax
        mov [PVD_QUEUE + PTV_PVDISK_OFF_USED_HEAD], eax
        mov [PVD_QUEUE + PTV_PVDISK_OFF_USED_TAIL], eax
        mov dx, PTV_PVDISK_QUEUE_PORT
        mov eax, PVD_QUEUE
        out dx, eax                     ; hand the queue over

        call refill                     ; the first batch, one doorbell
.loop:  mov eax, [completed]
        cmp eax, [total]
        jae .done
        call consume                    ; EAX = entries consumed
        test eax, eax
        jz .idle
        call refill
        jmp .loop
.idle:
        EVTCHN_BLOCK PVD_EVENT_PAGE, .loop, waits
.done:  PRINTF printf, `pvdisk: rings %d, waits %d, words %d\n`, dword [rings], \
            dword [waits], dword [words]
        xor al, al
exit:   mov dx, PTV_DEBUG_EXIT_PORT
        out dx, al
.halt:  cli
        hlt
        jmp .halt

bad_args:
        PRINTF printf, `pvdisk: give N Q S, Q from 1 to 256, S a power of two from 1 to 256\n`
        mov al, 3
        jmp exit

; Puts requests on the request ring while some remain, fewer than Q are
; outstanding and the ring has room, then rings the doorbell once if it put
; any (or, with Q > S, if the device left requests on the ring).
refill:
        xor ebx, ebx                    ; EBX = requests put this time
.next:  mov eax, [next]
        cmp eax, [total]
        jae .ring
        mov eax, [outstanding]
        cmp eax, [depth]
        jae .ring
        mov eax, [PVD_QUEUE + PTV_PVDISK_OFF_REQ_HEAD]
        sub eax, [PVD_QUEUE + PTV_PVDISK_OFF_REQ_TAIL]
        cmp eax, [size]
        jae .ring                       ; the request ring is full
        dec dword [free_count]          ; ESI = a free buffer
        mov ecx, [free_count]
        mov esi, [free + ecx * 4]
        mov eax, [next]
        mov [buffer_req + esi * 4], eax
        imul eax, eax, 7                ; LBA (i * 7) % sectors
        and eax, PTV_PVDISK_SIM_SECTORS - 1
        mov edx, [size]                 ; EDI = req[req_head % size]
        dec edx
        mov edi, [PVD_QUEUE + PTV_PVDISK_OFF_REQ_HEAD]
        and edi, edx
        shl edi, 5
        add edi, PVD_QUEUE + PTV_PVDISK_OFF_REQ
        mov dword [edi + PTV_PVDISK_REQ_OP], PTV_PVBLK_OP_READ
        mov [edi + PTV_PVDISK_REQ_LBA], eax
        mov dword [edi + PTV_PVDISK_REQ_COUNT], 1
        mov eax, esi
        shl eax, 9                      ; PTV_ATA_SECTOR_SIZE = 512
        add eax, PVD_BUFFERS
        mov dword [eax], 0xffffffff     ; no stale sector can pass the check
        mov [edi + PTV_PVDISK_REQ_BUFFER], eax
        mov [edi + PTV_PVDISK_REQ_ID], esi
        mov dword [edi + PTV_PVDISK_REQ_VCPU], 0
        mov eax, [PVD_QUEUE + PTV_PVDISK_OFF_REQ_HEAD]
        inc eax                         ; publish it: x86 keeps stores in order
        mov [PVD_QUEUE + PTV_PVDISK_OFF_REQ_HEAD], eax
        inc dword [next]
        inc dword [outstanding]
        inc ebx
        jmp .next
.ring:  test ebx, ebx
        jnz .doorbell
        mov eax, [depth]
        cmp eax, [size]
        jbe .done                       ; Q <= S: the device never holds back
        mov eax, [PVD_QUEUE + PTV_PVDISK_OFF_REQ_HEAD]
        cmp eax, [PVD_QUEUE + PTV_PVDISK_OFF_REQ_TAIL]
        je .done
.doorbell:
        mov dx, PTV_PVDISK_NOTIFY_PORT
        out dx, eax                     ; the value does not matter
        inc dword [rings]
.done:  ret

; Consumes every entry on the used ring, checking each; EAX = how many.
consume:
        push ebx
        xor eax, eax
        mov [consumed], eax
.next:  mov eax, [PVD_QUEUE + PTV_PVDISK_OFF_USED_TAIL]
        cmp eax, [PVD_QUEUE + PTV_PVDISK_OFF_USED_HEAD]
        je .done
        mov edx, [size]
        dec edx
        and eax, edx
        mov edi, [used_ring]
        lea edi, [edi + eax * 8]        ; PTV_PVDISK_USED_SIZE = 8
        mov esi, [edi + PTV_PVDISK_USED_ID]
        mov edx, [edi + PTV_PVDISK_USED_STATUS]
        cmp esi, [depth]
        jae bad_id
        mov eax, [buffer_req + esi * 4] ; EAX = the request's number
        cmp edx, PTV_PVBLK_S_OK
        jne bad_status
        imul ebx, eax, 7
        and ebx, PTV_PVDISK_SIM_SECTORS - 1
        shl ebx, 16                     ; PTV_PVDISK_SIM_WORD(lba, 0)
        mov edi, esi
        shl edi, 9
        add edi, PVD_BUFFERS
        xor ecx, ecx
.word:  lea edx, [ebx + ecx]
        cmp [edi + ecx * 4], edx
        jne bad_word
        inc ecx
        cmp ecx, SECTOR_WORDS
        jb .word
        add dword [words], SECTOR_WORDS
        mov eax, [free_count]           ; the buffer is free again
        mov [free + eax * 4], esi
        inc dword [free_count]
        mov eax, [PVD_QUEUE + PTV_PVDISK_OFF_USED_TAIL]
        inc eax
        mov [PVD_QUEUE + PTV_PVDISK_OFF_USED_TAIL], eax
        dec dword [outstanding]
        inc dword [completed]
        inc dword [consumed]
        jmp .next
.done:  mov eax, [consumed]
        pop ebx
        ret

bad_word:                               ; EBX = the expected word 0, ECX = w
        shr ebx, 16
        PRINTF printf, `pvdisk: bad word at lba %d word %d\n`, ebx, ecx
        mov al, 1
        jmp exit
bad_status:                             ; EAX = the request, EDX = its status
        PRINTF printf, `pvdisk: request %d status %d\n`, eax, edx
        mov al, 2
        jmp exit
bad_id:
        PRINTF printf, `pvdisk: used entry with id %d\n`, esi
        mov al, 2
        jmp exit

; The first three numbers of the command line into total, depth and size
; (words that are not numbers, such as the kernel path QEMU puts first,
; are skipped). In: EAX, EBX as the loader left them.
read_args:
        CMDLINE_NUMBERS args, 3

        DEFINE_PRINTF printf, uart_puts

        section .data
        align 4
args:
total:  dd 64
depth:  dd 16
size:   dd 64

        section .bss
        alignb 4
next:   resd 1                          ; the next request to put
completed: resd 1
outstanding: resd 1
consumed: resd 1
rings:  resd 1
waits:  resd 1
words:  resd 1
used_ring: resd 1
free_count: resd 1
free:   resd PVD_MAX_DEPTH              ; a stack of free buffers
buffer_req: resd PVD_MAX_DEPTH          ; buffer -> the request it holds
        section .text

%include "uart.inc"
