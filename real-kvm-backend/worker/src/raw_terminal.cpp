#include "ptv/worker/raw_terminal.hpp"

#include <unistd.h>

namespace ptv::worker {

RawTerminal::RawTerminal(int fd) : fd_(fd) {
    if (fd < 0 || !::isatty(fd) || ::tcgetattr(fd, &saved_) != 0) return;
    termios raw = saved_;
    // cfmakeraw() without clearing ISIG: keys arrive one by one, unechoed,
    // with no CR/NL translation, and Ctrl-C is still SIGINT.
    raw.c_iflag &= ~tcflag_t(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    raw.c_lflag &= ~tcflag_t(ECHO | ECHONL | ICANON | IEXTEN);
    raw.c_cflag &= ~tcflag_t(CSIZE | PARENB);
    raw.c_cflag |= CS8;
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    active_ = ::tcsetattr(fd, TCSANOW, &raw) == 0;
}

RawTerminal::~RawTerminal() {
    if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
}

}  // namespace ptv::worker
