// A downstream program: it must compile and link against rwkv7::rwkv7 alone, and run.
#include <rwkv7/rwkv7.hpp>

static_assert(rwkv7::Backend<rwkv7::backend::Cpu>, "the header-only CPU backend must satisfy the backend contract");

int main() {
  rwkv7::ByteTokenizer tok;
  return tok.decode(tok.encode("ok")) == "ok" ? 0 : 1;
}
