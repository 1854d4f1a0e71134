// `ptv vmm` as a user meets it: output, status, and one clear line for
// every bad input (status 2).
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "images.hpp"
#include "process.hpp"

using namespace ptv;

namespace {
test::Completed ptv_vmm(std::vector<std::string> args) {
    args.insert(args.begin(), {test::bin("ptv"), "vmm"});
    return test::run(args, {}, 120);
}
}  // namespace

TEST_CASE("ptv vmm run prints the guest's output and the counter table") {
    auto r = ptv_vmm({"run", "hello", "--technique", "trap-emulate"});
    CHECK(r.status == 0);
    CHECK(r.out.find("Hello from a ptvlab guest!\n") == 0);
    CHECK(r.out.find("hello under trap-emulate: halted") != std::string::npos);
    CHECK(r.out.find("#GP (out)") != std::string::npos);
    CHECK(r.out.find("modelled cycles") != std::string::npos);
}

TEST_CASE("ptv vmm run --json and --trace") {
    test::TempDir dir;
    const std::string trace = dir.path + "/vmx.json";
    auto r = ptv_vmm({"run", "hello", "-t", "vmx", "--json", "--trace", trace});
    CHECK(r.status == 0);
    auto j = nlohmann::json::parse(r.out);
    CHECK(j["outcome"] == "halted");
    CHECK(j["vm_exits"]["I/O instruction"] == 61);
    CHECK(j["final_state"]["memory_hash"].get<std::string>().size() == 18);
    std::ifstream in(trace);
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    CHECK(text.find("\"cat\":\"vmexit\"") != std::string::npos);
    CHECK(text.find("\"cat\":\"notification\"") != std::string::npos);
}

TEST_CASE("ptv vmm compare: one table, an equivalent row") {
    auto r = ptv_vmm({"compare", "hello", "--no-kvm"});
    CHECK(r.status == 0);
    CHECK(r.out.find("equivalent") != std::string::npos);
    CHECK(r.out.find("NO") == std::string::npos);
    auto j = nlohmann::json::parse(
        ptv_vmm({"compare", "hlt-loop", "--cmdline", "10", "--no-kvm", "--json"}).out);
    CHECK(j["techniques"][0]["equivalent"] == true);
    CHECK(j["techniques"][1]["technique"] == "trap-emulate");
    CHECK(j["techniques"][1]["equivalent"] == false);
    CHECK(j["techniques"][2]["equivalent"] == true);  // vmx
}

TEST_CASE("ptv vmm vmcs names the SDM's fields") {
    auto r = ptv_vmm({"vmcs", "hello"});
    CHECK(r.status == 0);
    for (const char* field : {"hlt exiting", "unconditional io exiting", "exception bitmap",
                              "guest rip", "host rip", "I/O instruction", "exit qualification"})
        CHECK_MESSAGE(r.out.find(field) != std::string::npos, field);
}

TEST_CASE("bad input: one line, status 2") {
    struct Case {
        std::vector<std::string> args;
        std::string says;
    };
    test::TempDir dir;
    const std::string junk = dir.path + "/junk.bin";
    std::ofstream(junk) << "this is not a multiboot image";
    for (const auto& c : std::vector<Case>{
             {{"run", "hello", "--technique", "magic"}, "unknown technique"},
             {{"run", "no-such-guest"}, "no-such-guest"},
             {{"run", junk}, "multiboot"},
             {{"run", "fault-too-big"}, "--memory"},
             {{"run", "hello", "--max-instructions", "0"}, "max-instructions"},
             {{"run", "hello", "--keys", "500ms:space 3s:nokey"},
              "bad key press \"3s:nokey\" in --keys: no key is named \"nokey\"; write TIME:KEY"},
             {{"run", "hello", "--keys", "1.2:left"}, "\"1.2\" is not a time"},
             {{"explain", "nothing"}, "nothing"},
             {{"bogus"}, "subcommand"},
         }) {
        CAPTURE(c.args[0]);
        auto r = ptv_vmm(c.args);
        CHECK(r.status == 2);
        CHECK(r.err.find(c.says) != std::string::npos);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    }
}

TEST_CASE("ptv vmm run --keys: a guest that does not read the keyboard runs as before") {
    auto r = ptv_vmm({"run", "hello", "--keys", "1us:a 2us:esc", "--json"});
    CHECK(r.status == 0);
    CHECK(nlohmann::json::parse(r.out)["outcome"] == "halted");
}

TEST_CASE("a runaway guest stops at the instruction budget with status 13") {
    auto r = ptv_vmm({"run", "fault-forever", "--max-instructions", "10000"});
    CHECK(r.status == 13);
    CHECK(r.out.find("instruction budget of 10000 exhausted") != std::string::npos);
}

TEST_CASE("ptv vmm explain popf: the violation under trap-and-emulate only") {
    auto r = ptv_vmm({"explain", "popf", "--no-kvm"});
    CHECK(r.status == 0);
    const size_t te = r.out.find("== trap-emulate");
    const size_t bt = r.out.find("== binary-translation");
    const size_t vmx = r.out.find("== vmx");
    REQUIRE(te != std::string::npos);
    REQUIRE(bt != std::string::npos);
    REQUIRE(vmx != std::string::npos);
    const std::string native_part = r.out.substr(0, te);
    const std::string te_part = r.out.substr(te, bt - te);
    const std::string bt_part = r.out.substr(bt, vmx - bt);
    // Binary translation: the guest sees what the bare machine shows it.
    CHECK(bt_part.find("after cli: IF=0") != std::string::npos);
    CHECK(bt_part.find("after popf(IF=0): IF=0") != std::string::npos);
    CHECK(bt_part.find("equivalent to native: yes") != std::string::npos);
    CHECK(bt_part.find("1 popfd, 3 pushfd") != std::string::npos);
    const std::string vmx_part = r.out.substr(vmx);
    CHECK(native_part.find("after cli: IF=0") != std::string::npos);
    CHECK(te_part.find("after cli: IF=1") != std::string::npos);
    CHECK(te_part.find("after popf(IF=0): IF=1") != std::string::npos);
    CHECK(te_part.find("popfd: popf meant to set IF=0 IOPL=0 was silently ignored") !=
          std::string::npos);
    CHECK(te_part.find("equivalent to native: NO") != std::string::npos);
    CHECK(vmx_part.find("after popf(IF=0): IF=0") != std::string::npos);
    CHECK(vmx_part.find("equivalent to native: yes") != std::string::npos);
}

TEST_CASE("an image we made byte by byte: runs, and an unsupported instruction is an outcome") {
    test::TempDir dir;
    test::FlatImage img;  // loaded at 2 MiB, header at offset 64, with bss
    std::ofstream(dir.file("flat.bin"), std::ios::binary)
        .write(reinterpret_cast<const char*>(img.bytes().data()),
               std::streamsize(img.bytes().size()));
    auto ok = ptv_vmm({"run", dir.file("flat.bin"), "--technique", "vmx"});
    CHECK(ok.status == 0);
    CHECK(ok.out.find("X\n") == 0);
    // fld dword [eax] (x87): valid x86, not in the model's subset.
    img.code = {0xd9, 0x00, 0xfa, 0xf4};
    std::ofstream(dir.file("fpu.bin"), std::ios::binary)
        .write(reinterpret_cast<const char*>(img.bytes().data()),
               std::streamsize(img.bytes().size()));
    for (const std::string t : {"native", "trap-emulate", "vmx", "paravirt"}) {
        CAPTURE(t);
        auto r = ptv_vmm({"run", dir.file("fpu.bin"), "-t", t, "--json"});
        CHECK(r.status == 14);
        auto j = nlohmann::json::parse(r.out);
        CHECK(j["outcome"] == "unsupported-instruction");
        CHECK(j["message"] == "unsupported instruction d9 00 (fld [eax]) at EIP 0x200060");
    }
}
