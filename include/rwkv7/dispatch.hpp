// rwkv7/dispatch.hpp — rwkv7::DispatchModel, for programs linked with the compiled target rwkv7::dispatch: the
// CPU kernels for every x86-64 level are in the program, and the widest this CPU runs is picked at load.
#pragma once

#include "backend/cpu/dispatch.hpp"
#include "model.hpp"

namespace rwkv7 {

using DispatchModel = BasicModel<backend::CpuDispatch>;

}  // namespace rwkv7
