// A downstream program: it must compile and link against rwkv7::rwkv7 alone, and run.
#include <rwkv7/rwkv7.hpp>

int main() {
  rwkv7::ByteTokenizer tok;
  return tok.decode(tok.encode("ok")) == "ok" ? 0 : 1;
}
