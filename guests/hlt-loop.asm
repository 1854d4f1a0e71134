; hlt-loop.asm -- HLT microbenchmark: N times "sti; hlt".
;
; HLT with interrupts enabled means "wait for an interrupt": KVM hands it to
; the ptvlab worker (KVM_EXIT_HLT), which, having no interrupt source, resumes
; the guest at once. So each iteration is one exit, like an idle loop.
; N: the command line (ptvlab --cmdline N; QEMU -append N), default 100000.
; Serial: nothing.
; Exits on ptvlab: hlt = N, then port I/O = 1 (debug exit, status 0).
;
; Under QEMU the BIOS left the PIC and its 18.2 Hz timer running, so each hlt
; waits for a tick (use a small N, e.g. -append 20) and the tick needs an IDT:
; every vector goes to irq_stub, which acknowledges the PIC and goes back to
; the loop (without IRET: KVM's instruction emulator, which some hosts run
; such guests on, only knows the real-mode IRET). On ptvlab no interrupt ever
; arrives: the IDT costs no exit, irq_stub never runs, cli costs no exit.

%include "multiboot.inc"
        MULTIBOOT_IMAGE _start

%define PIC1_COMMAND 0x20               ; 8259A master, command port
%define PIC_EOI 0x20                    ; OCW2: non-specific end of interrupt
%define IDT_GATE_INT32 0x8E00           ; present, DPL 0, 32-bit interrupt gate

_start:
        mov esp, guest_stack_top
        call cmdline_count              ; EAX = N
        mov ebx, eax

        mov edx, irq_stub               ; 256 identical gates to irq_stub
        mov edi, idt
        mov ecx, 256
.gate:  mov [edi], dx                   ; offset 15..0
        mov [edi + 2], cs               ; selector: whatever the loader uses
        mov eax, edx
        mov ax, IDT_GATE_INT32          ; offset 31..16, type
        mov [edi + 4], eax
        add edi, 8
        loop .gate
        lidt [idtr]

        xor ecx, ecx                    ; ECX = counter, 0 .. N-1
.loop:  cmp ecx, ebx
        jae .done
        sti
        hlt                             ; the exit we measure
.woke:  cli                             ; (an interrupt returns here)
        inc ecx
        jmp .loop
.done:  cli
        mov dx, PTV_DEBUG_EXIT_PORT
        xor eax, eax
        out dx, al                      ; status 0: the VM ends here
.halt:  hlt                             ; not reached on ptvlab or QEMU
        jmp .halt

irq_stub:                               ; QEMU only, see above
        add esp, 12                     ; drop EIP, CS, EFLAGS: we know where
        push eax                        ; we were, in hlt, with IF = 1
        mov al, PIC_EOI
        out PIC1_COMMAND, al
        pop eax
        jmp _start.woke                 ; IF stays 0, as after the cli

        align 4
        dw 0
idtr:   dw 256 * 8 - 1                  ; limit
        dd idt                          ; base

        section .bss
        alignb 8
idt:    resb 256 * 8
        section .text

%include "cmdline.inc"
