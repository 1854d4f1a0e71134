; mb-divzero.asm -- microbenchmark "divzero" (Adams & Agesen 2006): N
; divisions by zero in ring 0, each a #DE whose handler skips the DIV and
; returns with iret. See include/microbench.inc.

%include "microbench.inc"
bench:
        mov ecx, ebp
        xor ebx, ebx
.loop:  xor edx, edx
        mov eax, ecx
        div ebx                         ; the operation measured (2 bytes: F7 F3)
        dec ecx
        jnz .loop
        ret
