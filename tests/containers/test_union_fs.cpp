// The union file system: writes inside land in the run's upper layer; the
// read-only lower layer (the image) is the same after the run.
#include <sys/stat.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "leftovers.hpp"

using namespace ptv::test;
namespace fs = std::filesystem;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// A lower layer of our own: busybox, sh, cat, rm, ls, and /etc/motd.
void make_lower(const std::string& dir) {
    for (const char* d : {"bin", "etc", "proc", "sys", "dev", "tmp"})
        fs::create_directories(dir + "/" + d);
    const std::string busybox = fs::exists("/bin/busybox") ? "/bin/busybox" : "/usr/bin/busybox";
    fs::copy_file(busybox, dir + "/bin/busybox");
    for (const char* applet : {"sh", "cat", "rm", "ls", "echo"})
        fs::create_symlink("/bin/busybox", dir + "/bin/" + applet);
    std::ofstream(dir + "/etc/motd") << "hello\n";
}

}  // namespace

TEST_CASE("writes land in the upper layer, the lower layer is unchanged (--rootfs)") {
    require_root();
    TempDir lower;
    make_lower(lower.path);
    const Completed c = container(
        {"--rootfs", lower.path, "--", "sh", "-c",
         "echo changed > /etc/motd; echo new > /etc/new; rm /bin/ls; cat /etc/motd /etc/new; "
         "ls /bin/ls 2>/dev/null || echo gone"});
    CHECK(c.status == 0);
    CHECK(c.out == "changed\nnew\ngone\n");
    CHECK(slurp(lower.path + "/etc/motd") == "hello\n");
    CHECK(!fs::exists(lower.path + "/etc/new"));
    CHECK(fs::is_symlink(lower.path + "/bin/ls"));
    // A second run starts from the image again: the first run's upper layer
    // went with it.
    CHECK(container({"--rootfs", lower.path, "--", "cat", "/etc/motd"}).out == "hello\n");
}

TEST_CASE("the default image: made once from busybox-static, unchanged by a run") {
    require_root();
    TempDir cache;
    // A fresh cache: this run makes the image.
    const std::string image = cache.path + "/ptvlab/container-rootfs";
    TempDir tmp;
    const Completed first = run({bin("ptv"), "container", "run", "--explain", "--", "sh", "-c",
                                 "touch /bin/new-file; rm /bin/ls; ls /bin/ls || echo gone"},
                                {{"XDG_CACHE_HOME", cache.path}, {"TMPDIR", tmp.path}}, 60);
    CHECK(first.status == 0);
    CHECK(first.out == "gone\n");
    CHECK(first.err.find("image: made " + image) != std::string::npos);
    REQUIRE(fs::is_regular_file(image + "/bin/busybox"));
    CHECK(fs::read_symlink(image + "/bin/sh") == "/bin/busybox");
    CHECK(fs::read_symlink(image + "/bin/ls") == "/bin/busybox");
    CHECK(!fs::exists(image + "/bin/new-file"));
    for (const char* d : {"proc", "sys", "dev", "tmp"}) CHECK(fs::is_directory(image + "/" + d));
    // Made atomically: nothing but the image beside it.
    CHECK(entries(cache.path + "/ptvlab") == std::vector<std::string>{"container-rootfs"});
    // Made once: the next run uses it as it is.
    struct stat before {
    }, after{};
    ::stat((image + "/bin/busybox").c_str(), &before);
    const Completed second = run({bin("ptv"), "container", "run", "--explain", "--", "true"},
                                 {{"XDG_CACHE_HOME", cache.path}, {"TMPDIR", tmp.path}}, 60);
    CHECK(second.status == 0);
    CHECK(second.err.find("image: made") == std::string::npos);
    ::stat((image + "/bin/busybox").c_str(), &after);
    CHECK(before.st_ino == after.st_ino);
    CHECK(entries(tmp.path).empty());
}
