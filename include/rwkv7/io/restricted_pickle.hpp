// rwkv7/io/restricted_pickle.hpp — a pickle reader that understands only what torch.save writes for a dict of
// tensors. It is a data parser, not a VM: it calls nothing, imports nothing, and refuses every global outside a
// short allow-list (OrderedDict, the tensor/parameter rebuild functions, typed storages).
//
// Hostile pickles are the point of this design. Values live in one arena owned by the reader and refer to each
// other by index, so self-referencing containers (DUP + APPEND) cannot leak, and since nothing ever walks the
// values recursively, nesting a million levels deep cannot overflow the stack. Every count a pickle could blow
// up (values, container items, stack, marks, memo) has a ceiling far above what any real state dict needs.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tensor_table.hpp"

namespace rwkv7::detail {

using PyRef = std::uint32_t;

enum class PyKind : std::uint8_t { none, boolean, integer, floating, text, bytes, tuple, list, dict, global, storage, tensor };

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

// torch.save's persistent record of one storage: ('storage', <StorageType>, key, location, numel).
struct PyStorage {
  DType dtype = DType::unsupported;
  std::size_t elem = 0;  // bytes per element, also of types the library does not compute with
  std::string type;  // e.g. "BFloat16Storage"
  std::string key;   // names the archive entry data/<key>
  std::int64_t numel = 0;
};

// _rebuild_tensor(_v2)(storage, offset, size, stride, ...).
struct PyTensor {
  PyRef storage = 0;
  std::int64_t offset = 0;
  Shape shape, stride;
};

// Ceilings. torch.save spends about 20 values per tensor, so a 14B RWKV-7 (~2,500 tensors) needs ~50k; these
// leave 5x room while bounding what a hostile file can make us allocate (~30 MB at worst).
struct PickleLimits {
  static constexpr std::size_t values = 1u << 18;  // objects created
  static constexpr std::size_t items = 1u << 21;   // references held by tuples, lists and dicts together
  static constexpr std::size_t stack = 1u << 16;   // torch batches SETITEMS by 1000 pairs
  static constexpr std::size_t marks = 256;        // nested MARKs (a tensor record nests 3 deep)
  static constexpr std::size_t memo = 1u << 18;
};

class RestrictedUnpickler {
 public:
  RestrictedUnpickler(const std::byte* data, std::size_t size, const std::string& file) : cur_(data, size, file), file_(file) {}

  // Runs the pickle to its STOP and returns the top value; the accessors below read it and everything it holds.
  PyRef run() {
    for (;;) {
      auto op = cur_.read<std::uint8_t>("a pickle opcode");
      switch (op) {
        case 0x80: cur_.read<std::uint8_t>("the pickle protocol"); break;               // PROTO
        case 0x95: cur_.read<std::uint64_t>("a pickle frame size"); break;              // FRAME
        case '.': return pop("STOP");                                                   // STOP
        case '(':                                                                        // MARK
          if (marks_.size() >= PickleLimits::marks) fail_format("MARKs nested deeper than " + std::to_string(PickleLimits::marks));
          marks_.push_back(stack_.size());
          break;
        case 'N': push(make(PyKind::none)); break;
        case 0x88: case 0x89: push(make(PyKind::boolean, op == 0x88)); break;             // NEWTRUE / NEWFALSE
        case 'J': push(make(PyKind::integer, cur_.read<std::int32_t>("a BININT"))); break;
        case 'K': push(make(PyKind::integer, cur_.read<std::uint8_t>("a BININT1"))); break;
        case 'M': push(make(PyKind::integer, cur_.read<std::uint16_t>("a BININT2"))); break;
        case 0x8a: push(make(PyKind::integer, read_long1())); break;                     // LONG1
        case 'G': cur_.take(8, "a BINFLOAT"); push(make(PyKind::floating)); break;      // value never needed
        case 'X': push_text(cur_.read<std::uint32_t>("a BINUNICODE size"), PyKind::text); break;
        case 0x8c: push_text(cur_.read<std::uint8_t>("a SHORT_BINUNICODE size"), PyKind::text); break;
        case 0x8d: push_text(cur_.read<std::uint64_t>("a BINUNICODE8 size"), PyKind::text); break;
        case 'T': push_text(cur_.read<std::uint32_t>("a BINSTRING size"), PyKind::text); break;
        case 'U': push_text(cur_.read<std::uint8_t>("a SHORT_BINSTRING size"), PyKind::text); break;
        case 'B': push_text(cur_.read<std::uint32_t>("a BINBYTES size"), PyKind::bytes); break;
        case 'C': push_text(cur_.read<std::uint8_t>("a SHORT_BINBYTES size"), PyKind::bytes); break;
        case ')': push(make_tuple({})); break;                                           // EMPTY_TUPLE
        case '}': push(make_container(PyKind::dict)); break;                             // EMPTY_DICT
        case ']': push(make_container(PyKind::list)); break;                             // EMPTY_LIST
        case 't': push(make_tuple(pop_to_mark())); break;                                // TUPLE
        case 0x85: case 0x86: case 0x87: {                                               // TUPLE1..3
          std::vector<PyRef> items(op - 0x84u);
          for (auto i = items.size(); i-- > 0;) items[i] = pop("TUPLEn");
          push(make_tuple(items));
          break;
        }
        case 'q': memo_put(cur_.read<std::uint8_t>("a BINPUT index"), top("BINPUT")); break;
        case 'r': memo_put(cur_.read<std::uint32_t>("a LONG_BINPUT index"), top("LONG_BINPUT")); break;
        case 0x94: memo_put(static_cast<std::uint32_t>(memo_.size()), top("MEMOIZE")); break;
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
          PyRef name = pop("STACK_GLOBAL"), module = pop("STACK_GLOBAL");
          if (kind(name) != PyKind::text || kind(module) != PyKind::text) fail_format("bad STACK_GLOBAL");
          push(make_global(std::string(text(module)), std::string(text(name))));
          break;
        }
        case 's': {                                                                      // SETITEM
          PyRef value = pop("SETITEM"), key = pop("SETITEM");
          extend(top("SETITEM"), PyKind::dict, "SETITEM on a non-dict", {key, value});
          break;
        }
        case 'u': {                                                                      // SETITEMS
          auto pairs = pop_to_mark();
          if (pairs.size() % 2) fail_format("SETITEMS with an odd number of items");
          extend(top("SETITEMS"), PyKind::dict, "SETITEMS on a non-dict", pairs);
          break;
        }
        case 'a': {                                                                      // APPEND
          PyRef v = pop("APPEND");
          extend(top("APPEND"), PyKind::list, "APPEND on a non-list", {v});
          break;
        }
        case 'e': {                                                                      // APPENDS
          auto vs = pop_to_mark();
          extend(top("APPENDS"), PyKind::list, "APPENDS on a non-list", vs);
          break;
        }
        case 'b': pop("BUILD"); top("BUILD"); break;  // object state (a state_dict's _metadata): not needed
        case 'Q': push(persistent_load(pop("BINPERSID"))); break;
        case 'R': {                                                                      // REDUCE
          PyRef args = pop("REDUCE"), callable = pop("REDUCE");
          push(reduce(callable, args));
          break;
        }
        default: fail_format("unsupported pickle opcode 0x" + hex(op) + " (only tensor state dicts are read)");
      }
    }
  }

  std::size_t value_count() const { return values_.size(); }
  PyKind kind(PyRef v) const { return values_[v].kind; }
  std::int64_t integer(PyRef v) const { return values_[v].integer; }
  std::string_view text(PyRef v) const {  // text, bytes, global ("module.name")
    const Value& x = values_[v];
    return std::string_view(texts_).substr(x.index, x.size);
  }
  std::span<const PyRef> items(PyRef v) const {  // tuple, list; dict as key, value, key, value...
    const Value& x = values_[v];
    if (x.kind == PyKind::tuple) return std::span<const PyRef>(tuples_).subspan(x.index, x.size);
    return containers_[x.index];
  }
  const PyStorage& storage(PyRef v) const { return storages_[values_[v].index]; }
  const PyTensor& tensor(PyRef v) const { return tensors_[values_[v].index]; }

 private:
  struct Value {
    PyKind kind = PyKind::none;
    std::int64_t integer = 0;  // integer, boolean
    std::size_t index = 0;     // into texts_ (text, bytes, global), tuples_, containers_, storages_ or tensors_
    std::size_t size = 0;      // text length, tuple length
  };

  [[noreturn]] void fail_format(const std::string& what) const { fail(Errc::format, file_ + ": data.pkl: " + what); }

  static std::string hex(unsigned v) {
    const char* d = "0123456789abcdef";
    return std::string{d[(v >> 4) & 15], d[v & 15]};
  }

  PyRef make(PyKind k, std::int64_t integer = 0, std::size_t index = 0, std::size_t size = 0) {
    if (values_.size() >= PickleLimits::values) fail_format("more than " + std::to_string(PickleLimits::values) + " values (not a state dict)");
    values_.push_back({k, integer, index, size});
    return static_cast<PyRef>(values_.size() - 1);
  }
  void count_items(std::size_t n) {
    items_ += n;
    if (items_ > PickleLimits::items) fail_format("containers hold more than " + std::to_string(PickleLimits::items) + " items (not a state dict)");
  }
  // Tuples never change, so their items share one pool; lists and dicts grow and get a vector each.
  PyRef make_tuple(const std::vector<PyRef>& items) {
    count_items(items.size());
    PyRef v = make(PyKind::tuple, 0, tuples_.size(), items.size());
    tuples_.insert(tuples_.end(), items.begin(), items.end());
    return v;
  }
  PyRef make_container(PyKind k) {
    PyRef v = make(k, 0, containers_.size());
    containers_.emplace_back();
    return v;
  }
  void extend(PyRef container, PyKind want, const char* error, const std::vector<PyRef>& more) {
    if (kind(container) != want) fail_format(error);
    count_items(more.size());
    auto& items = containers_[values_[container].index];
    items.insert(items.end(), more.begin(), more.end());
  }

  void push(PyRef v) {
    if (stack_.size() >= PickleLimits::stack) fail_format("stack deeper than " + std::to_string(PickleLimits::stack));
    stack_.push_back(v);
  }
  std::int64_t read_long1() {
    auto n = cur_.read<std::uint8_t>("a LONG1 size");
    if (n > 8) fail_format("integer wider than 64 bits");
    const std::byte* p = cur_.take(n, "a LONG1");
    std::uint64_t u = 0;
    for (unsigned i = 0; i < n; ++i) u |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(p[i])) << (8 * i);
    if (n > 0 && n < 8 && (static_cast<std::uint8_t>(p[n - 1]) & 0x80)) u |= ~std::uint64_t{0} << (8 * n);
    return static_cast<std::int64_t>(u);
  }
  void push_text(std::uint64_t n, PyKind kind) {
    if (n > cur_.remaining()) fail_format("string of " + std::to_string(n) + " bytes runs past the end");
    const auto* p = reinterpret_cast<const char*>(cur_.take(static_cast<std::size_t>(n), "a string"));
    push(make_text(kind, std::string_view(p, static_cast<std::size_t>(n))));
  }
  PyRef make_text(PyKind kind, std::string_view s) {
    PyRef v = make(kind, 0, texts_.size(), s.size());
    texts_ += s;  // all strings together hold at most the pickle's own bytes (plus GLOBAL names)
    return v;
  }
  PyRef pop(const char* op) {
    if (stack_.empty() || (!marks_.empty() && stack_.size() == marks_.back())) fail_format(std::string(op) + " on an empty stack");
    PyRef v = stack_.back();
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
  void memo_put(std::uint32_t i, PyRef v) {
    if (memo_.size() >= PickleLimits::memo && !memo_.count(i)) fail_format("memo holds more than " + std::to_string(PickleLimits::memo) + " entries");
    memo_[i] = v;
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
    return make_text(PyKind::global, full);
  }

  bool is_text(PyRef v, std::string_view s) const { return kind(v) == PyKind::text && text(v) == s; }

  PyRef persistent_load(PyRef pid) {
    const auto f = kind(pid) == PyKind::tuple ? items(pid) : std::span<const PyRef>();
    if (f.size() < 5 || !is_text(f[0], "storage") || kind(f[1]) != PyKind::global || kind(f[2]) != PyKind::text ||
        kind(f[4]) != PyKind::integer || integer(f[4]) < 0)
      fail_format("unexpected persistent id (not a torch storage record)");
    PyStorage s;
    const std::string_view type = text(f[1]);
    if (type.substr(0, 6) != "torch." || !torch_storage_type(std::string(type.substr(6)), s.dtype, s.elem))
      fail_format("persistent id names " + in_quotes(std::string(type)) + ", not a torch storage type");
    s.type = type.substr(6);
    s.key = text(f[2]);
    s.numel = integer(f[4]);
    PyRef v = make(PyKind::storage, 0, storages_.size());
    storages_.push_back(std::move(s));
    return v;
  }

  bool int_tuple(PyRef v, Shape& out) const {
    if (kind(v) != PyKind::tuple) return false;
    for (PyRef x : items(v)) {
      if (kind(x) != PyKind::integer) return false;
      out.push_back(integer(x));
    }
    return true;
  }

  PyRef reduce(PyRef callable, PyRef args) {
    if (kind(callable) != PyKind::global || kind(args) != PyKind::tuple) fail_format("REDUCE of a non-callable");
    const std::string_view fn = text(callable);
    const auto a = items(args);
    if (fn == "collections.OrderedDict") {
      if (!a.empty()) fail_format("OrderedDict with constructor arguments");
      return make_container(PyKind::dict);
    }
    if (fn == "torch._utils._rebuild_parameter") {
      if (a.empty() || kind(a[0]) != PyKind::tensor) fail_format("_rebuild_parameter without a tensor");
      return a[0];
    }
    if (fn != "torch._utils._rebuild_tensor_v2" && fn != "torch._utils._rebuild_tensor") fail_format("REDUCE of " + in_quotes(std::string(fn)));
    PyTensor t;
    if (a.size() < 4 || kind(a[0]) != PyKind::storage || kind(a[1]) != PyKind::integer || !int_tuple(a[2], t.shape) ||
        !int_tuple(a[3], t.stride) || t.shape.size() != t.stride.size())
      fail_format("malformed tensor record");
    t.storage = a[0];
    t.offset = integer(a[1]);
    PyRef v = make(PyKind::tensor, 0, tensors_.size());
    tensors_.push_back(std::move(t));
    return v;
  }

  Cursor cur_;
  const std::string& file_;
  std::vector<Value> values_;
  std::string texts_;
  std::vector<PyRef> tuples_;
  std::vector<std::vector<PyRef>> containers_;
  std::vector<PyStorage> storages_;
  std::vector<PyTensor> tensors_;
  std::size_t items_ = 0;
  std::vector<PyRef> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint32_t, PyRef> memo_;
};

}  // namespace rwkv7::detail
