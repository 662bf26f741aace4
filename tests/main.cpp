// The test runner. Run with --test-suite=world_vocab (or qwen_reference), it exits 77 (ctest's "skipped") when the
// World vocabulary (or the reference tokenizer's output) is absent instead of failing: a clone with nothing beside
// it still passes, and says what it did not test.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <iostream>

#include "test_util.hpp"

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--test-suite=world_vocab") == 0 && !test::have_vocab()) {
      std::cout << "SKIPPED: no World vocabulary at " << test::vocab_path() << " (set RWKV7_WORLD_VOCAB to a copy of rwkv_vocab_v20230424.txt)\n";
      return 77;
    }
    if (std::strcmp(argv[i], "--test-suite=qwen_reference") == 0 && !std::getenv("RWKV7_QWEN_REFERENCE")) {
      std::cout << "SKIPPED: RWKV7_QWEN_REFERENCE is not set (tests/qwen_reference.sh sets it up)\n";
      return 77;
    }
  }
  doctest::Context context(argc, argv);
  return context.run();
}
