# Finds what the rwkv7 headers use. Shared by the build (CMakeLists.txt) and by installed consumers
# (rwkv7Config.cmake), so both resolve dependencies the same way.
include(CMakeFindDependencyMacro)
find_dependency(Eigen3 3.3 NO_MODULE)
find_dependency(xsimd)
find_dependency(nlohmann_json 3.9)
# Debian 12's xsimd 8 export links a target named "xtl" that it never defines or needs (xtl is optional
# there); without a stand-in the linker looks for a nonexistent -lxtl.
if(NOT TARGET xtl)
  add_library(xtl INTERFACE IMPORTED GLOBAL)
endif()
# ICU (general categories and NFC) is needed only by the byte-level BPE tokenizer (Qwen's tokenizer.json), so it is
# optional: rwkv7::bpe_tokenizer exists when ICU is found.
find_package(ICU COMPONENTS uc QUIET)
