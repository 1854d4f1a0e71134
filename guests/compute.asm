; compute.asm -- a compute-bound guest: N rounds of integer work and no I/O,
; for the speed of the CPU model of sim/vmm (bench/vmm-mips), beside Unicorn
; running the very same bytes.
;
; Each round: a xorshift32 step (Marsaglia 2003: shifts and xors), an LCG
; step (imul, add), a read-modify-write of one word of a 64-word table picked
; by the xorshift state, and a branch on the result, taken about half the
; time, to either a call of `mix` (call/ret, shl/add/rol) or an inline sub/ror.
; About 26 instructions a round; after the rounds the table is folded into
; the checksum. No FPU, no string instructions, nothing privileged.
;
; N: the command line (ptvlab --cmdline N; QEMU -append N), default
; 1,000,000. (kvm_pvm runs this non-paged guest in KVM's instruction
; emulator, about a million instructions a second: some 25 s for the
; default; on VMX hardware it takes milliseconds. Pass a small N for a quick
; look.)
; Serial (exact): "compute: N iterations, checksum 0xXXXXXXXX\n"; N = 0:
; 0xcded0599, N = 1: 0x653927c6, N = 1000: 0x13e7f8d0, N = 100000:
; 0xea814579 (tests/kvm/test_vmm_guests.cpp has the reference in C++).
; EAX at the end: the checksum. EFLAGS at the hlt: 0x00000012 (AF of the
; last "add esp" of the PRINTF; IF = 0).
; Exits on ptvlab: port I/O = 7 + 2 * (the line's length), hlt = 1.
;
; For a benchmark: the descriptor below sits at image offset 0x20 (address
; 0x100020), right after the multiboot header. The loop's code is the bytes
; [code_begin, code_end); run it from `entry` with ECX = N and a stack (it
; uses 4 bytes of it, for the call) until EIP = `exit`, then EAX = the
; checksum. It reads and writes only [data, data + data_size), which it
; initialises itself. Any flat 32-bit machine with those addresses mapped
; runs it: ptvlab's CPU model, Unicorn, real hardware.

%include "multiboot.inc"
%define CMDLINE_DEFAULT_COUNT 1000000
        MULTIBOOT_IMAGE _start

%define TABLE_WORDS 64                  ; a power of two

compute_descriptor:                     ; image offset 0x20
        dd 'PTVC'                       ; magic: 0x43565450
        dd 1                            ; version of this layout
        dd compute_code                 ; code_begin
        dd compute_code_end             ; code_end
        dd compute_entry                ; entry: ECX = N
        dd compute_exit                 ; exit: EAX = the checksum
        dd compute_data                 ; data
        dd TABLE_WORDS * 4              ; data_size

%include "format.inc"

_start:
        mov esp, guest_stack_top
        call cmdline_count              ; EAX = N
        mov [iterations], eax
        call uart_init
        mov ecx, [iterations]
        call compute_entry              ; the loop, and nothing else
        mov [checksum], eax
        PRINTF printf, `compute: %d iterations, checksum 0x%x\n`, dword [iterations], eax
        mov eax, [checksum]
.halt:  cli
        hlt                             ; the VM is done
        jmp .halt

; ---------------------------------------------------------------------------
; The loop's code: [compute_code, compute_code_end)

compute_code:

; mix: EDI = rol(EDI * 33 + EAX, 7). Clobbers EDX.
mix:
        mov edx, edi
        shl edx, 5
        add edi, edx
        add edi, eax
        rol edi, 7
        ret

; compute_entry: ECX = N (0 allowed). Out: EAX = checksum. Clobbers EBX, ECX,
; EDX, ESI, EDI, EFLAGS and the table.
compute_entry:
        xor edx, edx                    ; the table: word i = i * golden ratio
        xor eax, eax
.init:  mov [compute_data + 4 * edx], eax
        add eax, 0x9e3779b9
        inc edx
        cmp edx, TABLE_WORDS
        jne .init
        mov ebx, 0x12345678             ; EBX = xorshift32 state
        mov esi, 1                      ; ESI = LCG state
        xor edi, edi                    ; EDI = accumulator
        test ecx, ecx
        jz .fold
.round: mov eax, ebx                    ; xorshift32: x ^= x << 13,
        shl eax, 13
        xor ebx, eax
        mov eax, ebx                    ; x ^= x >> 17,
        shr eax, 17
        xor ebx, eax
        mov eax, ebx                    ; x ^= x << 5
        shl eax, 5
        xor ebx, eax
        imul esi, esi, 1664525          ; LCG (Numerical Recipes)
        add esi, 1013904223
        mov edx, ebx                    ; a table word, read and written
        and edx, TABLE_WORDS - 1
        mov eax, [compute_data + 4 * edx]
        add eax, esi
        xor eax, ebx
        mov [compute_data + 4 * edx], eax
        test al, 1                      ; odd: call mix; even: inline
        jz .even
        call mix
        jmp .next
.even:  sub edi, eax
        ror edi, 3
.next:  dec ecx
        jnz .round
.fold:  mov eax, edi                    ; fold states and table together
        xor eax, ebx
        add eax, esi
        xor edx, edx
.fold_word:
        imul eax, eax, 31
        add eax, [compute_data + 4 * edx]
        inc edx
        cmp edx, TABLE_WORDS
        jne .fold_word
compute_exit:                           ; stop here: EAX = the checksum
        ret
compute_code_end:

        DEFINE_PRINTF printf, uart_puts

        section .bss
        alignb 16
compute_data:
        resd TABLE_WORDS
iterations:
        resd 1
checksum:
        resd 1
        section .text

%include "uart.inc"
%include "cmdline.inc"
