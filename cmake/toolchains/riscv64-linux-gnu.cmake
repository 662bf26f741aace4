# Cross-build for 64-bit RISC-V with Debian's g++-riscv64-linux-gnu: a target where xsimd (8.1) has no SIMD
# instruction set, so the CPU backend runs its plain C++ kernels (as WebAssembly without simd128 would). Tests
# run under qemu-riscv64 (package qemu-user).
#   cmake -S . -B build-rv -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/riscv64-linux-gnu.cmake
#   cmake --build build-rv -j2 --target rwkv7_tests && ctest --test-dir build-rv -R unit
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(CMAKE_C_COMPILER riscv64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER riscv64-linux-gnu-g++)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-riscv64 -L /usr/riscv64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
# Debian installs xsimd's CMake package under the build machine's multiarch directory.
set(xsimd_DIR /usr/lib/${CMAKE_HOST_SYSTEM_PROCESSOR}-linux-gnu/cmake/xsimd CACHE PATH "xsimd's CMake package (host, header-only)")
