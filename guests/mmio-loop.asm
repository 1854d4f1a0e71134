; mmio-loop.asm -- MMIO microbenchmark: N stores to a scratch register.
;
; The scratch page is not RAM, so each store faults into KVM, which decodes
; the instruction and hands the access to the ptvlab worker: one exit each,
; dearer than port I/O because of that decoding.
; N: the command line (ptvlab --cmdline N; QEMU -append N), default 100000.
; Serial: nothing.
; Exits on ptvlab: MMIO = N (32-bit writes to PTV_MMIO_SCRATCH_BASE), then
; port I/O = 1 (debug exit, status 0). QEMU ignores the stores and exits 1.

%include "multiboot.inc"
        MULTIBOOT_IMAGE _start

_start:
        mov esp, guest_stack_top
        call cmdline_count              ; EAX = N
        mov ebx, eax
        xor ecx, ecx                    ; ECX = counter, 0 .. N-1
.loop:  cmp ecx, ebx
        jae .done
        mov eax, ecx
        mov [PTV_MMIO_SCRATCH_BASE], eax ; the exit we measure
        inc ecx
        jmp .loop
.done:  mov dx, PTV_DEBUG_EXIT_PORT
        xor eax, eax
        out dx, al                      ; status 0: the VM ends here
.halt:  cli                             ; not reached on ptvlab or QEMU
        hlt
        jmp .halt

%include "cmdline.inc"
