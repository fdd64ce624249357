// pprof.cpp: a CPU profile as pprof's profile.proto, gzipped
// (github.com/google/pprof/proto/profile.proto). The protobuf encoding is
// written here (a few field kinds: varints, length-delimited messages,
// packed repeated varints); gzip is zlib's where the build found zlib for
// the target, else a gzip stream of stored (uncompressed) deflate blocks,
// which every gzip reader accepts (Debian 12 has no zlib for some cross
// targets, riscv64 among them).
//
// Locations carry gort's own symbol names (mangled; pprof demangles) and
// the mapping table the loaded objects, so `go tool pprof` needs no binary
// to name functions, and finds the binary through the mapping for more.
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "cpuprof.hpp"
#include "labels.hpp"
#include "sched.hpp"
#include "unwind.hpp"

#if GORT_HAVE_ZLIB
#include <zlib.h>
#endif

namespace gort::rt {

namespace {

// Proto: an append-only protobuf encoder.
class Proto {
 public:
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      buf_.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    buf_.push_back(static_cast<char>(v));
  }
  void tag(int field, int wire) { varint(static_cast<std::uint64_t>(field) << 3 | wire); }
  void u64(int field, std::uint64_t v) {
    if (v == 0) return;  // proto3: zero is the default
    tag(field, 0);
    varint(v);
  }
  void i64(int field, std::int64_t v) { u64(field, static_cast<std::uint64_t>(v)); }
  void boolean(int field, bool v) { u64(field, v ? 1 : 0); }
  void bytes(int field, const std::string& s) {
    tag(field, 2);
    varint(s.size());
    buf_.append(s);
  }
  void msg(int field, const Proto& m) { bytes(field, m.buf_); }
  void packed(int field, const std::vector<std::uint64_t>& v) {
    if (v.empty()) return;
    Proto p;
    for (std::uint64_t x : v) p.varint(x);
    bytes(field, p.buf_);
  }
  const std::string& str() const { return buf_; }

 private:
  std::string buf_;
};

struct Strings {
  std::vector<std::string> table{""};
  std::map<std::string, std::int64_t> index{{"", 0}};
  std::int64_t operator()(const std::string& s) {
    auto it = index.find(s);
    if (it != index.end()) return it->second;
    table.push_back(s);
    return index[s] = static_cast<std::int64_t>(table.size() - 1);
  }
};

struct MappingRow {
  std::uintptr_t start, limit, offset;
  std::string path;
};

void collect_mapping(const os::Mapping& m, void* arg) {
  static_cast<std::vector<MappingRow>*>(arg)->push_back({m.start, m.limit, m.offset, m.path});
}

#if !GORT_HAVE_ZLIB
std::uint32_t crc32_table[256];
std::uint32_t crc32(const unsigned char* p, std::size_t n, std::uint32_t crc) {
  if (crc32_table[1] == 0)
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
      crc32_table[i] = c;
    }
  crc = ~crc;
  for (std::size_t i = 0; i < n; ++i) crc = crc32_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}
#endif

// gzip: data as a gzip stream.
std::string gzip(const std::string& data) {
#if GORT_HAVE_ZLIB
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&zs, data.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return rc == Z_STREAM_END ? out : std::string{};
#else
  // RFC 1952 header, RFC 1951 stored blocks (at most 65535 bytes each),
  // CRC-32 and size. The byte order of the trailer and block headers is
  // little-endian by the RFCs, whatever the CPU's.
  std::string out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);
  std::size_t pos = 0;
  do {
    std::size_t n = data.size() - pos < 65535 ? data.size() - pos : 65535;
    bool last = pos + n == data.size();
    out.push_back(last ? 1 : 0);
    out.push_back(static_cast<char>(n & 0xff));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(~n & 0xff));
    out.push_back(static_cast<char>((~n >> 8) & 0xff));
    out.append(data, pos, n);
    pos += n;
  } while (pos < data.size());
  std::uint32_t crc = crc32(reinterpret_cast<const unsigned char*>(data.data()), data.size(), 0);
  auto size = static_cast<std::uint32_t>(data.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(crc >> (8 * i)));
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(size >> (8 * i)));
  return out;
#endif
}

}  // namespace

bool write_pprof(std::FILE* f, const std::vector<ProfSample>& samples, int hz, std::int64_t start_ns,
                 std::int64_t duration_ns, std::int64_t lost) {
  Strings str;
  Proto p;
  std::int64_t period = 1000000000LL / hz;
  // sample_type: samples/count, cpu/nanoseconds (as Go writes them).
  {
    Proto vt;
    vt.i64(1, str("samples"));
    vt.i64(2, str("count"));
    p.msg(1, vt);
  }
  {
    Proto vt;
    vt.i64(1, str("cpu"));
    vt.i64(2, str("nanoseconds"));
    p.msg(1, vt);
  }
  // Mappings: the loaded objects' executable mappings, main program first.
  std::vector<MappingRow> maps;
  os::for_each_mapping(&collect_mapping, &maps);
  auto mapping_of = [&](std::uintptr_t pc) -> std::uint64_t {
    for (std::size_t i = 0; i < maps.size(); ++i)
      if (pc >= maps[i].start && pc < maps[i].limit) return i + 1;
    return 0;
  };
  // Functions and locations, one per distinct name and pc.
  std::map<std::string, std::uint64_t> functions;
  std::map<std::uintptr_t, std::uint64_t> locations;
  Proto locs, funcs;
  auto location_of = [&](std::uintptr_t pc, const char* forced_name) -> std::uint64_t {
    auto it = locations.find(pc);
    if (it != locations.end()) return it->second;
    std::uint64_t id = locations.size() + 1;
    locations[pc] = id;
    Proto loc;
    loc.u64(1, id);
    loc.u64(2, forced_name ? 0 : mapping_of(pc));
    loc.u64(3, pc);
    const char* name = forced_name;
    std::uintptr_t off = 0;
    if (name != nullptr || symbolize(pc, &name, &off)) {
      auto fit = functions.find(name);
      std::uint64_t fid;
      if (fit == functions.end()) {
        fid = functions.size() + 1;
        functions[name] = fid;
        Proto fn;
        fn.u64(1, fid);
        fn.i64(2, str(name));
        fn.i64(3, str(name));
        funcs.msg(5, fn);
      } else {
        fid = fit->second;
      }
      Proto line;
      line.u64(1, fid);
      loc.msg(4, line);
    }
    locs.msg(4, loc);
    return id;
  };
  for (const ProfSample& s : samples) {
    Proto sp;
    std::vector<std::uint64_t> ids;
    for (std::uintptr_t pc : s.pcs) ids.push_back(location_of(pc, nullptr));
    sp.packed(1, ids);
    sp.packed(2, {static_cast<std::uint64_t>(s.count), static_cast<std::uint64_t>(s.count * period)});
    if (s.labels != nullptr)
      for (std::size_t i = 0; i < s.labels->n; ++i) {
        Proto label;
        label.i64(1, str(s.labels->keys[i]));
        label.i64(2, str(s.labels->values[i]));
        sp.msg(3, label);
      }
    p.msg(2, sp);
  }
  if (lost > 0) {
    // Samples the full ring dropped, as one stack of a pseudo-function.
    Proto sp;
    sp.packed(1, {location_of(1, "gort_lost_samples")});
    sp.packed(2, {static_cast<std::uint64_t>(lost), static_cast<std::uint64_t>(lost * period)});
    p.msg(2, sp);
  }
  for (std::size_t i = 0; i < maps.size(); ++i) {
    Proto m;
    m.u64(1, i + 1);
    m.u64(2, maps[i].start);
    m.u64(3, maps[i].limit);
    m.u64(4, maps[i].offset);
    m.i64(5, str(maps[i].path));
    m.boolean(7, !functions.empty());  // has_functions
    p.msg(3, m);
  }
  Proto rest;
  rest.i64(9, start_ns);
  rest.i64(10, duration_ns);
  {
    Proto vt;
    vt.i64(1, str("cpu"));
    vt.i64(2, str("nanoseconds"));
    rest.msg(11, vt);
  }
  rest.i64(12, period);
  // string_table last: only now is every string known. Each is written,
  // the empty one first included (a field, not a proto3 scalar).
  Proto strings;
  for (const std::string& s : str.table) strings.bytes(6, s);
  std::string out = gzip(p.str() + locs.str() + funcs.str() + strings.str() + rest.str());
  if (out.empty()) return false;
  return std::fwrite(out.data(), 1, out.size(), f) == out.size() && std::fflush(f) == 0;
}

}  // namespace gort::rt
