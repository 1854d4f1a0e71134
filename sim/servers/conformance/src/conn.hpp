// A client connection that the checks close on every way out.
#pragma once

#include <unistd.h>

#include <string>

#include "ptv/servers/conformance/client.hpp"

namespace ptv::servers::conformance {

struct Conn {
    explicit Conn(int port) : fd(connect_to(port)) {}
    ~Conn() {
        if (fd >= 0) close(fd);
    }
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;
    int fd;
    std::string buf;  // bytes read past the last response
};

}  // namespace ptv::servers::conformance
