; fault-too-big.asm -- a valid image that does not fit in the VM.
;
; The file is tiny, but its header claims .bss up to 0x100000 + 128 MiB, more
; than the default 64 MiB of guest RAM. The loader must refuse it with a clear
; error before the guest runs (given enough RAM it would boot and halt).
; Serial: nothing.
; Exits on ptvlab: none (not loaded). If loaded anyway: hlt = 1.

%include "multiboot.inc"
%define TOO_BIG_BSS_END (MB_LOAD_ADDR + 128 * 1024 * 1024)
        MULTIBOOT_IMAGE _start, TOO_BIG_BSS_END

_start:
        cli
        hlt
        jmp _start
