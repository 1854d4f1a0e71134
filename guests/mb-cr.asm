; mb-cr.asm -- microbenchmark "control-register write" (Adams & Agesen 2006
; write CR8, a 64-bit register; here CR3, which paging-off guests may write
; freely): N writes of the same value, in ring 0. See include/microbench.inc.

%include "microbench.inc"
bench:
        mov ecx, ebp
        mov eax, cr3
.loop:  mov cr3, eax                    ; the operation measured
        dec ecx
        jnz .loop
        ret
