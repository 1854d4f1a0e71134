; echo.asm -- a guest that reads the serial line: what you type comes back
; in capitals. A line holding only "." ends it.
;
; Shows: the receive side of the 16550. The guest polls LSR until Data Ready
; (UART_LSR_DR), then reads RBR -- one exit per poll, so an idle guest that
; polls is a busy guest for the hypervisor (interrupts fix that; a later
; lab). ptv-vmwp feeds its standard input to the UART's receiver.
; Serial: the banner below, then each byte typed, upper-cased.
; Exits: timing-dependent (one LSR read per poll).

%include "multiboot.inc"
        MULTIBOOT_IMAGE _start

_start:
        mov esp, guest_stack_top
        call uart_init
        mov esi, banner
        call uart_puts
        xor ebx, ebx                    ; bytes on this line so far
        xor edi, edi                    ; 1 while the line is exactly "."
.next:
        call uart_getc                  ; AL = next byte typed
        cmp al, `\n`
        je .eol
        cmp al, 'a'                     ; a-z -> A-Z
        jb .put
        cmp al, 'z'
        ja .put
        sub al, 'a' - 'A'
.put:   call uart_putc
        inc ebx
        xor edi, edi
        cmp ebx, 1
        jne .next
        cmp al, '.'
        jne .next
        mov edi, 1
        jmp .next
.eol:   call uart_putc
        test edi, edi                   ; the line was "."?
        jnz .done
        xor ebx, ebx
        jmp .next
.done:  mov esi, bye
        call uart_puts
.halt:  cli
        hlt
        jmp .halt

banner: db `echo: type lines; a line with only "." ends\n`, 0
bye:    db `echo: bye\n`, 0

%include "uart.inc"

; After uart.inc: the register names it includes are defined from here on.
; uart_getc: wait for Data Ready, return the received byte in AL.
uart_getc:
        push edx
        mov dx, PTV_COM1_BASE + UART_LSR
.poll:  in al, dx
        test al, UART_LSR_DR
        jz .poll
        mov dx, PTV_COM1_BASE + UART_RX
        in al, dx
        pop edx
        ret
