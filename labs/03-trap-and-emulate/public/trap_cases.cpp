// Parts 1-3: the trap handlers, graded by equivalence with the bare
// machine and by exact trap counts (README.md).
#include <fmt/format.h>

#include "harness/check.hpp"
#include "harness/guest_builder.hpp"
#include "ptv/lab/harness.hpp"

using namespace ptv::lab;
using namespace ptv::lab::trap;

namespace {

GuestSpec generated(Context& ctx, const std::string& name, const GuestRecipe& recipe) {
    GeneratedGuest g = generate_guest(ctx.seed(), recipe);
    ctx.input(fmt::format("a generated guest (seed {}):\n{}", ctx.seed(), g.description));
    GuestSpec spec;
    spec.name = name;
    spec.image = std::move(g.image);
    spec.memory_mib = 4;
    return spec;
}

GuestRecipe only(bool GuestRecipe::*feature, int ops = 10) {
    GuestRecipe r;
    r.interrupt_flag = r.port_io = r.control_registers = r.own_tables = r.user_mode = false;
    r.*feature = true;
    r.ops = ops;
    return r;
}

}  // namespace

// ------------------------------------------------------------------ part 1 --

PTV_LAB_CASE("hello") {
    ctx.input(
        "the kit's guest hello (guests/hello.asm): UART init, 27 status polls, 34 OUTs, cli; hlt");
    const std::map<std::string, uint64_t> exact = {
        {"#GP (cli)", 1}, {"#GP (hlt)", 1}, {"#GP (in)", 27}, {"#GP (out)", 34}};
    check_guest(ctx, kit_guest("hello"), &exact);
}

PTV_LAB_CASE("cli-sti-hlt") {
    check_guest(ctx, generated(ctx, "cli-sti-hlt", only(&GuestRecipe::interrupt_flag)));
}

PTV_LAB_CASE("port-io") {
    check_guest(ctx, generated(ctx, "port-io", only(&GuestRecipe::port_io)));
}

// ------------------------------------------------------------------ part 2 --

PTV_LAB_CASE("control-registers") {
    check_guest(ctx, generated(ctx, "control-registers", only(&GuestRecipe::control_registers)));
}

PTV_LAB_CASE("descriptor-tables") {
    check_guest(ctx, generated(ctx, "descriptor-tables", only(&GuestRecipe::own_tables, 0)));
}

PTV_LAB_CASE("mb-cr") {
    ctx.input("the kit's guest mb-cr (guests/mb-cr.asm) with N = 50: 50 writes of CR3");
    check_guest(ctx, kit_guest("mb-cr", "50"));
}

// ------------------------------------------------------------------ part 3 --

PTV_LAB_CASE("mb-syscall") {
    ctx.input(
        "the kit's guest mb-syscall (guests/mb-syscall.asm) with N = 20: its own GDT, IDT "
        "and TSS, an IRET to ring 3, 20 + 1 system calls by int 0x80, each returning by "
        "IRET");
    check_guest(ctx, kit_guest("mb-syscall", "20"));
}

PTV_LAB_CASE("user-mode") {
    GuestRecipe r;
    r.ops = 6;
    check_guest(ctx, generated(ctx, "user-mode", r));
}
