; pio-loop.asm -- port I/O microbenchmark: N writes to the POST-code port.
;
; Each OUT is one VM exit handled by the cheapest device there is, so the
; loop measures the round trip guest -> KVM -> ptvlab worker -> guest.
; N: the command line (ptvlab --cmdline N; QEMU -append N), default 100000.
; Serial: nothing.
; Exits on ptvlab: port I/O = N (OUT to PTV_POST_CODE_PORT) + 1 (debug exit,
; status 0). Under QEMU (isa-debug-exit at 0x501) it ends with exit code 1.

%include "multiboot.inc"
        MULTIBOOT_IMAGE _start

_start:
        mov esp, guest_stack_top
        call cmdline_count              ; EAX = N
        mov ebx, eax
        xor ecx, ecx                    ; ECX = counter, 0 .. N-1
.loop:  cmp ecx, ebx
        jae .done
        mov eax, ecx
        out PTV_POST_CODE_PORT, al      ; the exit we measure
        inc ecx
        jmp .loop
.done:  mov dx, PTV_DEBUG_EXIT_PORT
        xor eax, eax
        out dx, al                      ; status 0: the VM ends here
.halt:  cli                             ; not reached on ptvlab or QEMU
        hlt
        jmp .halt

%include "cmdline.inc"
