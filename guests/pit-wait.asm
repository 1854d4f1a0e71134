; pit-wait.asm -- waits N ticks of the 8254 PIT (1.193182 MHz), then ends:
; the guest of "the PIT keeps time" (N / 1193182 s of the machine's time).
;
; Counter 0 runs free in mode 2 with count 0 (pit.inc), wrapping every
; 65536 ticks (54.9 ms); the guest waits for the count to reach the counting
; element (NULL COUNT clear, through the Read-Back status), then reads it
; over and over, adding up (previous - current) mod 65536, so wrap-arounds
; are counted, until N ticks have passed. Any poll interval under 54.9 ms
; keeps the sum right.
; N: the command line (ptvlab --cmdline N), default 1193182 (one second).
; Serial (exact): "pit-wait: N ticks\n", after the wait.
; Exits on ptvlab: PIT 3 (start) + 2 per NULL COUNT poll + 3 per read (as
; many reads as the wait takes), UART 7 + 2 per byte, then the debug exit
; (status 0).

%define CMDLINE_DEFAULT_COUNT 1193182
%include "multiboot.inc"
        MULTIBOOT_IMAGE _start
%include "format.inc"

_start:
        mov esp, guest_stack_top
        call cmdline_count
        mov [ticks], eax
        mov edi, eax                            ; EDI = ticks to wait
        call pit_start
        call pit_wait_load
        call pit_read
        movzx esi, ax                           ; ESI = the previous count
        xor ebx, ebx                            ; EBX = ticks so far
.wait:  cmp ebx, edi
        jae .done
        call pit_read
        movzx eax, ax
        mov edx, esi
        sub edx, eax
        and edx, 0xffff                         ; (previous - now) mod 65536
        add ebx, edx
        mov esi, eax
        jmp .wait
.done:  call uart_init
        PRINTF printf, `pit-wait: %d ticks\n`, dword [ticks]
        mov dx, PTV_DEBUG_EXIT_PORT
        xor eax, eax
        out dx, al                              ; status 0: the VM ends here
.halt:  cli
        hlt
        jmp .halt

        DEFINE_PRINTF printf, uart_puts

        section .bss
ticks:  resd 1
        section .text

%include "cmdline.inc"
%include "pit.inc"
%include "uart.inc"
