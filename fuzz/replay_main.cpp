// fuzz/replay_main.cpp — runs a libFuzzer harness over saved inputs without libFuzzer, so the seed corpora
// and every crash ever found are replayed by the ordinary test suite (under ASan where the build has it).
//
//   rwkv7_fuzz_replay_<name> [--allow-empty] PATH...
//
// PATH is a file or a folder (its files, recursively, in sorted order; names starting with '.' and README*
// are skipped). Fails if a PATH is missing or a folder holds no input, unless --allow-empty came before it
// (for fuzz/regressions/<name>, empty until a crash is found). RWKV7_FUZZ_VERBOSE=1 makes the harness say
// what each input did.
//
// Each input runs on a thread with a 256 KiB stack (RWKV7_FUZZ_STACK_KB), as fuzz/run.sh gives the fuzzers, so
// an input that once overflowed the stack through deep recursion overflows it here too.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#if __has_include(<pthread.h>)
#include <pthread.h>
#define RWKV7_REPLAY_PTHREAD 1
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace fs = std::filesystem;

namespace {

bool skipped(const fs::path& p) {
  const std::string name = p.filename().string();
  return name.empty() || name[0] == '.' || name.rfind("README", 0) == 0;
}

struct Input {
  const std::uint8_t* data;
  std::size_t size;
  const char* path;
};

// An exception other than rwkv7::Error (which the harness catches) is a bug: report the input and abort.
void* run_input(void* arg) {
  const auto* in = static_cast<const Input*>(arg);
  try {
    LLVMFuzzerTestOneInput(in->data, in->size);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "replay: %s: uncaught exception: %s\n", in->path, e.what());
    std::abort();
  }
  return nullptr;
}

std::size_t stack_bytes() {
  const char* kb = std::getenv("RWKV7_FUZZ_STACK_KB");
  const long n = kb ? std::atol(kb) : 0;
  return static_cast<std::size_t>(n > 0 ? n : 256) * 1024;
}

bool replay(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return false;
  }
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // A heap copy of exactly the input's size, as libFuzzer passes it: ASan sees a read one byte past the end.
  std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[bytes.size()]);
  std::copy(bytes.begin(), bytes.end(), copy.get());
  std::fprintf(stderr, "%s (%zu bytes)\n", path.c_str(), bytes.size());
  std::fflush(stderr);
  Input input{copy.get(), bytes.size(), path.c_str()};
#if defined(RWKV7_REPLAY_PTHREAD)
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, stack_bytes());
  pthread_t thread;
  if (pthread_create(&thread, &attr, run_input, &input) != 0) {
    std::fprintf(stderr, "replay: cannot start a thread\n");
    std::abort();
  }
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
#else
  run_input(&input);
#endif
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  bool allow_empty = false, ok = true;
  std::size_t total = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--allow-empty") {
      allow_empty = true;
      continue;
    }
    const fs::path path(arg);
    std::error_code ec;
    std::size_t count = 0;
    if (fs::is_regular_file(path, ec)) {
      ok = replay(path) && ok;
      count = 1;
    } else if (fs::is_directory(path, ec)) {
      std::vector<fs::path> files;
      for (const auto& e : fs::recursive_directory_iterator(path, ec))
        if (e.is_regular_file() && !skipped(e.path())) files.push_back(e.path());
      std::sort(files.begin(), files.end());
      for (const auto& f : files) ok = replay(f) && ok;
      count = files.size();
      if (count == 0 && !allow_empty) {
        std::fprintf(stderr, "replay: %s holds no inputs\n", arg.c_str());
        ok = false;
      }
    } else {
      std::fprintf(stderr, "replay: %s does not exist\n", arg.c_str());
      ok = false;
    }
    total += count;
    allow_empty = false;
  }
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s [--allow-empty] PATH...\n", argv[0]);
    return 2;
  }
  std::fprintf(stderr, "replayed %zu inputs\n", total);
  return ok ? 0 : 1;
}
