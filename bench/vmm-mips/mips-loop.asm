; mips-loop.asm -- the compute-bound guest of bench/vmm-mips: integer work
; only, no device, no interrupt, so that instructions per second measure the
; interpreter (or translator) and nothing else.
;
; N iterations (the command line, as for pio-loop; default 100000) of:
;   a xorshift32 step (shifts, xors) and an LCG step (imul, add),
;   a read-modify-write of a 64-entry table indexed by the first,
;   a read of it indexed by the second,
;   a data-dependent branch: a call to `mix` (call/ret) or an inline rotate.
; Then EAX = the checksum (EBX), ECX = the xorshift state, EDX = the LCG
; state, and `cli; hlt`: on the CPU model the run ends halted; bench-vmm-mips
; runs Unicorn up to that HLT and compares the registers and memory.
; 24 or 27 instructions per iteration (even or odd table value).

%include "multiboot.inc"
        MULTIBOOT_IMAGE _start

_start:
        mov esp, guest_stack_top
        call cmdline_count              ; EAX = N
        mov ebp, eax                    ; EBP = iterations left
        mov esi, 0x2545f491             ; ESI = xorshift32 state (non-zero)
        mov edi, 1                      ; EDI = LCG state
        xor ebx, ebx                    ; EBX = checksum
        test ebp, ebp
        jz .done
.loop:  mov eax, esi                    ; x ^= x << 13
        shl eax, 13
        xor esi, eax
        mov eax, esi                    ; x ^= x >> 17
        shr eax, 17
        xor esi, eax
        mov eax, esi                    ; x ^= x << 5
        shl eax, 5
        xor esi, eax
        imul edi, edi, 1664525          ; y = y * 1664525 + 1013904223
        add edi, 1013904223
        mov eax, esi                    ; table[x & 63] += y
        and eax, 63
        add [table + eax * 4], edi
        mov ecx, edi                    ; v = table[(y >> 8) & 63]
        shr ecx, 8
        and ecx, 63
        mov edx, [table + ecx * 4]
        test dl, 1
        jz .even
        call mix                        ; odd: checksum = ror(checksum + v, 7)
        jmp .next
.even:  rol ebx, 3                      ; even: checksum = rol(checksum, 3) ^ v
        xor ebx, edx
.next:  dec ebp
        jnz .loop
.done:  mov eax, ebx
        mov ecx, esi
        mov edx, edi
        cli
        hlt                             ; the end of the run
        jmp .done

mix:    add ebx, edx
        ror ebx, 7
        ret

        section .bss
        alignb 4
table:  resd 64

        section .text
%include "cmdline.inc"
