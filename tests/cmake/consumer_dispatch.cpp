// A downstream program linked with rwkv7::dispatch: the model picks its kernels at run time.
#include <rwkv7/rwkv7.hpp>

static_assert(rwkv7::kRuntimeDispatch, "rwkv7::dispatch must switch the headers to the compiled kernels");

int main() { return rwkv7::available_isas().empty() ? 1 : 0; }
