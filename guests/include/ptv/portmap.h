/* ptvlab guest/host port map: the one place where the machine's addresses live.
 *
 * Read by the C++ devices (#include "ptv/portmap.h") and, through the generated
 * build/guests/include/portmap.inc, by the NASM guests. Keep to plain
 * "#define PTV_NAME value" lines: cmake/gen_nasm_inc.cmake turns each into
 * "%define PTV_NAME value" and ignores everything else.
 */
#ifndef PTV_PORTMAP_H
#define PTV_PORTMAP_H

/* --- Port I/O ---------------------------------------------------------- */

/* COM1: a 16550-compatible UART, registers as in <linux/serial_reg.h>. */
#define PTV_COM1_BASE 0x3f8
#define PTV_COM1_SIZE 8

/* Intel 8254 Programmable Interval Timer, as on every PC: counters 0-2 at
 * PTV_PIT_BASE + 0..2, the Control Word register at + 3. Clocked at
 * 1.193182 MHz of the machine's time. */
#define PTV_PIT_BASE 0x40
#define PTV_PIT_SIZE 4
#define PTV_PIT_COUNTER0 0x40
#define PTV_PIT_COUNTER2 0x42
#define PTV_PIT_CONTROL 0x43
#define PTV_PIT_HZ 1193182

/* System Control Port B (the AT's 8255 port B heritage): bit 0 counter 2's
 * GATE, bit 1 speaker data enable, bit 4 refresh-request toggle, bit 5
 * counter 2's OUT. Part of the PIT device here. */
#define PTV_SYSCTL_B_PORT 0x61

/* POST-code port, as on every PC: a write-only byte register. The PIO
 * microbenchmark hammers it because it is the cheapest device there is. */
#define PTV_POST_CODE_PORT 0x80

/* Debug-exit port: the guest writes a status byte and the VM ends. Same
 * address and size as QEMU's isa-debug-exit, so one image ends both. */
#define PTV_DEBUG_EXIT_PORT 0x501
#define PTV_DEBUG_EXIT_SIZE 2

/* i8042 keyboard controller (IBM PC/AT): the data port (scan codes and
 * replies in, keyboard commands and parameters out) and the status
 * register / controller command port. Port 0x61 between them is not the
 * i8042's. */
#define PTV_I8042_DATA_PORT 0x60
#define PTV_I8042_STATUS_PORT 0x64

/* Para-virtualized console doorbell: a 32-bit OUT whose value is the
 * guest-physical address of a PV console ring (layout below). One exit
 * hands the device a whole message, where the UART takes one per byte. */
#define PTV_PVCON_DOORBELL_PORT 0x510
#define PTV_PVCON_DOORBELL_SIZE 4

/* Para-virtualized clock doorbell: a 32-bit OUT whose value is the
 * guest-physical address of a 4 KiB-aligned page of RAM the host keeps
 * updated with the time (layout below); 0 turns it off. */
#define PTV_PVCLOCK_PORT 0x530
#define PTV_PVCLOCK_SIZE 4

/* Primary ATA channel (ATA-PIO, as on every PC since the AT): an emulated
 * disk at the register level, the labs' (labs/01-devices). Offsets from
 * PTV_ATA_BASE; the data register is 16 bits wide, the others 8. */
#define PTV_ATA_BASE 0x1f0
#define PTV_ATA_SIZE 8

/* Para-virtualized block device doorbell: a 32-bit OUT whose value is the
 * guest-physical address of a PV block ring (layout below). One exit hands
 * the device a whole batch of requests. */
#define PTV_PVBLK_DOORBELL_PORT 0x520
#define PTV_PVBLK_DOORBELL_SIZE 4

/* Event channel (Xen's shared-info event bits in miniature): a 32-bit OUT
 * whose value is the guest-physical address of a 4 KiB-aligned page of RAM
 * (layout below) through which the host tells each vCPU that work it asked
 * for is done; 0 unbinds it. While one is bound, "sti; hlt" blocks the vCPU
 * until an event is pending for it (block/wake, no interrupt needed). */
#define PTV_EVTCHN_PORT 0x540
#define PTV_EVTCHN_SIZE 4

/* Asynchronous para-virtualized disk (virtio-blk's split rings in
 * miniature): PTV_PVDISK_QUEUE_PORT takes, with a 32-bit OUT, the
 * guest-physical address of a 4 KiB-aligned queue (layout below; 0 detaches
 * it); PTV_PVDISK_NOTIFY_PORT is the doorbell, a 32-bit OUT whose value is
 * ignored. The doorbell needs no answer, so where the host can it is an
 * ioeventfd and ringing it does not stop the vCPU. */
#define PTV_PVDISK_QUEUE_PORT 0x548
#define PTV_PVDISK_NOTIFY_PORT 0x54c
#define PTV_PVDISK_SIZE 8

/* Host request ring (the guest as a server): PTV_HOSTRING_QUEUE_PORT takes,
 * with a 32-bit OUT, the guest-physical address of a 4 KiB-aligned queue
 * (layout below; 0 detaches it) on which the host puts its clients'
 * requests; PTV_HOSTRING_NOTIFY_PORT is the guest's doorbell, a 32-bit OUT
 * whose value is ignored, rung after it has put responses. Where the host
 * can, the doorbell is an ioeventfd too. */
#define PTV_HOSTRING_QUEUE_PORT 0x550
#define PTV_HOSTRING_NOTIFY_PORT 0x554
#define PTV_HOSTRING_SIZE 8

/* VGA register block (IBM VGA Technical Reference): the attribute
 * controller, misc output, sequencer, DAC, graphics controller, the colour
 * CRT controller and input status 1, all in 0x3c0-0x3df. The text buffer
 * itself is guest RAM (below), so writing characters costs no exit. */
#define PTV_VGA_BASE 0x3c0
#define PTV_VGA_SIZE 0x20
#define PTV_VGA_ATTR_INDEX 0x3c0 /* write: index, then data (a flip-flop) */
#define PTV_VGA_ATTR_DATA_READ 0x3c1
#define PTV_VGA_MISC_WRITE 0x3c2 /* read: input status 0 */
#define PTV_VGA_SEQ_INDEX 0x3c4
#define PTV_VGA_SEQ_DATA 0x3c5
#define PTV_VGA_FEATURE_READ 0x3ca
#define PTV_VGA_MISC_READ 0x3cc
#define PTV_VGA_GC_INDEX 0x3ce
#define PTV_VGA_GC_DATA 0x3cf
#define PTV_VGA_CRTC_INDEX 0x3d4
#define PTV_VGA_CRTC_DATA 0x3d5
#define PTV_VGA_INPUT_STATUS_1 0x3da /* write: feature control */
/* CRT controller registers the text screen depends on. */
#define PTV_VGA_CRTC_CURSOR_START 0x0a /* bit 5: cursor off */
#define PTV_VGA_CRTC_CURSOR_END 0x0b
#define PTV_VGA_CRTC_START_HIGH 0x0c
#define PTV_VGA_CRTC_START_LOW 0x0d
#define PTV_VGA_CRTC_CURSOR_HIGH 0x0e
#define PTV_VGA_CRTC_CURSOR_LOW 0x0f
/* Input status 1: vertical retrace; display disabled (not in the active
 * area: horizontal or vertical blanking). */
#define PTV_VGA_IS1_VRETRACE 0x08
#define PTV_VGA_IS1_DISPLAY_DISABLED 0x01

/* --- MMIO -------------------------------------------------------------- */

/* A page of scratch registers for the MMIO microbenchmark: writes store,
 * reads return what was stored. Far above any RAM we give a guest. */
#define PTV_MMIO_SCRATCH_BASE 0xd0000000
#define PTV_MMIO_SCRATCH_SIZE 0x1000

/* Guest RAM starts at 0 and never reaches the MMIO window. */
#define PTV_RAM_MAX_MIB 3072

/* VGA text buffer: 80x25 cells of (character, attribute) in guest RAM, in a
 * 32 KiB window the CRTC's start address scrolls through. */
#define PTV_VGA_TEXT_BASE 0xb8000
#define PTV_VGA_TEXT_SIZE 0x8000

/* --- Boot area: what the loader writes before entering a guest --------- */

/* The loader owns [0, PTV_BOOT_AREA_END): a multiboot image may not load
 * there. GDT, multiboot information, memory map, command line, stack. */
#define PTV_BOOT_GDT 0x1000
#define PTV_BOOT_INFO 0x2000
#define PTV_BOOT_MMAP 0x2100
#define PTV_BOOT_LOADER_NAME 0x2300
#define PTV_BOOT_CMDLINE 0x2400
#define PTV_BOOT_CMDLINE_MAX 0x0c00
#define PTV_BOOT_STACK_TOP 0x10000
#define PTV_BOOT_AREA_END 0x10000

/* Several vCPUs (--cpus N, 1 to PTV_MAX_VCPUS): every vCPU starts at once,
 * in 32-bit protected mode at the image's entry, with its CPU number in EDI
 * and the number of CPUs in ESI (also with one: EDI 0, ESI 1). The boot CPU
 * (0) gets EAX = PTV_MULTIBOOT_BOOTLOADER_MAGIC and EBX = PTV_BOOT_INFO; an
 * application processor gets EAX = PTV_AP_BOOT_MAGIC instead, and must not
 * redo the boot CPU's one-time work. CPU k's stack top is
 * PTV_BOOT_STACK_TOP - k * PTV_CPU_STACK_SIZE, so with N > 1 each stack is
 * PTV_CPU_STACK_SIZE bytes. A vCPU that halts with interrupts off stops;
 * the VM ends when every vCPU has stopped, or at once when one of them
 * writes the debug-exit port or faults. */
#define PTV_MAX_VCPUS 8
#define PTV_AP_BOOT_MAGIC 0x50415450 /* "PTAP" */
#define PTV_CPU_STACK_SIZE 0x1000

/* Flat 32-bit segments of the loader's GDT (Intel SDM vol. 3, 3.4.5). */
#define PTV_GDT_CODE_SEL 0x08
#define PTV_GDT_DATA_SEL 0x10
#define PTV_GDT_TSS_SEL 0x18

/* --- PV shared-info page (in the boot area, the guest's) ---------------- */

/* Xen's shared_info/vcpu_info in miniature: a page of guest RAM that a
 * para-virtualized guest and its hypervisor both read and write instead of
 * trapping. The loader leaves it alone (it lies between the command line
 * and the boot stack) and the guest initialises it. Layout, u32 words:
 *   +0  interrupt mask: 1 = masked (the virtual IF is 0), 0 = unmasked.
 *       The PV guest writes it where a native kernel runs cli/sti
 *       (Xen: evtchn_upcall_mask); a hypervisor with an interrupt to
 *       deliver reads it instead of the guest's EFLAGS.IF.
 *   +4 .. +0xfff  reserved, zero. */
#define PTV_PV_SHARED_INFO 0x3000
#define PTV_PV_SHARED_INFO_SIZE 0x1000
#define PTV_PV_SI_OFF_IRQ_MASK 0

/* --- PV console ring (in guest RAM, 4-byte aligned) -------------------- */

/* struct { u32 magic, size, head, tail; u8 data[size]; }
 * head: producer index, written by the guest; tail: consumer index,
 * written by the device. Both free-running u32, taken modulo size, so
 * head - tail is the number of bytes waiting. The device checks every
 * field: an index the guest hands over is never trusted. */
#define PTV_PVCON_MAGIC 0x31435650 /* "PVC1" */
#define PTV_PVCON_OFF_MAGIC 0
#define PTV_PVCON_OFF_SIZE 4
#define PTV_PVCON_OFF_HEAD 8
#define PTV_PVCON_OFF_TAIL 12
#define PTV_PVCON_OFF_DATA 16
#define PTV_PVCON_MAX_SIZE 65536

/* --- PV clock page (in guest RAM, 4 KiB aligned) ----------------------- */

/* struct { u32 version, period_us; u64 time_ns, updates; }
 * version: a seqlock, odd while the host writes the page. A guest reads
 * version, then time_ns, then version again, and retries when the two
 * differ or are odd. period_us: how often the host rewrites the page.
 * time_ns: the machine's time since it started (it continues across a
 * snapshot or a migration). updates: how many times the host wrote it.
 * Reading it costs no exit at all (kvmclock's and Hyper-V's reference TSC
 * page's idea, without the TSC scaling). */
#define PTV_PVCLOCK_PAGE_SIZE 4096
#define PTV_PVCLOCK_OFF_VERSION 0
#define PTV_PVCLOCK_OFF_PERIOD_US 4
#define PTV_PVCLOCK_OFF_TIME_NS 8
#define PTV_PVCLOCK_OFF_UPDATES 16

/* --- ATA registers and bits (ATA/ATAPI-6, 28-bit LBA, PIO) ------------- */

/* Offsets from PTV_ATA_BASE. Reading offset 1 gives the error register,
 * writing it the features (ignored); reading offset 7 gives the status,
 * writing it starts a command. */
#define PTV_ATA_REG_DATA 0
#define PTV_ATA_REG_ERROR 1
#define PTV_ATA_REG_COUNT 2
#define PTV_ATA_REG_LBA_LOW 3
#define PTV_ATA_REG_LBA_MID 4
#define PTV_ATA_REG_LBA_HIGH 5
#define PTV_ATA_REG_DRIVE 6
#define PTV_ATA_REG_STATUS 7
#define PTV_ATA_REG_COMMAND 7
/* Status: busy, drive ready, data request, error. */
#define PTV_ATA_SR_BSY 0x80
#define PTV_ATA_SR_DRDY 0x40
#define PTV_ATA_SR_DRQ 0x08
#define PTV_ATA_SR_ERR 0x01
/* Error: command aborted, sector not found (ID not found). */
#define PTV_ATA_ER_ABRT 0x04
#define PTV_ATA_ER_IDNF 0x10
/* Drive/head: bit 6 = LBA addressing, bit 4 = drive 1, bits 0-3 = LBA 24-27;
 * bits 7 and 5 are set by tradition. */
#define PTV_ATA_DRIVE_LBA 0xe0
#define PTV_ATA_DRIVE_LBA_MODE 0x40
#define PTV_ATA_DRIVE_SLAVE 0x10
#define PTV_ATA_CMD_READ_SECTORS 0x20
#define PTV_ATA_CMD_WRITE_SECTORS 0x30
#define PTV_ATA_SECTOR_SIZE 512

/* --- PV block ring (in guest RAM, 4-byte aligned) ---------------------- */

/* struct { u32 magic, size, head, tail; struct req req[size]; }
 * struct req { u32 op, lba, count, buffer, status, reserved[3]; } (32 bytes)
 * head: producer index, written by the guest; tail: consumer index,
 * written by the device; both free-running u32, taken modulo size, so
 * head - tail requests wait, in req[tail % size] .. req[(head - 1) % size].
 * A request moves `count` sectors from LBA `lba` to (READ) or from (WRITE)
 * the guest-physical `buffer`; the device writes `status`, then tail.
 * The device checks every field: an index or address the guest hands over
 * is never trusted, and it is read once. */
#define PTV_PVBLK_MAGIC 0x31425650 /* "PVB1" */
#define PTV_PVBLK_OFF_MAGIC 0
#define PTV_PVBLK_OFF_SIZE 4
#define PTV_PVBLK_OFF_HEAD 8
#define PTV_PVBLK_OFF_TAIL 12
#define PTV_PVBLK_OFF_REQ 16
#define PTV_PVBLK_MAX_SIZE 256
#define PTV_PVBLK_REQ_SIZE 32
#define PTV_PVBLK_REQ_OP 0
#define PTV_PVBLK_REQ_LBA 4
#define PTV_PVBLK_REQ_COUNT 8
#define PTV_PVBLK_REQ_BUFFER 12
#define PTV_PVBLK_REQ_STATUS 16
#define PTV_PVBLK_MAX_COUNT 256
#define PTV_PVBLK_OP_READ 1
#define PTV_PVBLK_OP_WRITE 2
/* Status: done; LBA range past the end of the disk; an op it does not know. */
#define PTV_PVBLK_S_OK 0
#define PTV_PVBLK_S_IOERR 1
#define PTV_PVBLK_S_UNSUPP 2

/* --- Event-channel page (in guest RAM, 4 KiB aligned) ----------------- */

/* u32 pending[PTV_MAX_VCPUS] at +0: bit e of pending[c] is event e pending
 * for vCPU c. The host sets bits with an atomic OR and then wakes vCPU c if
 * it is blocked; the guest takes them with XCHG (or LOCK AND) and must not
 * set them. The rest of the page is the host's counters, read-only to the
 * guest: u32 posts[PTV_MAX_VCPUS] at +0x20 (events posted to vCPU c). */
#define PTV_EVTCHN_PAGE_SIZE 4096
#define PTV_EVTCHN_OFF_PENDING 0
#define PTV_EVTCHN_OFF_POSTS 0x20
/* Event numbers (bit positions). */
#define PTV_EVT_PVDISK 0 /* the PV disk posted completions to its used ring */
#define PTV_EVT_HOST_RING 1 /* the host put requests on a host-to-guest ring */

/* --- PV disk queue (in guest RAM, 4 KiB aligned) ------------------------ */

/* struct { u32 magic, size, req_head, req_tail, used_head, used_tail,
 *          reserved[2];
 *          struct req  req[size];     (at +32, 32 bytes each)
 *          struct used used[size]; }  (after req, 8 bytes each)
 * struct req  { u32 op, lba, count, buffer, id, vcpu, reserved[2]; }
 * struct used { u32 id, status; }
 * size: a power of two, 1 .. PTV_PVDISK_MAX_SIZE, the same for both rings.
 * The request ring: the guest writes req[req_head % size] and then advances
 * req_head; the device takes requests from req_tail (and advances it) when
 * the doorbell rings. The used ring: the device writes used[used_head %
 * size] when a request is done, advances used_head, then posts event
 * PTV_EVT_PVDISK to the request's vCPU on the event channel; the guest
 * consumes from used_tail. All four indices are free-running u32.
 * Back-pressure: the device takes a request only while the used ring has
 * room for its completion (used_head - used_tail + in flight < size); the
 * rest wait in the request ring, and the guest, finding it full, waits for
 * completions. Nothing is dropped. The device checks everything: indices
 * that claim more than `size` entries, or a queue outside RAM, end the run
 * with a device error; a bad op, an LBA range past the end of the disk, a
 * buffer outside RAM or a vCPU that does not exist complete the request
 * with an error status. `id` is the guest's own tag, copied to the used
 * entry. `count` sectors of PTV_ATA_SECTOR_SIZE bytes, 1 ..
 * PTV_PVDISK_MAX_COUNT. */
#define PTV_PVDISK_MAGIC 0x31445650 /* "PVD1" */
#define PTV_PVDISK_MAX_SIZE 256
#define PTV_PVDISK_MAX_COUNT 64
#define PTV_PVDISK_OFF_MAGIC 0
#define PTV_PVDISK_OFF_SIZE 4
#define PTV_PVDISK_OFF_REQ_HEAD 8
#define PTV_PVDISK_OFF_REQ_TAIL 12
#define PTV_PVDISK_OFF_USED_HEAD 16
#define PTV_PVDISK_OFF_USED_TAIL 20
#define PTV_PVDISK_OFF_REQ 32
#define PTV_PVDISK_REQ_SIZE 32
#define PTV_PVDISK_REQ_OP 0
#define PTV_PVDISK_REQ_LBA 4
#define PTV_PVDISK_REQ_COUNT 8
#define PTV_PVDISK_REQ_BUFFER 12
#define PTV_PVDISK_REQ_ID 16
#define PTV_PVDISK_REQ_VCPU 20
#define PTV_PVDISK_USED_SIZE 8
#define PTV_PVDISK_USED_ID 0
#define PTV_PVDISK_USED_STATUS 4
/* Ops and statuses: as the PV block ring's (PTV_PVBLK_OP_*, PTV_PVBLK_S_*),
 * plus a status for a request naming a vCPU that does not exist or a
 * buffer outside RAM. */
#define PTV_PVDISK_S_BADREQ 3
/* The built-in disk (no image file given): PTV_PVDISK_SIM_SECTORS sectors
 * whose u32 word w of sector s reads (s << 16) | w, so a guest can check
 * every word it reads. */
#define PTV_PVDISK_SIM_SECTORS 4096
#define PTV_PVDISK_SIM_WORD(s, w) (((s) << 16) | (w))

/* --- Host request ring (in guest RAM, 4 KiB aligned) ------------------- */

/* struct { u32 magic, size, req_head, req_tail, resp_head, resp_tail, vcpu,
 *          reserved;
 *          struct req  req[size];     (at +32, 32 bytes each)
 *          struct resp resp[size]; }  (after req, 16 bytes each)
 * struct req  { u32 id, op, length, reserved; u8 data[16]; }
 * struct resp { u32 id, status, buffer, length; }
 * size: a power of two, 1 .. PTV_HOSTRING_MAX_SIZE, the same for both rings;
 * vcpu: the vCPU the host tells of new requests (the server's listener).
 * The request ring, host to guest: the host writes req[req_head % size]
 * (its tag `id`, an op, `length` bytes of `data`: for PTV_HOSTRING_OP_GET
 * the name of a file), advances req_head and posts event PTV_EVT_HOST_RING
 * to `vcpu`; the guest takes requests from req_tail and advances it. The
 * response ring, guest to host: the guest writes resp[resp_head % size]
 * (the request's `id`, a status, and `length` bytes of the answer at
 * guest-physical `buffer`, which must stay put until the host has taken
 * the response), advances resp_head and rings the doorbell; the host takes
 * responses from resp_tail and advances it. All four indices are
 * free-running u32. Back-pressure: the host puts a request only while
 * fewer than `size` are unanswered (req_head - resp_tail < size), so a
 * response always has room; the rest wait on the host. The host checks
 * everything: indices that claim more than `size` entries, a queue outside
 * RAM or a vcpu that does not exist end the run with a device error; a
 * response whose id is not outstanding, whose buffer lies outside RAM or
 * whose length exceeds PTV_HOSTRING_MAX_RESPONSE does too. */
#define PTV_HOSTRING_MAGIC 0x31515248 /* "HRQ1" */
#define PTV_HOSTRING_MAX_SIZE 64
#define PTV_HOSTRING_MAX_RESPONSE 65536
#define PTV_HOSTRING_OFF_MAGIC 0
#define PTV_HOSTRING_OFF_SIZE 4
#define PTV_HOSTRING_OFF_REQ_HEAD 8
#define PTV_HOSTRING_OFF_REQ_TAIL 12
#define PTV_HOSTRING_OFF_RESP_HEAD 16
#define PTV_HOSTRING_OFF_RESP_TAIL 20
#define PTV_HOSTRING_OFF_VCPU 24
#define PTV_HOSTRING_OFF_REQ 32
#define PTV_HOSTRING_REQ_SIZE 32
#define PTV_HOSTRING_REQ_ID 0
#define PTV_HOSTRING_REQ_OP 4
#define PTV_HOSTRING_REQ_LENGTH 8
#define PTV_HOSTRING_REQ_DATA 16
#define PTV_HOSTRING_REQ_DATA_MAX 16
#define PTV_HOSTRING_RESP_SIZE 16
#define PTV_HOSTRING_RESP_ID 0
#define PTV_HOSTRING_RESP_STATUS 4
#define PTV_HOSTRING_RESP_BUFFER 8
#define PTV_HOSTRING_RESP_LENGTH 12
/* Ops; statuses a guest server answers with. */
#define PTV_HOSTRING_OP_GET 1  /* the file named by data */
#define PTV_HOSTRING_OP_QUIT 2 /* no more clients: answer it, finish, end the run */
#define PTV_HOSTRING_S_OK 0
#define PTV_HOSTRING_S_NOT_FOUND 1
#define PTV_HOSTRING_S_BAD_REQUEST 2

/* A file server's disk (the PV disk's image, written by the host): sector 0
 * is the directory, struct { u32 magic, count, reserved[2];
 * struct entry entry[count]; } with struct entry { u8 name[16]; u32 lba,
 * bytes, reserved[2]; } (32 bytes each; a name shorter than 16 bytes ends
 * with a NUL). File i's bytes are contiguous from sector entry[i].lba. */
#define PTV_FILEDISK_MAGIC 0x31534650 /* "PFS1" */
#define PTV_FILEDISK_MAX_FILES 15
#define PTV_FILEDISK_NAME_MAX 16
#define PTV_FILEDISK_OFF_MAGIC 0
#define PTV_FILEDISK_OFF_COUNT 4
#define PTV_FILEDISK_OFF_ENTRY 16
#define PTV_FILEDISK_ENTRY_SIZE 32
#define PTV_FILEDISK_ENTRY_NAME 0
#define PTV_FILEDISK_ENTRY_LBA 16
#define PTV_FILEDISK_ENTRY_BYTES 20

/* --- Multiboot v1 (Multiboot Specification 0.6.96) --------------------- */
#define PTV_MULTIBOOT_HEADER_MAGIC 0x1BADB002
#define PTV_MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002
#define PTV_MULTIBOOT_AOUT_KLUDGE 0x00010000

#endif
