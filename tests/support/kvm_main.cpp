// The main() of every suite that boots real guests (tests/kvm, tests/vmms).
// Where /dev/kvm is missing it skips (exit 77, which CTest reports as
// skipped, never as passed) -- unless PTV_REQUIRE_KVM=1, as CI sets it, when
// a missing KVM fails the suite.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
    bool listing = false;
    for (int i = 1; i < argc; ++i)
        if (std::strncmp(argv[i], "--list", 6) == 0) listing = true;
    if (!listing) {
        int fd = ::open("/dev/kvm", O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            const char* req = std::getenv("PTV_REQUIRE_KVM");
            const bool required = req && std::string(req) == "1";
            std::fprintf(stderr, "%s: /dev/kvm is not usable (%s)%s\n", required ? "FAIL" : "SKIP",
                         std::strerror(errno),
                         required ? " and PTV_REQUIRE_KVM=1 requires it" : "");
            return required ? 1 : 77;
        }
        ::close(fd);
    }
    doctest::Context ctx(argc, argv);
    return ctx.run();
}
