; fault-smp.asm -- one vCPU of several triple-faults; the VM ends with an
; outcome that names it.
;
; Run with --cpus N. The last CPU (N - 1) divides by zero under an empty IDT
; (#DE -> #GP -> #DF -> triple fault, as fault-triple.asm explains) while
; every other CPU spins where it is, with no exit. The boot CPU first prints
; which CPU will fault and where, then lets it go, so the line is out before
; the fault. With one CPU the boot CPU is the last one and faults itself.
; Serial (exact): "fault-smp: vCPU K divides by zero at 0xXXXXXXXX\n"
; Outcome: triple-fault; with N > 1 the message begins "vCPU K: " and the
; RIP is K's, at the div.

%include "multiboot.inc"
        MULTIBOOT_IMAGE _start

%include "format.inc"

_start:
        test edi, edi
        jnz .wait_go
        ; The boot CPU: the UART and the line, then "go".
        call uart_init
        lea eax, [esi - 1]
        PRINTF printf, `fault-smp: vCPU %d divides by zero at 0x%x\n`, eax, dword fault_at
        mov dword [go], 1
.wait_go:                               ; a plain spin: every host runs it
        cmp dword [go], 1
        jne .wait_go
        lea eax, [edi + 1]
        cmp eax, esi
        je .fault                               ; the last CPU
.spin:  jmp .spin                               ; the others: no exit

.fault: lidt [empty_idt]
        xor ecx, ecx
        xor edx, edx
fault_at:
        div ecx                         ; #DE -> #GP -> #DF -> triple fault
.halt:  cli                             ; never reached
        hlt
        jmp .halt

        DEFINE_PRINTF printf, uart_puts
%include "uart.inc"

        section .data
        align 4
empty_idt:
        dw 0                            ; limit 0: no vector fits
        dd 0

        section .bss
        alignb 4
go:     resd 1
