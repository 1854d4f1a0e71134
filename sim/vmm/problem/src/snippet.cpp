// The instructions of `ptv vmm problem`: the privileged ones of the SDM, the
// sensitive-but-unprivileged ones of Robin & Irvine (2000), and ordinary
// ones, each as machine code in a context where its effect shows.
#include "ptv/vmm/problem/snippet.hpp"

namespace ptv::vmm::problem {

namespace {

std::vector<uint8_t> with_scratch(std::vector<uint8_t> head) {
    for (int i = 0; i < 4; ++i) head.push_back(uint8_t(kScratch >> (8 * i)));
    return head;
}

}  // namespace

const std::vector<Snippet>& snippets() {
    static const std::vector<Snippet> all = {
        {"cli", "", "", {}, {0xfa}, {}},
        {"sti", "", "", {}, {0xfb}, {}},
        {"pushfd", "cli", "pop eax", {0xfa}, {0x9c}, {0x58}},
        {"popfd", "sti ; push 0x2", "", {0xfb, 0x68, 0x02, 0x00, 0x00, 0x00}, {0x9d}, {}},
        {"mov eax, cs", "", "", {}, {0x8c, 0xc8}, {}},
        {"mov eax, ss", "", "", {}, {0x8c, 0xd0}, {}},
        {"push cs", "", "pop eax", {}, {0x0e}, {0x58}},
        {"sgdt [0x100800]", "", "", {}, with_scratch({0x0f, 0x01, 0x05}), {}},
        // An IDT of the kernel's own first (limit 0x7ff at 1 MiB, from the
        // stack), which a VMM keeps as virtual state.
        {"sidt [0x100800]",
         "push 0x100000 ; push 0x7ff0000 ; lidt [esp+2]",
         "",
         {0x68, 0x00, 0x00, 0x10, 0x00, 0x68, 0x00, 0x00, 0xff, 0x07, 0x0f, 0x01, 0x5c, 0x24, 0x02},
         with_scratch({0x0f, 0x01, 0x0d}),
         {}},
        // CR0.TS set first, so the machine status word the kernel set is not
        // the one a VMM's processor runs with.
        {"smsw eax",
         "mov eax, cr0 ; or al, 8 ; mov cr0, eax",
         "",
         {0x0f, 0x20, 0xc0, 0x0c, 0x08, 0x0f, 0x22, 0xc0},
         {0x0f, 0x01, 0xe0},
         {}},
        {"mov eax, cr0", "", "", {}, {0x0f, 0x20, 0xc0}, {}},
        {"mov cr3, eax",
         "mov eax, 0x5000",
         "",
         {0xb8, 0x00, 0x50, 0x00, 0x00},
         {0x0f, 0x22, 0xd8},
         {}},
        {"in al, dx", "mov dx, 0x3fd", "", {0x66, 0xba, 0xfd, 0x03}, {0xec}, {}},
        {"out 0x80, al", "mov al, 0x42", "", {0xb0, 0x42}, {0xe6, 0x80}, {}},
        {"wbinvd", "", "", {}, {0x0f, 0x09}, {}},
        {"clts", "", "", {}, {0x0f, 0x06}, {}},
        {"rdmsr", "mov ecx, 0x174", "", {0xb9, 0x74, 0x01, 0x00, 0x00}, {0x0f, 0x32}, {}},
        {"add eax, ebx", "mov ebx, 7", "", {0xbb, 0x07, 0x00, 0x00, 0x00}, {0x01, 0xd8}, {}},
        {"mov eax, [0x100800]", "", "", {}, with_scratch({0xa1}), {}},
        {"lea eax, [ebx+4]", "", "", {}, {0x8d, 0x43, 0x04}, {}},
        {"cpuid", "xor eax, eax", "", {0x31, 0xc0}, {0x0f, 0xa2}, {}},
    };
    return all;
}

std::string assembly(const Snippet& s) {
    std::string a = s.setup.empty() ? "" : s.setup + " ; ";
    a += s.instruction;
    if (!s.reveal.empty()) a += " ; " + s.reveal;
    return a;
}

}  // namespace ptv::vmm::problem
