// The main() of every lab-tests program.
#include "ptv/lab/harness.hpp"

int main(int argc, char** argv) {
    return ptv::lab::run_main(argc, argv);
}
