// The harness protocol of ptvlab's labs (labs/README.md): a lab's test
// cases, each a function registered by name, compiled together with the
// student's files into one program, `lab-tests`, that the grader runs once
// per test:
//
//   lab-tests list
//   lab-tests run CASE [--seed N] [--substrate model|kvm] [--trace FILE]
//
// A case reads its seed and substrate from its Context, generates its input
// from the seed, runs the student's code and checks it with expect() and
// expect_eq(). The last line `run` prints is the machine-readable result:
//   PTV-LAB-RESULT {"verdict":..., "message":..., "input":..., "measures":{...}}
// and its exit status says the same: 0 pass, 1 fail, 3 not implemented,
// 4 needs /dev/kvm, 2 a usage error.
#pragma once

#include <cstdint>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>

namespace ptv::lab {

// Thrown by a starter's stubs: the test reports "not implemented: WHAT".
struct NotImplemented : std::runtime_error {
    explicit NotImplemented(const std::string& what) : std::runtime_error(what) {}
};

// Thrown by a check that does not hold: the test fails with this message.
struct Failure : std::runtime_error {
    explicit Failure(const std::string& message) : std::runtime_error(message) {}
};

// Thrown by a case that needs /dev/kvm where there is none.
struct NeedsKvm : std::runtime_error {
    NeedsKvm() : std::runtime_error("needs /dev/kvm: run locally") {}
};

enum class Substrate : uint8_t { Model, Kvm };

class Context {
  public:
    Context(uint64_t seed, Substrate substrate, std::string trace_path = {})
        : seed_(seed), substrate_(substrate), trace_path_(std::move(trace_path)) {}

    uint64_t seed() const { return seed_; }
    Substrate substrate() const { return substrate_; }
    // Where a case that runs a guest writes its trace ("" : no trace), for
    // a student who wants to watch the run in `ptv viz`.
    const std::string& trace_path() const { return trace_path_; }

    // What the generated input was, in words a student can reproduce it
    // from (shown for public tests, and for hidden ones only with --reveal).
    void input(std::string description) { input_ = std::move(description); }
    // A figure the case measured (a switch cost, an exit count), always shown.
    void measure(const std::string& name, double value) { measures_[name] = value; }

    const std::string& input() const { return input_; }
    const std::map<std::string, double>& measures() const { return measures_; }

  private:
    uint64_t seed_;
    Substrate substrate_;
    std::string trace_path_;
    std::string input_;
    std::map<std::string, double> measures_;
};

using CaseFunction = void (*)(Context&);

// Registers a case at static-initialisation time (PTV_LAB_CASE does it).
struct CaseRegistrar {
    CaseRegistrar(const char* name, CaseFunction function);
};

// Fails the test with `message` unless `condition` holds.
inline void expect(bool condition, const std::string& message) {
    if (!condition) throw Failure(message);
}

// Fails the test with "WHAT: got G, expected E" unless got == expected.
template <class G, class E>
void expect_eq(const G& got, const E& expected, const std::string& what) {
    if (got == expected) return;
    std::ostringstream m;
    m << what << ": got " << got << ", expected " << expected;
    throw Failure(m.str());
}

// The program's entry (harness_main.cpp calls it).
int run_main(int argc, char** argv);

}  // namespace ptv::lab

#define PTV_LAB_CONCAT2(a, b) a##b
#define PTV_LAB_CONCAT(a, b) PTV_LAB_CONCAT2(a, b)
#define PTV_LAB_CASE_IMPL(name, fn)                                                   \
    static void fn(::ptv::lab::Context& ctx);                                         \
    static const ::ptv::lab::CaseRegistrar PTV_LAB_CONCAT(fn, _registrar){name, &fn}; \
    static void fn([[maybe_unused]] ::ptv::lab::Context& ctx)
// PTV_LAB_CASE("name") { ... ctx.seed() ... expect(...); }
#define PTV_LAB_CASE(name) PTV_LAB_CASE_IMPL(name, PTV_LAB_CONCAT(ptv_lab_case_, __LINE__))
