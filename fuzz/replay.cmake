# fuzz/replay.cmake — the fuzz harnesses as plain programs that replay saved inputs, for every build (GCC or
# Clang, with or without RWKV7_FUZZ): fuzz/corpus/<name>/ and fuzz/regressions/<name>/ then run in ctest.
#
#   include(${PROJECT_SOURCE_DIR}/fuzz/replay.cmake)
#   rwkv7_add_fuzz_replay_tests([COMPILE_OPTIONS <flags>...])
#
# Defines rwkv7_fuzz_replay_<name> and the test fuzz_replay_<name> for each harness in RWKV7_FUZZ_HARNESSES.
# The corpus folder must hold inputs; the regressions folder may be empty.
set(RWKV7_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})
set(RWKV7_FUZZ_HARNESSES zip pickle pth safetensors sharded gguf rwkv_cpp world_vocab bpe_tokenizer state model)

function(rwkv7_add_fuzz_replay_tests)
  cmake_parse_arguments(arg "" "" "COMPILE_OPTIONS" ${ARGN})
  if(NOT TARGET rwkv7_fuzz_replay_main)
    add_library(rwkv7_fuzz_replay_main OBJECT ${RWKV7_FUZZ_DIR}/replay_main.cpp)
    target_compile_features(rwkv7_fuzz_replay_main PRIVATE cxx_std_20)
    target_compile_options(rwkv7_fuzz_replay_main PRIVATE ${arg_COMPILE_OPTIONS})
    find_package(Threads)
    if(Threads_FOUND)
      target_link_libraries(rwkv7_fuzz_replay_main PUBLIC Threads::Threads)
    endif()
  endif()
  foreach(name IN LISTS RWKV7_FUZZ_HARNESSES)
    add_executable(rwkv7_fuzz_replay_${name} ${RWKV7_FUZZ_DIR}/fuzz_${name}.cpp)
    target_link_libraries(rwkv7_fuzz_replay_${name} PRIVATE rwkv7::bpe_tokenizer rwkv7_fuzz_replay_main)
    target_compile_options(rwkv7_fuzz_replay_${name} PRIVATE ${arg_COMPILE_OPTIONS})
    add_test(NAME fuzz_replay_${name}
             COMMAND rwkv7_fuzz_replay_${name} ${RWKV7_FUZZ_DIR}/corpus/${name} --allow-empty ${RWKV7_FUZZ_DIR}/regressions/${name})
  endforeach()
endfunction()
