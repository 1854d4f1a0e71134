; disk-ata.asm -- a disk driver at the register level: the requests of the
; job script (disk_script.inc) on the primary ATA channel, in PIO mode, one
; request at a time, with 16-bit IN/OUT on the data register -- one word,
; one exit, as a guest pays for an emulated device in a worker process.
;
; Per request (LBA L, COUNT n):
;   OUT drive/head (0xe0 | L >> 24), count (n & 0xff: 0 means 256),
;   LBA low, mid, high, command (READ SECTORS 0x20 / WRITE SECTORS 0x30);
;   per sector: IN status until BSY = 0 and DRQ = 1 (the lab's disk
;   completes synchronously: once), then 256 IN (read) or OUT (write) of
;   the data register; at the end one IN status: DRDY alone.
;   Exits: 6 + 257 n + 1. An ERR status instead of DRQ: one IN of the error
;   register, the request is reported and the next one goes on (6 + 1 + 1).
; Serial, one line per request (N counts from 1; FNV-1a 32 of the sectors
; read, or of the pattern written):
;   req N: read lba L count n fnv 0xXXXXXXXX
;   req N: write lba L count n fnv 0xXXXXXXXX
;   req N: read lba L count n error: status 0xSSSSSSSS error 0xEEEEEEEE
; then "disk-ata: N requests", and a debug exit with status 0.
; Status 1 after a line saying why: a status that never showed DRQ within
; ATA_POLL_LIMIT polls, a status other than DRDY after the last sector, or a
; script it cannot read.

%include "multiboot.inc"
        MULTIBOOT_IMAGE _start
%include "format.inc"
%include "disk_script.inc"

%define ATA_BUFFER 0x400000             ; room for 256 sectors
%define ATA_POLL_LIMIT 1000
%define WAIT_READY 0                    ; ata_wait_drq's [wait_result]
%define WAIT_ERROR 1
%define WAIT_TIMEOUT 2
%define ATA_PORT(r) (PTV_ATA_BASE + PTV_ATA_REG_ %+ r)

_start:
        mov esp, guest_stack_top
        call script_init
        call uart_init
.next:  call script_next
        cmp eax, SCRIPT_BATCH
        je .batch
        cmp eax, SCRIPT_START
        je .next                        ; ring indices mean nothing here
        cmp eax, SCRIPT_END
        je .end
        call script_word_string
        PRINTF printf, `script: cannot read "%s"\n`, esi
        mov al, 1
        jmp exit
.batch: mov ebx, batch                  ; one request after the other
        mov ecx, [batch_len]
.req:   mov [request], ebx
        call ata_request
        add ebx, REQ_BYTES
        dec ecx
        jnz .req
        jmp .next
.end:   PRINTF printf, `disk-ata: %d requests\n`, dword [requests]
        xor al, al
exit:   mov dx, PTV_DEBUG_EXIT_PORT
        out dx, al
.halt:  cli
        hlt
        jmp .halt

; OUT to one ATA register: OUT_REG NAME, value (clobbers AL, DX)
%macro OUT_REG 2
        mov dx, ATA_PORT(%1)
        mov al, %2
        out dx, al
%endmacro

; The request at [request]. Preserves EBX, ECX.
ata_request:
        push ebx
        push ecx
        inc dword [requests]
        mov esi, [request]
        mov dword [op_name], name_read
        mov byte [command], PTV_ATA_CMD_READ_SECTORS
        cmp dword [esi + REQ_OP], PTV_PVBLK_OP_WRITE
        jne .registers
        mov dword [op_name], name_write
        mov byte [command], PTV_ATA_CMD_WRITE_SECTORS
        mov edi, ATA_BUFFER
        mov ecx, [esi + REQ_COUNT]
        shl ecx, 7                      ; 128 dwords a sector
        mov edx, [esi + REQ_SEED]
        call fill_pattern
.registers:
        mov ebx, [esi + REQ_LBA]
        mov eax, ebx
        shr eax, 24
        and al, 0x0f
        or al, PTV_ATA_DRIVE_LBA
        mov dx, ATA_PORT(DRIVE)
        out dx, al
        OUT_REG COUNT, [esi + REQ_COUNT]        ; 256 goes out as 0
        OUT_REG LBA_LOW, bl
        OUT_REG LBA_MID, bh
        shr ebx, 16
        OUT_REG LBA_HIGH, bl
        OUT_REG COMMAND, [command]

        mov edi, ATA_BUFFER
        mov ebx, [esi + REQ_COUNT]      ; sectors left
.sector:
        call ata_wait_drq
        jc .failed
        mov dx, ATA_PORT(DATA)
        mov ecx, PTV_ATA_SECTOR_SIZE / 2
        cmp byte [command], PTV_ATA_CMD_WRITE_SECTORS
        je .write
.read:  in ax, dx                       ; one word, one exit
        mov [edi], ax
        add edi, 2
        dec ecx
        jnz .read
        jmp .sector_done
.write: mov ax, [edi]
        out dx, ax
        add edi, 2
        dec ecx
        jnz .write
.sector_done:
        dec ebx
        jnz .sector

        mov dx, ATA_PORT(STATUS)        ; done: ready, no data, no error
        in al, dx
        movzx eax, al
        mov ecx, eax
        and cl, PTV_ATA_SR_BSY | PTV_ATA_SR_DRDY | PTV_ATA_SR_DRQ | PTV_ATA_SR_ERR
        cmp cl, PTV_ATA_SR_DRDY
        jne .bad_end
        mov ecx, [esi + REQ_COUNT]
        shl ecx, 9
        push esi
        mov esi, ATA_BUFFER
        call fnv1a32
        pop esi
        PRINTF printf, `req %d: %s lba %d count %d fnv 0x%x\n`, dword [requests], \
            dword [op_name], dword [esi + REQ_LBA], dword [esi + REQ_COUNT], eax
        jmp .out
.bad_end:
        PRINTF printf, `req %d: %s lba %d count %d status 0x%x after the last sector\n`, \
            dword [requests], dword [op_name], dword [esi + REQ_LBA], \
            dword [esi + REQ_COUNT], eax
        mov al, 1
        jmp exit
.failed:                                ; EAX = status
        cmp dword [wait_result], WAIT_ERROR
        jne .timeout
        mov dx, ATA_PORT(ERROR)
        in al, dx
        movzx eax, al
        movzx edx, byte [last_status]
        PRINTF printf, `req %d: %s lba %d count %d error: status 0x%x error 0x%x\n`, \
            dword [requests], dword [op_name], dword [esi + REQ_LBA], \
            dword [esi + REQ_COUNT], edx, eax
        jmp .out
.timeout:
        PRINTF printf, `req %d: %s lba %d count %d timeout: status 0x%x after %d polls\n`, \
            dword [requests], dword [op_name], dword [esi + REQ_LBA], \
            dword [esi + REQ_COUNT], eax, ATA_POLL_LIMIT
        mov al, 1
        jmp exit
.out:   pop ecx
        pop ebx
        ret

; Polls the status register until BSY = 0 and DRQ = 1. Out: EAX = the last
; status; CF clear when ready, set with [wait_result] = WAIT_ERROR (ERR) or
; WAIT_TIMEOUT. Preserves the other registers.
ata_wait_drq:
        push ecx
        push edx
        mov ecx, ATA_POLL_LIMIT
        mov dx, ATA_PORT(STATUS)
.poll:  in al, dx
        movzx eax, al
        mov [last_status], al
        test al, PTV_ATA_SR_BSY
        jnz .again
        test al, PTV_ATA_SR_ERR
        jnz .error
        test al, PTV_ATA_SR_DRQ
        jnz .ready
.again: dec ecx
        jnz .poll
        mov dword [wait_result], WAIT_TIMEOUT
        stc
        jmp .out
.error: mov dword [wait_result], WAIT_ERROR
        stc
        jmp .out
.ready: mov dword [wait_result], WAIT_READY
        clc
.out:   pop edx
        pop ecx
        ret

        DEFINE_PRINTF printf, uart_puts

        section .data
name_read: db "read", 0
name_write: db "write", 0

        section .bss
        alignb 4
request: resd 1
requests: resd 1
op_name: resd 1
wait_result: resd 1
command: resb 1
last_status: resb 1
        section .text

%include "uart.inc"
%include "checksum.inc"
