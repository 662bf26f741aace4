// A downstream program linked with rwkv7::dispatch: its DispatchModel picks the kernels at run time.
#include <rwkv7/dispatch.hpp>
#include <rwkv7/rwkv7.hpp>

static_assert(rwkv7::Backend<rwkv7::backend::CpuDispatch>, "the run-time dispatched CPU backend must satisfy the backend contract");

int main() { return rwkv7::available_isas().empty() ? 1 : 0; }
