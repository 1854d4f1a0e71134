; hostring-echo.asm -- the guest as a server: it answers the requests the
; host's clients send it on the host request ring (PTV_HOSTRING_*), each
; with the request's data upper-cased, the way a server answers its
; clients' request messages (Tanenbaum & van Steen, ch. 3), the requests
; arriving as events on the event channel (PTV_EVT_HOST_RING) and the
; server blocking in "sti; hlt" while it has none.
;
; Command line "S" (the first number on it; default 8): the ring's size, a
; power of two from 1 to 64. The guest binds its event page (one OUT to
; PTV_EVTCHN_PORT) and its queue (one OUT to PTV_HOSTRING_QUEUE_PORT),
; vCPU 0 being the listener. Then it serves: it takes every request from
; req_tail to req_head and answers each on the response ring -- for
; PTV_HOSTRING_OP_GET, status PTV_HOSTRING_S_OK and the request's `length`
; bytes of data with a-z upper-cased; for any other op,
; PTV_HOSTRING_S_BAD_REQUEST and no bytes -- and rings the doorbell once
; for the batch. With no request left it blocks: `cli`, takes vCPU 0's
; pending bits with XCHG, and if none was set `sti; hlt`, then looks
; again. Response k's bytes are at HRE_ANSWERS + (k % S) * 16, which stays
; put until the host has taken it: the host puts a request only while
; fewer than S are unanswered, so slot k % S is free again by the time
; response k + S is written.
;
; A GET of "quit" ends it: answered like any other ("QUIT"), then, the
; requests after it left untaken, the guest waits until the host has taken
; every response (resp_tail = resp_head: the last answer is not lost when
; the doorbell is an ioeventfd served by another thread) and prints its
; count. An application processor (--cpus N) stops at once.
;
; Serial (exact):
;   "hostring-echo: ring S\n"
;   "hostring-echo: N requests\n"   N requests taken, the quit too
; then the debug exit, status 0. A command line out of range:
; "hostring-echo: give S, a power of two from 1 to 64\n", status 3.
; Exits on ptvlab: event-channel 1; host-ring 1 (the queue) + R (the
; doorbell, once per batch; none where the host takes it as an ioeventfd);
; hlt, once per wait; UART 7 + 2 per byte; debug exit 1.

%include "multiboot.inc"
        MULTIBOOT_IMAGE _start
%include "format.inc"
%include "evtchn.inc"
%include "cmdline.inc"

%define HRE_EVENT_PAGE 0x300000
%define HRE_QUEUE 0x301000              ; up to 32 + 48 * 64 bytes
%define HRE_ANSWERS 0x302000            ; S answers of 16 bytes
%define HRE_MAX_DATA PTV_HOSTRING_REQ_DATA_MAX
%if PTV_HOSTRING_REQ_DATA_MAX != 16
%error "an answer's slot holds a request's data"
%endif

_start:
        cmp eax, PTV_AP_BOOT_MAGIC
        je stop_cpu                     ; one listener: vCPU 0
        mov esp, guest_stack_top
        call read_args
        call uart_init
        mov eax, [size]
        test eax, eax
        jz bad_args
        cmp eax, PTV_HOSTRING_MAX_SIZE
        ja bad_args
        lea edx, [eax - 1]
        test eax, edx
        jnz bad_args
        PRINTF printf, `hostring-echo: ring %d\n`, dword [size]
        mov eax, [size]
        shl eax, 5                      ; PTV_HOSTRING_REQ_SIZE = 32
        add eax, HRE_QUEUE + PTV_HOSTRING_OFF_REQ
        mov [resp_ring], eax

        EVTCHN_BIND HRE_EVENT_PAGE

        mov dword [HRE_QUEUE + PTV_HOSTRING_OFF_MAGIC], PTV_HOSTRING_MAGIC
        mov eax, [size]
        mov [HRE_QUEUE + PTV_HOSTRING_OFF_SIZE], eax
        xor eax, eax
        mov [HRE_QUEUE + PTV_HOSTRING_OFF_REQ_HEAD], eax
        mov [HRE_QUEUE + PTV_HOSTRING_OFF_REQ_TAIL], eax
        mov [HRE_QUEUE + PTV_HOSTRING_OFF_RESP_HEAD], eax
        mov [HRE_QUEUE + PTV_HOSTRING_OFF_RESP_TAIL], eax
        mov [HRE_QUEUE + PTV_HOSTRING_OFF_VCPU], eax ; the listener: vCPU 0
        mov dx, PTV_HOSTRING_QUEUE_PORT
        mov eax, HRE_QUEUE
        out dx, eax                     ; hand the queue over

.serve: call answer_all                 ; EAX = answered this pass
        test eax, eax
        jz .quit
        mov dx, PTV_HOSTRING_NOTIFY_PORT
        out dx, eax                     ; the value does not matter
.quit:  cmp dword [quit], 0
        jne .done
        EVTCHN_BLOCK HRE_EVENT_PAGE, .serve

.done:  mov eax, [HRE_QUEUE + PTV_HOSTRING_OFF_RESP_TAIL]
        cmp eax, [HRE_QUEUE + PTV_HOSTRING_OFF_RESP_HEAD]
        jne .done                       ; the host has not taken them all yet
        PRINTF printf, `hostring-echo: %d requests\n`, dword [requests]
        xor al, al
exit:   mov dx, PTV_DEBUG_EXIT_PORT
        out dx, al
stop_cpu:
        cli
        hlt
        jmp stop_cpu

bad_args:
        PRINTF printf, `hostring-echo: give S, a power of two from 1 to 64\n`
        mov al, 3
        jmp exit

; Answers every request from req_tail to req_head (or up to a quit);
; EAX = how many. Each answer is written before resp_head publishes it
; (x86 keeps stores in order).
answer_all:
        push ebx
        xor ebx, ebx                    ; EBX = answered
.next:  cmp dword [quit], 0
        jne .done
        mov eax, [HRE_QUEUE + PTV_HOSTRING_OFF_REQ_TAIL]
        cmp eax, [HRE_QUEUE + PTV_HOSTRING_OFF_REQ_HEAD]
        je .done
        mov edx, [size]                 ; ESI = req[req_tail % S]
        dec edx
        and eax, edx
        shl eax, 5                      ; PTV_HOSTRING_REQ_SIZE = 32
        lea esi, [HRE_QUEUE + PTV_HOSTRING_OFF_REQ + eax]
        mov eax, [HRE_QUEUE + PTV_HOSTRING_OFF_RESP_HEAD]
        and eax, edx                    ; EDI = resp[resp_head % S], EBP = its slot
        mov ebp, eax
        shl ebp, 4
        add ebp, HRE_ANSWERS
        shl eax, 4                      ; PTV_HOSTRING_RESP_SIZE = 16
        mov edi, [resp_ring]
        add edi, eax
        mov eax, [esi + PTV_HOSTRING_REQ_ID]
        mov [edi + PTV_HOSTRING_RESP_ID], eax
        mov [edi + PTV_HOSTRING_RESP_BUFFER], ebp
        cmp dword [esi + PTV_HOSTRING_REQ_OP], PTV_HOSTRING_OP_GET
        jne .bad
        mov ecx, [esi + PTV_HOSTRING_REQ_LENGTH]
        cmp ecx, HRE_MAX_DATA           ; the host's word is checked too
        ja .bad
        mov [edi + PTV_HOSTRING_RESP_LENGTH], ecx
        mov dword [edi + PTV_HOSTRING_RESP_STATUS], PTV_HOSTRING_S_OK
        call is_quit
        xor edx, edx                    ; the bytes, a-z upper-cased
.copy:  cmp edx, ecx
        jae .answered
        movzx eax, byte [esi + PTV_HOSTRING_REQ_DATA + edx]
        cmp al, 'a'
        jb .put
        cmp al, 'z'
        ja .put
        sub al, 'a' - 'A'
.put:   mov [ebp + edx], al
        inc edx
        jmp .copy
.bad:   mov dword [edi + PTV_HOSTRING_RESP_STATUS], PTV_HOSTRING_S_BAD_REQUEST
        mov dword [edi + PTV_HOSTRING_RESP_LENGTH], 0
.answered:
        inc dword [HRE_QUEUE + PTV_HOSTRING_OFF_REQ_TAIL]
        inc dword [HRE_QUEUE + PTV_HOSTRING_OFF_RESP_HEAD]
        inc dword [requests]
        inc ebx
        jmp .next
.done:  mov eax, ebx
        pop ebx
        ret

; Sets [quit] when the request at ESI, of ECX bytes, is a GET of "quit".
; Preserves every register.
is_quit:
        cmp ecx, 4
        jne .no
        cmp dword [esi + PTV_HOSTRING_REQ_DATA], 'quit'
        jne .no
        mov dword [quit], 1
.no:    ret

; The first number of the command line into size (words that are not
; numbers, such as the kernel path QEMU puts first, are skipped). In: EAX,
; EBX as the loader left them.
read_args:
        CMDLINE_NUMBERS size, 1

        DEFINE_PRINTF printf, uart_puts

        section .data
        align 4
size:   dd 8

        section .bss
        alignb 4
requests: resd 1
quit:   resd 1
resp_ring: resd 1                       ; resp[0]
        section .text

%include "uart.inc"
