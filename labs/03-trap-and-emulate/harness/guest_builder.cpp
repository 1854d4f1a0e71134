#include "guest_builder.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <random>

namespace ptv::lab::trap {

namespace {

// The guest's memory, as a NASM guest would lay it out (guests/).
constexpr uint32_t kLoad = 0x100000;        // multiboot load address
constexpr uint32_t kCode = kLoad + 0x20;    // after the header
constexpr uint32_t kGdt = kLoad + 0x4000;   // null, kcode, kdata, ucode, udata, TSS
constexpr uint32_t kGdtr = kLoad + 0x4100;  // limit, base
constexpr uint32_t kIdtr = kLoad + 0x4180;
constexpr uint32_t kIdt = kLoad + 0x4200;  // 256 gates
constexpr uint32_t kTss = kLoad + 0x4a00;
constexpr uint32_t kScratch = kLoad + 0x4c00;
constexpr uint32_t kKernelStack = kLoad + 0x7000;
constexpr uint32_t kUserStack = kLoad + 0x8000;
constexpr uint32_t kImageSize = 0x8000;
constexpr uint16_t kKcs = 0x08, kKds = 0x10, kUcs = 0x18 | 3, kUds = 0x20 | 3, kTssSel = 0x28;
constexpr uint16_t kUart = 0x3f8, kPost = 0x80, kDebugExit = 0x501;

// A tiny assembler: bytes, and 32-bit absolute fixups to labels.
class Code {
  public:
    void b(std::initializer_list<int> bytes) {
        for (int x : bytes) out_.push_back(uint8_t(x));
    }
    void d(uint32_t v) {
        for (int i = 0; i < 4; ++i) out_.push_back(uint8_t(v >> (8 * i)));
    }
    void w(uint16_t v) { b({v & 0xff, v >> 8}); }
    void ref(const std::string& label) {
        fixups_.push_back({out_.size(), label});
        d(0);
    }
    void label(const std::string& name) { labels_[name] = kCode + uint32_t(out_.size()); }
    uint32_t at(const std::string& name) const { return labels_.at(name); }
    std::vector<uint8_t> finish() {
        for (const auto& [at, name] : fixups_) {
            const uint32_t v = labels_.at(name);
            std::memcpy(out_.data() + at, &v, 4);
        }
        return out_;
    }

  private:
    std::vector<uint8_t> out_;
    std::vector<std::pair<size_t, std::string>> fixups_;
    std::map<std::string, uint32_t> labels_;
};

void put32(std::vector<uint8_t>& img, uint32_t addr, uint32_t v) {
    std::memcpy(img.data() + (addr - kLoad), &v, 4);
}
void put16(std::vector<uint8_t>& img, uint32_t addr, uint16_t v) {
    std::memcpy(img.data() + (addr - kLoad), &v, 2);
}

// A flat 4 GiB descriptor (accessed bit clear: the processor sets it).
uint64_t flat_descriptor(uint8_t access) {
    return 0xffffull | uint64_t(access) << 40 | 0xcfull << 48;
}

uint64_t tss_descriptor(uint32_t base, uint32_t limit) {
    return (limit & 0xffff) | uint64_t(base & 0xffffff) << 16 | 0x89ull << 40 |
           uint64_t((limit >> 16) & 0xf) << 48 | uint64_t(base >> 24) << 56;
}

void gate(std::vector<uint8_t>& img, int vector, uint32_t handler, uint16_t type) {
    const uint32_t at = kIdt + 8 * vector;
    put16(img, at, uint16_t(handler));
    put16(img, at + 2, kKcs);
    put16(img, at + 4, type);
    put16(img, at + 6, uint16_t(handler >> 16));
}

class Builder {
  public:
    Builder(uint64_t seed, const GuestRecipe& r) : rng_(seed), r_(r) {}

    GeneratedGuest build() {
        c_.b({0xbc}), c_.d(kKernelStack), say("mov esp, kernel_stack");
        if (r_.own_tables) tables();
        std::vector<std::function<void()>> tour, extra;
        if (r_.interrupt_flag) {
            tour.push_back([this] { cli(); });
            tour.push_back([this] { sti_hlt(); });
            extra.push_back([this] { cli(); });
            extra.push_back([this] { sti(); });
            extra.push_back([this] { sti_hlt(); });
        }
        if (r_.port_io) {
            for (int k = 0; k < 6; ++k) {
                tour.push_back([this, k] { port(k); });
                extra.push_back([this, k] { port(k); });
            }
        }
        if (r_.control_registers) {
            for (int n : {0, 2, 3, 4}) {
                tour.push_back([this, n] { write_cr(n); });
                tour.push_back([this, n] { read_cr(n); });
                extra.push_back([this, n] { write_cr(n); });
                extra.push_back([this, n] { read_cr(n); });
            }
        }
        if (r_.user_mode) extra.push_back([this] { kernel_syscall(); });
        std::shuffle(tour.begin(), tour.end(), rng_);
        for (auto& f : tour) f();
        for (int i = 0; i < r_.ops && !extra.empty(); ++i) extra[pick(extra.size())]();
        if (r_.popf_ignored) {
            c_.b({0x68}), c_.d(0x2), c_.b({0x9d}), say("push 0x2 ; popfd (IF stays 0)");
        }
        if (r_.user_mode)
            user_mode();
        else
            exit();
        c_.label("gp_handler");
        gp_handler();
        c_.label("syscall");
        syscall_handler();
        return finish();
    }

  private:
    uint32_t pick(size_t n) {
        return uint32_t(std::uniform_int_distribution<size_t>(0, n - 1)(rng_));
    }
    void say(const std::string& line) { text_ += line + "\n"; }

    void tables() {
        c_.b({0x0f, 0x01, 0x15}), c_.d(kGdtr), say("lgdt [gdtr]   ; 6 entries at 0x104000");
        c_.b({0xea}), c_.ref("cs"), c_.w(kKcs), say("jmp 0x08:.cs");
        c_.label("cs");
        c_.b({0x66, 0xb8}), c_.w(kKds), say("mov ax, 0x10");
        for (int modrm : {0xd8, 0xc0, 0xe0, 0xe8, 0xd0}) c_.b({0x8e, modrm});
        say("mov ds/es/fs/gs/ss, ax");
        c_.b({0x0f, 0x01, 0x1d}), c_.d(kIdtr), say("lidt [idtr]   ; #GP and int 0x80 gates");
        c_.b({0x66, 0xb8}), c_.w(kTssSel), c_.b({0x0f, 0x00, 0xd8}), say("mov ax, 0x28 ; ltr ax");
    }
    void cli() { c_.b({0xfa}), say("cli"); }
    void sti() { c_.b({0xfb}), say("sti"); }
    void sti_hlt() { c_.b({0xfb, 0xf4}), say("sti ; hlt   (IF=1: goes on)"); }
    void mov_dx(uint16_t port) { c_.b({0x66, 0xba}), c_.w(port); }
    void port(int kind) {
        const uint32_t v = uint32_t(rng_());
        switch (kind) {
            case 0:  // a character on the serial line
                c_.b({0xb0, 'a' + int(v % 26)}), mov_dx(kUart), c_.b({0xee});
                say(fmt::format("mov al, '{}' ; mov dx, 0x3f8 ; out dx, al", char('a' + v % 26)));
                break;
            case 1:  // the UART's scratch register, a byte
                c_.b({0xb0, int(v & 0xff)}), mov_dx(kUart + 7), c_.b({0xee});
                say(fmt::format("mov al, {:#x} ; mov dx, 0x3ff ; out dx, al", v & 0xff));
                break;
            case 2:  // MSR and scratch, a word
                c_.b({0x66, 0xb8}), c_.w(uint16_t(v)), mov_dx(kUart + 6), c_.b({0x66, 0xef});
                say(fmt::format("mov ax, {:#x} ; mov dx, 0x3fe ; out dx, ax", v & 0xffff));
                break;
            case 3:  // MCR, LSR, MSR, scratch: a dword
                mov_dx(kUart + 4), c_.b({0xed, 0x01, 0xc6});
                say("mov dx, 0x3fc ; in eax, dx ; add esi, eax");
                break;
            case 4:
                mov_dx(kUart + 6), c_.b({0x66, 0xed, 0x01, 0xc6});
                say("mov dx, 0x3fe ; in ax, dx ; add esi, eax");
                break;
            default:  // the POST port, by an immediate port number
                c_.b({0xb0, int(v & 0xff), 0xe6, kPost});
                say(fmt::format("mov al, {:#x} ; out 0x80, al", v & 0xff));
                break;
        }
    }
    void write_cr(int n) {
        uint32_t v = uint32_t(rng_());
        if (n == 0) {  // flip TS and MP, keep PE and ET
            c_.b({0x0f, 0x20, 0xc0, 0x35}), c_.d(0xa), c_.b({0x0f, 0x22, 0xc0});
            say("mov eax, cr0 ; xor eax, 0xa ; mov cr0, eax");
            return;
        }
        if (n == 3) v &= 0xfffff000u;
        if (n == 4) v &= 0x7ff;
        c_.b({0xb8}), c_.d(v), c_.b({0x0f, 0x22, 0xc0 | n << 3});
        say(fmt::format("mov eax, {:#x} ; mov cr{}, eax", v, n));
    }
    void read_cr(int n) {
        c_.b({0x0f, 0x20, 0xc3 | n << 3, 0x01, 0xdf}),
            say(fmt::format("mov ebx, cr{} ; add edi, ebx", n));
    }
    void kernel_syscall() {
        c_.b({0xb8}), c_.d(7), c_.b({0xcd, 0x80}), say("mov eax, 7 ; int 0x80   (iret to ring 0)");
    }
    void exit() {
        mov_dx(kDebugExit), c_.b({0x30, 0xc0, 0xee}),
            say("mov dx, 0x501 ; xor al, al ; out dx, al");
        c_.b({0xfa, 0xf4}), say("cli ; hlt");
    }
    void user_mode() {
        const uint32_t fl = 0x3002 | (pick(2) ? 0x200 : 0);
        c_.b({0x68}), c_.d(kUds), c_.b({0x68}), c_.d(kUserStack), c_.b({0x68}), c_.d(fl);
        c_.b({0x68}), c_.d(kUcs), c_.b({0x68}), c_.ref("user"), c_.b({0xcf});
        say(fmt::format("push 0x23 ; push user_stack ; push {:#x} ; push 0x1b ; push .user ; iretd",
                        fl));
        c_.label("user");
        say(".user:   ; ring 3, IOPL 3");
        c_.b({0x66, 0xb8}), c_.w(kUds), c_.b({0x8e, 0xd8, 0x8e, 0xc0}),
            say("mov ax, 0x23 ; mov ds, ax ; mov es, ax");
        const int n = 2 + int(pick(4));
        for (int i = 0; i < n; ++i) {
            switch (pick(4)) {
                case 0:
                    cli();
                    break;
                case 1:
                    sti();
                    break;
                case 2:
                    port(0);
                    break;
                default:
                    port(3);
                    break;
            }
        }
        c_.b({0xb8}), c_.d(2), c_.b({0xcd, 0x80}),
            say("mov eax, 2 ; int 0x80   (returns with IOPL 0)");
        c_.b({0x81, 0xc6}), c_.d(uint32_t(rng_()) & 0xffff), say("add esi, imm32");
        if (r_.popf_ignored) {
            c_.b({0x68}), c_.d(0x202), c_.b({0x9d});
            say("push 0x202 ; popfd   (CPL 3 > IOPL 0: IF stays)");
        }
        mov_dx(kUart + 5), c_.b({0xec}), say("mov dx, 0x3fd ; in al, dx   (IOPL 0: #GP)");
        c_.b({0xf4}), say("hlt   (#GP)");
    }
    void gp_handler() {
        say("gp_handler: pop eax ; ebx, ecx, ebp, edx = EIP, CS, EFLAGS, ESP of the frame ; exit");
        c_.b({0x58, 0x8b, 0x1c, 0x24, 0x8b, 0x4c, 0x24, 0x04, 0x8b, 0x6c, 0x24, 0x08});
        c_.b({0x8b, 0x54, 0x24, 0x0c, 0x89, 0x15}), c_.d(kScratch);
        exit();
    }
    void syscall_handler() {
        say("syscall: add esi, eax ; out 0x80, al ; and dword [esp+8], ~0x3000 ; iretd");
        c_.b({0x01, 0xc6, 0xe6, kPost, 0x81, 0x64, 0x24, 0x08}), c_.d(0xffffcfffu), c_.b({0xcf});
    }

    GeneratedGuest finish() {
        std::vector<uint8_t> img(kImageSize, 0);
        // Multiboot header with the address fields (guests/include/multiboot.inc).
        constexpr uint32_t kMagic = 0x1badb002, kFlags = 0x10000;
        put32(img, kLoad, kMagic);
        put32(img, kLoad + 4, kFlags);
        put32(img, kLoad + 8, uint32_t(-(kMagic + kFlags)));
        put32(img, kLoad + 12, kLoad);
        put32(img, kLoad + 16, kLoad);
        put32(img, kLoad + 20, 0);
        put32(img, kLoad + 24, kLoad + kImageSize);
        put32(img, kLoad + 28, kCode);
        const std::vector<uint8_t> code = c_.finish();
        std::memcpy(img.data() + (kCode - kLoad), code.data(), code.size());
        const uint64_t gdt[] = {0,
                                flat_descriptor(0x9a),
                                flat_descriptor(0x92),
                                flat_descriptor(0xfa),
                                flat_descriptor(0xf2),
                                tss_descriptor(kTss, 103)};
        std::memcpy(img.data() + (kGdt - kLoad), gdt, sizeof gdt);
        put16(img, kGdtr, sizeof gdt - 1);
        put32(img, kGdtr + 2, kGdt);
        put16(img, kIdtr, 0x7ff);
        put32(img, kIdtr + 2, kIdt);
        put32(img, kTss + 4, kKernelStack);
        put32(img, kTss + 8, kKds);
        put16(img, kTss + 102, 104);
        gate(img, 13, c_.at("gp_handler"), 0x8e00);  // interrupt gate, DPL 0
        gate(img, 0x80, c_.at("syscall"), 0xee00);   // DPL 3: user code may call it
        return {std::move(img), text_};
    }

    std::mt19937_64 rng_;
    GuestRecipe r_;
    Code c_;
    std::string text_;
};

}  // namespace

GeneratedGuest generate_guest(uint64_t seed, const GuestRecipe& recipe) {
    Builder b(seed, recipe);
    GeneratedGuest g = b.build();
    return g;
}

}  // namespace ptv::lab::trap
