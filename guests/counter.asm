; counter.asm -- a guest with state worth saving: a counter that only goes
; up, printed on the UART, and a working set of memory it keeps rewriting.
; The guest of the management service's snapshots and restarts, and of live
; migration (its working set is what the dirty log sees).
;
; Boot: prints "counter: working set K KiB\n" once. Then forever: each
; iteration stores the iteration count (ECX) into the next page of the
; working set (one dword per 4 KiB page, pages at 0x400000 upwards, round
; robin), and every 2^14 iterations prints "counter N\n" with N = 1, 2, 3...
; So after a restore it goes on from the snapshot's N (no second banner),
; and RAM is the same as it was when the snapshot was taken.
; K: the command line (--cmdline K), in KiB, default 1024; clamped to the
; RAM above 0x400000 (the multiboot mem_upper field), at least one page.
; Exits on ptvlab: port I/O 7 + 2 per byte printed; it never ends by itself.

%define CMDLINE_DEFAULT_COUNT 1024
%include "multiboot.inc"
        MULTIBOOT_IMAGE _start
%include "format.inc"

%define WS_BASE 0x400000
%define PRINT_SHIFT 14

_start:
        mov esp, guest_stack_top
        mov edx, [ebx + 8]              ; mem_upper: KiB of RAM above 1 MiB
        call cmdline_count              ; EAX = working set in KiB
        sub edx, (WS_BASE >> 10) - 1024 ; KiB of RAM above WS_BASE
        cmp eax, edx
        jbe .fits
        mov eax, edx
.fits:  cmp eax, 4
        jae .sized
        mov eax, 4
.sized: and eax, ~3                     ; whole pages
        mov [ws_kib], eax
        shr eax, 2
        mov [ws_pages], eax
        call uart_init
        PRINTF printf, `counter: working set %d KiB\n`, dword [ws_kib]
        xor ebx, ebx                    ; EBX = next page of the working set
        xor ecx, ecx                    ; ECX = iteration
.loop:  mov eax, ebx
        shl eax, 12
        mov [WS_BASE + eax], ecx
        inc ebx
        cmp ebx, [ws_pages]
        jb .next
        xor ebx, ebx
.next:  inc ecx
        test ecx, (1 << PRINT_SHIFT) - 1
        jnz .loop
        inc dword [lines]
        PRINTF printf, `counter %d\n`, dword [lines]
        jmp .loop

        DEFINE_PRINTF printf, uart_puts

        section .bss
ws_kib:   resd 1
ws_pages: resd 1
lines:    resd 1
        section .text

%include "cmdline.inc"
%include "uart.inc"
