#include "harness/generator.hpp"

#include <fmt/format.h>

#include <random>

namespace ptv::lab::bt {

namespace {

constexpr uint32_t kLoad = 0x100000;  // where the multiboot loader puts the image
constexpr uint32_t kHeaderMagic = 0x1badb002;
constexpr uint32_t kFlags = (1u << 16);  // the a.out kludge: the addresses below are valid
constexpr uint32_t kBssEnd = kLoad + 0x10000;
constexpr uint32_t kStackTop = kBssEnd;

class Assembler {
  public:
    uint32_t here() const { return kLoad + uint32_t(code.size()); }
    void b(uint8_t v) { code.push_back(v); }
    void d(uint32_t v) {
        for (int i = 0; i < 4; ++i) b(uint8_t(v >> (8 * i)));
    }
    void patch_d(uint32_t at, uint32_t v) {
        for (int i = 0; i < 4; ++i) code[at - kLoad + i] = uint8_t(v >> (8 * i));
    }
    std::vector<uint8_t> code;
};

}  // namespace

GeneratedGuest generate_guest(uint64_t seed, bool self_modifying) {
    std::mt19937_64 rng(seed * 0x9e3779b97f4a7c15ull + (self_modifying ? 1 : 2));
    auto pick = [&](uint32_t lo, uint32_t hi) {
        return uint32_t(std::uniform_int_distribution<uint32_t>(lo, hi)(rng));
    };
    const uint32_t handlers = 1u << pick(2, 3);  // 4 or 8
    const uint32_t iterations = pick(150, 400);
    const bool flags_callouts = pick(0, 1) == 1;

    Assembler a;
    // The multiboot header (Multiboot 0.6.96, 3.1), as guests/include/multiboot.inc.
    a.d(kHeaderMagic);
    a.d(kFlags);
    a.d(uint32_t(-(int64_t(kHeaderMagic) + kFlags)));
    a.d(kLoad);    // header_addr
    a.d(kLoad);    // load_addr
    a.d(0);        // load_end_addr: the whole file
    a.d(kBssEnd);  // bss_end_addr
    const uint32_t entry_field = a.here();
    a.d(0);  // entry_addr, patched below
    a.patch_d(entry_field, a.here());

    a.b(0xfa);                   // cli
    a.b(0xbc), a.d(kStackTop);   // mov esp, kStackTop
    a.b(0xb9), a.d(iterations);  // mov ecx, iterations
    a.b(0x31), a.b(0xf6);        // xor esi, esi
    a.b(0x31), a.b(0xdb);        // xor ebx, ebx
    const uint32_t loop = a.here();
    a.b(0x89), a.b(0xc8);                              // mov eax, ecx
    a.b(0x83), a.b(0xe0), a.b(uint8_t(handlers - 1));  // and eax, handlers - 1
    a.b(0x8b), a.b(0x04), a.b(0x85);                   // mov eax, [eax*4 + table]
    const uint32_t table_field = a.here();
    a.d(0);
    a.b(0xff), a.b(0xd0);                              // call eax
    if (flags_callouts) a.b(0x9c), a.b(0x9d);          // pushfd; popfd
    a.b(0x49);                                         // dec ecx
    a.b(0x0f), a.b(0x85), a.d(loop - (a.here() + 4));  // jnz loop
    a.b(0x89), a.b(0xf0);                              // mov eax, esi
    a.b(0xf4);                                         // hlt

    // The handlers, each at its own distance from the last.
    std::vector<uint32_t> starts, patch_sites, patch_fields;
    for (uint32_t h = 0; h < handlers; ++h) {
        // nops (never run): each handler in a code line of its own or two,
        // none in the main loop's
        for (uint32_t pad = pick(200, 300); pad > 0; --pad) a.b(0x90);
        starts.push_back(a.here());
        a.b(0x81), a.b(0xc3), a.d(pick(1, 1000));  // add ebx, imm32
        a.b(0x8d), a.b(0x1c), a.b(0x5b);           // lea ebx, [ebx + ebx*2]
        patch_sites.push_back(a.here());
        a.b(0xba), a.d(pick(1, 100));  // mov edx, imm32 (patched by other handlers)
        a.b(0x01), a.b(0xd6);          // add esi, edx
        a.b(0x31), a.b(0xde);          // xor esi, ebx
        if (self_modifying) {
            a.b(0x89), a.b(0x1d);  // mov [patch of another handler + 1], ebx
            patch_fields.push_back(a.here());
            a.d(0);
        }
        a.b(0xc3);  // ret
    }
    const uint32_t table = a.here();
    for (uint32_t s : starts) a.d(s);
    a.patch_d(table_field, table);
    for (uint32_t h = 0; h < patch_fields.size(); ++h) {
        const uint32_t victim = (h + pick(1, handlers - 1)) % handlers;
        a.patch_d(patch_fields[h], patch_sites[victim] + 1);
    }
    GeneratedGuest g;
    g.image = std::move(a.code);
    g.description = fmt::format(
        "a generated guest (seed {}): {} iterations of a CALL through a table of {} handlers{}{}",
        seed, iterations, handlers,
        self_modifying ? ", each rewriting the immediate of a MOV inside another handler" : "",
        flags_callouts ? ", then pushfd; popfd" : "");
    return g;
}

}  // namespace ptv::lab::bt
