/* switch.S -- the context switch of the user-level threads.
 *
 * uthread_switch(uint32_t *save, uint32_t next): a thread's context is its
 * stack pointer; the cdecl caller has saved EAX, ECX and EDX already, so
 * only EBX, ESI, EDI and EBP go on the stack (with the return address the
 * call pushed). Switching is storing ESP and loading another. */
        .text
        .globl uthread_switch
uthread_switch:
        mov 4(%esp), %eax       /* save */
        mov 8(%esp), %edx       /* next */
        push %ebp
        push %ebx
        push %esi
        push %edi
        mov %esp, (%eax)
        mov %edx, %esp
        pop %edi
        pop %esi
        pop %ebx
        pop %ebp
        ret

        .section .note.GNU-stack, "", @progbits
