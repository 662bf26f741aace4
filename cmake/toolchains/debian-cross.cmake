# Shared by the cross toolchain files: Debian's g++-<arch>-linux-gnu for CMAKE_SYSTEM_PROCESSOR, tests run under
# qemu-<arch> (package qemu-user). Header-only dependencies (Eigen, xsimd, nlohmann-json, doctest) are taken from
# the build machine, since their headers do not depend on the target.
set(CMAKE_SYSTEM_NAME Linux)
set(cross_triplet ${CMAKE_SYSTEM_PROCESSOR}-linux-gnu)
set(CMAKE_C_COMPILER ${cross_triplet}-gcc)
set(CMAKE_CXX_COMPILER ${cross_triplet}-g++)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-${CMAKE_SYSTEM_PROCESSOR} -L /usr/${cross_triplet})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
# Debian installs xsimd's CMake package under the build machine's multiarch directory.
set(xsimd_DIR /usr/lib/${CMAKE_HOST_SYSTEM_PROCESSOR}-linux-gnu/cmake/xsimd CACHE PATH "xsimd's CMake package (host, header-only)")
