; jumptable.asm -- computed control flow, the other reason x86 cannot be
; translated statically: a `switch` through a jump table (`jmp [table +
; eax*4]`, a target known only at run time) and deep call/ret (a recursion
; 200 calls deep, whose returns a binary translator must find through
; lookup()).
;  1. For i = 0 .. 999, case i mod 5 of a five-way switch adds 1, 10, 100,
;     1000 or 10000 to a total: 200 of each, 2222200.
;  2. sum(n) = n + sum(n - 1), sum(0) = 0, recursively for n = 200: 20100.
; Serial (exact):
;   jumptable: switch total 2222200 (expected 2222200)
;   jumptable: recursive sum 20100 (expected 20100)
; Then EAX = 2222200 + 20100 = 2242300 and `cli; hlt`.

%include "multiboot.inc"
        MULTIBOOT_IMAGE _start
%include "format.inc"

_start:
        mov esp, guest_stack_top
        call uart_init

        xor ebx, ebx                    ; EBX = total
        xor ecx, ecx                    ; ECX = i
.next:  mov eax, ecx
        xor edx, edx
        mov edi, 5
        div edi                         ; EDX = i mod 5
        jmp [cases + edx * 4]           ; the computed jump
.case0: add ebx, 1
        jmp .done
.case1: add ebx, 10
        jmp .done
.case2: add ebx, 100
        jmp .done
.case3: add ebx, 1000
        jmp .done
.case4: add ebx, 10000
.done:  inc ecx
        cmp ecx, 1000
        jb .next
        mov esi, ebx
        PRINTF printf, `jumptable: switch total %d (expected 2222200)\n`, ebx

        mov eax, 200
        call sum
        add esi, eax
        PRINTF printf, `jumptable: recursive sum %d (expected 20100)\n`, eax
        mov eax, esi
.halt:  cli
        hlt
        jmp .halt

; EAX = n -> EAX = n + (n - 1) + ... + 0, one call per level.
sum:    test eax, eax
        jz .zero
        push eax
        dec eax
        call sum
        pop edx
        add eax, edx
.zero:  ret

        DEFINE_PRINTF printf, uart_puts

        section .data
        align 4
cases:  dd _start.case0, _start.case1, _start.case2, _start.case3, _start.case4
        section .text

%include "uart.inc"
