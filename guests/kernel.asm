; kernel.asm -- a kernel in miniature: its own GDT, TSS and IDT, interrupts
; off and on, exceptions handled, a user program in ring 3 making system
; calls, and a checksum. The guest the CPU model of sim/vmm runs under every
; technique (trap-and-emulate, VMX model, ...), and the native half of the
; pair kernel / kernel-pv.
;
; The kernel itself is include/kernel.inc (read it: its header lists every
; step); this file is what makes it native: the pv_ops below are the
; privileged instructions themselves (cli, sti, pushfd, popfd) and the
; console is the 16550 UART, one port access at a time.
;
; Shows: what an operating system does that a hypervisor must handle --
; lgdt, ltr, lidt, a far jump, cli/sti/pushf/popf, port I/O, #DE, #UD,
; int 0x80 from ring 3, #GP(0) for a privileged instruction in ring 3,
; iret to ring 3 and back -- and, on a host like kvm_pvm, what KVM's
; instruction emulator cannot run (INT n and IRET in protected mode).
;
; Command line: empty for the int 0x80 / iret path; "sysenter" for the
; SYSENTER/SYSEXIT path, which has no INT n and no IRET (kernel.inc).
; Serial (exact, both paths; 537 bytes):
;   kernel: own GDT, TSS and IDT loaded, running in ring 0
;   cli: IF=0
;   sti: IF=1
;   popf: IF=0
;   trap: #DE divide error in ring 0 at 'div ecx', resuming after it
;   trap: #UD invalid opcode in ring 0 at 'ud2', resuming after it
;   kernel: entering ring 3
;   user: hello from ring 3
;   trap: #GP general protection (error code 0x00000000) in ring 3 at 'cli', resuming after it
;   user: 2 system calls so far
;   kernel: back in ring 0, user exit code 42 after 4 system calls
;   kernel: traps handled: #DE 1, #UD 1, #GP 1
;   kernel: checksum 0x8b3f6b31 over 487 bytes of log
; EAX at the end: 0x8b3f6b31, FNV-1a over the kernel log (the 487 bytes of
; every line but the last). EBX = 42 (the exit code), CS = 0x08, SS = DS =
; ES = FS = GS = 0x10. EFLAGS at the hlt: 0x00000016 (PF and AF of the last
; "add esp" of a PRINTF; IF = 0).
; Exits on ptvlab: port I/O = 7 + 2 * 537 = 1081, hlt = 1 -- the sysenter
; path anywhere, the int 0x80 path where the host runs INT n and IRET (VMX,
; SVM, QEMU's TCG). On kvm_pvm the int 0x80 path stops at the first IRET,
; the #DE handler's: KVM internal error 1 (emulation failure) after the
; first 5 lines (151 bytes): port I/O = 7 + 2 * 151 = 309, internal error 1.

%include "multiboot.inc"
        MULTIBOOT_IMAGE _start

; The pv_ops of a native kernel: the real instructions.
%macro IRQ_DISABLE 0
        cli
%endmacro
%macro IRQ_ENABLE 0
        sti
%endmacro
%macro IRQ_SAVE 0
        pushfd
%endmacro
%macro IRQ_RESTORE 0
        popfd
%endmacro
%macro KERNEL_RING_EAX 0
        xor eax, eax
        mov ax, cs
        and eax, 3                      ; CS.RPL = CPL
%endmacro
%macro IRQ_STATE_EAX 0
        pushfd
        pop eax
        shr eax, 9                      ; EFLAGS.IF is bit 9
        and eax, 1
%endmacro

%include "kernel.inc"

arch_init:
        jmp uart_init                   ; 7 port writes

console_write:
        jmp uart_puts                   ; 2 exits a byte

arch_halt:
        cli
        hlt                             ; the VM is done
        jmp arch_halt

%include "uart.inc"
%include "checksum.inc"
%include "cmdline.inc"
