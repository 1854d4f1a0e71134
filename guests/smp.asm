; smp.asm -- every vCPU works at once: a compute-bound guest for --cpus N.
;
; Each CPU starts at _start (ptv/portmap.h, "Several vCPUs": EDI = its number,
; ESI = how many, EAX = the multiboot magic on the boot CPU and
; PTV_AP_BOOT_MAGIC on the others, ESP = its own stack). It checks what it
; was given, sets its bit in `checked_in`, waits for the boot CPU's "go",
; runs R rounds of xorshift32 (Marsaglia 2003) from the seed (its number + 1)
; with no exit at all, and adds itself to `done`. An application processor
; then stops (cli; hlt). The boot CPU waits for every CPU to be done, folds
; the results with XOR, prints one line and stops too: the VM halts when the
; last vCPU has.
;
; R: the command line (ptv kvm run smp --cpus N --cmdline R), default
; 100,000 (some 0.6 s a CPU where the host emulates this non-paged guest, as
; kvm_pvm does; milliseconds on VMX hardware).
; Serial (exact):
;   "smp: N cpus, checked in 0xMMMMMMMM, R rounds, result 0xXXXXXXXX\n"
; M has bit k set for each CPU k whose registers were right (0x00000003 with
; two); X is the XOR of the CPUs' xorshift32 states (tests/kvm/test_smp.cpp
; has the reference in C++).
; Exits, exact: the boot CPU 7 + 2 * (the line's length) port I/O and 1 hlt;
; every other CPU 1 hlt and nothing else.

%include "multiboot.inc"
%define CMDLINE_DEFAULT_COUNT 100000
        MULTIBOOT_IMAGE _start

%include "format.inc"

_start:
        ; Check in: the stack and the magic this CPU was given. EBP is 1
        ; while all is right.
        mov ebp, 1
        imul ecx, edi, PTV_CPU_STACK_SIZE
        mov edx, PTV_BOOT_STACK_TOP
        sub edx, ecx
        cmp esp, edx
        je .stack_ok
        xor ebp, ebp
.stack_ok:
        cmp edi, esi                            ; CPU number below the count
        jb .number_ok
        xor ebp, ebp
.number_ok:
        test edi, edi
        jnz .ap
        cmp eax, PTV_MULTIBOOT_BOOTLOADER_MAGIC
        je .checked
        xor ebp, ebp
        jmp .checked
.ap:    cmp eax, PTV_AP_BOOT_MAGIC
        je .checked
        xor ebp, ebp
.checked:
        test ebp, ebp
        jz .boot_work
        lock bts dword [checked_in], edi

.boot_work:
        test edi, edi
        jnz .wait_go
        ; The boot CPU's one-time work: the count and the UART.
        mov [cpus], esi
        call cmdline_count                      ; EAX = R (EAX, EBX as loaded)
        mov [rounds], eax
        call uart_init
        mov dword [go], 1
.wait_go:                               ; a plain spin: every host runs it
        cmp dword [go], 1
        jne .wait_go

        ; The work: R rounds of xorshift32 from seed k + 1, no exits.
        lea eax, [edi + 1]
        mov ecx, [rounds]
        jecxz .store
.round: mov edx, eax
        shl edx, 13
        xor eax, edx
        mov edx, eax
        shr edx, 17
        xor eax, edx
        mov edx, eax
        shl edx, 5
        xor eax, edx
        dec ecx
        jnz .round
.store: mov [results + edi * 4], eax
        lock inc dword [done]
        test edi, edi
        jz .fold
.stop:  cli                                     ; this CPU is finished
        hlt
        jmp .stop

.fold:  ; The boot CPU: wait for every CPU, then fold their results.
        mov eax, [done]
        cmp eax, [cpus]
        jne .fold
        xor eax, eax
        xor ecx, ecx
.xor:   xor eax, [results + ecx * 4]
        inc ecx
        cmp ecx, [cpus]
        jne .xor
        PRINTF printf, `smp: %d cpus, checked in 0x%x, %d rounds, result 0x%x\n`, dword [cpus], dword [checked_in], dword [rounds], eax
        jmp .stop

        DEFINE_PRINTF printf, uart_puts

%include "cmdline.inc"
%include "uart.inc"

        section .bss
        alignb 4
checked_in: resd 1
go:     resd 1
done:   resd 1
cpus:   resd 1
rounds: resd 1
results: resd PTV_MAX_VCPUS
