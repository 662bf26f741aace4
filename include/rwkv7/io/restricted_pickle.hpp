// rwkv7/io/restricted_pickle.hpp — a pickle reader that understands only what torch.save writes for a dict of
// tensors. It is a data parser, not a VM: it calls nothing, imports nothing, and refuses every global outside a
// short allow-list (OrderedDict, the tensor/parameter rebuild functions, typed storages).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tensor_table.hpp"

namespace rwkv7::detail {

struct PyValue;
using PyRef = std::shared_ptr<PyValue>;

struct PyValue {
  enum class Kind { none, boolean, integer, floating, text, bytes, tuple, list, dict, global, storage, tensor };
  Kind kind = Kind::none;
  std::int64_t integer = 0;
  std::string text;           // text, bytes, global ("module.name"), storage key
  std::vector<PyRef> items;   // tuple / list; dict as key, value, key, value, ...
  // storage
  DType dtype = DType::unsupported;
  std::string storage_type;   // e.g. "BFloat16Storage"
  std::int64_t numel = 0;
  // tensor
  PyRef storage;
  std::int64_t offset = 0;
  Shape shape, stride;
};

inline PyRef make_value(PyValue::Kind k) {
  auto v = std::make_shared<PyValue>();
  v->kind = k;
  return v;
}

// Maps torch's legacy typed-storage class names to (dtype, element size).
inline bool torch_storage_type(const std::string& name, DType& dtype, std::size_t& elem) {
  static const std::map<std::string, std::pair<DType, std::size_t>> known = {
      {"FloatStorage", {DType::f32, 4}},        {"HalfStorage", {DType::f16, 2}},
      {"BFloat16Storage", {DType::bf16, 2}},    {"DoubleStorage", {DType::unsupported, 8}},
      {"LongStorage", {DType::unsupported, 8}}, {"IntStorage", {DType::unsupported, 4}},
      {"ShortStorage", {DType::unsupported, 2}}, {"CharStorage", {DType::unsupported, 1}},
      {"ByteStorage", {DType::unsupported, 1}}, {"BoolStorage", {DType::unsupported, 1}}};
  auto it = known.find(name);
  if (it == known.end()) return false;
  dtype = it->second.first;
  elem = it->second.second;
  return true;
}

class RestrictedUnpickler {
 public:
  RestrictedUnpickler(const std::byte* data, std::size_t size, const std::string& file) : cur_(data, size, file), file_(file) {}

  PyRef run() {
    for (;;) {
      auto op = cur_.read<std::uint8_t>("a pickle opcode");
      switch (op) {
        case 0x80: cur_.read<std::uint8_t>("the pickle protocol"); break;               // PROTO
        case 0x95: cur_.read<std::uint64_t>("a pickle frame size"); break;              // FRAME
        case '.': return pop("STOP");                                                   // STOP
        case '(': marks_.push_back(stack_.size()); break;                               // MARK
        case 'N': push(make_value(PyValue::Kind::none)); break;
        case 0x88: case 0x89: {                                                          // NEWTRUE / NEWFALSE
          auto v = make_value(PyValue::Kind::boolean);
          v->integer = op == 0x88;
          push(v);
          break;
        }
        case 'J': push_int(cur_.read<std::int32_t>("a BININT")); break;
        case 'K': push_int(cur_.read<std::uint8_t>("a BININT1")); break;
        case 'M': push_int(cur_.read<std::uint16_t>("a BININT2")); break;
        case 0x8a: {                                                                     // LONG1
          auto n = cur_.read<std::uint8_t>("a LONG1 size");
          if (n > 8) fail_format("integer wider than 64 bits");
          const std::byte* p = cur_.take(n, "a LONG1");
          std::uint64_t u = 0;
          for (unsigned i = 0; i < n; ++i) u |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(p[i])) << (8 * i);
          if (n > 0 && n < 8 && (static_cast<std::uint8_t>(p[n - 1]) & 0x80)) u |= ~std::uint64_t{0} << (8 * n);
          push_int(static_cast<std::int64_t>(u));
          break;
        }
        case 'G': {                                                                      // BINFLOAT (big-endian)
          cur_.take(8, "a BINFLOAT");
          push(make_value(PyValue::Kind::floating));
          break;
        }
        case 'X': push_text(cur_.read<std::uint32_t>("a BINUNICODE size"), PyValue::Kind::text); break;
        case 0x8c: push_text(cur_.read<std::uint8_t>("a SHORT_BINUNICODE size"), PyValue::Kind::text); break;
        case 0x8d: push_text(cur_.read<std::uint64_t>("a BINUNICODE8 size"), PyValue::Kind::text); break;
        case 'T': push_text(cur_.read<std::uint32_t>("a BINSTRING size"), PyValue::Kind::text); break;
        case 'U': push_text(cur_.read<std::uint8_t>("a SHORT_BINSTRING size"), PyValue::Kind::text); break;
        case 'B': push_text(cur_.read<std::uint32_t>("a BINBYTES size"), PyValue::Kind::bytes); break;
        case 'C': push_text(cur_.read<std::uint8_t>("a SHORT_BINBYTES size"), PyValue::Kind::bytes); break;
        case ')': push(make_value(PyValue::Kind::tuple)); break;                          // EMPTY_TUPLE
        case '}': push(make_value(PyValue::Kind::dict)); break;                           // EMPTY_DICT
        case ']': push(make_value(PyValue::Kind::list)); break;                           // EMPTY_LIST
        case 't': {                                                                      // TUPLE
          auto v = make_value(PyValue::Kind::tuple);
          v->items = pop_to_mark();
          push(v);
          break;
        }
        case 0x85: case 0x86: case 0x87: {                                               // TUPLE1..3
          auto v = make_value(PyValue::Kind::tuple);
          v->items.resize(op - 0x84u);
          for (auto i = v->items.size(); i-- > 0;) v->items[i] = pop("TUPLEn");
          push(v);
          break;
        }
        case 'q': memo_[cur_.read<std::uint8_t>("a BINPUT index")] = top("BINPUT"); break;
        case 'r': memo_[cur_.read<std::uint32_t>("a LONG_BINPUT index")] = top("LONG_BINPUT"); break;
        case 0x94: memo_[memo_.size()] = top("MEMOIZE"); break;
        case 'h': push(memo_get(cur_.read<std::uint8_t>("a BINGET index"))); break;
        case 'j': push(memo_get(cur_.read<std::uint32_t>("a LONG_BINGET index"))); break;
        case '0': pop("POP"); break;
        case '1': pop_to_mark(); break;                                                  // POP_MARK
        case '2': push(top("DUP")); break;
        case 'c': {                                                                      // GLOBAL
          std::string module = read_line(), name = read_line();
          push(make_global(module, name));
          break;
        }
        case 0x93: {                                                                     // STACK_GLOBAL
          auto name = pop("STACK_GLOBAL"), module = pop("STACK_GLOBAL");
          if (name->kind != PyValue::Kind::text || module->kind != PyValue::Kind::text) fail_format("bad STACK_GLOBAL");
          push(make_global(module->text, name->text));
          break;
        }
        case 's': {                                                                      // SETITEM
          auto value = pop("SETITEM"), key = pop("SETITEM");
          auto d = top("SETITEM");
          if (d->kind != PyValue::Kind::dict) fail_format("SETITEM on a non-dict");
          d->items.push_back(key);
          d->items.push_back(value);
          break;
        }
        case 'u': {                                                                      // SETITEMS
          auto kv = pop_to_mark();
          auto d = top("SETITEMS");
          if (d->kind != PyValue::Kind::dict || kv.size() % 2) fail_format("SETITEMS on a non-dict");
          d->items.insert(d->items.end(), kv.begin(), kv.end());
          break;
        }
        case 'a': {                                                                      // APPEND
          auto v = pop("APPEND");
          auto l = top("APPEND");
          if (l->kind != PyValue::Kind::list) fail_format("APPEND on a non-list");
          l->items.push_back(v);
          break;
        }
        case 'e': {                                                                      // APPENDS
          auto vs = pop_to_mark();
          auto l = top("APPENDS");
          if (l->kind != PyValue::Kind::list) fail_format("APPENDS on a non-list");
          l->items.insert(l->items.end(), vs.begin(), vs.end());
          break;
        }
        case 'b': pop("BUILD"); top("BUILD"); break;  // object state (a state_dict's _metadata): not needed
        case 'Q': push(persistent_load(pop("BINPERSID"))); break;
        case 'R': {                                                                      // REDUCE
          auto args = pop("REDUCE"), callable = pop("REDUCE");
          push(reduce(callable, args));
          break;
        }
        default: fail_format("unsupported pickle opcode 0x" + hex(op) + " (only tensor state dicts are read)");
      }
    }
  }

 private:
  [[noreturn]] void fail_format(const std::string& what) { fail(Errc::format, file_ + ": data.pkl: " + what); }

  static std::string hex(unsigned v) {
    const char* d = "0123456789abcdef";
    return std::string{d[(v >> 4) & 15], d[v & 15]};
  }

  void push(PyRef v) { stack_.push_back(std::move(v)); }
  void push_int(std::int64_t i) {
    auto v = make_value(PyValue::Kind::integer);
    v->integer = i;
    push(v);
  }
  void push_text(std::uint64_t n, PyValue::Kind kind) {
    auto v = make_value(kind);
    if (n > cur_.remaining()) fail_format("string of " + std::to_string(n) + " bytes runs past the end");
    v->text.assign(reinterpret_cast<const char*>(cur_.take(static_cast<std::size_t>(n), "a string")), static_cast<std::size_t>(n));
    push(v);
  }
  PyRef pop(const char* op) {
    if (stack_.empty() || (!marks_.empty() && stack_.size() == marks_.back())) fail_format(std::string(op) + " on an empty stack");
    auto v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  PyRef top(const char* op) {
    if (stack_.empty()) fail_format(std::string(op) + " on an empty stack");
    return stack_.back();
  }
  std::vector<PyRef> pop_to_mark() {
    if (marks_.empty()) fail_format("missing MARK");
    std::vector<PyRef> out(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return out;
  }
  PyRef memo_get(std::uint32_t i) {
    auto it = memo_.find(i);
    if (it == memo_.end()) fail_format("memo index " + std::to_string(i) + " was never stored");
    return it->second;
  }
  std::string read_line() {
    std::string s;
    for (;;) {
      auto c = cur_.read<char>("a GLOBAL name");
      if (c == '\n') return s;
      if (s.size() > 256) fail_format("GLOBAL name too long");
      s.push_back(c);
    }
  }

  PyRef make_global(const std::string& module, const std::string& name) {
    std::string full = module + "." + name;
    DType dt;
    std::size_t elem;
    bool allowed = full == "collections.OrderedDict" || full == "torch._utils._rebuild_tensor_v2" ||
                   full == "torch._utils._rebuild_tensor" || full == "torch._utils._rebuild_parameter" ||
                   (module == "torch" && torch_storage_type(name, dt, elem));
    if (!allowed) fail_format("refusing global " + in_quotes(full) + ": a model file may only contain tensors");
    auto v = make_value(PyValue::Kind::global);
    v->text = full;
    return v;
  }

  // torch.save's persistent id: ('storage', <StorageType>, key, location, numel)
  PyRef persistent_load(const PyRef& pid) {
    if (pid->kind != PyValue::Kind::tuple || pid->items.size() < 5 || pid->items[0]->text != "storage" ||
        pid->items[1]->kind != PyValue::Kind::global || pid->items[2]->kind != PyValue::Kind::text ||
        pid->items[4]->kind != PyValue::Kind::integer || pid->items[4]->integer < 0)
      fail_format("unexpected persistent id (not a torch storage record)");
    auto s = make_value(PyValue::Kind::storage);
    const std::string& type = pid->items[1]->text;
    std::size_t elem;
    if (type.rfind("torch.", 0) != 0 || !torch_storage_type(type.substr(6), s->dtype, elem))
      fail_format("persistent id names " + in_quotes(type) + ", not a torch storage type");
    s->storage_type = type.substr(6);
    s->text = pid->items[2]->text;
    s->numel = pid->items[4]->integer;
    return s;
  }

  static bool int_tuple(const PyRef& v, Shape& out) {
    if (v->kind != PyValue::Kind::tuple) return false;
    for (auto& x : v->items) {
      if (x->kind != PyValue::Kind::integer) return false;
      out.push_back(x->integer);
    }
    return true;
  }

  PyRef reduce(const PyRef& callable, const PyRef& args) {
    if (callable->kind != PyValue::Kind::global || args->kind != PyValue::Kind::tuple) fail_format("REDUCE of a non-callable");
    const auto& a = args->items;
    if (callable->text == "collections.OrderedDict") {
      if (!a.empty()) fail_format("OrderedDict with constructor arguments");
      return make_value(PyValue::Kind::dict);
    }
    if (callable->text == "torch._utils._rebuild_parameter") {
      if (a.empty() || a[0]->kind != PyValue::Kind::tensor) fail_format("_rebuild_parameter without a tensor");
      return a[0];
    }
    // _rebuild_tensor(_v2)(storage, storage_offset, size, stride, ...)
    auto t = make_value(PyValue::Kind::tensor);
    if (a.size() < 4 || a[0]->kind != PyValue::Kind::storage || a[1]->kind != PyValue::Kind::integer ||
        !int_tuple(a[2], t->shape) || !int_tuple(a[3], t->stride) || t->shape.size() != t->stride.size())
      fail_format("malformed tensor record");
    t->storage = a[0];
    t->offset = a[1]->integer;
    return t;
  }

  Cursor cur_;
  const std::string& file_;
  std::vector<PyRef> stack_;
  std::vector<std::size_t> marks_;
  std::map<std::uint32_t, PyRef> memo_;
};

}  // namespace rwkv7::detail
