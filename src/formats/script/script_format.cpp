// <powershell-file> and <windows-script-file>: text files whose Authenticode signature is a block
// of base64 lines in the file's own comment syntax. Not containers.
//
// What Windows hashes (the SIPs in pwrshsip.dll and wshext.dll; checked against osslsigncode for
// PowerShell, see tests/unit/formats/script_osslsigncode_test.cpp):
// - the text without the signature block, as UTF-16LE code units. The block is everything from
//   the line break before its begin line to the line break after its end line, so re-signing
//   gives back the unsigned text byte for byte. There is no line-end normalisation.
// - PowerShell: the byte order mark is part of the hashed text (U+FEFF); text without a BOM is
//   decoded as UTF-8.
// - Windows Script Host (.js .vbs .wsf): the BOM is not hashed; text without a BOM is decoded with
//   the ANSI code page (Windows-1252 here) for .js/.vbs and as UTF-8 for .wsf; after the text
//   comes the position of the signature block (UTF-16 code units, 32-bit little endian). The
//   block goes at the end, for .wsf right before the last "</job>".
// The signature block is always written with CRLF line ends, in the file's own encoding.
#include <algorithm>
#include <array>

#include "crypto/authenticode.hpp"
#include "crypto/der.hpp"
#include "formats/authenticode.hpp"
#include "formats/factories.hpp"
#include "formats/script/script_io.hpp"
#include "formats/script/script_text.hpp"
#include "io/ascii.hpp"
#include "io/error.hpp"

namespace signet::formats {

namespace {

using script::Charset;
namespace der = crypto::der;

// The largest signature block recognised (base64 of several signatures, nested and timestamped).
constexpr uint64_t kMaxBlock = 16ull << 20;
constexpr size_t kLineChars = 64;  // base64 characters per line, as signtool writes them
constexpr std::string_view kBase64Chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

using Guid = std::array<uint8_t, 16>;

// A GUID's 16 bytes in the Windows in-memory order (the first three fields little endian).
constexpr Guid guid(uint32_t d1, uint16_t d2, uint16_t d3, std::array<uint8_t, 8> d4) {
  return {static_cast<uint8_t>(d1),
          static_cast<uint8_t>(d1 >> 8),
          static_cast<uint8_t>(d1 >> 16),
          static_cast<uint8_t>(d1 >> 24),
          static_cast<uint8_t>(d2),
          static_cast<uint8_t>(d2 >> 8),
          static_cast<uint8_t>(d3),
          static_cast<uint8_t>(d3 >> 8),
          d4[0],
          d4[1],
          d4[2],
          d4[3],
          d4[4],
          d4[5],
          d4[6],
          d4[7]};
}

struct Kind {
  std::string_view name;
  std::string_view begin, end, prefix, suffix;  // block lines: begin, prefix+base64+suffix, end
  bool bom_hashed;                              // PowerShell hashes the BOM, Windows Script Host does not
  Charset bomless;                              // how text without a BOM decodes
  bool wsh;                                     // the block position is hashed too
  bool before_job;                              // .wsf: the block goes before the last "</job>"
  int64_t sip_version;
  Guid sip;  // SpcSipInfo GUID of the SIP that verifies the file
};

// SIP GUIDs as registered by Windows (pwrshsip.dll; activscp.h OID_JSSIP, OID_VBSSIP, OID_WSFSIP).
constexpr Guid kPowerShellSip =
    guid(0x603bcc1f, 0x4b59, 0x4e08, {0xb7, 0x24, 0xd2, 0xc6, 0x29, 0x7e, 0xf3, 0x51});
constexpr Guid kJScriptSip =
    guid(0x06c9e010, 0x38ce, 0x11d4, {0xa2, 0xa3, 0x00, 0x10, 0x4b, 0xd3, 0x50, 0x90});
constexpr Guid kVBScriptSip =
    guid(0x1629f04e, 0x2799, 0x4db5, {0x8f, 0xe5, 0xac, 0xe1, 0x0f, 0x17, 0xeb, 0xab});
constexpr Guid kWsfSip = guid(0x1a610570, 0x38ce, 0x11d4, {0xa2, 0xa3, 0x00, 0x10, 0x4b, 0xd3, 0x50, 0x90});

// PowerShell hashes the BOM and decodes BOM-less text as UTF-8; its block lines are comments.
constexpr Kind powershell_kind(std::string_view name, std::string_view begin, std::string_view end,
                               std::string_view prefix, std::string_view suffix) {
  return {.name = name,
          .begin = begin,
          .end = end,
          .prefix = prefix,
          .suffix = suffix,
          .bom_hashed = true,
          .bomless = Charset::utf8,
          .wsh = false,
          .before_job = false,
          .sip_version = 0x10000,
          .sip = kPowerShellSip};
}

// Windows Script Host files hash the block position but not the BOM.
constexpr Kind wsh_kind(std::string_view name, std::string_view begin, std::string_view end,
                        std::string_view prefix, Charset bomless, bool before_job, const Guid& sip) {
  return {.name = name,
          .begin = begin,
          .end = end,
          .prefix = prefix,
          .suffix = "",
          .bom_hashed = false,
          .bomless = bomless,
          .wsh = true,
          .before_job = before_job,
          .sip_version = 1,
          .sip = sip};
}

constexpr Kind kPowerShell = powershell_kind("PowerShell script", "# SIG # Begin signature block",
                                             "# SIG # End signature block", "# ", "");
constexpr Kind kPowerShellXml = powershell_kind("PowerShell XML file", "<!-- SIG # Begin signature block -->",
                                                "<!-- SIG # End signature block -->", "<!-- ", " -->");
constexpr Kind kJScript =
    wsh_kind("JScript file", "// SIG // Begin signature block", "// SIG // End signature block", "// SIG // ",
             Charset::cp1252, false, kJScriptSip);
constexpr Kind kVBScript =
    wsh_kind("VBScript file", "'' SIG '' Begin signature block", "'' SIG '' End signature block",
             "'' SIG '' ", Charset::cp1252, false, kVBScriptSip);
constexpr Kind kWsf = wsh_kind("Windows Script File", "<signature>", "</signature>", "** SIG ** ",
                               Charset::utf8, true, kWsfSip);

std::string lower_extension(const std::string& name) {
  auto slash = name.find_last_of("/\\");
  auto dot = name.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  return io::ascii_lower(std::string_view(name).substr(dot));
}

// How the bytes are laid out: byte order mark and character encoding.
struct Layout {
  Charset charset = Charset::utf8;
  unsigned bom = 0;   // bytes
  unsigned unit = 1;  // bytes per ASCII character (2 for UTF-16)
};

Layout detect_layout(const io::Source& src, const Kind& kind) {
  auto head = script::read_bytes(src, 0, std::min<uint64_t>(src.size(), 3));
  Layout l;
  if (head.size() >= 3 && head[0] == 0xef && head[1] == 0xbb && head[2] == 0xbf) {
    l.bom = 3;
  } else if (head.size() >= 2 && head[0] == 0xff && head[1] == 0xfe) {
    l = {Charset::utf16le, 2, 2};
    if (src.size() % 2 != 0) {
      throw io::Error("UTF-16 text with an odd number of bytes (" + std::to_string(src.size()) + ")",
                      io::Location{src.name()});
    }
  } else if (head.size() >= 2 && head[0] == 0xfe && head[1] == 0xff) {
    throw io::Error(std::string(kind.name) +
                        " is UTF-16 big endian, which Windows does not sign; save it as UTF-16LE or UTF-8",
                    io::Location{src.name()});
  } else {
    l.charset = kind.bomless;
  }
  return l;
}

// The first non-blank character after the BOM is '<': an XML file.
bool looks_like_xml(const io::Source& src) {
  auto head = script::read_bytes(src, 0, std::min<uint64_t>(src.size(), 256));
  size_t i = 0, step = 1;
  if (head.size() >= 3 && head[0] == 0xef && head[1] == 0xbb && head[2] == 0xbf) i = 3;
  if (head.size() >= 2 && head[0] == 0xff && head[1] == 0xfe) i = 2, step = 2;
  for (; i < head.size(); i += step) {
    uint8_t c = head[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '<';
  }
  return false;
}

// The removed signature block: bytes [start, end) of the file, and the signature it holds.
struct Block {
  uint64_t start = 0;
  uint64_t end = 0;
  std::vector<uint8_t> der;
};

class BlockParser {
 public:
  BlockParser(const io::Source& src, const Kind& kind, const Layout& layout)
      : src_(src), kind_(kind), layout_(layout) {}

  // `lf` is the offset of the line feed before a line starting with the begin marker; nullopt
  // when that line is something else (text that merely starts like a begin line).
  std::optional<Block> parse(uint64_t lf) {
    const unsigned u = layout_.unit;
    Block b;
    uint64_t limit = kind_.before_job ? std::min(src_.size(), lf + kMaxBlock) : src_.size();
    // One read from the character before the line feed (a CR there belongs to the block).
    const uint64_t first = lf >= layout_.bom + u ? lf - u : lf;
    auto raw = script::read_bytes(src_, first, limit - first);
    bool cr = first < lf && raw[0] == '\r' && (u == 1 || raw[1] == 0);
    b.start = cr ? first : lf;
    // The block is ASCII; anything else becomes 0x80, which no block line can contain.
    text_.clear();
    for (size_t i = lf - first; i + u <= raw.size(); i += u) {
      bool ascii = raw[i] < 0x80 && (u == 1 || raw[i + 1] == 0);
      text_.push_back(ascii ? static_cast<char>(raw[i]) : '\x80');
    }
    base_ = lf;
    size_t pos = 1;  // after the line feed
    std::string_view line;
    bool had_lf = next_line(pos, line);
    if (line != kind_.begin) return std::nullopt;
    if (!had_lf) fail(1, "the block ends after its begin line (truncated?)");
    std::string b64;
    for (;;) {
      size_t line_pos = pos;
      if (pos >= text_.size()) fail(line_pos, "the block ends without its end line (truncated?)");
      had_lf = next_line(pos, line);
      if (line == kind_.end) {
        if (kind_.before_job) {
          if (!had_lf || std::string_view(text_).substr(pos, 6) != "</job>") {
            fail(pos, "the signature block is not followed by </job>");
          }
        } else if (pos != text_.size()) {
          fail(pos, "there is text after the end of the signature block");
        }
        break;
      }
      if (line.size() <= kind_.prefix.size() + kind_.suffix.size() || !line.starts_with(kind_.prefix) ||
          !line.ends_with(kind_.suffix) || !had_lf) {
        fail(line_pos, "unexpected line in the signature block");
      }
      auto payload =
          line.substr(kind_.prefix.size(), line.size() - kind_.prefix.size() - kind_.suffix.size());
      if (payload.find_first_not_of(kBase64Chars) != std::string_view::npos) {
        fail(line_pos, "a line holds characters that are not base64");
      }
      b64.append(payload);
      if (b64.size() > kMaxBlock) fail(line_pos, "the signature block is too large");
    }
    b.end = base_ + pos * u;
    if (b64.empty()) fail(1, "the signature block is empty");
    try {
      b.der = der::base64_decode(b64);
      der::Reader top(b.der, "signature block");
      der::Reader ci = top.enter(der::tag::sequence);
      top.expect_end();
      if (der::decode_oid(ci.expect(der::tag::oid).content) != "1.2.840.113549.1.7.2") {
        throw io::Error("it is not a PKCS#7 SignedData");
      }
      ci.expect(der::tag::ctx_cons(0));
      ci.expect_end();
    } catch (const io::Error& e) {
      fail(1, e.message());
    }
    return b;
  }

 private:
  // The line starting at `pos` (without CR LF); pos moves past it. False when no LF ends it.
  bool next_line(size_t& pos, std::string_view& line) const {
    size_t lf = text_.find('\n', pos);
    bool had_lf = lf != std::string::npos;
    size_t stop = had_lf ? lf : text_.size();
    line = std::string_view(text_).substr(pos, stop - pos);
    if (line.ends_with('\r')) line.remove_suffix(1);
    pos = had_lf ? lf + 1 : stop;
    return had_lf;
  }

  [[noreturn]] void fail(size_t text_pos, const std::string& why) const {
    int line = script::line_at(src_, base_ + text_pos * layout_.unit, layout_.unit);
    throw io::Error("malformed signature block: " + why, io::Location{src_.name(), line});
  }

  const io::Source& src_;
  const Kind& kind_;
  const Layout& layout_;
  std::string text_;
  uint64_t base_ = 0;
};

class OpenedScript : public OpenedFile, public AuthenticodeSignable {
 public:
  OpenedScript(io::SourcePtr src, const Kind& kind) : src_(std::move(src)), kind_(kind) {
    const io::Source& s = *src_;
    layout_ = detect_layout(s, kind_);
    const uint64_t size = s.size();
    const bool utf16 = layout_.unit == 2;
    // The block ends the file, except in .wsf; only the tail can hold it. Its begin line is a
    // whole line, ended by CR LF or LF.
    uint64_t from = layout_.bom;
    if (!kind_.before_job && size - from > kMaxBlock) from = size - kMaxBlock;
    std::optional<uint64_t> lf;
    for (const char* end : {"\r\n", "\n"}) {
      auto pattern = script::encode_ascii("\n" + std::string(kind_.begin) + end, utf16);
      auto at = script::find_last(s, from, size, pattern, layout_.unit);
      if (at && (!lf || *at > *lf)) lf = at;
    }
    if (lf) block_ = BlockParser(s, kind_, layout_).parse(*lf);
    kept_.push_back({0, block_ ? block_->start : size});
    if (block_ && block_->end < size) kept_.push_back({block_->end, size});
    if (kind_.before_job) {
      auto job = script::find_last(s, layout_.bom, size, script::encode_ascii("</job>", utf16), layout_.unit);
      if (!job) {
        throw io::Error("a Windows Script File needs a </job> element to hold its signature",
                        io::Location{s.name()});
      }
      insert_at_ = *job;
    } else {
      insert_at_ = block_ ? block_->start : size;
    }
  }

  std::vector<uint8_t> authenticode_digest(io::HashAlg alg) const override {
    io::Hasher h(alg);
    const uint64_t hashed_from = kind_.bom_hashed ? 0 : layout_.bom;
    uint64_t units = 0;
    uint64_t position = 0;
    bool placed = false;
    // Each piece decodes on its own: every boundary is next to an ASCII character or the end.
    auto hash = [&](uint64_t a, uint64_t b) {
      if (b <= a) return;
      script::Utf16Writer w(layout_.charset, [&](std::span<const uint8_t> s) { h.update(s); });
      script::read_range(*src_, a, b - a, [&](std::span<const uint8_t> c) { w.update(c); });
      w.finish();
      units += w.units();
    };
    for (auto [a, b] : kept_) {
      a = std::max(a, hashed_from);
      if (!placed && insert_at_ >= a && insert_at_ <= b) {
        hash(a, insert_at_);
        position = units;
        placed = true;
        hash(insert_at_, b);
      } else {
        hash(a, b);
      }
    }
    if (kind_.wsh) {
      if (position > UINT32_MAX)
        throw io::Error("the script is too large to sign", io::Location{src_->name()});
      uint8_t le[4] = {static_cast<uint8_t>(position), static_cast<uint8_t>(position >> 8),
                       static_cast<uint8_t>(position >> 16), static_cast<uint8_t>(position >> 24)};
      h.update(le);
    }
    return h.finish();
  }

  std::vector<uint8_t> indirect_data_attribute() const override {
    return crypto::authenticode::sip_info_attribute(kind_.sip_version, kind_.sip);
  }

  std::vector<uint8_t> signature() const override { return block_ ? block_->der : std::vector<uint8_t>{}; }

  io::SourcePtr embed(std::span<const uint8_t> signature, io::TempDir& /*temp*/) const override {
    if (signature.empty()) throw io::Error("no signature to embed", io::Location{src_->name()});
    std::string b64 = der::base64_encode(signature);
    std::string text = "\r\n" + std::string(kind_.begin) + "\r\n";
    for (size_t i = 0; i < b64.size(); i += kLineChars) {
      text += kind_.prefix;
      text += b64.substr(i, kLineChars);
      text += kind_.suffix;
      text += "\r\n";
    }
    text += std::string(kind_.end) + "\r\n";
    auto block = std::make_shared<const std::vector<uint8_t>>(script::encode_ascii(text, layout_.unit == 2));

    std::vector<script::Piece> pieces;
    bool placed = false;
    for (auto [a, b] : kept_) {
      if (!placed && insert_at_ >= a && insert_at_ <= b) {
        if (insert_at_ > a) pieces.push_back({a, insert_at_ - a, nullptr});
        pieces.push_back({0, 0, block});
        placed = true;
        a = insert_at_;
      }
      if (b > a) pieces.push_back({a, b - a, nullptr});
    }
    return script::spliced_source(src_, std::move(pieces), src_->name());
  }

 private:
  io::SourcePtr src_;
  const Kind& kind_;
  Layout layout_;
  std::optional<Block> block_;
  std::vector<std::pair<uint64_t, uint64_t>> kept_;  // the file without its block: [a, b) ranges
  uint64_t insert_at_ = 0;                           // where a new block goes (offset in the file)
};

class PowerShellFormat : public Format {
 public:
  std::string_view element() const override { return "powershell-file"; }
  std::unique_ptr<OpenedFile> open(io::SourcePtr bytes, const Limits&) const override {
    std::string ext = lower_extension(bytes->name());
    const Kind* kind = &kPowerShell;
    if (ext == ".ps1xml" || ext == ".psc1" || ext == ".cdxml") {
      kind = &kPowerShellXml;
    } else if (ext != ".ps1" && ext != ".psm1" && ext != ".psd1" && looks_like_xml(*bytes)) {
      kind = &kPowerShellXml;
    }
    return std::make_unique<OpenedScript>(std::move(bytes), *kind);
  }
};

class WindowsScriptFormat : public Format {
 public:
  std::string_view element() const override { return "windows-script-file"; }
  std::unique_ptr<OpenedFile> open(io::SourcePtr bytes, const Limits&) const override {
    std::string ext = lower_extension(bytes->name());
    const Kind* kind = nullptr;
    if (ext == ".js") {
      kind = &kJScript;
    } else if (ext == ".vbs") {
      kind = &kVBScript;
    } else if (ext == ".wsf" || looks_like_xml(*bytes)) {
      kind = &kWsf;
    } else {
      throw io::Error(
          "cannot tell whether this Windows script is JScript or VBScript: name it .js, .vbs or .wsf",
          io::Location{bytes->name()});
    }
    return std::make_unique<OpenedScript>(std::move(bytes), *kind);
  }
};

}  // namespace

const Format& powershell_format() {
  static const PowerShellFormat format;
  return format;
}

const Format& windows_script_format() {
  static const WindowsScriptFormat format;
  return format;
}

}  // namespace signet::formats
