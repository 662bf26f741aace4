# Cross-build for 64-bit RISC-V with Debian's g++-riscv64-linux-gnu: a target where xsimd (8.1) has no SIMD
# instruction set, so the CPU backend runs its plain C++ kernels (as WebAssembly without simd128 would). Tests
# run under qemu-riscv64.
#   cmake -S . -B build-rv -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/riscv64-linux-gnu.cmake
#   cmake --build build-rv -j2 --target rwkv7_tests && ctest --test-dir build-rv -R unit
set(CMAKE_SYSTEM_PROCESSOR riscv64)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
