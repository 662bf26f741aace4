# Cross-build for 64-bit ARM (the NEON kernels) with Debian's g++-aarch64-linux-gnu; tests run under qemu-aarch64.
#   cmake -S . -B build-arm -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
#   cmake --build build-arm -j2 --target rwkv7_tests && ctest --test-dir build-arm -R unit
set(CMAKE_SYSTEM_PROCESSOR aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
