; mb-callret.asm -- microbenchmark "call/ret" (Adams & Agesen 2006): N calls
; of an empty function, in ring 0. A binary translator must find each
; return's target through a lookup. See include/microbench.inc.

%include "microbench.inc"
bench:
        mov ecx, ebp
.loop:  call .empty                     ; the operation measured
        dec ecx
        jnz .loop
        ret
.empty: ret
