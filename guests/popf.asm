; popf.asm -- Popek & Goldberg (1974), Robin & Irvine (2000): the sensitive
; instructions of x86 that do not trap.
;
; A guest kernel looks at its own privilege the way any kernel may: it turns
; interrupts off (cli) and reads EFLAGS back (pushf); it turns them on (sti)
; and off again by loading EFLAGS with IF clear (popf); it reads the RPL of CS
; (mov ax, cs), the GDT base (sgdt) and the machine status word (smsw).
; None of pushf, popf, mov from CS, sgdt or smsw traps in ring 3, so a
; hypervisor that deprivileges the guest kernel to ring 3 (trap-and-emulate)
; cannot see them, and the guest sees the truth about the machine instead of
; its virtual one: IF=1 after a cli the VMM emulated (pushf reads the real
; IF), a popf whose IF=0 is silently ignored (IOPL < CPL), cs.rpl=3, the
; VMM's GDT, the VMM's CR0. On real hardware, on KVM (hardware-assisted: the
; guest kernel really is in ring 0) and natively, everything is as printed
; below. That difference is the demonstration: classic x86 is not
; virtualizable by trap-and-emulate alone.
;
; EAX at the end: a mask of what was seen as a real machine shows it (0x1f on
; KVM and natively; each clear bit is a violation of equivalence):
;   bit 0  IF=0 after cli           (pushf; pop eax)
;   bit 1  IF=0 after popf(IF=0)    (sti; push flags without IF; popf; pushf)
;   bit 2  cs.rpl=0                 (mov ax, cs; and ax, 3)
;   bit 3  sgdt base=0x00001000     (the loader's GDT, PTV_BOOT_GDT)
;   bit 4  smsw=0x0011              (PE | ET: CR0 as the loader set it)
; Serial (exact, on KVM; 173 bytes):
;   popf: what a guest kernel sees of itself
;   after cli: IF=0
;   after popf(IF=0): IF=0
;   cs.rpl=0
;   sgdt base=0x00001000
;   smsw=0x0011
;   popf: seen 0x0000001f (0x1f = as on real hardware)
; EFLAGS at the hlt: 0x00000012 (AF of the last "add esp" of a PRINTF; IF=0).
; Exits on ptvlab: port I/O = 7 + 2 * 173 = 353, hlt = 1.
; Interrupts are on only between the sti and the popf (two instructions).

%include "multiboot.inc"
        MULTIBOOT_IMAGE _start
%include "format.inc"

%define EFLAGS_IF_BIT 9
%define LOADER_MSW 0x0011               ; CR0.PE | CR0.ET (vmb/boot_area.hpp)

%define SEEN_CLI_IF0 (1 << 0)
%define SEEN_POPF_IF0 (1 << 1)
%define SEEN_RPL0 (1 << 2)
%define SEEN_GDT_BASE (1 << 3)
%define SEEN_MSW (1 << 4)

; seen_if: EAX = EFLAGS.IF as pushf shows it. Clobbers EFLAGS.
%macro READ_IF 0
        pushfd
        pop eax
        shr eax, EFLAGS_IF_BIT
        and eax, 1
%endmacro

_start:
        mov esp, guest_stack_top
        call uart_init
        xor edi, edi                    ; EDI = what was seen as expected
        PRINTF printf, `popf: what a guest kernel sees of itself\n`

        cli                             ; privileged: traps in ring 3
        READ_IF                         ; pushf does not
        test eax, eax
        jnz .cli_done
        or edi, SEEN_CLI_IF0
.cli_done:
        PRINTF printf, `after cli: IF=%d\n`, eax

        sti
        pushfd                          ; EFLAGS with IF cleared...
        pop eax
        and eax, ~(1 << EFLAGS_IF_BIT)
        push eax
        popfd                           ; ...loaded: in ring 3 IF stays as is
        READ_IF
        test eax, eax
        jnz .popf_done
        or edi, SEEN_POPF_IF0
.popf_done:
        PRINTF printf, `after popf(IF=0): IF=%d\n`, eax

        xor eax, eax
        mov ax, cs                      ; the RPL of CS is the CPL
        and eax, 3
        jnz .rpl_done
        or edi, SEEN_RPL0
.rpl_done:
        PRINTF printf, `cs.rpl=%d\n`, eax

        sgdt [gdtr_seen]                ; limit (16 bits), base (32)
        mov eax, [gdtr_seen + 2]
        cmp eax, PTV_BOOT_GDT
        jne .gdt_done
        or edi, SEEN_GDT_BASE
.gdt_done:
        PRINTF printf, `sgdt base=0x%x\n`, eax

        xor eax, eax
        smsw ax                         ; CR0 bits 15..0
        cmp eax, LOADER_MSW
        jne .msw_done
        or edi, SEEN_MSW
.msw_done:
        PRINTF printf, `smsw=0x%4x\n`, eax

        PRINTF printf, `popf: seen 0x%x (0x1f = as on real hardware)\n`, edi
        mov eax, edi
.halt:  cli
        hlt                             ; the VM is done
        jmp .halt

        DEFINE_PRINTF printf, uart_puts

        section .bss
        alignb 4
        resw 1
gdtr_seen:
        resb 6
        section .text

%include "uart.inc"
