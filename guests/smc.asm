; smc.asm -- self-modifying code, the case that makes static translation of
; x86 impossible and makes a binary translator watch its own input: the guest
; rewrites instructions it has already executed, and the new bytes must run.
;  1. A loop rewrites the immediate of a `mov eax, imm32` in its own body
;     (the same translation unit) before executing it: the sum of 1..100.
;  2. A routine is called, then its opcode is patched (`inc eax` -> `dec
;     eax`), then it is called again: +1 then -1.
;  3. Code is copied into a buffer and run there, twice, with different
;     bytes the second time (a JIT's pattern: generate, run, regenerate).
;  4. A routine called (and so chained to) from one place gets a `cli` for
;     its first byte, is called from another place, then from the first one
;     again: translated code chained to it must find it a callout now.
; Serial (exact):
;   smc: sum 5050 (expected 5050)
;   smc: patched routine 1 then 0 (expected 1 then 0)
;   smc: generated code 7 then 9 (expected 7 then 9)
;   smc: patched routine called 4 times (expected 4)
; Then EAX = 5050 + 1 + 0 + 7 + 9 + 4 = 5071 and `cli; hlt`.

%include "multiboot.inc"
        MULTIBOOT_IMAGE _start
%include "format.inc"

_start:
        mov esp, guest_stack_top
        call uart_init

        ; 1. The immediate of the instruction at `.patch` is the counter.
        xor ebx, ebx
        mov ecx, 100
.loop:  mov [.patch + 1], ecx           ; the store lands in this very unit
.patch: mov eax, 0x12345678             ; B8 imm32: runs with the new imm32
        add ebx, eax
        dec ecx
        jnz .loop
        mov esi, ebx                    ; ESI = the running total
        PRINTF printf, `smc: sum %d (expected 5050)\n`, ebx

        ; 2. A routine, run, patched, run again.
        xor eax, eax
        call bump
        mov ebx, eax
        mov byte [bump], 0x48           ; 40 (inc eax) -> 48 (dec eax)
        call bump
        add esi, ebx
        add esi, eax
        PRINTF printf, `smc: patched routine %d then %d (expected 1 then 0)\n`, ebx, eax

        ; 3. Generated code: `mov eax, imm32; ret`, then another imm32.
        mov byte [jit], 0xB8
        mov dword [jit + 1], 7
        mov byte [jit + 5], 0xC3
        call jit
        mov ebx, eax
        mov dword [jit + 1], 9
        call jit
        add esi, ebx
        add esi, eax
        PRINTF printf, `smc: generated code %d then %d (expected 7 then 9)\n`, ebx, eax

        ; 4. `flip` counts its calls in EDX; its first byte becomes `cli`.
        xor edx, edx
        call via                        ; via's `call flip` gets chained to flip
        call via
        mov byte [flip], 0xFA           ; nop -> cli: flip starts with a callout
        call flip                       ; another call site translates it again
        call via                        ; the old chain now leads to a callout
        add esi, edx
        PRINTF printf, `smc: patched routine called %d times (expected 4)\n`, edx

        mov eax, esi
.halt:  cli
        hlt
        jmp .halt

bump:   inc eax
        ret

via:    call flip
        ret

        align 256                       ; a code line of its own
flip:   nop
        inc edx
        ret

        DEFINE_PRINTF printf, uart_puts

        section .bss
jit:    resb 16
        section .text

%include "uart.inc"
