// rwkv7/rwkv7.hpp — the public API: load a checkpoint, tokenize, run, sample.
//
//   auto model = rwkv7::Model::load("rwkv-final.pth");
//   auto tok = rwkv7::WorldTokenizer::load("rwkv_vocab_v20230424.txt");
//   rwkv7::State state = model.new_state();
//   auto logits = model.forward(tok.encode("User: hi\n\nAssistant:"), state);
#pragma once

#include "error.hpp"
#include "eval/score.hpp"
#include "generate/chat_template.hpp"
#include "generate/generator.hpp"
#include "generate/prefix_cache.hpp"
#include "generate/sampler.hpp"
#include "model.hpp"
#include "state.hpp"
#include "state_io.hpp"
#include "tokenizer/gguf_tokenizer.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/utf8_stream.hpp"
#include "tokenizer/world_tokenizer.hpp"
#include "version.hpp"
