// rwkv7/version.hpp — the library version; CMakeLists.txt reads the package version from here.
#pragma once

#define RWKV7_VERSION_MAJOR 0
#define RWKV7_VERSION_MINOR 1
#define RWKV7_VERSION_PATCH 0
