; kernel-pv.asm -- the para-virtualized kernel (Xen style): the kernel of
; `kernel` (include/kernel.inc, unchanged) over pv_ops that never trap.
;
; Interrupts: no cli/sti/pushf/popf. The virtual IF is a word in the
; shared-info page (PTV_PV_SHARED_INFO, layout in ptv/portmap.h): 1 = masked.
; The guest writes it; a hypervisor with an interrupt to deliver would read it
; (Xen: vcpu_info.evtchn_upcall_mask). The real IF stays 0 from boot on.
; Console: whole messages through the PV console ring and its doorbell (as
; pv-hello): one exit per message instead of two per byte.
; As in `kernel`: the one-time lgdt/lidt/ltr, the ring-3 system calls and
; the #DE/#UD/#GP traps (on KVM none of them is a VM exit: the hardware, or
; KVM itself, does them; a Xen guest would make hypercalls for the first).
; The end: hlt (with the real IF still 0 from boot; a Xen guest would make
; the SCHEDOP_shutdown hypercall instead).
;
; Command line: as `kernel` (empty, or "sysenter").
; Serial (exact): the same 13 lines (537 bytes) as `kernel`, on the PV
; console, one message per line. EAX at the end: the same checksum,
; 0x8b3f6b31: the log it covers holds the same bytes. EBX (42), the segment
; selectors and EFLAGS (0x00000016) end as in `kernel` too; registers that
; hold addresses and the RAM do not (other code, the ring, the shared-info
; page).
; Exits on ptvlab: port I/O = 13 doorbells, hlt = 1 (against 1081 + 1 for
; `kernel`). On kvm_pvm the int 0x80 path stops at the first IRET, as
; `kernel` does: 5 doorbells, then internal error 1.
; Under QEMU (no PV console): status 1 on the debug-exit port after the first
; doorbell (QEMU exits with 3).

%include "multiboot.inc"
        MULTIBOOT_IMAGE _start

%define PV_IRQ_MASK (PTV_PV_SHARED_INFO + PTV_PV_SI_OFF_IRQ_MASK)
%define RING_SIZE 1024                  ; a power of two, > any message

; The pv_ops of a para-virtualized kernel: plain stores to shared memory.
%macro IRQ_DISABLE 0
        mov dword [PV_IRQ_MASK], 1
%endmacro
%macro IRQ_ENABLE 0
        mov dword [PV_IRQ_MASK], 0      ; (a pending interrupt would be
%endmacro                               ; delivered here; none is)
%macro IRQ_SAVE 0
        push dword [PV_IRQ_MASK]
%endmacro
%macro IRQ_RESTORE 0
        pop dword [PV_IRQ_MASK]
%endmacro
%macro KERNEL_RING_EAX 0
        xor eax, eax                    ; the guest's ring 0, whatever CS says
%endmacro
%macro IRQ_STATE_EAX 0
        mov eax, [PV_IRQ_MASK]
        xor eax, 1                      ; IF = not masked
%endmacro

%include "kernel.inc"

arch_init:
        mov dword [PV_IRQ_MASK], 1      ; masked, as the real IF at entry
        mov dword [ring + PTV_PVCON_OFF_MAGIC], PTV_PVCON_MAGIC
        mov dword [ring + PTV_PVCON_OFF_SIZE], RING_SIZE
        mov dword [ring + PTV_PVCON_OFF_HEAD], 0
        mov dword [ring + PTV_PVCON_OFF_TAIL], 0
        ret

; console_write: ESI = message. Copy it into the ring after head, move head
; on, ring the doorbell (one exit: the device takes it all, tail = head).
console_write:
        push eax
        push ecx
        push edx
        push esi
        mov ecx, [ring + PTV_PVCON_OFF_HEAD]
.copy:  lodsb
        test al, al
        jz .ring
        mov edx, ecx
        and edx, RING_SIZE - 1          ; the indices run free, modulo size
        mov [ring + PTV_PVCON_OFF_DATA + edx], al
        inc ecx
        jmp .copy
.ring:  mov [ring + PTV_PVCON_OFF_HEAD], ecx
        mov dx, PTV_PVCON_DOORBELL_PORT
        mov eax, ring
        out dx, eax                     ; the one exit
        mov eax, [ring + PTV_PVCON_OFF_TAIL]
        cmp eax, [ring + PTV_PVCON_OFF_HEAD]
        jne .not_consumed
        pop esi
        pop edx
        pop ecx
        pop eax
        ret
.not_consumed:                          ; no PV console (QEMU): status 1
        mov dx, PTV_DEBUG_EXIT_PORT
        mov al, 1
        out dx, al
        jmp arch_halt

arch_halt:
        hlt                             ; the VM is done (IF = 0 since boot)
        jmp arch_halt

        section .bss
        alignb 4
ring:   resb PTV_PVCON_OFF_DATA + RING_SIZE
        section .text

%include "checksum.inc"
%include "cmdline.inc"
