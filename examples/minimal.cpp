// The smallest useful program: load a checkpoint and a vocabulary, continue a prompt greedily.
//   rwkv7_minimal MODEL VOCAB "prompt"
#include <rwkv7/rwkv7.hpp>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: rwkv7_minimal MODEL VOCAB PROMPT\n";
    return 2;
  }
  try {
    auto model = rwkv7::Model::load(argv[1]);
    auto tokenizer = rwkv7::WorldTokenizer::load(argv[2]);
    rwkv7::State state = model.new_state();
    rwkv7::Sampler greedy({.temperature = 0.0f});
    rwkv7::Utf8StreamDecoder text;

    auto logits = model.forward(tokenizer.encode(argv[3]), state);
    for (int i = 0; i < 32; ++i) {
      rwkv7::Token next = greedy.sample(logits);
      if (next == 0) break;
      std::cout << text.push(tokenizer.piece(next)) << std::flush;
      logits = model.forward(next, state);
    }
    std::cout << text.finish() << "\n";
  } catch (const rwkv7::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}
