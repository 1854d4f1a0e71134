; mb-syscall.asm -- microbenchmark "syscall" (Adams & Agesen 2006): a user
; program (ring 3) makes N system calls with `int 0x80`, each returning at
; once with `iret`. See include/microbench.inc.

%include "microbench.inc"
bench:
        push MB_UDS                     ; into ring 3 through an iret frame
        push mb_user_stack_top
        push 0x002                      ; EFLAGS: IF = 0
        push MB_UCS
        push .user
        iretd
.user:  mov ecx, ebp
        xor eax, eax
.loop:  int 0x80                        ; the operation measured
        dec ecx
        jnz .loop
        mov eax, 1                      ; done: back to the kernel, which ends the VM
        int 0x80
