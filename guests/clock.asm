; clock.asm -- the time, read two ways: K times through the 8254 PIT, an
; emulated device (three exits a read), and K times from the para-
; virtualized clock page (no exit at all), the lesson of kvmclock.
;
; It registers its clock page (one OUT to PTV_PVCLOCK_PORT), starts counter 0
; of the PIT as a free-running mode 2 counter (pit.inc: 3 OUTs), then
;   - K PIT reads: latch, LSB, MSB; the elapsed ticks summed over the reads
;     (each read is far less than a wrap-around after the one before);
;   - K PV clock reads: the seqlock of ptv/portmap.h -- version, time_ns,
;     version again, retried while odd or changed (x86 keeps loads in
;     order, so no fence is needed between them);
; and prints how long each series took, by its own clock.
; K: the command line (ptvlab --cmdline K), default 1000.
; Serial (exact format): "clock: PIT, K reads in U us (3 exits each)\n",
; then "clock: PV clock, K reads in U us (no exits)\n"; the PV clock's U moves
; in steps of the page's period (1000 us).
; Exits on ptvlab: PIT 3 + 3K, pv-clock 1, port I/O on the UART 7 + 2 per
; byte, then the debug exit (status 0).

%define CMDLINE_DEFAULT_COUNT 1000
%include "multiboot.inc"
        MULTIBOOT_IMAGE _start
%include "format.inc"

_start:
        mov esp, guest_stack_top
        call cmdline_count
        mov [reads], eax
        call uart_init

        mov dx, PTV_PVCLOCK_PORT                ; the page, handed over once
        mov eax, clock_page
        out dx, eax
        call pit_start

        ; --- K reads through the PIT: 3 exits each
        mov ecx, [reads]
        xor ebx, ebx                            ; EBX = ticks so far
        test ecx, ecx
        jz .pit_done
        call pit_read
        movzx esi, ax                           ; ESI = the previous count
        dec ecx
        jz .pit_done
.pit:   call pit_read
        movzx eax, ax
        mov edx, esi
        sub edx, eax                            ; previous - now ...
        and edx, 0xffff                         ; ... mod 65536
        add ebx, edx
        mov esi, eax
        dec ecx
        jnz .pit
.pit_done:
        mov eax, ebx                            ; ticks -> microseconds
        mov edx, 1000000
        mul edx
        mov ecx, PTV_PIT_HZ
        div ecx
        mov [pit_us], eax
        PRINTF printf, `clock: PIT, %d reads in %d us (3 exits each)\n`, dword [reads], \
               dword [pit_us]

        ; --- K reads of the PV clock page: no exit
        xor eax, eax
        mov [first_ns], eax
        mov [first_ns + 4], eax
        mov [last_ns], eax
        mov [last_ns + 4], eax
        mov ecx, [reads]
        test ecx, ecx
        jz .pv_done
        call pv_read
        mov [first_ns], eax
        mov [first_ns + 4], edx
        mov [last_ns], eax
        mov [last_ns + 4], edx
        dec ecx
        jz .pv_done
.pv:    call pv_read
        mov [last_ns], eax
        mov [last_ns + 4], edx
        dec ecx
        jnz .pv
.pv_done:
        mov eax, [last_ns]                      ; last - first, in us
        mov edx, [last_ns + 4]
        sub eax, [first_ns]
        sbb edx, [first_ns + 4]
        mov ecx, 1000
        div ecx
        mov [pv_us], eax
        PRINTF printf, `clock: PV clock, %d reads in %d us (no exits)\n`, dword [reads], \
               dword [pv_us]

        mov dx, PTV_DEBUG_EXIT_PORT
        xor eax, eax
        out dx, al                              ; status 0: the VM ends here
.halt:  cli
        hlt
        jmp .halt

; EDX:EAX = the page's time_ns, read under its seqlock. Clobbers nothing else.
pv_read:
        push ebx
.retry: mov ebx, [clock_page + PTV_PVCLOCK_OFF_VERSION]
        test ebx, 1
        jnz .retry                              ; the host is writing it
        mov eax, [clock_page + PTV_PVCLOCK_OFF_TIME_NS]
        mov edx, [clock_page + PTV_PVCLOCK_OFF_TIME_NS + 4]
        cmp ebx, [clock_page + PTV_PVCLOCK_OFF_VERSION]
        jne .retry                              ; rewritten while we read
        pop ebx
        ret

        DEFINE_PRINTF printf, uart_puts

        section .bss
        alignb 8
reads:      resd 1
pit_us:     resd 1
pv_us:      resd 1
first_ns:   resq 1
last_ns:    resq 1
        alignb PTV_PVCLOCK_PAGE_SIZE
clock_page: resb PTV_PVCLOCK_PAGE_SIZE
        section .text

%include "cmdline.inc"
%include "pit.inc"
%include "uart.inc"
