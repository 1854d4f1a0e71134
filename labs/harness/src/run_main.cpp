// `lab-tests list` and `lab-tests run CASE ...`: runs one case and reports
// it in the protocol of ptv/lab/harness.hpp, for the grader and for a
// student reproducing a failure by hand.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "ptv/lab/harness.hpp"
#include "registry.hpp"

namespace ptv::lab {
namespace {

enum Status : int { Pass = 0, Fail = 1, Usage = 2, NotImplementedStatus = 3, NeedsKvmStatus = 4 };

const char* kUsage =
    "usage: lab-tests list\n"
    "       lab-tests run CASE [--seed N] [--substrate model|kvm] [--trace FILE]\n";

int usage_error(const std::string& what) {
    std::fprintf(stderr, "lab-tests: %s (see: lab-tests --help)\n", what.c_str());
    return Usage;
}

// The last line of a run: what the grader reads.
int report(const Context& ctx, const char* verdict, const std::string& message, int status) {
    nlohmann::json result = {{"verdict", verdict},
                             {"message", message},
                             {"input", ctx.input()},
                             {"measures", ctx.measures()}};
    std::cout << std::flush;
    std::fflush(stdout);
    // A case may leave a line unfinished: the result starts its own line.
    std::printf("\nPTV-LAB-RESULT %s\n",
                result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    std::fflush(stdout);
    return status;
}

int run_case(const Case& c, Context& ctx) {
    try {
        c.function(ctx);
    } catch (const NotImplemented& e) {
        return report(ctx, "not-implemented", std::string("not implemented: ") + e.what(),
                      NotImplementedStatus);
    } catch (const NeedsKvm& e) {
        return report(ctx, "needs-kvm", e.what(), NeedsKvmStatus);
    } catch (const Failure& e) {
        return report(ctx, "fail", e.what(), Fail);
    } catch (const std::exception& e) {
        return report(ctx, "fail", std::string("uncaught exception: ") + e.what(), Fail);
    } catch (...) {
        return report(ctx, "fail", "uncaught exception of an unknown type", Fail);
    }
    return report(ctx, "pass", "", Pass);
}

bool parse_seed(const std::string& text, uint64_t& seed) {
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return false;
    errno = 0;
    char* end = nullptr;
    seed = std::strtoull(text.c_str(), &end, 10);
    return errno == 0 && *end == '\0';
}

}  // namespace

int run_main(int argc, char** argv) {
    if (argc < 2) {
        std::fputs(kUsage, stderr);
        return Usage;
    }
    const std::string verb = argv[1];
    if (verb == "--help" || verb == "-h") {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (verb == "list") {
        for (const auto& c : cases()) std::printf("%.*s\n", int(c.name.size()), c.name.data());
        return 0;
    }
    if (verb != "run") return usage_error("unknown verb '" + verb + "'");
    if (argc < 3) return usage_error("'run' needs a case name (lab-tests list shows them)");
    const Case* c = find_case(argv[2]);
    if (!c) return usage_error(std::string("no case named '") + argv[2] + "' (lab-tests list)");

    uint64_t seed = 1;
    Substrate substrate = Substrate::Model;
    std::string trace;
    for (int i = 3; i < argc; ++i) {
        const std::string opt = argv[i];
        if (i + 1 >= argc) return usage_error(opt + " needs a value");
        const std::string value = argv[++i];
        if (opt == "--seed") {
            if (!parse_seed(value, seed))
                return usage_error("--seed takes a non-negative integer, not '" + value + "'");
        } else if (opt == "--substrate") {
            if (value == "model")
                substrate = Substrate::Model;
            else if (value == "kvm")
                substrate = Substrate::Kvm;
            else
                return usage_error("--substrate is model or kvm, not '" + value + "'");
        } else if (opt == "--trace") {
            trace = value;
        } else {
            return usage_error("unknown option '" + opt + "'");
        }
    }
    Context ctx(seed, substrate, trace);
    return run_case(*c, ctx);
}

}  // namespace ptv::lab
