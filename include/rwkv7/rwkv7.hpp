// rwkv7/rwkv7.hpp — the public API: load a checkpoint, tokenize, run, sample.
//
//   auto model = rwkv7::Model::load("rwkv-final.pth");
//   auto tok = rwkv7::WorldTokenizer::load("rwkv_vocab_v20230424.txt");
//   rwkv7::State state = model.new_state();
//   auto logits = model.forward(tok.encode("User: hi\n\nAssistant:"), state);
#pragma once

#define RWKV7_VERSION_MAJOR 0
#define RWKV7_VERSION_MINOR 1
#define RWKV7_VERSION_PATCH 0

#include "error.hpp"
#include "generate/generator.hpp"
#include "generate/prefix_cache.hpp"
#include "generate/sampler.hpp"
#include "model.hpp"
#include "state.hpp"
#include "state_io.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/utf8_stream.hpp"
#include "tokenizer/world_tokenizer.hpp"
