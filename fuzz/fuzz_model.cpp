// fuzz/fuzz_model.cpp — the whole path from file bytes to logits: Model::from_bytes on a .pth or
// .safetensors, then one token through a fresh state, with the file's weights and quantized to int8.
#include <cmath>

#include <rwkv7/model.hpp>

#include "fuzz_common.hpp"

namespace {

void run(const std::uint8_t* data, std::size_t size, rwkv7::Quant quant, const char* what) {
  rwkv7_fuzz::guarded([&] {
    rwkv7::LoadOptions opts;
    opts.quant = quant;
    const auto model = rwkv7::Model::from_bytes(data, size, "fuzz.model", opts);
    rwkv7_fuzz::touch_weights(model.weights());
    rwkv7::State state = model.new_state();
    const auto logits = model.forward(0, state);
    if (logits.size() != model.vocab_size()) rwkv7_fuzz::bug("forward returned " + std::to_string(logits.size()) + " logits");
    std::size_t finite = 0;
    for (float x : logits) finite += std::isfinite(x);
    rwkv7_fuzz::note(std::string("ok (") + what + "): forward ran, " + std::to_string(model.config().n_layer) + " layers, " +
                     std::to_string(finite) + "/" + std::to_string(logits.size()) + " finite logits");
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  run(data, size, rwkv7::Quant::none, "file weights");
  run(data, size, rwkv7::Quant::int8, "int8");
  return 0;
}
