; mb-in.asm -- microbenchmark "in" (Adams & Agesen 2006): N reads of a device
; register (the UART's line status register), in ring 0. See
; include/microbench.inc.

%include "microbench.inc"
bench:
        mov ecx, ebp
        mov dx, PTV_COM1_BASE + 5     ; LSR
.loop:  in al, dx                       ; the operation measured
        dec ecx
        jnz .loop
        ret
